package keeper_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/cosmos/gogoproto/proto"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Market lifecycle suite: the state machines of SPEC section 3, who may
// send what (section 7), the matcher (section 4) and the money that moves
// with each step. Every refused message is checked to change nothing.

var (
	provC = acc(0x0c)
	provD = acc(0x0d) // funded and bonded by the tests that need it, never registered by newMarketT
)

const (
	auctionBlocks = 5
	floorDeposit  = 10_000 // lease_min_deposit
	groupMaxPrice = 5_000
	groupDeposit  = 100_000
	bidPrice      = 1_000
	starvingPrice = 4_000 // on floorDeposit: pays two blocks, leaves 2,000
	tenantFunds   = 10_000_000
	providerFunds = 10_000 * types.OneDait // what m.provider gives
)

var bidMinDeposit = types.DefaultBidMinDeposit().Amount.Int64()

// newMarketT is a market with 5-block auctions, a lease floor of 10,000
// udait, auditors X and Y whitelisted, two funded tenants and three bonded
// providers (A, B, C) whose region=eu auditorX attests.
func newMarketT(t *testing.T) *market {
	t.Helper()
	m := newMarket(t)
	m.setParams(t, func(p *types.Params) {})
	m.fund(tenant1, tenantFunds)
	m.fund(tenant2, tenantFunds)
	for _, owner := range []sdk.AccAddress{provA, provB, provC} {
		m.provider(t, owner, "region", "eu")
	}
	return m
}

// setParams stores newMarketT's params changed by edit.
func (m *market) setParams(t *testing.T, edit func(*types.Params)) {
	t.Helper()
	p := types.DefaultParams()
	p.AuditorWhitelist = []string{str(auditorX), str(auditorY)}
	p.BidDurationBlocks = auctionBlocks
	p.LeaseMinDeposit = udait(floorDeposit)
	edit(&p)
	require.NoError(t, m.k.SetParams(m.ctx, p))
}

// conserved fails the test, at its end, if udait were created or destroyed
// after this call.
func (m *market) conserved(t *testing.T) {
	t.Helper()
	total := m.bank.total()
	t.Cleanup(func() {
		if got := m.bank.total(); !got.Equal(total) {
			t.Errorf("the ledger holds %s udait, it held %s", got, total)
		}
	})
}

// exec sends any message of the module through the msg server.
func (m *market) exec(t *testing.T, msg sdk.Msg) error {
	t.Helper()
	var err error
	switch msg := msg.(type) {
	case *types.MsgCreateDeployment:
		_, err = m.msgs.CreateDeployment(m.ctx, msg)
	case *types.MsgUpdateDeployment:
		_, err = m.msgs.UpdateDeployment(m.ctx, msg)
	case *types.MsgCloseDeployment:
		_, err = m.msgs.CloseDeployment(m.ctx, msg)
	case *types.MsgDepositDeployment:
		_, err = m.msgs.DepositDeployment(m.ctx, msg)
	case *types.MsgCreateGroup:
		_, err = m.msgs.CreateGroup(m.ctx, msg)
	case *types.MsgPauseGroup:
		_, err = m.msgs.PauseGroup(m.ctx, msg)
	case *types.MsgUnpauseGroup:
		_, err = m.msgs.UnpauseGroup(m.ctx, msg)
	case *types.MsgCloseGroup:
		_, err = m.msgs.CloseGroup(m.ctx, msg)
	case *types.MsgCreateLease:
		_, err = m.msgs.CreateLease(m.ctx, msg)
	case *types.MsgCloseLease:
		_, err = m.msgs.CloseLease(m.ctx, msg)
	case *types.MsgCreateBid:
		_, err = m.msgs.CreateBid(m.ctx, msg)
	case *types.MsgCloseBid:
		_, err = m.msgs.CloseBid(m.ctx, msg)
	case *types.MsgWithdraw:
		_, err = m.msgs.Withdraw(m.ctx, msg)
	case *types.MsgAuditAttribute:
		_, err = m.msgs.AuditAttribute(m.ctx, msg)
	case *types.MsgRevokeAttribute:
		_, err = m.msgs.RevokeAttribute(m.ctx, msg)
	case *types.MsgUpdateParams:
		_, err = m.msgs.UpdateParams(m.ctx, msg)
	default:
		t.Fatalf("exec: no route for %T", msg)
	}
	return err
}

func (m *market) ok(t *testing.T, msg sdk.Msg) {
	t.Helper()
	require.NoError(t, m.exec(t, msg), "%T", msg)
}

// snapshot is everything a message could change: the exported state, the
// schedules that are not exported, and every ledger balance.
type snapshot struct {
	genesis  string
	auctions []collections.Pair[int64, uint64]
	take     math.Int
	balances map[string]math.Int
	pool     math.Int
}

func (m *market) snapshot(t *testing.T) snapshot {
	t.Helper()
	gs, err := m.k.ExportGenesis(m.ctx)
	require.NoError(t, err)
	it, err := m.k.AuctionQueue().Iterate(m.ctx, nil)
	require.NoError(t, err)
	auctions, err := it.Keys()
	require.NoError(t, err)
	take, err := m.k.TakePerBlock(m.ctx)
	require.NoError(t, err)
	return snapshot{
		genesis:  string(m.cdc.MustMarshalJSON(gs)),
		auctions: auctions,
		take:     take,
		balances: maps.Clone(m.bank.balances),
		pool:     m.bank.pool,
	}
}

func (m *market) requireUnchanged(t *testing.T, before snapshot) {
	t.Helper()
	after := m.snapshot(t)
	require.Equal(t, before.genesis, after.genesis, "the exported state changed")
	require.Equal(t, before.auctions, after.auctions, "the auction schedule changed")
	require.True(t, before.take.Equal(after.take), "take per block: %s before, %s after", before.take, after.take)
	require.True(t, before.pool.Equal(after.pool), "community pool: %s before, %s after", before.pool, after.pool)
	balance := func(s snapshot, addr string) math.Int {
		if b, ok := s.balances[addr]; ok {
			return b
		}
		return math.ZeroInt()
	}
	addrs := maps.Clone(before.balances)
	maps.Copy(addrs, after.balances)
	for addr := range addrs {
		b, a := balance(before, addr), balance(after, addr)
		require.True(t, b.Equal(a), "balance of %s: %s before, %s after", str(sdk.AccAddress(addr)), b, a)
	}
}

// refuse sends a message that must fail with want and change nothing.
func (m *market) refuse(t *testing.T, want error, msg sdk.Msg) {
	t.Helper()
	before := m.snapshot(t)
	m.freshEvents()
	err := m.exec(t, msg)
	require.ErrorIs(t, err, want, "%T", msg)
	requireABCICode(t, want, err)
	m.requireUnchanged(t, before)
	require.Empty(t, m.ctx.EventManager().Events(), "a refused %T emits no event", msg)
}

// requireABCICode: a client sees the registered error's own code, not
// baseapp's "internal" (a wrap errorsmod.ABCIInfo cannot see through).
func requireABCICode(t *testing.T, want, got error) {
	t.Helper()
	var reg *errorsmod.Error
	if !errors.As(want, &reg) {
		return
	}
	space, code, _ := errorsmod.ABCIInfo(got, false)
	require.Equal(t, fmt.Sprintf("%s/%d", reg.Codespace(), reg.ABCICode()), fmt.Sprintf("%s/%d", space, code), "the ABCI code of %v", got)
}

func (m *market) createLease(t *testing.T, bid uint64) uint64 {
	t.Helper()
	res, err := m.msgs.CreateLease(m.ctx, &types.MsgCreateLease{Owner: str(tenant1), BidId: bid})
	require.NoError(t, err)
	return res.LeaseId
}

// endAuction ends blocks through the group's auction_end.
func (m *market) endAuction(t *testing.T, group uint64) {
	t.Helper()
	m.advance(t, m.group(t, group).AuctionEnd)
	m.endBlock(t)
}

func (m *market) requireBalance(t *testing.T, a sdk.AccAddress, want int64) {
	t.Helper()
	got := m.bank.balance(a)
	require.True(t, got.Equal(math.NewInt(want)), "balance of %s is %s, want %d", str(a), got, want)
}

func (m *market) requireGroup(t *testing.T, id uint64, want types.GroupState) {
	t.Helper()
	require.Equal(t, want.String(), m.group(t, id).State.String(), "group %d", id)
}

func (m *market) requireBid(t *testing.T, id uint64, want types.BidState) {
	t.Helper()
	require.Equal(t, want.String(), m.bidOf(t, id).State.String(), "bid %d", id)
}

