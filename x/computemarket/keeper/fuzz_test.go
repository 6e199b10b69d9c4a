package keeper_test

import (
	"errors"
	"maps"
	"math/big"
	"testing"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// Bounds on the work of one FuzzMarketSequence input.
const (
	fuzzMaxOps    = 200
	fuzzMaxBlocks = 400
	// fuzzIDs: ids are read as byte % fuzzIDs, so 0 (refused) comes up too.
	fuzzIDs = 32
)

// The cast of FuzzMarketSequence: newMarketT's providers (region=eu
// attested by auditorX) and its two funded tenants.
var (
	fuzzProviders = []sdk.AccAddress{provA, provB, provC}
	fuzzTenants   = []sdk.AccAddress{tenant1, tenant2}
)

// Operations of FuzzMarketSequence: the first byte of each picks one, the
// bytes after it are its arguments.
const (
	opCreateDeployment byte = iota
	opCreateGroup
	opCreateBid
	opCreateLease
	opDeposit
	opPauseGroup
	opUnpauseGroup
	opCloseGroup
	opCloseLease
	opCloseBid
	opCloseDeployment
	opWithdraw
	opEndBlocks
	opAudit
	opUpdateParams
	opBond
	opUpdateDeployment
	opCreateOffer
	opUpdateOffer
	opCloseOffer
	opOrderBuy
	opCount
)

// FuzzMarketSequence reads its input as a sequence of market operations by
// a small cast and applies them like transactions (a cached store written
// only on success), ending blocks in between. Refused messages are fine;
// a panic, an EndBlocker error or a broken invariant is a finding. At the
// end every deployment closes and every provider withdraws: the module
// account must then hold nothing.
func FuzzMarketSequence(f *testing.F) {
	for _, s := range fuzzMarketSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newBookMarketT(t)
		run := &fuzzRun{t: t, m: b.market, b: b, in: data}
		// One tenant and one provider are rich enough for any amount up to
		// the bound: the big values reach the keeper, not only the bank.
		rich := math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 130))
		for _, a := range []sdk.AccAddress{tenant2, provC} {
			run.m.bank.balances[string(a)] = run.m.bank.balance(a).Add(rich)
		}
		run.m.conserved(t)
		for ops := 0; ops < fuzzMaxOps && len(run.in) > 0; ops++ {
			run.step()
		}
		run.drain()
	})
}

type fuzzRun struct {
	t      *testing.T
	m      *market
	b      *bookMarket // the same market, with the order book wired
	in     []byte
	blocks int
}

// next consumes one byte of input; past its end every byte is 0.
func (r *fuzzRun) next() byte {
	if len(r.in) == 0 {
		return 0
	}
	b := r.in[0]
	r.in = r.in[1:]
	return b
}

func (r *fuzzRun) id() uint64 { return uint64(r.next() % fuzzIDs) }

// sender is usually want (the account entitled to send the message) and
// one time in eight someone else of the cast.
func (r *fuzzRun) sender(want string) string {
	b := r.next()
	if want != "" && b%8 != 0 {
		return want
	}
	cast := append(append([]sdk.AccAddress{}, fuzzTenants...), fuzzProviders...)
	return str(cast[int(b/8)%len(cast)])
}

// amount is seven times in eight small (the market's own scale); else it
// is drawn from the value domain of fuzzAmounts (-1, 0, 1, ..., 2^53, 2^63,
// 2^64, the bound 2^128-1, 2^128, 2^255, 2^256-1).
func (r *fuzzRun) amount(small int64) sdk.Coin {
	b := r.next()
	if b%8 != 7 {
		return udait(small)
	}
	return sdk.Coin{Denom: types.Denom, Amount: fuzzAmounts[int(b/8)%len(fuzzAmounts)]}
}

func (r *fuzzRun) tenant() string   { return str(fuzzTenants[int(r.next())%len(fuzzTenants)]) }
func (r *fuzzRun) provider() string { return str(fuzzProviders[int(r.next())%len(fuzzProviders)]) }

