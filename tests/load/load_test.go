//go:build loadtest

// Package load is `make loadtest` (issue 12): many funded accounts drive a
// real in-process node on loopback for a bounded time, first with plain
// bank sends and then with a market mix (bids, top-ups, withdraws,
// deployments). It reports committed tx/s, block times and refusals of
// each phase and the ratio of market tx/s to bank-send tx/s on the same
// node, and checks that nothing was lost: every tx the node accepted is in
// a block, and the computemarket invariants, run in consensus every
// invariantPeriod blocks, held through the run and after it.
package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	invariantPeriod = 20        // blocks between in-consensus invariant checks
	gasPerTx        = 5_000_000 // fees are zero; a 16-group deployment needs ~2.5M
	groupsPerTenant = 16
	leasePrice      = 10 // udait a block, of the setup leases
	smallDeposit    = 1_000
)

// seconds is the length of each phase: LOAD_SECONDS, else 30.
func seconds(t *testing.T) time.Duration {
	if v := os.Getenv("LOAD_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "LOAD_SECONDS")
		return time.Duration(n) * time.Second
	}
	return 30 * time.Second
}

// accounts is how many funded accounts send: LOAD_ACCOUNTS, else 64 (half
// tenants, half providers in the market phase).
func accounts(t *testing.T) int {
	if v := os.Getenv("LOAD_ACCOUNTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "LOAD_ACCOUNTS")
		return n - n%2
	}
	return 64
}

// sender signs and broadcasts one account's txs in sequence, offline: it
// keeps its own sequence number.
type sender struct {
	name   string
	addr   sdk.AccAddress
	accNum uint64
	seq    uint64
}

type phase struct {
	name     string
	mu       sync.Mutex
	accepted []string       // hashes CheckTx accepted
	kinds    map[string]int // accepted txs by message type
	refused  map[string]int // CheckTx refusals by codespace/code
	start    int64          // first height of the phase
	end      int64          // last height with one of its txs
}

func (p *phase) record(hash string, res *sdk.TxResponse, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil:
		p.refused["broadcast: "+firstLine(err.Error())]++
	case res.Code != 0:
		p.refused[fmt.Sprintf("checktx %s/%d", res.Codespace, res.Code)]++
	default:
		p.accepted = append(p.accepted, hash)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

type run struct {
	t   *testing.T
	c   *chain.Chain
	ctx client.Context
}

// send signs msgs as s at its current sequence and broadcasts them; the
// sequence moves on only if CheckTx accepted the tx.
func (r *run) send(s *sender, p *phase, msgs ...sdk.Msg) bool {
	txf := tx.Factory{}.
		WithChainID(r.ctx.ChainID).
		WithKeybase(r.ctx.Keyring).
		WithTxConfig(r.ctx.TxConfig).
		WithAccountNumber(s.accNum).
		WithSequence(s.seq).
		WithGas(gasPerTx).
		WithSignMode(1) // SIGN_MODE_DIRECT
	b, err := txf.BuildUnsignedTx(msgs...)
	require.NoError(r.t, err)
	require.NoError(r.t, tx.Sign(context.Background(), txf, s.name, b, true))
	bz, err := r.ctx.TxConfig.TxEncoder()(b.GetTx())
	require.NoError(r.t, err)
	hash := strings.ToUpper(hex.EncodeToString(sha256Sum(bz)))
	res, err := r.ctx.WithBroadcastMode("sync").BroadcastTx(bz)
	p.record(hash, res, err)
	if err == nil && res.Code == 0 {
		s.seq++
		p.mu.Lock()
		if p.kinds == nil {
			p.kinds = map[string]int{}
		}
		name := sdk.MsgTypeURL(msgs[0])
		p.kinds[name[strings.LastIndex(name, ".")+1:]]++
		p.mu.Unlock()
		return true
	}
	if err == nil && res.Code == 32 && res.Codespace == "sdk" { // wrong sequence: resync
		acc, aerr := r.ctx.AccountRetriever.GetAccount(r.ctx, s.addr)
		if aerr == nil {
			s.seq = acc.GetSequence()
		}
	}
	time.Sleep(20 * time.Millisecond) // a full mempool or a refusal: back off
	return false
}

func sha256Sum(bz []byte) []byte { h := sha256.Sum256(bz); return h[:] }

// drive runs next for every sender, each in its own goroutine, until the
// deadline: next returns the messages of the sender's next tx, or nil to
// wait a little.
func (r *run) drive(p *phase, senders []*sender, d time.Duration, next func(i int) []sdk.Msg) {
	p.start = r.c.Height() + 1
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				msgs := next(i)
				if msgs == nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				r.send(s, p, msgs...)
			}
		}()
	}
	wg.Wait()
}