// requireLeaseClosed checks a lease closed at h for reason, its bid CLOSED,
// and its provider (who has no other lease) paid what it earned plus its
// deposit: p - 1% for every block paid.
func (m *market) requireLeaseClosed(t *testing.T, id uint64, reason types.CloseReason, h int64) {
	t.Helper()
	l := m.lease(t, id)
	require.Equal(t, types.LeaseClosed.String(), l.State.String())
	require.Equal(t, reason.String(), l.CloseReason.String())
	require.Equal(t, h, l.ClosedHeight)
	m.requireBid(t, l.BidId, types.BidClosed)
	spent := l.Spent.Amount.Int64()
	m.requireBalance(t, sdk.MustAccAddressFromBech32(l.Provider), providerFunds+spent-spent/100)
}

// leaseNow is a lease as queries see it: settled to the last ended block
// (stored leases are settled lazily).
func (m *market) leaseNow(t *testing.T, id uint64) types.Lease {
	t.Helper()
	l, _, err := m.k.LeaseNow(m.ctx.WithBlockHeight(m.ctx.BlockHeight()-1), m.lease(t, id))
	require.NoError(t, err)
	return l
}

func req(key string, op types.Operator, values ...string) types.Requirement {
	return types.Requirement{Key: key, Op: op, Values: values}
}

// ---------------------------------------------------------------- scenes

// scene names the objects a scene built; bid is provA's.
type scene struct {
	dep, group uint64
	bid        uint64
	other      uint64 // provB's bid, where there is one
	lease      uint64
	created    int64 // the lease's creation height
}

// sceneOpen: an OPEN group of tenant1 without bids.
func (m *market) sceneOpen(t *testing.T) scene {
	t.Helper()
	res := m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit))
	return scene{dep: res.DeploymentId, group: res.GroupIds[0]}
}

// sceneBid: an OPEN group with provA's OPEN bid.
func (m *market) sceneBid(t *testing.T) scene {
	t.Helper()
	s := m.sceneOpen(t)
	s.bid = m.bid(t, provA, s.group, bidPrice).BidId
	return s
}

// sceneTwoBids: provA's bid and provB's dearer one.
func (m *market) sceneTwoBids(t *testing.T) scene {
	t.Helper()
	s := m.sceneBid(t)
	s.other = m.bid(t, provB, s.group, bidPrice+1).BidId
	return s
}

// sceneLost: provA won the auction, provB's bid is LOST.
func (m *market) sceneLost(t *testing.T) scene {
	t.Helper()
	s := m.sceneTwoBids(t)
	m.endAuction(t, s.group)
	m.requireBid(t, s.other, types.BidLost)
	s.lease = 1
	require.Equal(t, s.bid, m.lease(t, s.lease).BidId)
	return s
}

// sceneMatched: tenant1 accepted provA's bid; the lease paid two blocks.
func (m *market) sceneMatched(t *testing.T) scene {
	t.Helper()
	s := m.sceneBid(t)
	s.lease, s.created = m.createLease(t, s.bid), m.ctx.BlockHeight()
	m.advance(t, s.created+3)
	return s
}

// sceneOrdered: the auction ended without a bid.
func (m *market) sceneOrdered(t *testing.T) scene {
	t.Helper()
	s := m.sceneOpen(t)
	m.endAuction(t, s.group)
	m.requireGroup(t, s.group, types.GroupOrdered)
	return s
}

// scenePaused: tenant1 paused the group; provA's bid is LOST.
func (m *market) scenePaused(t *testing.T) scene {
	t.Helper()
	s := m.sceneBid(t)
	m.ok(t, &types.MsgPauseGroup{Owner: str(tenant1), GroupId: s.group})
	m.endBlock(t)
	return s
}

// sceneClosed: tenant1 closed the group; provA's bid is LOST.
func (m *market) sceneClosed(t *testing.T) scene {
	t.Helper()
	s := m.sceneBid(t)
	m.ok(t, &types.MsgCloseGroup{Owner: str(tenant1), GroupId: s.group})
	m.endBlock(t)
	return s
}

// sceneClosedBid: provA closed its OPEN bid; the group is still OPEN.
func (m *market) sceneClosedBid(t *testing.T) scene {
	t.Helper()
	s := m.sceneBid(t)
	m.ok(t, &types.MsgCloseBid{Provider: str(provA), BidId: s.bid})
	m.endBlock(t)
	return s
}

// sceneLeaseClosed: tenant1 closed the lease of sceneMatched.
func (m *market) sceneLeaseClosed(t *testing.T) scene {
	t.Helper()
	s := m.sceneMatched(t)
	m.ok(t, &types.MsgCloseLease{Owner: str(tenant1), LeaseId: s.lease})
	m.endBlock(t)
	return s
}

// sceneDeploymentClosed: tenant1 closed the deployment of sceneMatched.
func (m *market) sceneDeploymentClosed(t *testing.T) scene {
	t.Helper()
	s := m.sceneMatched(t)
	m.ok(t, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: s.dep})
	m.endBlock(t)
	return s
}

// sceneStarving: a lease at 4,000 a block on an escrow of 10,000, created
// at c: it pays at c+1 and c+2 and runs dry at the end of c+2. The current
// height is c+1.
func (m *market) sceneStarving(t *testing.T) scene {
	t.Helper()
	res := m.deploy(t, tenant1, spec("g", groupMaxPrice, floorDeposit))
	s := scene{dep: res.DeploymentId, group: res.GroupIds[0]}
	s.bid = m.bid(t, provA, s.group, starvingPrice).BidId
	s.lease, s.created = m.createLease(t, s.bid), m.ctx.BlockHeight()
	m.endBlock(t)
	return s
}

// sceneInsufficient: sceneStarving at c+3: the lease is INSUFFICIENT_FUNDS
// and closes at the end of this height unless topped up.
func (m *market) sceneInsufficient(t *testing.T) scene {
	t.Helper()
	s := m.sceneStarving(t)
	m.advance(t, s.created+3)
	l := m.lease(t, s.lease)
	require.Equal(t, types.LeaseInsufficientFunds.String(), l.State.String())
	require.Equal(t, udait(2*starvingPrice), l.Spent)
	require.Equal(t, udait(floorDeposit-2*starvingPrice), m.escrow(t, s.group).Balance)
	return s
}

// sceneStarved: the lease closed for lack of funds at c+3; the group is
// PAUSED with 2,000 udait of escrow, below lease_min_deposit.
func (m *market) sceneStarved(t *testing.T) scene {
	t.Helper()
	s := m.sceneInsufficient(t)
	m.endBlock(t)
	m.requireGroup(t, s.group, types.GroupPaused)
	return s
}

// sceneStarvedToppedUp is sceneStarved after a top-up of n udait.
func sceneStarvedToppedUp(n int64) func(*market, *testing.T) scene {
	return func(m *market, t *testing.T) scene {
		t.Helper()
		s := m.sceneStarved(t)
		m.ok(t, &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: s.group, Amount: udait(n)})
		m.endBlock(t)
		return s
	}
}

// ---------------------------------------------------------------- 1. state machines

