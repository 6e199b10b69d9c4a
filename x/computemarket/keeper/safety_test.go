package keeper_test

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// 10,000 leases run dry at one height (issue 12): EndBlock takes at most
// max_items_per_block of them a block, the rest carry over in order, and
// every lease still pays exactly the blocks SPEC section 5 gives it: it is
// settled as of its own exhaustion height, not of the block that ran it.
func TestTenThousandExhaustionsAtOneHeight(t *testing.T) {
	const n, paid, limit = 10_000, 5, 1_000
	m := newMarket(t)
	h := m.ctx.BlockHeight()
	gs := leasesGenesis(n, h, paid*idlePrice)
	gs.Params.MaxItemsPerBlock = limit
	require.NoError(t, m.k.InitGenesis(m.ctx, gs))
	m.fund(moduleAddr, int64(n)*paid*idlePrice)
	m.conserved(t)
	m.atHeight(h + 1)

	x := h + paid // every lease's last paid height
	perBlock := map[int64]int{}
	carried := 0
	for m.ctx.BlockHeight() <= x+2*n/limit+2 {
		m.freshEvents()
		require.NoError(t, m.k.EndBlocker(m.ctx))
		for _, ev := range m.typedEvents(t) {
			switch ev.(type) {
			case *types.EventLeaseInsufficientFunds, *types.EventLeaseClosed:
				perBlock[m.ctx.BlockHeight()]++
			case *types.EventScheduleCarriedOver:
				carried++
			}
		}
		require.LessOrEqual(t, perBlock[m.ctx.BlockHeight()], limit, "height %d ran more than the limit", m.ctx.BlockHeight())
		m.atHeight(m.ctx.BlockHeight() + 1)
	}
	require.GreaterOrEqual(t, carried, 2*n/limit-1, "the work was spread over blocks")
	require.Equal(t, limit, perBlock[x], "the due height ran a full block")
	m.checkInvariants(t)

	take := gs.Leases[0].Take.Amount.Int64()
	for id := uint64(1); id <= n; id++ {
		l := m.lease(t, id)
		require.Equal(t, types.LeaseClosed, l.State, "lease %d", id)
		require.Equal(t, types.CloseReasonInsufficientFunds, l.CloseReason, "lease %d", id)
		require.Equal(t, x+1, l.ClosedHeight, "lease %d closes as of x+1 whichever block ran it", id)
		require.Equal(t, int64(paid*idlePrice), l.Spent.Amount.Int64(), "lease %d", id)
		require.True(t, m.escrow(t, id).Balance.IsZero(), "escrow %d", id)
		m.requireGroup(t, id, types.GroupPaused)
	}
	require.Equal(t, math.NewInt(n*paid*take), m.bank.pool, "the pool got every take of every paid block")
	// a lease that closes pays its provider what it earned
	earned := math.ZeroInt()
	for _, p := range gs.Providers {
		addr, err := sdk.AccAddressFromBech32(p.Owner)
		require.NoError(t, err)
		earned = earned.Add(m.bank.balance(addr))
	}
	require.Equal(t, math.NewInt(n*paid*(idlePrice-take)), earned)
	require.True(t, m.bank.balance(moduleAddr).IsZero(), "nothing is left in the module account")
}