// settle waits until the mempool is empty (two blocks without a tx of the
// phase after the last broadcast) and reads the phase's blocks: every
// accepted tx must be in one.
type blockStat struct {
	height int64
	time   time.Time
	txs    int
	failed map[string]int // DeliverTx failures by codespace/code
}

func (r *run) settle(p *phase) (committed, failed int, blocks []blockStat) {
	want := map[string]bool{}
	for _, h := range p.accepted {
		want[h] = true
	}
	found := 0
	empty := 0
	for h := p.start; empty < 3; h++ {
		r.c.WaitForHeight(h)
		b, err := r.c.Val.RPCClient.Block(context.Background(), &h)
		require.NoError(r.t, err)
		res, err := r.c.Val.RPCClient.BlockResults(context.Background(), &h)
		require.NoError(r.t, err)
		st := blockStat{height: h, time: b.Block.Time, failed: map[string]int{}}
		for i, txb := range b.Block.Txs {
			hash := strings.ToUpper(hex.EncodeToString(sha256Sum(txb)))
			if !want[hash] {
				continue
			}
			found++
			st.txs++
			if code := res.TxsResults[i].Code; code != 0 {
				st.failed[fmt.Sprintf("%s/%d", res.TxsResults[i].Codespace, code)]++
				failed++
			} else {
				committed++
			}
		}
		blocks = append(blocks, st)
		if st.txs == 0 && found == len(want) {
			empty++
		} else {
			empty = 0
			p.end = h
		}
	}
	require.Equal(r.t, len(want), found, "%s: every tx the node accepted is in a block", p.name)
	return committed, failed, blocks[:len(blocks)-3]
}

// setUp settles a set-up phase, whose every tx must succeed.
func (r *run) setUp(p *phase) {
	_, failed, blocks := r.settle(p)
	if failed > 0 {
		for _, b := range blocks {
			r.t.Logf("%s: block %d: failures %v", p.name, b.height, b.failed)
		}
	}
	require.Zero(r.t, failed, "%s: every tx succeeds", p.name)
	require.Zero(r.t, refusedTotal(p), "%s: nothing refused: %v", p.name, p.refused)
}

// report logs a phase and returns its committed tx/s: the txs that
// succeeded over the time from the block before the phase's first to its
// last block.
func (r *run) report(p *phase, committed, failed int, blocks []blockStat) float64 {
	require.NotEmpty(r.t, blocks)
	h := blocks[0].height - 1
	prev, err := r.c.Val.RPCClient.Block(context.Background(), &h)
	require.NoError(r.t, err)
	startTime := prev.Block.Time
	elapsed := blocks[len(blocks)-1].time.Sub(startTime).Seconds()
	var gaps []float64
	last := startTime
	maxTxs := 0
	failures := map[string]int{}
	for _, b := range blocks {
		gaps = append(gaps, b.time.Sub(last).Seconds())
		last = b.time
		maxTxs = max(maxTxs, b.txs)
		for k, v := range b.failed {
			failures[k] += v
		}
	}
	slices.Sort(gaps)
	mean := 0.0
	for _, g := range gaps {
		mean += g
	}
	mean /= float64(len(gaps))
	tps := float64(committed) / elapsed
	r.t.Logf("%s: accepted %v", p.name, p.kinds)
	r.t.Logf("%s: %d committed, %d failed in blocks %v, %d refused by CheckTx %v; %d blocks (%d..%d) in %.1f s: %.1f tx/s; block time mean %.2f s, median %.2f s, max %.2f s; at most %d txs in a block",
		p.name, committed, failed, failures, refusedTotal(p), p.refused, len(blocks), blocks[0].height, blocks[len(blocks)-1].height,
		elapsed, tps, mean, gaps[len(gaps)/2], gaps[len(gaps)-1], maxTxs)
	return tps
}