func TestStateTransitions(t *testing.T) {
	pause := func(s scene) sdk.Msg { return &types.MsgPauseGroup{Owner: str(tenant1), GroupId: s.group} }
	unpause := func(s scene) sdk.Msg { return &types.MsgUnpauseGroup{Owner: str(tenant1), GroupId: s.group} }
	closeGroup := func(s scene) sdk.Msg { return &types.MsgCloseGroup{Owner: str(tenant1), GroupId: s.group} }
	closeDeployment := func(s scene) sdk.Msg {
		return &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: s.dep}
	}
	closeLease := func(s scene) sdk.Msg { return &types.MsgCloseLease{Owner: str(tenant1), LeaseId: s.lease} }
	closeBid := func(s scene) sdk.Msg { return &types.MsgCloseBid{Provider: str(provA), BidId: s.bid} }
	bidB := func(s scene) sdk.Msg {
		return &types.MsgCreateBid{Provider: str(provB), GroupId: s.group, Price: udait(bidPrice)}
	}
	deposit := func(n int64) func(scene) sdk.Msg {
		return func(s scene) sdk.Msg {
			return &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: s.group, Amount: udait(n)}
		}
	}
	leaseBid := func(pick func(scene) uint64) func(scene) sdk.Msg {
		return func(s scene) sdk.Msg { return &types.MsgCreateLease{Owner: str(tenant1), BidId: pick(s)} }
	}
	provAsBid := func(s scene) uint64 { return s.bid }
	provBsBid := func(s scene) uint64 { return s.other }
	endAuction := func(t *testing.T, m *market, s scene) { m.endAuction(t, s.group) }

	// The refund of a group closed at h to a tenant with no other group.
	tenantRefunded := func(t *testing.T, m *market, s scene) {
		require.True(t, m.escrow(t, s.group).Balance.IsZero())
		spent := int64(0)
		if s.lease != 0 {
			spent = m.lease(t, s.lease).Spent.Amount.Int64()
		}
		m.requireBalance(t, tenant1, tenantFunds-spent)
	}

	tests := []struct {
		name string
		from func(*market, *testing.T) scene
		// Exactly one of msg and do is set.
		msg func(scene) sdk.Msg
		do  func(*testing.T, *market, scene)
		err error
		// then checks a legal transition made at height h.
		then func(t *testing.T, m *market, s scene, h int64)
	}{
		// Deployment
		{
			name: "deployment ACTIVE->CLOSED", from: (*market).sceneMatched, msg: closeDeployment,
			then: func(t *testing.T, m *market, s scene, h int64) {
				d, err := m.k.GetDeployment(m.ctx, s.dep)
				require.NoError(t, err)
				require.Equal(t, types.DeploymentClosed, d.State)
				require.Equal(t, h, d.ClosedHeight)
				m.requireGroup(t, s.group, types.GroupClosed)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonDeploymentClosed, h)
				tenantRefunded(t, m, s)
			},
		},
		{name: "close a CLOSED deployment", from: (*market).sceneDeploymentClosed, msg: closeDeployment, err: types.ErrDeploymentClosed},
		{
			name: "update a CLOSED deployment", from: (*market).sceneDeploymentClosed, err: types.ErrDeploymentClosed,
			msg: func(s scene) sdk.Msg {
				return &types.MsgUpdateDeployment{Owner: str(tenant1), DeploymentId: s.dep, Version: make([]byte, 32)}
			},
		},
		{
			name: "add a group to a CLOSED deployment", from: (*market).sceneDeploymentClosed, err: types.ErrDeploymentClosed,
			msg: func(s scene) sdk.Msg {
				return &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: s.dep, Group: spec("h", groupMaxPrice, groupDeposit)}
			},
		},

		// Group
		{
			name: "group OPEN->MATCHED at the auction end", from: (*market).sceneBid, do: endAuction,
			then: func(t *testing.T, m *market, s scene, h int64) {
				end := m.group(t, s.group).AuctionEnd
				m.requireGroup(t, s.group, types.GroupMatched)
				m.requireBid(t, s.bid, types.BidActive)
				l := m.lease(t, 1)
				require.Equal(t, types.LeaseActive, l.State)
				require.Equal(t, s.bid, l.BidId)
				require.Equal(t, udait(bidPrice), l.Price)
				require.Equal(t, end, l.CreatedHeight)
				require.Equal(t, str(tenant1), l.Tenant)
				require.Equal(t, str(provA), l.Provider)
			},
		},
		{
			name: "group OPEN->MATCHED by MsgCreateLease", from: (*market).sceneBid, msg: leaseBid(provAsBid),
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupMatched)
				m.requireBid(t, s.bid, types.BidActive)
				l := m.lease(t, 1)
				require.Equal(t, types.LeaseActive, l.State)
				require.Equal(t, s.bid, l.BidId)
				require.Equal(t, h, l.CreatedHeight)
				has, err := m.k.AuctionQueue().Has(m.ctx, collections.Join(m.group(t, s.group).AuctionEnd, s.group))
				require.NoError(t, err)
				require.False(t, has, "a matched group leaves the auction schedule")
			},
		},
		{
			name: "group OPEN->ORDERED at the auction end without a bid", from: (*market).sceneOpen, do: endAuction,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupOrdered)
				_, err := m.k.GetLease(m.ctx, 1)
				require.ErrorIs(t, err, types.ErrLeaseNotFound)
			},
		},
		{
			name: "group ORDERED->MATCHED by the first acceptable bid", from: (*market).sceneOrdered, msg: bidB,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupMatched)
				l := m.lease(t, 1)
				require.Equal(t, types.LeaseActive, l.State)
				require.Equal(t, str(provB), l.Provider)
				require.Equal(t, h, l.CreatedHeight)
				m.requireBid(t, l.BidId, types.BidActive)
			},
		},
		{
			name: "group OPEN->PAUSED by MsgPauseGroup", from: (*market).sceneBid, msg: pause,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
				m.requireBid(t, s.bid, types.BidLost)
				m.requireBalance(t, provA, providerFunds)
				require.Equal(t, udait(groupDeposit), m.escrow(t, s.group).Balance, "a paused group keeps its escrow")
			},
		},
		{
			name: "group ORDERED->PAUSED by MsgPauseGroup", from: (*market).sceneOrdered, msg: pause,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
			},
		},
		{
			name: "group MATCHED->PAUSED by MsgPauseGroup", from: (*market).sceneMatched, msg: pause,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonGroupPaused, h)
			},
		},
		{
			name: "group MATCHED->PAUSED by the tenant's MsgCloseLease", from: (*market).sceneMatched, msg: closeLease,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonTenant, h)
				require.Equal(t, udait(2*bidPrice), m.lease(t, s.lease).Spent, "paid at c+1 and c+2, not at the closing height")
			},
		},
		{
			name: "group MATCHED->PAUSED by the provider's MsgCloseBid", from: (*market).sceneMatched, msg: closeBid,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonProvider, h)
			},
		},
		{
			name: "group MATCHED->PAUSED for lack of funds", from: (*market).sceneInsufficient,
			do: func(t *testing.T, m *market, s scene) { m.endBlock(t) },
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupPaused)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonInsufficientFunds, h)
				require.Equal(t, udait(floorDeposit-2*starvingPrice), m.escrow(t, s.group).Balance, "the rest stays for the tenant")
			},
		},
		{
			name: "group PAUSED->OPEN by MsgUnpauseGroup", from: (*market).scenePaused, msg: unpause,
			then: func(t *testing.T, m *market, s scene, h int64) {
				g := m.group(t, s.group)
				require.Equal(t, types.GroupOpen, g.State)
				require.Equal(t, h, g.OpenedAt)
				require.Equal(t, h+auctionBlocks, g.AuctionEnd)
				has, err := m.k.AuctionQueue().Has(m.ctx, collections.Join(h+auctionBlocks, s.group))
				require.NoError(t, err)
				require.True(t, has)
			},
		},
		{
			name: "group PAUSED->OPEN after a top-up to exactly lease_min_deposit", from: sceneStarvedToppedUp(floorDeposit - (floorDeposit - 2*starvingPrice)),
			msg: unpause,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupOpen)
				require.Equal(t, h+auctionBlocks, m.group(t, s.group).AuctionEnd)
				require.Equal(t, udait(floorDeposit), m.escrow(t, s.group).Balance)
			},
		},
		{
			name: "group OPEN->CLOSED by MsgCloseGroup", from: (*market).sceneBid, msg: closeGroup,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				m.requireBid(t, s.bid, types.BidLost)
				m.requireBalance(t, provA, providerFunds)
				tenantRefunded(t, m, s)
			},
		},
		{
			name: "group ORDERED->CLOSED by MsgCloseGroup", from: (*market).sceneOrdered, msg: closeGroup,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				tenantRefunded(t, m, s)
			},
		},
		{
			name: "group MATCHED->CLOSED by MsgCloseGroup", from: (*market).sceneMatched, msg: closeGroup,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				m.requireLeaseClosed(t, s.lease, types.CloseReasonGroupClosed, h)
				tenantRefunded(t, m, s)
			},
		},
		{
			name: "group PAUSED->CLOSED by MsgCloseGroup", from: (*market).scenePaused, msg: closeGroup,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				tenantRefunded(t, m, s)
			},
		},
		{
			name: "group PAUSED->CLOSED by MsgCloseDeployment", from: (*market).scenePaused, msg: closeDeployment,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				tenantRefunded(t, m, s)
			},
		},
		{
			name: "group ORDERED->CLOSED by MsgCloseDeployment", from: (*market).sceneOrdered, msg: closeDeployment,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireGroup(t, s.group, types.GroupClosed)
				tenantRefunded(t, m, s)
			},
		},
		{name: "pause a PAUSED group", from: (*market).scenePaused, msg: pause, err: types.ErrInvalidGroupState},
		{name: "pause a CLOSED group", from: (*market).sceneClosed, msg: pause, err: types.ErrInvalidGroupState},
		{name: "pause a group of a CLOSED deployment", from: (*market).sceneDeploymentClosed, msg: pause, err: types.ErrInvalidGroupState},
		{name: "unpause an OPEN group", from: (*market).sceneBid, msg: unpause, err: types.ErrInvalidGroupState},
		{name: "unpause an ORDERED group", from: (*market).sceneOrdered, msg: unpause, err: types.ErrInvalidGroupState},
		{name: "unpause a MATCHED group", from: (*market).sceneMatched, msg: unpause, err: types.ErrInvalidGroupState},
		{name: "unpause a CLOSED group", from: (*market).sceneClosed, msg: unpause, err: types.ErrInvalidGroupState},
		{name: "close a CLOSED group", from: (*market).sceneClosed, msg: closeGroup, err: types.ErrInvalidGroupState},
		{name: "unpause with the escrow a dry lease left", from: (*market).sceneStarved, msg: unpause, err: types.ErrDepositTooLow},
		{
			name: "unpause with an escrow one udait below lease_min_deposit", from: sceneStarvedToppedUp(floorDeposit - (floorDeposit - 2*starvingPrice) - 1),
			msg: unpause, err: types.ErrDepositTooLow,
		},
		{name: "deposit into a CLOSED group", from: (*market).sceneClosed, msg: deposit(1_000), err: types.ErrInvalidGroupState},
		{name: "bid on a PAUSED group", from: (*market).scenePaused, msg: bidB, err: types.ErrInvalidGroupState},
		{name: "bid on a MATCHED group", from: (*market).sceneMatched, msg: bidB, err: types.ErrInvalidGroupState},
		{name: "bid on a CLOSED group", from: (*market).sceneClosed, msg: bidB, err: types.ErrInvalidGroupState},

		// Bid
		{
			name: "bid OPEN->LOST at the auction end", from: (*market).sceneTwoBids, do: endAuction,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireBid(t, s.bid, types.BidActive)
				m.requireBid(t, s.other, types.BidLost)
				require.Equal(t, m.group(t, s.group).AuctionEnd, m.bidOf(t, s.other).ClosedHeight)
				m.requireBalance(t, provB, providerFunds)
				m.requireBalance(t, provA, providerFunds-bidMinDeposit)
			},
		},
		{
			name: "bid OPEN->CLOSED by MsgCloseBid", from: (*market).sceneBid, msg: closeBid,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireBid(t, s.bid, types.BidClosed)
				require.Equal(t, h, m.bidOf(t, s.bid).ClosedHeight)
				m.requireBalance(t, provA, providerFunds)
				m.requireGroup(t, s.group, types.GroupOpen)
			},
		},
		{
			name: "bid ACTIVE->CLOSED by MsgCloseBid", from: (*market).sceneMatched, msg: closeBid,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireBid(t, s.bid, types.BidClosed)
				require.Equal(t, h, m.bidOf(t, s.bid).ClosedHeight)
			},
		},
		{
			name: "bid ACTIVE->CLOSED when the tenant closes its lease", from: (*market).sceneMatched, msg: closeLease,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireBid(t, s.bid, types.BidClosed)
			},
		},
		{
			name: "close a LOST bid", from: (*market).sceneLost, err: types.ErrInvalidBidState,
			msg: func(s scene) sdk.Msg { return &types.MsgCloseBid{Provider: str(provB), BidId: s.other} },
		},
		{name: "close a CLOSED bid", from: (*market).sceneClosedBid, msg: closeBid, err: types.ErrInvalidBidState},
		{name: "close the CLOSED bid of a closed lease", from: (*market).sceneLeaseClosed, msg: closeBid, err: types.ErrInvalidBidState},
		{name: "lease a LOST bid", from: (*market).sceneLost, msg: leaseBid(provBsBid), err: types.ErrInvalidBidState},
		{name: "lease a LOST bid of a PAUSED group", from: (*market).scenePaused, msg: leaseBid(provAsBid), err: types.ErrInvalidBidState},
		{name: "lease a CLOSED bid", from: (*market).sceneClosedBid, msg: leaseBid(provAsBid), err: types.ErrInvalidBidState},
		{name: "lease an ACTIVE bid", from: (*market).sceneMatched, msg: leaseBid(provAsBid), err: types.ErrInvalidBidState},

		// Lease
		{
			name: "lease ACTIVE->INSUFFICIENT_FUNDS", from: (*market).sceneStarving,
			do: func(t *testing.T, m *market, s scene) { m.advance(t, s.created+3) },
			then: func(t *testing.T, m *market, s scene, h int64) {
				l := m.lease(t, s.lease)
				require.Equal(t, types.LeaseInsufficientFunds, l.State)
				require.Equal(t, udait(2*starvingPrice), l.Spent)
				m.requireGroup(t, s.group, types.GroupMatched)
				m.requireBid(t, s.bid, types.BidActive)
			},
		},
		{
			name: "lease INSUFFICIENT_FUNDS->ACTIVE by a top-up", from: (*market).sceneInsufficient, msg: deposit(2 * starvingPrice),
			then: func(t *testing.T, m *market, s scene, h int64) {
				require.Equal(t, types.LeaseActive, m.lease(t, s.lease).State)
				require.Equal(t, udait(floorDeposit), m.escrow(t, s.group).Balance)
				m.endBlock(t) // pays h instead of closing
				l := m.leaseNow(t, s.lease)
				require.Equal(t, types.LeaseActive, l.State)
				require.Equal(t, udait(3*starvingPrice), l.Spent)
			},
		},
		{
			name: "lease INSUFFICIENT_FUNDS->CLOSED by the tenant", from: (*market).sceneInsufficient, msg: closeLease,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireLeaseClosed(t, s.lease, types.CloseReasonTenant, h)
				require.Equal(t, udait(2*starvingPrice), m.lease(t, s.lease).Spent)
				m.requireGroup(t, s.group, types.GroupPaused)
			},
		},
		{
			name: "lease INSUFFICIENT_FUNDS->CLOSED by MsgCloseDeployment", from: (*market).sceneInsufficient, msg: closeDeployment,
			then: func(t *testing.T, m *market, s scene, h int64) {
				m.requireLeaseClosed(t, s.lease, types.CloseReasonDeploymentClosed, h)
				tenantRefunded(t, m, s)
			},
		},
		{name: "close a lease closed for lack of funds", from: (*market).sceneStarved, msg: closeLease, err: types.ErrInvalidLeaseState},
		{name: "close a lease closed by the tenant", from: (*market).sceneLeaseClosed, msg: closeLease, err: types.ErrInvalidLeaseState},
		{name: "close a lease of a CLOSED deployment", from: (*market).sceneDeploymentClosed, msg: closeLease, err: types.ErrInvalidLeaseState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.True(t, (tc.msg == nil) != (tc.do == nil), "set one of msg and do")
			m := newMarketT(t)
			s := tc.from(m, t)
			m.conserved(t)
			h := m.ctx.BlockHeight()
			if tc.err != nil {
				m.refuse(t, tc.err, tc.msg(s))
				m.endBlock(t)
				return
			}
			if tc.msg != nil {
				m.ok(t, tc.msg(s))
			} else {
				tc.do(t, m, s)
				h = m.ctx.BlockHeight() - 1 // the EndBlock that made the change
			}
			tc.then(t, m, s, h)
			m.endBlock(t)
		})
	}
}