func (r *fuzzRun) groupOwner(id uint64) string {
	if g, err := r.m.k.GetGroup(r.m.ctx, id); err == nil {
		return g.Owner
	}
	return ""
}

// spec reads a group: max price 1..5,101, a deposit around the floor, and
// requirements on the audited region.
func (r *fuzzRun) spec(name string) types.GroupSpec {
	maxPrice := 1 + int64(r.next())*20
	var deposit int64
	switch b := r.next(); b % 4 {
	case 0:
		deposit = floorDeposit - 1
	case 1:
		deposit = floorDeposit
	case 2:
		deposit = floorDeposit + maxPrice*int64(b/4)
	default:
		deposit = groupDeposit * int64(1+b/4)
	}
	var reqs []types.Requirement
	switch r.next() % 4 {
	case 1:
		reqs = []types.Requirement{req("region", types.OpEq, "eu")}
	case 2:
		reqs = []types.Requirement{req("region", types.OpIn, "eu", "us")}
	case 3:
		reqs = []types.Requirement{req("gpus", types.OpGte, "2")}
	}
	g := spec(name, maxPrice, deposit, reqs...)
	g.MaxPrice, g.Deposit = r.amount(maxPrice), r.amount(deposit)
	return g
}

// tx runs one message like baseapp: on a cached store written only on
// success, with the ledger restored on failure.
func (r *fuzzRun) tx(msg sdk.Msg) {
	r.txFunc(func() error {
		switch msg := msg.(type) {
		case *obtypes.MsgCreateOffer:
			_, err := r.b.obMsgs.CreateOffer(r.m.ctx, msg)
			return err
		case *obtypes.MsgUpdateOffer:
			_, err := r.b.obMsgs.UpdateOffer(r.m.ctx, msg)
			return err
		case *obtypes.MsgCloseOffer:
			_, err := r.b.obMsgs.CloseOffer(r.m.ctx, msg)
			return err
		}
		return r.m.exec(r.t, msg)
	})
}

func (r *fuzzRun) txFunc(run func() error) {
	m := r.m
	balances, pool := maps.Clone(m.bank.balances), m.bank.pool
	parent := m.ctx
	cached, write := parent.CacheContext()
	m.ctx = cached
	err := run()
	m.ctx = parent
	if err == nil {
		write()
	} else {
		m.bank.balances, m.bank.pool = balances, pool
	}
}

func (r *fuzzRun) endBlocks(n int) {
	for ; n > 0 && r.blocks < fuzzMaxBlocks; n-- {
		r.m.freshEvents()
		r.m.endBlock(r.t)
		require.NoError(r.t, r.b.ob.CheckInvariants(r.m.ctx, r.m.bank.balance(moduleAddr)))
		r.blocks++
	}
}

// offerOf is an offer's provider, "" when there is none.
func (r *fuzzRun) offerOf(id uint64) string {
	if o, err := r.b.ob.GetOffer(r.m.ctx, id); err == nil {
		return o.Provider
	}
	return ""
}