func refusedTotal(p *phase) int {
	n := 0
	for _, v := range p.refused {
		n += v
	}
	return n
}

func TestLoad(t *testing.T) {
	n, d := accounts(t), seconds(t)
	c := chain.Start(t, func(p *types.Params) {
		p.ProviderMinBond = sdk.NewCoin(types.Denom, math.ZeroInt())
		p.BidDurationBlocks = 1_000_000 // the groups stay open through the run
		p.BidMinDeposit = sdk.NewInt64Coin(types.Denom, smallDeposit)
		p.LeaseMinDeposit = sdk.NewInt64Coin(types.Denom, smallDeposit)
	}, chain.InvariantCheckPeriod(invariantPeriod))
	r := &run{t: t, c: c, ctx: c.Ctx()}

	// Fund n accounts in one tx of the validator.
	kr := r.ctx.Keyring
	senders := make([]*sender, n)
	var funding []sdk.Msg
	for i := range senders {
		name := fmt.Sprintf("load%03d", i)
		rec, _, err := kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
		require.NoError(t, err)
		addr, err := rec.GetAddress()
		require.NoError(t, err)
		senders[i] = &sender{name: name, addr: addr}
		funding = append(funding, banktypes.NewMsgSend(c.Val.Address, addr, sdk.NewCoins(chain.DAIT(10_000))))
	}
	for len(funding) > 0 { // 16 sends a tx stay well inside its gas
		k := min(16, len(funding))
		c.MustDeliver(c.Val.Moniker, funding[:k]...)
		funding = funding[k:]
	}
	for _, s := range senders {
		acc, err := r.ctx.AccountRetriever.GetAccount(r.ctx, s.addr)
		require.NoError(t, err)
		s.accNum, s.seq = acc.GetAccountNumber(), acc.GetSequence()
	}

	// Phase 1: bank sends, each account to the next.
	bank := &phase{name: "bank sends", refused: map[string]int{}}
	r.drive(bank, senders, d, func(i int) []sdk.Msg {
		to := senders[(i+1)%n].addr
		return []sdk.Msg{banktypes.NewMsgSend(senders[i].addr, to, sdk.NewCoins(sdk.NewInt64Coin(types.Denom, 1)))}
	})
	bc, bf, bblocks := r.settle(bank)
	bankTPS := r.report(bank, bc, bf, bblocks)

	// Market set-up: odd accounts are providers, even ones tenants with a
	// deployment of 16 groups each; every provider leases group 0 of the
	// tenant before it, so that it has earnings to withdraw.
	setup := &phase{name: "set-up", refused: map[string]int{}, start: c.Height() + 1}
	var tenants, providers []*sender
	for i, s := range senders {
		if i%2 == 0 {
			tenants = append(tenants, s)
		} else {
			providers = append(providers, s)
		}
	}
	version := sha256.Sum256([]byte("load"))
	spec := func(name string) types.GroupSpec {
		return types.GroupSpec{
			Name:      name,
			Resources: types.Resources{GPU: types.GPU{Count: 1, MemoryGb: 80, Class: "hopper"}, CpuMillis: 1000, MemoryMb: 1024, StorageGb: 10, Replicas: 1},
			MaxPrice:  sdk.NewInt64Coin(types.Denom, 1_000_000),
			Deposit:   sdk.NewInt64Coin(types.Denom, 10_000_000),
		}
	}
	deployment := func(owner sdk.AccAddress, groups int) *types.MsgCreateDeployment {
		msg := &types.MsgCreateDeployment{Owner: owner.String(), Version: version[:]}
		for g := range groups {
			msg.Groups = append(msg.Groups, spec(fmt.Sprintf("g%d", g)))
		}
		return msg
	}
	for _, p := range providers {
		require.True(t, r.send(p, setup, &types.MsgCreateProvider{Owner: p.addr.String(), HostUri: "https://p.example.com"}))
	}
	for _, tn := range tenants {
		require.True(t, r.send(tn, setup, deployment(tn.addr, groupsPerTenant)))
	}
	r.setUp(setup)
	// each tenant's groups, as the chain numbered them
	groups := make([][]uint64, len(tenants))
	for k, tn := range tenants {
		res, err := c.Market.Deployments(context.Background(), &types.QueryDeploymentsRequest{Owner: tn.addr.String()})
		require.NoError(t, err)
		require.Len(t, res.Deployments, 1)
		dep, err := c.Market.Deployment(context.Background(), &types.QueryDeploymentRequest{Id: res.Deployments[0].Id})
		require.NoError(t, err)
		for _, g := range dep.Groups {
			groups[k] = append(groups[k], g.Id)
		}
		require.Len(t, groups[k], groupsPerTenant)
	}
	groupOf := func(tenant, g int) uint64 { return groups[tenant][g] }
	setup2 := &phase{name: "set-up bids", refused: map[string]int{}, start: c.Height() + 1}
	for k, p := range providers {
		require.True(t, r.send(p, setup2, &types.MsgCreateBid{Provider: p.addr.String(), GroupId: groupOf(k, 0), Price: sdk.NewInt64Coin(types.Denom, leasePrice)}))
	}
	r.setUp(setup2)
	setup3 := &phase{name: "set-up leases", refused: map[string]int{}, start: c.Height() + 1}
	for k, tn := range tenants {
		bids, err := c.Market.Bids(context.Background(), &types.QueryBidsRequest{GroupId: groupOf(k, 0)})
		require.NoError(t, err)
		require.Len(t, bids.Bids, 1)
		require.True(t, r.send(tn, setup3, &types.MsgCreateLease{Owner: tn.addr.String(), BidId: bids.Bids[0].Id}))
	}
	r.setUp(setup3)
	live, err := c.Market.Leases(context.Background(), &types.QueryLeasesRequest{State: types.LeaseActive})
	require.NoError(t, err)
	require.Len(t, live.Leases, len(providers), "every provider has a lease")

	// Phase 2: the market mix. A provider bids on the open groups in turn
	// (one bid per group) and withdraws its lease's earnings at most every
	// two seconds; a tenant tops up its groups, now and then deploys anew.
	market := &phase{name: "market mix", refused: map[string]int{}}
	type state struct {
		nextGroup    int
		lastWithdraw time.Time
		count        int
	}
	states := make([]state, n)
	openGroups := len(tenants) * (groupsPerTenant - 1)
	r.drive(market, senders, d, func(i int) []sdk.Msg {
		st := &states[i]
		st.count++
		s := senders[i]
		if i%2 == 1 { // provider
			if time.Since(st.lastWithdraw) > 2*time.Second && st.count%4 == 0 {
				st.lastWithdraw = time.Now()
				return []sdk.Msg{&types.MsgWithdraw{Provider: s.addr.String(), LeaseId: 0}}
			}
			if st.nextGroup >= openGroups {
				return nil
			}
			k, g := st.nextGroup/(groupsPerTenant-1), st.nextGroup%(groupsPerTenant-1)+1
			st.nextGroup++
			return []sdk.Msg{&types.MsgCreateBid{Provider: s.addr.String(), GroupId: groupOf(k, g), Price: sdk.NewInt64Coin(types.Denom, int64(100+i))}}
		}
		k := i / 2
		if st.count%10 == 0 {
			return []sdk.Msg{deployment(s.addr, 1)}
		}
		return []sdk.Msg{&types.MsgDepositDeployment{Owner: s.addr.String(), GroupId: groupOf(k, st.count%groupsPerTenant), Amount: sdk.NewInt64Coin(types.Denom, smallDeposit)}}
	})
	mc, mf, mblocks := r.settle(market)
	marketTPS := r.report(market, mc, mf, mblocks)
	t.Logf("ratio of market tx/s to bank-send tx/s: %.2f (goal >= 0.7); %d accounts, %s a phase", marketTPS/bankTPS, n, d)

	// The invariants run in consensus every invariantPeriod blocks: a broken
	// one halts the node. Past the next checked height, they held.
	h := c.Height()
	c.WaitForHeight(h - h%invariantPeriod + invariantPeriod + 1)
}