// ---------------------------------------------------------------- 2. who may send what

func TestAuthorization(t *testing.T) {
	// world: group a MATCHED (provA's lease, which has earned two blocks),
	// group b OPEN with provB's bid, group c PAUSED.
	type world struct {
		dep, a, b, c uint64
		activeBid    uint64
		openBid      uint64
		lease        uint64
	}
	build := func(t *testing.T) (*market, world) {
		m := newMarketT(t)
		res := m.deploy(t, tenant1, spec("a", groupMaxPrice, groupDeposit), spec("b", groupMaxPrice, groupDeposit), spec("c", groupMaxPrice, groupDeposit))
		w := world{dep: res.DeploymentId, a: res.GroupIds[0], b: res.GroupIds[1], c: res.GroupIds[2]}
		w.activeBid = m.bid(t, provA, w.a, bidPrice).BidId
		w.lease = m.createLease(t, w.activeBid)
		w.openBid = m.bid(t, provB, w.b, bidPrice).BidId
		m.ok(t, &types.MsgPauseGroup{Owner: str(tenant1), GroupId: w.c})
		m.advance(t, m.ctx.BlockHeight()+3)
		m.conserved(t)
		return m, w
	}
	changed := types.DefaultParams()
	changed.AuditorWhitelist = []string{str(auditorX)}

	names := map[string]string{
		str(tenant1): "tenant1", str(tenant2): "tenant2", str(provA): "provA", str(provB): "provB",
		str(auditorX): "auditorX", str(auditorY): "auditorY", str(auditorZ): "auditorZ", str(authority): "gov",
	}
	tests := []struct {
		name    string
		owner   sdk.AccAddress   // the one sender that may
		others  []sdk.AccAddress // senders refused with err
		err     error
		msg     func(w world, sender string) sdk.Msg
		skipOwn bool
	}{
		{
			name: "MsgUpdateDeployment", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg {
				return &types.MsgUpdateDeployment{Owner: s, DeploymentId: w.dep, Version: make([]byte, 32)}
			},
		},
		{
			name: "MsgCloseDeployment", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCloseDeployment{Owner: s, DeploymentId: w.dep} },
		},
		{
			name: "MsgDepositDeployment", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg {
				return &types.MsgDepositDeployment{Owner: s, GroupId: w.a, Amount: udait(1_000)}
			},
		},
		{
			name: "MsgCreateGroup", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg {
				return &types.MsgCreateGroup{Owner: s, DeploymentId: w.dep, Group: spec("d", groupMaxPrice, groupDeposit)}
			},
		},
		{
			name: "MsgPauseGroup of a MATCHED group", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgPauseGroup{Owner: s, GroupId: w.a} },
		},
		{
			name: "MsgPauseGroup of an OPEN group", owner: tenant1, others: []sdk.AccAddress{tenant2, provB}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgPauseGroup{Owner: s, GroupId: w.b} },
		},
		{
			name: "MsgUnpauseGroup", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgUnpauseGroup{Owner: s, GroupId: w.c} },
		},
		{
			name: "MsgCloseGroup", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCloseGroup{Owner: s, GroupId: w.a} },
		},
		{
			name: "MsgCreateLease", owner: tenant1, others: []sdk.AccAddress{tenant2, provB}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCreateLease{Owner: s, BidId: w.openBid} },
		},
		{
			// The lease's own provider is refused too: it closes through MsgCloseBid.
			name: "MsgCloseLease", owner: tenant1, others: []sdk.AccAddress{tenant2, provA}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCloseLease{Owner: s, LeaseId: w.lease} },
		},
		{
			name: "MsgCloseBid of an ACTIVE bid", owner: provA, others: []sdk.AccAddress{provB, tenant1}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCloseBid{Provider: s, BidId: w.activeBid} },
		},
		{
			name: "MsgCloseBid of an OPEN bid", owner: provB, others: []sdk.AccAddress{provA, tenant1}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgCloseBid{Provider: s, BidId: w.openBid} },
		},
		{
			name: "MsgWithdraw of a lease", owner: provA, others: []sdk.AccAddress{provB, tenant1}, err: types.ErrUnauthorized,
			msg: func(w world, s string) sdk.Msg { return &types.MsgWithdraw{Provider: s, LeaseId: w.lease} },
		},
		{
			name: "MsgAuditAttribute", owner: auditorY, others: []sdk.AccAddress{auditorZ, provA, tenant1}, err: types.ErrAuditorNotWhitelisted,
			msg: func(w world, s string) sdk.Msg {
				return &types.MsgAuditAttribute{Auditor: s, Provider: str(provA), Attributes: attrs("gpu", "h100")}
			},
		},
		{
			// An auditor revokes only its own attestations.
			name: "MsgRevokeAttribute", owner: auditorX, others: []sdk.AccAddress{auditorY, provA}, err: types.ErrAttestationNotFound,
			msg: func(w world, s string) sdk.Msg {
				return &types.MsgRevokeAttribute{Auditor: s, Provider: str(provA), Keys: []string{"region"}}
			},
		},
		{
			name: "MsgUpdateParams", owner: authority, others: []sdk.AccAddress{tenant1, auditorX, provA}, err: types.ErrInvalidAuthority,
			msg: func(w world, s string) sdk.Msg { return &types.MsgUpdateParams{Authority: s, Params: changed} },
		},
	}
	for _, tc := range tests {
		for _, sender := range tc.others {
			t.Run(tc.name+" by "+names[str(sender)], func(t *testing.T) {
				m, w := build(t)
				m.refuse(t, tc.err, tc.msg(w, str(sender)))
				m.endBlock(t)
			})
		}
		// The same message from the one who may send it is accepted: the
		// refusals above are about the sender, not the message.
		t.Run(tc.name+" by "+names[str(tc.owner)], func(t *testing.T) {
			m, w := build(t)
			m.ok(t, tc.msg(w, str(tc.owner)))
			m.endBlock(t)
		})
	}
}