func (r *fuzzRun) step() {
	switch op := r.next() % opCount; op {
	case opCreateDeployment:
		owner := r.tenant()
		groups := make([]types.GroupSpec, 1+int(r.next())%3)
		for i := range groups {
			groups[i] = r.spec(string(rune('a' + i)))
		}
		r.tx(&types.MsgCreateDeployment{Owner: owner, Version: make([]byte, types.VersionLen), Groups: groups})
	case opCreateGroup:
		dep := r.id()
		owner := ""
		if d, err := r.m.k.GetDeployment(r.m.ctx, dep); err == nil {
			owner = d.Owner
		}
		r.tx(&types.MsgCreateGroup{Owner: r.sender(owner), DeploymentId: dep, Group: r.spec(string(rune('a' + r.next()%6)))})
	case opCreateBid:
		msg := &types.MsgCreateBid{Provider: r.provider(), GroupId: r.id(), Price: r.amount(1 + int64(r.next())*20)}
		switch b := r.next(); b % 4 {
		case 1:
			msg.Deposit = udait(bidMinDeposit)
		case 2:
			msg.Deposit = udait(bidMinDeposit / 2)
		case 3:
			msg.Deposit = r.amount(bidMinDeposit * int64(1+b/4))
		}
		r.tx(msg)
	case opCreateLease:
		bid := r.id()
		owner := ""
		if b, err := r.m.k.GetBid(r.m.ctx, bid); err == nil {
			owner = r.groupOwner(b.GroupId)
		}
		r.tx(&types.MsgCreateLease{Owner: r.sender(owner), BidId: bid})
	case opDeposit:
		g := r.id()
		b := int64(r.next())
		r.tx(&types.MsgDepositDeployment{Owner: r.sender(r.groupOwner(g)), GroupId: g, Amount: r.amount(1 + b*b*50)})
	case opPauseGroup:
		g := r.id()
		r.tx(&types.MsgPauseGroup{Owner: r.sender(r.groupOwner(g)), GroupId: g})
	case opUnpauseGroup:
		g := r.id()
		r.tx(&types.MsgUnpauseGroup{Owner: r.sender(r.groupOwner(g)), GroupId: g})
	case opCloseGroup:
		g := r.id()
		r.tx(&types.MsgCloseGroup{Owner: r.sender(r.groupOwner(g)), GroupId: g})
	case opCloseLease:
		l := r.id()
		owner := ""
		if lease, err := r.m.k.GetLease(r.m.ctx, l); err == nil {
			owner = lease.Tenant
		}
		r.tx(&types.MsgCloseLease{Owner: r.sender(owner), LeaseId: l})
	case opCloseBid:
		bid := r.id()
		provider := ""
		if b, err := r.m.k.GetBid(r.m.ctx, bid); err == nil {
			provider = b.Provider
		}
		r.tx(&types.MsgCloseBid{Provider: r.sender(provider), BidId: bid})
	case opCloseDeployment:
		dep := r.id()
		owner := ""
		if d, err := r.m.k.GetDeployment(r.m.ctx, dep); err == nil {
			owner = d.Owner
		}
		r.tx(&types.MsgCloseDeployment{Owner: r.sender(owner), DeploymentId: dep})
	case opWithdraw:
		// Lease 0 withdraws from all the provider's leases.
		l := r.id()
		provider := r.provider()
		if lease, err := r.m.k.GetLease(r.m.ctx, l); err == nil {
			provider = r.sender(lease.Provider)
		}
		r.tx(&types.MsgWithdraw{Provider: provider, LeaseId: l})
	case opEndBlocks:
		r.endBlocks(1 + int(r.next())%8)
	case opAudit:
		// auditorX (whitelisted) or auditorZ (not) attests or revokes the
		// region or a GPU count, changing who is eligible.
		auditor := []sdk.AccAddress{auditorX, auditorY, auditorZ}[int(r.next())%3]
		provider := r.provider()
		b := r.next()
		key, value := "region", []string{"eu", "us", "ap"}[int(b/4)%3]
		if b%2 == 1 {
			key, value = "gpus", []string{"1", "2", "8"}[int(b/4)%3]
		}
		if b%4 >= 2 {
			r.tx(&types.MsgRevokeAttribute{Auditor: str(auditor), Provider: provider, Keys: []string{key}})
		} else {
			r.tx(&types.MsgAuditAttribute{Auditor: str(auditor), Provider: provider, Attributes: attrs(key, value)})
		}
	case opUpdateParams:
		p, err := r.m.k.GetParams(r.m.ctx)
		require.NoError(r.t, err)
		p.BidDurationBlocks = 1 + uint64(r.next()%8)
		p.TakeRateBps = []uint32{0, 1, 100, 3333, types.MaxTakeRateBps}[int(r.next())%5]
		p.MaxBidsPerGroup = 1 + uint32(r.next()%4)
		p.LeaseMinDeposit = udait(floorDeposit * int64(1+r.next()%3))
		r.tx(&types.MsgUpdateParams{Authority: str(authority), Params: p})
	case opBond:
		// A provider leaves or rejoins the staking tier: not a message.
		p := fuzzProviders[int(r.next())%len(fuzzProviders)]
		if r.next()%2 == 0 {
			r.m.bond(p, minBond.SubRaw(1))
		} else {
			r.m.bond(p, minBond)
		}
	case opUpdateDeployment:
		dep := r.id()
		owner := ""
		if d, err := r.m.k.GetDeployment(r.m.ctx, dep); err == nil {
			owner = d.Owner
		}
		v := make([]byte, types.VersionLen)
		v[0] = r.next()
		r.tx(&types.MsgUpdateDeployment{Owner: r.sender(owner), DeploymentId: dep, Version: v})
	case opCreateOffer:
		msg := &obtypes.MsgCreateOffer{Provider: r.provider(), Unit: hopperUnit, Price: r.amount(1 + int64(r.next())*20), Capacity: uint32(r.next() % 5)}
		if b := r.next(); b%2 == 1 {
			msg.ExpiresAt = r.m.ctx.BlockHeight() + int64(b/2%20)
		}
		r.tx(msg)
	case opUpdateOffer:
		id := r.id()
		r.tx(&obtypes.MsgUpdateOffer{Provider: r.sender(r.offerOf(id)), OfferId: id, Price: r.amount(1 + int64(r.next())*20), Capacity: uint32(r.next() % 5)})
	case opCloseOffer:
		id := r.id()
		r.tx(&obtypes.MsgCloseOffer{Provider: r.sender(r.offerOf(id)), OfferId: id})
	case opOrderBuy:
		// A limit buy (expiring 0..39 blocks from now: 0 is refused) or a
		// market buy, with or without fallback: auction.
		owner := r.tenant()
		g := r.spec("buy")
		switch b := r.next(); b % 3 {
		case 0:
			g.Order, g.ExpiresAt = types.OrderLimit, r.m.ctx.BlockHeight()+int64(b/3%40)
		default:
			g.Order, g.FallbackAuction = types.OrderMarket, b%3 == 2
		}
		r.tx(&types.MsgCreateDeployment{Owner: owner, Version: make([]byte, types.VersionLen), Groups: []types.GroupSpec{g}})
	}
}