// A scheduled item that fails is set aside: its changes are dropped, it is
// recorded and announced, the block and the chain go on, and the other
// items of the block run.
func TestFailedItemIsSetAside(t *testing.T) {
	m := newMarketT(t)
	bad := m.deploy(t, tenant1, spec("bad", 3*floorDeposit, floorDeposit)).GroupIds[0]
	good := m.deploy(t, tenant2, spec("good", 3*floorDeposit, floorDeposit)).GroupIds[0]
	m.bid(t, provA, bad, floorDeposit)
	m.bid(t, provB, good, floorDeposit)
	end := m.group(t, bad).AuctionEnd
	// Corrupt the bad group's escrow so that its auction cannot create a
	// lease (the escrow is gone): the item fails.
	// (The invariants see the corruption: blocks end without them here.)
	m.ctx.KVStore(m.key).Delete(objectKey(types.EscrowsKey, bad))
	for m.ctx.BlockHeight() < end {
		require.NoError(t, m.k.EndBlocker(m.ctx))
		m.atHeight(m.ctx.BlockHeight() + 1)
	}
	m.freshEvents()
	require.NoError(t, m.k.EndBlocker(m.ctx))

	var failed *types.EventScheduledItemFailed
	for _, ev := range m.typedEvents(t) {
		if e, ok := ev.(*types.EventScheduledItemFailed); ok {
			failed = e
		}
	}
	require.NotNil(t, failed, "the failure is announced")
	require.Equal(t, types.QueueAuction, failed.Queue)
	require.Equal(t, bad, failed.Id)
	require.Equal(t, end, failed.DueHeight)

	res, err := m.queries.FailedItems(m.ctx, &types.QueryFailedItemsRequest{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
	require.Equal(t, bad, res.Items[0].Id)
	require.Contains(t, res.Items[0].Error, "escrow")

	m.requireGroup(t, bad, types.GroupOpen) // as it was, off the schedule
	m.requireGroup(t, good, types.GroupMatched)
	// the next blocks run; the bad group is never retried
	m.atHeight(end + 1)
	for range 3 {
		m.freshEvents()
		require.NoError(t, m.k.EndBlocker(m.ctx))
		m.atHeight(m.ctx.BlockHeight() + 1)
	}
	res, err = m.queries.FailedItems(m.ctx, &types.QueryFailedItemsRequest{})
	require.NoError(t, err)
	require.Len(t, res.Items, 1)
}

// Closed objects and their index entries are gone after the retention
// window; the invariants hold throughout, and live objects stay.
func TestPruningAfterRetention(t *testing.T) {
	const retention = 20
	m := newMarketT(t)
	m.setParams(t, func(p *types.Params) { p.RetentionBlocks = retention; p.PrunePerBlock = 2 })
	m.conserved(t)
	closed := m.deploy(t, tenant1, spec("old", 3*floorDeposit, 10*floorDeposit))
	live := m.deploy(t, tenant2, spec("new", 3*floorDeposit, 100*floorDeposit))
	gid := closed.GroupIds[0]
	m.bid(t, provA, gid, floorDeposit)
	m.bid(t, provB, gid, floorDeposit+1) // loses
	m.bid(t, provA, live.GroupIds[0], floorDeposit)
	m.endAuction(t, gid)
	m.endBlock(t)
	m.ok(t, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: closed.DeploymentId})
	closedAt := m.ctx.BlockHeight()
	before := len(m.kvPairs(t))

	// inside the window everything is still there
	m.advance(t, closedAt+retention)
	_, err := m.k.GetLease(m.ctx, 1)
	require.NoError(t, err)
	// past it, two objects a block go: lease, bids, group, deployment
	m.advance(t, closedAt+retention+4)
	_, err = m.k.GetLease(m.ctx, 1)
	require.ErrorIs(t, err, types.ErrLeaseNotFound)
	for _, bid := range []uint64{1, 2} {
		_, err = m.k.GetBid(m.ctx, bid)
		require.ErrorIs(t, err, types.ErrBidNotFound, "bid %d", bid)
	}
	_, err = m.k.GetGroup(m.ctx, gid)
	require.ErrorIs(t, err, types.ErrGroupNotFound)
	_, err = m.queries.Deployment(m.ctx, &types.QueryDeploymentRequest{Id: closed.DeploymentId})
	require.Error(t, err)
	// the live deployment and its lease are untouched
	m.requireGroup(t, live.GroupIds[0], types.GroupMatched)
	require.Less(t, len(m.kvPairs(t)), before, "state shrank")
	raw := fmt.Sprintf("%X", tenant1.Bytes())
	for _, kv := range m.kvPairs(t) {
		key, _, _ := strings.Cut(kv, "=")
		require.NotContains(t, key, raw, "no index entry names the pruned tenant's objects")
	}
	// (advance checked the invariants at the end of every block)
}

// State stays proportional to live objects (issue 12): a market that keeps
// deploying, leasing and closing holds, once the retention window has
// passed, about the same number of store entries however long it runs.
func TestStateSizeStaysBounded(t *testing.T) {
	const retention, rounds = 30, 60
	m := newMarketT(t)
	m.setParams(t, func(p *types.Params) { p.RetentionBlocks = retention })
	m.conserved(t)
	var sizes []int
	for round := range rounds {
		dep := m.deploy(t, tenant1, spec("g", 3*floorDeposit, 10*floorDeposit), spec("h", 3*floorDeposit, 10*floorDeposit))
		for _, gid := range dep.GroupIds {
			m.bid(t, provA, gid, floorDeposit)
			m.bid(t, provB, gid, floorDeposit+1)
		}
		m.advance(t, m.ctx.BlockHeight()+auctionBlocks+1) // both groups leased, provB lost
		m.ok(t, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: dep.DeploymentId})
		m.endBlock(t)
		sizes = append(sizes, len(m.kvPairs(t)))
		if round == rounds-1 {
			t.Logf("store entries after each round (%d blocks a round, retention %d blocks): %v", auctionBlocks+2, retention, sizes)
		}
	}
	// After the window the prune step removes a round's objects for every
	// round added: the size no longer grows.
	warm := retention/(auctionBlocks+2) + 2
	for i := warm + 1; i < rounds; i++ {
		require.LessOrEqual(t, sizes[i], sizes[warm]+2, "round %d: %d entries, %d at round %d", i, sizes[i], sizes[warm], warm)
	}
	require.Greater(t, sizes[warm], sizes[0], "history inside the window is kept")
}