// ---------------------------------------------------------------- 3. tie-breaks

func TestPickWinner(t *testing.T) {
	b := func(id uint64, price int64, h int64, p sdk.AccAddress) types.Bid {
		return types.Bid{Id: id, Price: udait(price), CreatedHeight: h, Provider: str(p)}
	}
	// str(provA) < str(provB): both start "dait1p", then g < v.
	require.Less(t, str(provA), str(provB))
	all := func(types.Bid) (bool, error) { return true, nil }
	tests := []struct {
		name string
		bids []types.Bid
		want uint64
	}{
		{"lowest price", []types.Bid{b(1, 10, 1, provA), b(2, 9, 2, provB)}, 2},
		{"equal price: earlier height", []types.Bid{b(1, 10, 2, provA), b(2, 10, 1, provB)}, 2},
		{"equal price and height: provider string", []types.Bid{b(1, 10, 1, provB), b(2, 10, 1, provA)}, 2},
		{"price before height before provider", []types.Bid{b(1, 10, 1, provA), b(2, 9, 5, provB), b(3, 9, 6, provA)}, 2},
		{"one bid", []types.Bid{b(7, 10, 1, provB)}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, ok, err := keeper.PickWinner(tc.bids, all)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tc.want, w.Id)
			// The order of the input does not matter.
			reversed := slices.Clone(tc.bids)
			slices.Reverse(reversed)
			w, _, err = keeper.PickWinner(reversed, all)
			require.NoError(t, err)
			require.Equal(t, tc.want, w.Id)
		})
	}
	_, ok, err := keeper.PickWinner(nil, all)
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = keeper.PickWinner([]types.Bid{b(1, 1, 1, provA)}, func(types.Bid) (bool, error) { return false, nil })
	require.NoError(t, err)
	require.False(t, ok)
}

func TestAuctionTieBreaks(t *testing.T) {
	// requireWinner ends the auction and checks that want's bid won and
	// every other bid was LOST with its deposit back.
	requireWinner := func(t *testing.T, m *market, group uint64, bids map[string]uint64, want sdk.AccAddress) {
		t.Helper()
		m.endAuction(t, group)
		l := m.lease(t, 1)
		require.Equal(t, str(want), l.Provider)
		require.Equal(t, bids[str(want)], l.BidId)
		for p, id := range bids {
			if p == str(want) {
				m.requireBid(t, id, types.BidActive)
				m.requireBalance(t, sdk.MustAccAddressFromBech32(p), providerFunds-bidMinDeposit)
				continue
			}
			m.requireBid(t, id, types.BidLost)
			m.requireBalance(t, sdk.MustAccAddressFromBech32(p), providerFunds)
		}
	}

	t.Run("equal price: the earlier height wins", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		// The later bidder is the one whose address sorts first, so that
		// the address rule alone would pick it.
		late, early := provA, provB
		if str(provB) < str(provA) {
			late, early = provB, provA
		}
		s := m.sceneOpen(t)
		bids := map[string]uint64{str(early): m.bid(t, early, s.group, bidPrice).BidId}
		m.endBlock(t)
		bids[str(late)] = m.bid(t, late, s.group, bidPrice).BidId
		requireWinner(t, m, s.group, bids, early)
	})

	t.Run("equal price and height: the first provider in bech32 order wins", func(t *testing.T) {
		m := newMarketT(t)
		// Byte order and bech32 string order disagree on these addresses.
		providers := []sdk.AccAddress{acc(0x40), acc(0x44), acc(0x48), acc(0x4c), acc(0x45)}
		for _, p := range providers {
			m.provider(t, p, "region", "eu")
		}
		m.conserved(t)
		want := providers[0]
		byteMin := providers[0]
		for _, p := range providers {
			if str(p) < str(want) {
				want = p
			}
			if string(p) < string(byteMin) {
				byteMin = p
			}
		}
		require.NotEqual(t, byteMin, want, "fixture: the string order must differ from the byte order")
		require.NotEqual(t, providers[0], want, "fixture: the winner must not be the first bid")

		s := m.sceneOpen(t)
		bids := map[string]uint64{}
		for _, p := range providers {
			bids[str(p)] = m.bid(t, p, s.group, bidPrice).BidId
		}
		requireWinner(t, m, s.group, bids, want)
	})

	t.Run("a lower price beats an earlier height", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneOpen(t)
		// The early bidder also sorts first: only the price can beat it.
		early, late := provA, provB
		if str(provB) < str(provA) {
			early, late = provB, provA
		}
		bids := map[string]uint64{str(early): m.bid(t, early, s.group, bidPrice).BidId}
		m.endBlock(t)
		bids[str(late)] = m.bid(t, late, s.group, bidPrice-1).BidId
		requireWinner(t, m, s.group, bids, late)
		require.Equal(t, udait(bidPrice-1), m.lease(t, 1).Price)
	})
}

// ---------------------------------------------------------------- 4. eligibility

func TestEligibilitySelfDeclaredAttributesDoNotCount(t *testing.T) {
	m := newMarketT(t)
	m.bond(provD, minBond)
	m.fund(provD, providerFunds)
	m.createProvider(t, provD, attrs("gpu", "h100", "region", "eu")...)
	m.conserved(t)
	s := m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit, req("gpu", types.OpEq, "h100")))

	m.refuse(t, types.ErrRequirementsNotMet, &types.MsgCreateBid{Provider: str(provD), GroupId: s.GroupIds[0], Price: udait(bidPrice)})
	// Once an auditor attests the same pair, the bid is accepted.
	m.audit(t, auditorX, provD, "gpu", "h100")
	m.bid(t, provD, s.GroupIds[0], bidPrice)
	m.endBlock(t)
}

