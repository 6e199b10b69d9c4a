package keeper_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestEscrowStreamsAndRunsDry follows one lease by hand: price 1,000,
// take 1% = 10, deposit 50 DAIT... lowered so that it runs dry quickly.
func TestEscrowStreamsAndRunsDry(t *testing.T) {
	m := newMarket(t)
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX)}
	p.LeaseMinDeposit = udait(3_500)
	p.BidDurationBlocks = 5
	require.NoError(t, m.k.SetParams(m.ctx, p))
	m.provider(t, provA)
	m.fund(tenant1, 1_000_000)
	total := m.bank.total()

	dep := m.deploy(t, tenant1, spec("g", 1_000, 3_500))
	gid := dep.GroupIds[0]
	created := m.ctx.BlockHeight()
	m.bid(t, provA, gid, 1_000)
	m.advance(t, created+5) // auction ends at EndBlock created+5
	m.endBlock(t)
	l := m.lease(t, 1)
	require.Equal(t, types.LeaseActive, l.State)
	require.Equal(t, created+5, l.CreatedHeight)
	require.Equal(t, udait(10), l.Take)

	// Pays at c+1, c+2, c+3 (3,500 covers three blocks); INSUFFICIENT at
	// the end of c+3; CLOSED at c+4.
	c := l.CreatedHeight
	m.advance(t, c+3)
	m.endBlock(t) // EndBlock c+3
	l = m.lease(t, 1)
	require.Equal(t, types.LeaseInsufficientFunds, l.State)
	require.Equal(t, udait(3_000), l.Spent)
	require.Equal(t, udait(500), m.escrow(t, gid).Balance)
	require.Equal(t, math.NewInt(30), m.bank.pool)

	m.endBlock(t) // EndBlock c+4: closes
	l = m.lease(t, 1)
	require.Equal(t, types.LeaseClosed, l.State)
	require.Equal(t, types.CloseReasonInsufficientFunds, l.CloseReason)
	require.Equal(t, c+4, l.ClosedHeight)
	require.Equal(t, types.GroupPaused, m.group(t, gid).State)
	// The provider was paid 3*(1000-10) on close and got its deposit back.
	require.Equal(t, math.NewInt(10_000*types.OneDait+2_970), m.bank.balance(provA))
	require.Equal(t, total, m.bank.total())

	// A top-up and unpause open a new window.
	_, err := m.msgs.DepositDeployment(m.ctx, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: gid, Amount: udait(5_000)})
	require.NoError(t, err)
	_, err = m.msgs.UnpauseGroup(m.ctx, &types.MsgUnpauseGroup{Owner: str(tenant1), GroupId: gid})
	require.NoError(t, err)
	require.Equal(t, types.GroupOpen, m.group(t, gid).State)
	m.endBlock(t)
}

// TestTopUpRevives: a lease in INSUFFICIENT_FUNDS that is topped up before
// its close height pays on.
func TestTopUpRevives(t *testing.T) {
	m := newMarket(t)
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX)}
	p.LeaseMinDeposit = udait(1_000)
	require.NoError(t, m.k.SetParams(m.ctx, p))
	m.provider(t, provA)
	m.fund(tenant1, 1_000_000)

	dep := m.deploy(t, tenant1, spec("g", 1_000, 1_500))
	gid := dep.GroupIds[0]
	b := m.bid(t, provA, gid, 1_000)
	_, err := m.msgs.CreateLease(m.ctx, &types.MsgCreateLease{Owner: str(tenant1), BidId: b.BidId})
	require.NoError(t, err)
	c := m.ctx.BlockHeight()
	m.endBlock(t) // c: ACTIVE (1,500 >= 1,000)
	m.endBlock(t) // c+1: pays 1,000, 500 left: INSUFFICIENT
	require.Equal(t, types.LeaseInsufficientFunds, m.lease(t, 1).State)
	_, err = m.msgs.DepositDeployment(m.ctx, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: gid, Amount: udait(2_000)})
	require.NoError(t, err)
	require.Equal(t, types.LeaseActive, m.lease(t, 1).State)
	m.endBlock(t) // c+2 pays: 1,500 left
	m.endBlock(t) // c+3 pays: 500 left: INSUFFICIENT
	l := m.lease(t, 1)
	require.Equal(t, types.LeaseInsufficientFunds, l.State)
	require.Equal(t, udait(3_000), l.Spent)
	_ = c
	m.endBlock(t)
	require.Equal(t, types.LeaseClosed, m.lease(t, 1).State)
}