// TakeOf multiplies with a check (issue 12): a price past the bound that
// reached it anyway is ErrOverflow, never a panic; the bound itself fits.
func TestTakeOfIsChecked(t *testing.T) {
	huge := math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255))
	require.NotPanics(t, func() {
		_, err := keeper.TakeOf(huge, types.MaxTakeRateBps)
		require.ErrorIs(t, err, types.ErrOverflow)
	})
	take, err := keeper.TakeOf(types.MaxAmount, types.MaxTakeRateBps)
	require.NoError(t, err)
	require.Equal(t, types.MaxAmount, take)
	take, err = keeper.TakeOf(math.NewInt(12_345), 100)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(123), take)
}

// A deployment holds at most MaxGroupsPerDeployment groups: the 65th is
// refused with a typed error and changes nothing (issue 13).
func TestSixtyFifthGroupRefused(t *testing.T) {
	m := newMarketT(t)
	m.conserved(t)
	var specs []types.GroupSpec
	for i := range types.MaxGroupsPerDeploy {
		specs = append(specs, spec(fmt.Sprintf("g%d", i), 3*floorDeposit, floorDeposit))
	}
	dep := m.deploy(t, tenant1, specs...).DeploymentId
	for i := types.MaxGroupsPerDeploy; i < keeper.MaxGroupsPerDeployment; i++ {
		m.ok(t, &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: dep, Group: spec(fmt.Sprintf("g%d", i), 3*floorDeposit, floorDeposit)})
	}
	m.refuse(t, types.ErrInvalidGroupSpec, &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: dep, Group: spec("g64", 3*floorDeposit, floorDeposit)})
	res, err := m.queries.Deployment(m.ctx, &types.QueryDeploymentRequest{Id: dep})
	require.NoError(t, err)
	require.Len(t, res.Groups, keeper.MaxGroupsPerDeployment)
}

// An escrow never holds more than types.MaxAmount (found by the escrow
// model's value-domain generators): top-ups of at most the maximum each
// could add up past it, and genesis validation then refused the chain's own
// export. The top-up that would pass it is refused with ErrAmountTooLarge
// and changes nothing; up to the maximum is fine, and the state exports and
// imports.
func TestEscrowStaysWithinMaxAmount(t *testing.T) {
	m := newMarketT(t)
	m.bank.balances[string(tenant1)] = types.MaxAmount.MulRaw(3)
	m.conserved(t)
	g := spec("g", 1_000, 1_000)
	g.Deposit = coin(types.MaxAmount.SubRaw(10))
	gid := m.deploy(t, tenant1, g).GroupIds[0]
	m.refuse(t, types.ErrAmountTooLarge, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: gid, Amount: udait(11)})
	m.ok(t, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: gid, Amount: udait(10)})
	require.Equal(t, types.MaxAmount.String(), m.escrow(t, gid).Deposited.Amount.String())
	m.refuse(t, types.ErrAmountTooLarge, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: gid, Amount: udait(1)})

	gs, err := m.k.ExportGenesis(m.ctx)
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	fresh := newFixtureWith(t, m.bank, m.bank)
	fresh.atHeight(m.ctx.BlockHeight())
	require.NoError(t, fresh.k.InitGenesis(fresh.ctx, *gs))
}