func TestEligibilityGroupAuditors(t *testing.T) {
	m := newMarketT(t)
	m.conserved(t)
	gs := spec("g", groupMaxPrice, groupDeposit, req("region", types.OpEq, "eu"))
	gs.Auditors = []string{str(auditorY)}
	gid := m.deploy(t, tenant1, gs).GroupIds[0]

	// provA's region=eu is attested by auditorX only, whom the group does not accept.
	m.refuse(t, types.ErrRequirementsNotMet, &types.MsgCreateBid{Provider: str(provA), GroupId: gid, Price: udait(bidPrice)})
	// auditorY attesting another value does not help.
	m.audit(t, auditorY, provA, "region", "us")
	m.refuse(t, types.ErrRequirementsNotMet, &types.MsgCreateBid{Provider: str(provA), GroupId: gid, Price: udait(bidPrice)})
	m.audit(t, auditorY, provA, "region", "eu")
	b := m.bid(t, provA, gid, bidPrice).BidId
	m.endAuction(t, gid)
	m.requireBid(t, b, types.BidActive)
}

func TestEligibilityRevokedBeforeAuctionEnd(t *testing.T) {
	revoke := func(t *testing.T, m *market, p sdk.AccAddress) {
		t.Helper()
		m.ok(t, &types.MsgRevokeAttribute{Auditor: str(auditorX), Provider: str(p), Keys: []string{"region"}})
	}
	deploy := func(t *testing.T, m *market) uint64 {
		t.Helper()
		return m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit, req("region", types.OpEq, "eu"))).GroupIds[0]
	}

	t.Run("the next best eligible bid wins", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		gid := deploy(t, m)
		a := m.bid(t, provA, gid, bidPrice).BidId
		b := m.bid(t, provB, gid, bidPrice+1).BidId
		c := m.bid(t, provC, gid, bidPrice+2).BidId
		revoke(t, m, provA)
		m.endAuction(t, gid)

		m.requireGroup(t, gid, types.GroupMatched)
		require.Equal(t, b, m.lease(t, 1).BidId)
		m.requireBid(t, a, types.BidLost)
		m.requireBid(t, b, types.BidActive)
		m.requireBid(t, c, types.BidLost)
		m.requireBalance(t, provA, providerFunds)
		m.requireBalance(t, provB, providerFunds-bidMinDeposit)
		m.requireBalance(t, provC, providerFunds)
	})

	t.Run("no eligible bid left: ORDERED", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		gid := deploy(t, m)
		a := m.bid(t, provA, gid, bidPrice).BidId
		revoke(t, m, provA)
		m.endAuction(t, gid)

		m.requireGroup(t, gid, types.GroupOrdered)
		m.requireBid(t, a, types.BidLost)
		m.requireBalance(t, provA, providerFunds)
		_, err := m.k.GetLease(m.ctx, 1)
		require.ErrorIs(t, err, types.ErrLeaseNotFound)
		// The ineligible provider cannot take the order either; an
		// eligible one is matched at once.
		m.refuse(t, types.ErrRequirementsNotMet, &types.MsgCreateBid{Provider: str(provA), GroupId: gid, Price: udait(bidPrice)})
		res := m.bid(t, provB, gid, bidPrice)
		require.Equal(t, uint64(1), res.LeaseId)
		m.requireGroup(t, gid, types.GroupMatched)
		m.endBlock(t)
	})

	t.Run("an auditor dropped from the whitelist no longer counts", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		gid := deploy(t, m)
		m.audit(t, auditorY, provB, "region", "eu")
		a := m.bid(t, provA, gid, bidPrice).BidId
		b := m.bid(t, provB, gid, bidPrice+1).BidId
		m.setParams(t, func(p *types.Params) { p.AuditorWhitelist = []string{str(auditorY)} })
		m.endAuction(t, gid)
		m.requireBid(t, a, types.BidLost)
		m.requireBid(t, b, types.BidActive)
	})

	t.Run("MsgCreateLease on a bid no longer eligible", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		gid := deploy(t, m)
		a := m.bid(t, provA, gid, bidPrice).BidId
		revoke(t, m, provA)
		m.refuse(t, types.ErrRequirementsNotMet, &types.MsgCreateLease{Owner: str(tenant1), BidId: a})
		m.endBlock(t)
	})
}

func TestEligibilityNumbersAndSets(t *testing.T) {
	reqs := []types.Requirement{
		req("gpu.memory_gb", types.OpGte, "24"),
		req("gpu.count", types.OpLte, "8"),
		req("region", types.OpIn, "na-east", "eu-west"),
	}
	good := []string{"gpu.memory_gb", "24", "gpu.count", "8", "region", "eu-west"}
	with := func(key, value string) []string {
		out := slices.Clone(good)
		for i := 0; i < len(out); i += 2 {
			if out[i] == key {
				out[i+1] = value
			}
		}
		return out
	}

	t.Run("at bid time", func(t *testing.T) {
		tests := []struct {
			name string
			kv   []string
			err  error
		}{
			{"every bound met exactly", good, nil},
			{"well inside the bounds", []string{"gpu.memory_gb", "80", "gpu.count", "0", "region", "na-east"}, nil},
			{"memory one below", with("gpu.memory_gb", "23"), types.ErrRequirementsNotMet},
			{"memory not an integer", with("gpu.memory_gb", "24gb"), types.ErrRequirementsNotMet},
			{"count one above", with("gpu.count", "9"), types.ErrRequirementsNotMet},
			{"count negative is still <= 8", with("gpu.count", "-1"), nil},
			{"region outside the set", with("region", "ap-south"), types.ErrRequirementsNotMet},
			{"region differs in case", with("region", "EU-WEST"), types.ErrRequirementsNotMet},
			{"a key missing", good[:4], types.ErrRequirementsNotMet},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				m := newMarketT(t)
				m.provider(t, provD, tc.kv...)
				m.conserved(t)
				gid := m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit, reqs...)).GroupIds[0]
				msg := &types.MsgCreateBid{Provider: str(provD), GroupId: gid, Price: udait(bidPrice)}
				if tc.err != nil {
					m.refuse(t, tc.err, msg)
				} else {
					m.ok(t, msg)
				}
				m.endBlock(t)
			})
		}
	})

	t.Run("at matching time", func(t *testing.T) {
		m := newMarketT(t)
		p := []sdk.AccAddress{acc(0x61), acc(0x62), acc(0x63), acc(0x64)}
		for _, owner := range p {
			m.provider(t, owner, good...)
		}
		m.conserved(t)
		gid := m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit, reqs...)).GroupIds[0]
		// p[0] asks the most; the cheaper three stop qualifying before the end.
		var bids []uint64
		for i, owner := range p {
			bids = append(bids, m.bid(t, owner, gid, int64(4_000-1_000*i)).BidId)
		}
		m.endBlock(t)
		m.audit(t, auditorX, p[3], "gpu.memory_gb", "23")
		m.audit(t, auditorX, p[2], "gpu.count", "9")
		m.audit(t, auditorX, p[1], "region", "ap-south")
		m.endAuction(t, gid)

		require.Equal(t, bids[0], m.lease(t, 1).BidId)
		require.Equal(t, udait(4_000), m.lease(t, 1).Price)
		for _, id := range bids[1:] {
			m.requireBid(t, id, types.BidLost)
		}
	})
}

// ---------------------------------------------------------------- 5. bid rules