// TestSimulationSeesTheNextBlock: gas estimation runs a tx on the state of
// the last committed block h with h as the context height, but the tx runs
// in h+1. A close simulated at h must pay out exactly what the close at
// h+1 pays (it failed with insufficient funds when it settled to h-1).
func TestSimulationSeesTheNextBlock(t *testing.T) {
	m := newMarket(t)
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX)}
	p.LeaseMinDeposit = udait(1_000)
	require.NoError(t, m.k.SetParams(m.ctx, p))
	m.provider(t, provA)
	m.fund(tenant1, 1_000_000)
	dep := m.deploy(t, tenant1, spec("g", 3_500, 100_000))
	b := m.bid(t, provA, dep.GroupIds[0], 3_500)
	_, err := m.msgs.CreateLease(m.ctx, &types.MsgCreateLease{Owner: str(tenant1), BidId: b.BidId})
	require.NoError(t, err)
	m.advance(t, m.ctx.BlockHeight()+3)
	committed := m.ctx.BlockHeight() - 1 // the last ended block
	msg := &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: dep.DeploymentId}

	before := m.bank.balance(tenant1)
	saved := maps.Clone(m.bank.balances) // the ledger is not part of the cached store
	sim, _ := m.ctx.WithBlockHeight(committed).WithExecMode(sdk.ExecModeSimulate).CacheContext()
	_, err = m.msgs.CloseDeployment(sim, msg)
	require.NoError(t, err)
	simRefund := m.bank.balance(tenant1).Sub(before)
	m.bank.balances = saved

	_, err = m.msgs.CloseDeployment(m.ctx, msg)
	require.NoError(t, err)
	require.Equal(t, simRefund, m.bank.balance(tenant1).Sub(before))
}

// TestExportImportIsByteExact: an export taken at the end of a block in
// which a lease was created, imported by the next block, rebuilds the very
// same store: the new lease's take waits in take_starts as it did. Found by
// the import/export simulation, where the import folded it into
// take_per_block (the same payments, other bytes).
func TestExportImportIsByteExact(t *testing.T) {
	m := newMarket(t)
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX)}
	p.LeaseMinDeposit = udait(3_500)
	p.BidDurationBlocks = 5
	require.NoError(t, m.k.SetParams(m.ctx, p))
	m.provider(t, provA)
	m.provider(t, provB)
	m.fund(tenant1, 1_000_000)

	dep := m.deploy(t, tenant1, spec("old", 1_000, 50_000), spec("new", 2_000, 50_000))
	m.bid(t, provA, dep.GroupIds[0], 1_000)
	m.advance(t, m.ctx.BlockHeight()+5)
	m.endBlock(t) // the first lease, created blocks ago, pays
	m.advance(t, m.ctx.BlockHeight()+3)
	// The second group found no bid in its auction: it is ORDERED, and the
	// first bid becomes a lease at once, in this block.
	require.NotZero(t, m.bid(t, provB, dep.GroupIds[1], 2_000).LeaseId)
	m.endBlock(t)

	before := m.kvPairs(t)
	waiting := fmt.Sprintf("%X", types.TakeChangesKey.Bytes())
	require.True(t, slices.ContainsFunc(before, func(kv string) bool { return strings.HasPrefix(kv, waiting) }),
		"the test needs a take waiting to start")
	gs, err := m.k.ExportGenesis(m.ctx)
	require.NoError(t, err)
	fresh := newFixtureWith(t, m.bank, m.bank)
	fresh.atHeight(m.ctx.BlockHeight()) // the first block after the import
	require.NoError(t, fresh.k.InitGenesis(fresh.ctx, *gs))
	require.Equal(t, before, fresh.kvPairs(t))
}