// drain closes every deployment (which settles every lease and returns
// every bid deposit and escrow) and has every provider withdraw; after the
// next block, which moves the last take, the module account must be empty.
func (r *fuzzRun) drain() {
	t, m := r.t, r.m
	for id := uint64(1); ; id++ {
		d, err := m.k.GetDeployment(m.ctx, id)
		if errors.Is(err, types.ErrDeploymentNotFound) {
			break
		}
		require.NoError(t, err)
		if d.State != types.DeploymentClosed {
			require.NoError(t, m.exec(t, &types.MsgCloseDeployment{Owner: d.Owner, DeploymentId: id}), "closing deployment %d", id)
		}
	}
	for _, p := range fuzzProviders {
		err := m.exec(t, &types.MsgWithdraw{Provider: str(p)})
		require.True(t, err == nil || errors.Is(err, types.ErrNothingToWithdraw), "withdraw: %v", err)
	}
	m.freshEvents()
	m.endBlock(t)
	require.NoError(t, r.b.ob.CheckInvariants(m.ctx, m.bank.balance(moduleAddr)))
	require.True(t, m.bank.balance(moduleAddr).IsZero(), "the module account holds %s udait once everything is closed", m.bank.balance(moduleAddr))
}

// fuzzMarketSeeds are a few whole market stories in the input encoding.
func fuzzMarketSeeds() [][]byte {
	// spec: max price 1+20*b, deposit case (0 below the floor, 1 the
	// floor, 2 a few blocks, 3 generous), requirements (0 none, 1 eu).
	const (
		cheap    = 10 // max price 201
		dear     = 250
		floor    = 1
		generous = 3
		eu       = 1
	)
	matched := []byte{
		opCreateDeployment, 0, 0, cheap, generous, eu,
		opCreateBid, 0, 1, 9, 0,
		opCreateBid, 1, 1, 5, 1,
		opCreateBid, 2, 1, 7, 3 + 4*2,
		opEndBlocks, 5,
		opWithdraw, 1, 0, 1,
		opDeposit, 1, 100, 1,
		opEndBlocks, 7,
		opWithdraw, 0, 1,
		opCloseLease, 1, 1,
		opUnpauseGroup, 1, 1,
		opCreateBid, 2, 1, 3, 1,
		opCreateLease, 4, 1,
		opEndBlocks, 3,
		opCloseBid, 4, 1,
		opCloseDeployment, 1, 1,
		opEndBlocks, 1,
	}
	starved := []byte{
		opUpdateParams, 2, 4, 3, 0,
		opCreateDeployment, 1, 1, dear, floor, 0, dear, 2 + 4*3, eu,
		opCreateBid, 0, 1, dear, 0,
		opCreateBid, 1, 2, 200, 0,
		opEndBlocks, 7,
		opEndBlocks, 1,
		opDeposit, 1, 20, 1,
		opEndBlocks, 3,
		opDeposit, 2, 255, 1,
		opEndBlocks, 7,
		opWithdraw, 0, 1,
		opPauseGroup, 2, 1,
		opUnpauseGroup, 1, 1,
		opCloseGroup, 1, 1,
		opEndBlocks, 2,
	}
	ordered := []byte{
		opCreateDeployment, 0, 2, cheap, generous, 2, cheap, generous, 3, cheap, floor, 0,
		opEndBlocks, 7,
		opAudit, 0, 2, 1,
		opCreateBid, 2, 2, 4, 0,
		opCreateBid, 0, 1, 4, 0,
		opAudit, 0, 0, 2,
		opBond, 1, 0,
		opCreateBid, 1, 3, 2, 0,
		opEndBlocks, 1,
		opCreateGroup, 1, 1, cheap, generous, eu, 4,
		opCreateBid, 0, 4, 4, 0,
		opCreateBid, 2, 4, 3, 0,
		opUpdateDeployment, 1, 1, 7,
		opEndBlocks, 7,
		opCloseBid, 2, 0,
		opCloseLease, 1, 8,
		opCloseDeployment, 1, 1,
		opEndBlocks, 2,
	}
	// The safety issue's hostile bid: a max price and a bid of 2^255
	// (amount selector 87: 87%8 == 7 picks the value domain, 87/8 == 10 is
	// 2^255), then blocks past the auction's end. ValidateBasic refuses
	// both; without the bound the auction's end overflowed and halted the
	// chain.
	const twoTo255 = 87
	hostile := []byte{
		opCreateDeployment, 0, 0, cheap, generous, 0, twoTo255, 0,
		opCreateBid, 0, 1, cheap, twoTo255, 0,
		opEndBlocks, 7,
		opEndBlocks, 7,
	}
	// The order book: a limit buy rests under an offer above it, a higher
	// one fills at once, a market buy with fallback, the offer re-priced
	// below the first (filled at EndBlock), another limit buy expires.
	book := []byte{
		opOrderBuy, 0, 5, generous, 0, 0, 0, 30, // limit 101, expires in 10
		opCreateOffer, 0, 10, 0, 3, 0, // offer at 201, 3 units
		opOrderBuy, 1, 12, generous, 0, 0, 0, 30, // limit 241: filled at once
		opOrderBuy, 0, 12, generous, 0, 0, 0, 2, // market 241, fallback
		opUpdateOffer, 1, 1, 4, 0, 3, // re-priced to 81, still 3 units
		opEndBlocks, 2,
		opOrderBuy, 0, 5, generous, 0, 0, 0, 33, // limit 101, expires in 11
		opEndBlocks, 7,
		opEndBlocks, 7,
		opCloseOffer, 1, 1,
	}
	return [][]byte{{}, {opEndBlocks, 3}, matched, starved, ordered, hostile, book}
}