func TestBidRules(t *testing.T) {
	bidMsg := func(p sdk.AccAddress, gid uint64, price int64) *types.MsgCreateBid {
		return &types.MsgCreateBid{Provider: str(p), GroupId: gid, Price: udait(price)}
	}

	t.Run("price above max_price", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneOpen(t)
		m.refuse(t, types.ErrBidPriceTooHigh, bidMsg(provA, s.group, groupMaxPrice+1))
		m.ok(t, bidMsg(provA, s.group, groupMaxPrice))
		m.endBlock(t)
	})

	t.Run("deposit below bid_min_deposit", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneOpen(t)
		msg := bidMsg(provA, s.group, bidPrice)
		msg.Deposit = udait(bidMinDeposit - 1)
		m.refuse(t, types.ErrDepositTooLow, msg)
		msg.Deposit = udait(bidMinDeposit)
		m.ok(t, msg)
		require.Equal(t, udait(bidMinDeposit), m.bidOf(t, 1).Deposit)
		m.requireBalance(t, provA, providerFunds-bidMinDeposit)
		m.endBlock(t)
	})

	t.Run("deposit defaults to bid_min_deposit", func(t *testing.T) {
		for name, unset := range map[string]sdk.Coin{
			"unset coin":        {},
			"zero without unit": {Amount: math.ZeroInt()},
		} {
			t.Run(name, func(t *testing.T) {
				m := newMarketT(t)
				m.conserved(t)
				s := m.sceneOpen(t)
				msg := bidMsg(provA, s.group, bidPrice)
				msg.Deposit = unset
				m.ok(t, msg)
				require.Equal(t, udait(bidMinDeposit), m.bidOf(t, 1).Deposit)
				m.requireBalance(t, provA, providerFunds-bidMinDeposit)
				m.endBlock(t)
			})
		}
	})

	t.Run("a larger deposit is locked as given", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneOpen(t)
		msg := bidMsg(provA, s.group, bidPrice)
		msg.Deposit = udait(bidMinDeposit + 7)
		m.ok(t, msg)
		m.requireBalance(t, provA, providerFunds-bidMinDeposit-7)
		m.ok(t, &types.MsgCloseBid{Provider: str(provA), BidId: 1})
		m.requireBalance(t, provA, providerFunds)
		m.endBlock(t)
	})

	t.Run("one live bid per provider and group", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneBid(t)
		m.refuse(t, types.ErrBidExists, bidMsg(provA, s.group, bidPrice-1))
		// Another group is another auction.
		other := m.sceneOpen(t)
		m.ok(t, bidMsg(provA, other.group, bidPrice))
		m.ok(t, &types.MsgCloseBid{Provider: str(provA), BidId: s.bid})
		m.endBlock(t)
		// The CLOSED bid no longer counts.
		again := m.bid(t, provA, s.group, bidPrice-1).BidId
		m.refuse(t, types.ErrBidExists, bidMsg(provA, s.group, bidPrice-2))
		m.endAuction(t, s.group)
		m.requireBid(t, again, types.BidActive)
	})

	t.Run("max_bids_per_group counts OPEN bids only", func(t *testing.T) {
		m := newMarketT(t)
		m.setParams(t, func(p *types.Params) { p.MaxBidsPerGroup = 2 })
		m.conserved(t)
		s := m.sceneBid(t)
		b := m.bid(t, provB, s.group, bidPrice).BidId
		m.refuse(t, types.ErrTooManyBids, bidMsg(provC, s.group, bidPrice))
		// The cap is per group.
		other := m.sceneOpen(t)
		m.ok(t, bidMsg(provC, other.group, bidPrice))

		m.ok(t, &types.MsgCloseBid{Provider: str(provB), BidId: b})
		m.endBlock(t)
		m.ok(t, bidMsg(provC, s.group, bidPrice))
		// Two OPEN again (provA, provC): the CLOSED one does not free a third seat.
		m.refuse(t, types.ErrTooManyBids, bidMsg(provB, s.group, bidPrice))
		m.endBlock(t)
	})

	t.Run("unregistered provider", func(t *testing.T) {
		m := newMarketT(t)
		m.bond(provD, minBond)
		m.fund(provD, providerFunds)
		m.conserved(t)
		s := m.sceneOpen(t)
		m.refuse(t, types.ErrProviderNotFound, bidMsg(provD, s.group, bidPrice))
		m.endBlock(t)
	})

	t.Run("bond fell below the tier", func(t *testing.T) {
		m := newMarketT(t)
		m.conserved(t)
		s := m.sceneOpen(t)
		m.bond(provA, minBond.SubRaw(1))
		m.refuse(t, types.ErrProviderTierTooLow, bidMsg(provA, s.group, bidPrice))
		m.bond(provA, minBond)
		m.ok(t, bidMsg(provA, s.group, bidPrice))
		m.endBlock(t)
	})
}

// ---------------------------------------------------------------- 6. money

func TestDepositsFollowTheBids(t *testing.T) {
	m := newMarketT(t)
	m.conserved(t)
	s := m.sceneOpen(t)
	a := m.bid(t, provA, s.group, bidPrice).BidId
	m.bid(t, provB, s.group, bidPrice+1)
	m.bid(t, provC, s.group, bidPrice+2)
	for _, p := range []sdk.AccAddress{provA, provB, provC} {
		m.requireBalance(t, p, providerFunds-bidMinDeposit)
	}
	m.endAuction(t, s.group)
	c := m.lease(t, 1).CreatedHeight
	// Losers: every udait back. Winner: the deposit stays locked.
	m.requireBalance(t, provB, providerFunds)
	m.requireBalance(t, provC, providerFunds)
	m.requireBalance(t, provA, providerFunds-bidMinDeposit)
	m.requireBalance(t, moduleAddr, groupDeposit+bidMinDeposit)

	m.advance(t, c+4) // paid c+1..c+3
	m.requireBalance(t, provA, providerFunds-bidMinDeposit)
	m.ok(t, &types.MsgCloseLease{Owner: str(tenant1), LeaseId: 1})
	m.requireBid(t, a, types.BidClosed)
	// The deposit and three blocks of 1,000 minus the 1% take.
	m.requireBalance(t, provA, providerFunds+3*(bidPrice-bidPrice/100))
	require.Equal(t, math.NewInt(3*bidPrice/100), m.bank.pool)
	m.requireBalance(t, moduleAddr, groupDeposit-3*bidPrice)
	m.endBlock(t)

	m.ok(t, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: s.dep})
	m.requireBalance(t, moduleAddr, 0)
	m.requireBalance(t, tenant1, tenantFunds-3*bidPrice)
	m.endBlock(t)
}

func TestCloseDeploymentRefundsEveryGroup(t *testing.T) {
	m := newMarketT(t)
	m.conserved(t)
	start := m.ctx.BlockHeight()
	res := m.deploy(t, tenant1, spec("a", groupMaxPrice, groupDeposit), spec("c", groupMaxPrice, 3*floorDeposit))
	dep, ga, gc := res.DeploymentId, res.GroupIds[0], res.GroupIds[1]
	m.bid(t, provA, ga, bidPrice)
	m.bid(t, provB, ga, 2*bidPrice)
	m.endAuction(t, ga) // a MATCHED to provA, c ORDERED
	c := start + auctionBlocks
	require.Equal(t, c, m.lease(t, 1).CreatedHeight)
	m.requireGroup(t, gc, types.GroupOrdered)

	// Group b opens later, so that it is still OPEN (with provC's bid) at the close.
	gb, err := m.msgs.CreateGroup(m.ctx, &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: dep, Group: spec("b", groupMaxPrice, 2*floorDeposit)})
	require.NoError(t, err)
	m.bid(t, provC, gb.GroupId, bidPrice)
	// Group d is PAUSED.
	gd, err := m.msgs.CreateGroup(m.ctx, &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: dep, Group: spec("d", groupMaxPrice, floorDeposit)})
	require.NoError(t, err)
	m.ok(t, &types.MsgPauseGroup{Owner: str(tenant1), GroupId: gd.GroupId})
	m.endBlock(t)

	m.advance(t, c+2)
	w, err := m.msgs.Withdraw(m.ctx, &types.MsgWithdraw{Provider: str(provA)})
	require.NoError(t, err)
	require.Equal(t, udait(bidPrice-bidPrice/100), w.Amount, "one block paid (c+1)")
	m.advance(t, c+4)

	m.freshEvents()
	m.ok(t, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: dep})
	h := m.ctx.BlockHeight()
	for _, g := range []uint64{ga, gb.GroupId, gc, gd.GroupId} {
		m.requireGroup(t, g, types.GroupClosed)
		require.True(t, m.escrow(t, g).Balance.IsZero(), "group %d", g)
	}
	m.requireLeaseClosed(t, 1, types.CloseReasonDeploymentClosed, h)
	m.requireBid(t, 3, types.BidLost)
	// Paid c+1..c+3 of 1,000 each, 1% to the pool.
	m.requireBalance(t, tenant1, tenantFunds-3*bidPrice)
	m.requireBalance(t, provA, providerFunds+3*(bidPrice-bidPrice/100))
	m.requireBalance(t, provB, providerFunds)
	m.requireBalance(t, provC, providerFunds)
	require.Equal(t, math.NewInt(3*bidPrice/100), m.bank.pool)
	m.requireBalance(t, moduleAddr, 0)

	var closed []uint64
	for _, ev := range m.typedEvents(t) {
		if e, ok := ev.(*types.EventGroupClosed); ok {
			closed = append(closed, e.Id)
		}
	}
	require.ElementsMatch(t, []uint64{ga, gb.GroupId, gc, gd.GroupId}, closed)
	m.endBlock(t)
	m.advance(t, h+auctionBlocks+2) // b's old auction end passes quietly
	m.requireBalance(t, moduleAddr, 0)
}

// ---------------------------------------------------------------- 7. events

func TestAuctionEndEvents(t *testing.T) {
	t.Run("a winner", func(t *testing.T) {
		m := newMarketT(t)
		s := m.sceneOpen(t)
		a := m.bid(t, provA, s.group, bidPrice).BidId
		b := m.bid(t, provB, s.group, bidPrice+1).BidId
		c := m.bid(t, provC, s.group, bidPrice+2).BidId
		g := m.group(t, s.group)
		m.advance(t, g.AuctionEnd)
		m.freshEvents()
		m.endBlock(t)
		require.ElementsMatch(t, []proto.Message{
			&types.EventBidLost{Id: b, GroupId: s.group, Provider: str(provB)},
			&types.EventBidLost{Id: c, GroupId: s.group, Provider: str(provC)},
			&types.EventLeaseCreated{
				Id: 1, BidId: a, GroupId: s.group, DeploymentId: s.dep,
				Tenant: str(tenant1), Provider: str(provA), Price: udait(bidPrice),
			},
		}, m.typedEvents(t))
	})

	t.Run("no acceptable bid", func(t *testing.T) {
		m := newMarketT(t)
		gid := m.deploy(t, tenant1, spec("g", groupMaxPrice, groupDeposit, req("region", types.OpEq, "eu"))).GroupIds[0]
		a := m.bid(t, provA, gid, bidPrice).BidId
		b := m.bid(t, provB, gid, bidPrice+1).BidId
		for _, p := range []sdk.AccAddress{provA, provB} {
			m.ok(t, &types.MsgRevokeAttribute{Auditor: str(auditorX), Provider: str(p), Keys: []string{"region"}})
		}
		m.advance(t, m.group(t, gid).AuctionEnd)
		m.freshEvents()
		m.endBlock(t)
		require.ElementsMatch(t, []proto.Message{
			&types.EventBidLost{Id: a, GroupId: gid, Provider: str(provA)},
			&types.EventBidLost{Id: b, GroupId: gid, Provider: str(provB)},
			&types.EventGroupOrdered{Id: gid, DeploymentId: 1},
		}, m.typedEvents(t))
	})

	t.Run("no bid", func(t *testing.T) {
		m := newMarketT(t)
		s := m.sceneOpen(t)
		m.advance(t, m.group(t, s.group).AuctionEnd)
		m.freshEvents()
		m.endBlock(t)
		require.Equal(t, []proto.Message{&types.EventGroupOrdered{Id: s.group, DeploymentId: s.dep}}, m.typedEvents(t))
	})

	t.Run("first accept on an ORDERED group", func(t *testing.T) {
		m := newMarketT(t)
		s := m.sceneOrdered(t)
		m.freshEvents()
		res := m.bid(t, provB, s.group, bidPrice)
		require.Equal(t, []proto.Message{
			&types.EventBidCreated{Id: res.BidId, GroupId: s.group, Provider: str(provB), Price: udait(bidPrice), Deposit: udait(bidMinDeposit)},
			&types.EventLeaseCreated{
				Id: res.LeaseId, BidId: res.BidId, GroupId: s.group, DeploymentId: s.dep,
				Tenant: str(tenant1), Provider: str(provB), Price: udait(bidPrice),
			},
		}, m.typedEvents(t))
		m.endBlock(t)
	})
}

// ---------------------------------------------------------------- refused input

func TestRefusedInputChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		msg  func(s scene) sdk.Msg
		err  error
	}{
		{
			name: "deployment whose group deposit is below lease_min_deposit", err: types.ErrDepositTooLow,
			msg: func(scene) sdk.Msg {
				return &types.MsgCreateDeployment{Owner: str(tenant1), Version: make([]byte, 32),
					Groups: []types.GroupSpec{spec("a", groupMaxPrice, groupDeposit), spec("b", groupMaxPrice, floorDeposit-1)}}
			},
		},
		{
			name: "deployment whose group accepts an auditor off the whitelist", err: types.ErrAuditorNotWhitelisted,
			msg: func(scene) sdk.Msg {
				g := spec("a", groupMaxPrice, groupDeposit)
				g.Auditors = []string{str(auditorX), str(auditorZ)}
				return &types.MsgCreateDeployment{Owner: str(tenant1), Version: make([]byte, 32), Groups: []types.GroupSpec{g}}
			},
		},
		{
			name: "deployment the owner cannot pay", err: sdkerrors.ErrInsufficientFunds,
			msg: func(scene) sdk.Msg {
				return &types.MsgCreateDeployment{Owner: str(tenant1), Version: make([]byte, 32),
					Groups: []types.GroupSpec{spec("a", groupMaxPrice, tenantFunds)}}
			},
		},
		{
			name: "group with the name of a live group", err: types.ErrInvalidGroupSpec,
			msg: func(s scene) sdk.Msg {
				return &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: s.dep, Group: spec("g", groupMaxPrice, groupDeposit)}
			},
		},
		{
			name: "group below lease_min_deposit", err: types.ErrDepositTooLow,
			msg: func(s scene) sdk.Msg {
				return &types.MsgCreateGroup{Owner: str(tenant1), DeploymentId: s.dep, Group: spec("h", groupMaxPrice, floorDeposit-1)}
			},
		},
		{
			name: "deposit the owner cannot pay", err: sdkerrors.ErrInsufficientFunds,
			msg: func(s scene) sdk.Msg {
				return &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: s.group, Amount: udait(tenantFunds)}
			},
		},
		{
			name: "deposit into an unknown group", err: types.ErrGroupNotFound,
			msg: func(s scene) sdk.Msg {
				return &types.MsgDepositDeployment{Owner: str(tenant1), GroupId: 99, Amount: udait(1)}
			},
		},
		{
			name: "bid on an unknown group", err: types.ErrGroupNotFound,
			msg: func(s scene) sdk.Msg {
				return &types.MsgCreateBid{Provider: str(provB), GroupId: 99, Price: udait(bidPrice)}
			},
		},
		{
			name: "bid in another denom", err: types.ErrInvalidAmount,
			msg: func(s scene) sdk.Msg {
				return &types.MsgCreateBid{Provider: str(provB), GroupId: s.group, Price: sdk.NewInt64Coin("stake", bidPrice)}
			},
		},
		{
			name: "lease of an unknown bid", err: types.ErrBidNotFound,
			msg: func(s scene) sdk.Msg { return &types.MsgCreateLease{Owner: str(tenant1), BidId: 99} },
		},
		{
			name: "close an unknown lease", err: types.ErrLeaseNotFound,
			msg: func(s scene) sdk.Msg { return &types.MsgCloseLease{Owner: str(tenant1), LeaseId: 99} },
		},
		{
			name: "close an unknown bid", err: types.ErrBidNotFound,
			msg: func(s scene) sdk.Msg { return &types.MsgCloseBid{Provider: str(provA), BidId: 99} },
		},
		{
			name: "close an unknown deployment", err: types.ErrDeploymentNotFound,
			msg: func(s scene) sdk.Msg { return &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: 99} },
		},
		{
			name: "withdraw with nothing earned", err: types.ErrNothingToWithdraw,
			msg: func(s scene) sdk.Msg { return &types.MsgWithdraw{Provider: str(provB)} },
		},
		{
			name: "withdraw from a lease created this block", err: types.ErrNothingToWithdraw,
			msg: func(s scene) sdk.Msg { return &types.MsgWithdraw{Provider: str(provA), LeaseId: s.lease} },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMarketT(t)
			m.conserved(t)
			// An OPEN group with provA's lease created at this height.
			s := m.sceneBid(t)
			s.lease = m.createLease(t, s.bid)
			m.refuse(t, tc.err, tc.msg(s))
			m.endBlock(t)
		})
	}
}

// TestLeaseThatCannotPayOneBlock: a lease whose escrow is below its price
// when it is created is INSUFFICIENT_FUNDS at the end of that very height
// (SPEC section 5, rule 3), and closes at the next without paying.
func TestLeaseThatCannotPayOneBlock(t *testing.T) {
	m := newMarketT(t)
	m.conserved(t)
	gid := m.deploy(t, tenant1, spec("g", 3*floorDeposit, floorDeposit)).GroupIds[0]
	b := m.bid(t, provA, gid, floorDeposit+1).BidId
	m.endAuction(t, gid)
	c := m.group(t, gid).AuctionEnd
	l := m.lease(t, 1)
	require.Equal(t, b, l.BidId)
	require.Equal(t, c, l.CreatedHeight)
	require.Equal(t, types.LeaseInsufficientFunds, l.State)

	m.endBlock(t) // c+1
	m.requireLeaseClosed(t, 1, types.CloseReasonInsufficientFunds, c+1)
	require.True(t, m.lease(t, 1).Spent.IsZero())
	m.requireGroup(t, gid, types.GroupPaused)
	require.Equal(t, udait(floorDeposit), m.escrow(t, gid).Balance)
	require.True(t, m.bank.pool.IsZero())
	m.requireBalance(t, provA, providerFunds)
}
