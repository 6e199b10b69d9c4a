package e2e

import (
	"context"
	"crypto/sha256"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	grpctypes "github.com/cosmos/cosmos-sdk/types/grpc"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestEscrowStreaming streams leases on a real node: one runs dry and
// closes at the next block (its group pauses); three others run dry at
// staggered heights and the tenant tops each up as soon as it sees it
// INSUFFICIENT_FUNDS. By SPEC section 5 a top-up revives the lease only in
// the one block before its close, so a top-up that lands later (a slow
// machine) finds the lease CLOSED and the money in the paused group's
// escrow: each outcome is checked as the spec has it, and at least one of
// the three must revive. Then the provider withdraws exactly N*(p-t), the
// community pool has grown by exactly t per paid block, and closing the
// deployment refunds the rest to the tenant.
func TestEscrowStreaming(t *testing.T) {
	const (
		price  = 1_000
		take   = 10 // 1% of 1,000
		window = 6
		topUp  = 100 * price
	)
	c := chain.Start(t, func(p *types.Params) {
		p.BidDurationBlocks = window
		p.ProviderMinBond = udait(0)
		p.LeaseMinDeposit = udait(1_000)
	}, chain.NoInflation(), chain.BlockTime(2*time.Second))
	ctx := context.Background()

	tenant := c.NewAccount("tenant", "", sdk.Coin{})
	provider := c.NewAccount("provider", "", sdk.Coin{})
	c.MustDeliver(c.Val.Moniker,
		banktypes.NewMsgSend(c.Val.Address, tenant, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, provider, sdk.NewCoins(chain.DAIT(1_000))))
	c.MustDeliver("provider", &types.MsgCreateProvider{Owner: provider.String(), HostUri: "https://p.example.com"})

	tenantStart := c.Balance(tenant)
	version := sha256.Sum256([]byte("escrow manifest"))
	dry := group("dry", price)
	dry.Deposit = udait(3*price + price/2) // pays 3 blocks
	groups := []types.GroupSpec{dry}
	// The revival attempts pay 6, 9 and 12 blocks: three blocks apart.
	attempts := []int64{6, 9, 12}
	for _, n := range attempts {
		g := group("revive-"+strconv.FormatInt(n, 10), price)
		g.Deposit = udait(n*price + price/2)
		groups = append(groups, g)
	}
	res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: groups})
	var created types.MsgCreateDeploymentResponse
	require.NoError(t, unpackResponse(c, res, &created))
	gDry := created.GroupIds[0]
	var bids []sdk.Msg
	for _, id := range created.GroupIds {
		bids = append(bids, &types.MsgCreateBid{Provider: provider.String(), GroupId: id, Price: udait(price)})
	}
	c.MustDeliver("provider", bids...)
	// Bid deposits come back at close.
	providerStart := c.Balance(provider).Add(types.DefaultBidMinDeposit().Amount.MulRaw(int64(len(bids))))

	// Every lease starts at the same height: the auction's end, or the
	// bids' own block if the window had already closed (ORDERED groups).
	var leases *types.QueryLeasesResponse
	for range 2 * window {
		var err error
		leases, err = c.Market.Leases(ctx, &types.QueryLeasesRequest{Provider: provider.String()})
		require.NoError(t, err)
		if len(leases.Leases) == len(groups) {
			break
		}
		c.WaitForHeight(c.Height() + 1)
	}
	require.Len(t, leases.Leases, len(groups))
	created0 := leases.Leases[0].CreatedHeight
	byGroup := map[uint64]types.Lease{}
	for _, l := range leases.Leases {
		require.Equal(t, created0, l.CreatedHeight)
		byGroup[l.GroupId] = l
	}
	pool0 := communityPool(t, c, created0)

	// The dry lease pays c+1..c+3, is INSUFFICIENT_FUNDS at the end of c+3
	// and CLOSED at c+4; its group pauses and keeps the last 500 udait.
	// (A node may report a height before its app has committed it: poll.)
	var dryNow *types.QueryLeaseResponse
	c.Eventually(func() bool {
		var err error
		dryNow, err = c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: byGroup[gDry].Id})
		return err == nil && dryNow.Lease.State == types.LeaseClosed
	}, 10)
	require.Equal(t, types.CloseReasonInsufficientFunds, dryNow.Lease.CloseReason)
	require.Equal(t, created0+4, dryNow.Lease.ClosedHeight)
	require.Equal(t, udait(3*price), dryNow.Lease.Spent)
	dryGroup, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gDry})
	require.NoError(t, err)
	require.Equal(t, types.GroupPaused, dryGroup.Group.State)
	require.Equal(t, udait(price/2), dryGroup.Escrow.Balance)

	// Each attempt's lease runs dry at c+n; the tenant tops up as soon as
	// it sees INSUFFICIENT_FUNDS. Landing at c+n+1 (before the close at its
	// EndBlock) revives it; landing later finds it closed at c+n+1.
	var lRevived *types.Lease
	closedSpent := map[uint64]int64{} // lease -> blocks paid, for the leases that closed
	for i, n := range attempts {
		gid := created.GroupIds[i+1]
		l := byGroup[gid]
		esc, err := c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: l.Id})
		require.NoError(t, err)
		require.Equal(t, created0+n, esc.ExhaustionHeight)
		c.Eventually(func() bool {
			esc, err = c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: l.Id})
			return err == nil && esc.Lease.State != types.LeaseActive
		}, int(n)+10)
		closeAt := created0 + n + 1
		up := c.MustDeliver("tenant", &types.MsgDepositDeployment{Owner: tenant.String(), GroupId: gid, Amount: udait(topUp)})
		esc, err = c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: l.Id})
		require.NoError(t, err)
		g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gid})
		require.NoError(t, err)
		if up.Height == closeAt {
			require.Equal(t, types.LeaseActive, esc.Lease.State, "a top-up at the close height %d revives lease %d", closeAt, l.Id)
			require.Equal(t, types.GroupMatched, g.Group.State)
			if lRevived == nil {
				lRevived = &l
			}
			continue
		}
		// Too late: closed for lack of funds at c+n+1, the top-up in the
		// paused group's escrow.
		t.Logf("attempt %d: the top-up landed at %d, after lease %d's close at %d", i+1, up.Height, l.Id, closeAt)
		require.Greater(t, up.Height, closeAt)
		require.Equal(t, types.LeaseClosed, esc.Lease.State)
		require.Equal(t, types.CloseReasonInsufficientFunds, esc.Lease.CloseReason)
		require.Equal(t, closeAt, esc.Lease.ClosedHeight)
		require.Equal(t, udait(n*price), esc.Lease.Spent)
		require.Equal(t, types.GroupPaused, g.Group.State)
		require.Equal(t, udait(price/2+topUp), g.Escrow.Balance)
		closedSpent[l.Id] = n
	}
	require.NotNil(t, lRevived, "none of %d top-ups landed in its lease's last block: the machine is too slow for this test", len(attempts))

	// Withdraw from the revived lease: it has paid every block from c+1 to
	// w-1 (the top-up's own block too).
	before := c.Balance(provider)
	w := c.MustDeliver("provider", &types.MsgWithdraw{Provider: provider.String(), LeaseId: lRevived.Id})
	paid := w.Height - 1 - created0
	require.Equal(t, before.AddRaw(paid*(price-take)), c.Balance(provider), "withdraw pays N*(p-t) with N = %d", paid)

	// The community pool grew by t per block paid up to the withdraw's
	// height h (committed: its tx is in it): each live lease paid h - c
	// blocks, the closed ones what they spent.
	h := w.Height
	blocksPaid := int64(3)
	for _, l := range byGroup {
		if l.GroupId == gDry {
			continue
		}
		if n, closed := closedSpent[l.Id]; closed {
			blocksPaid += n
		} else {
			blocksPaid += h - created0
		}
	}
	require.Equal(t, pool0.AddRaw(blocksPaid*take), communityPool(t, c, h))

	// Closing the deployment refunds the rest to the tenant and pays the
	// provider the last earnings and its deposits.
	cl := c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: created.DeploymentId})
	totalSpent := math.ZeroInt()
	for _, l := range byGroup {
		final, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: l.Id})
		require.NoError(t, err)
		require.Equal(t, types.LeaseClosed, final.Lease.State)
		if n, closed := closedSpent[l.Id]; closed {
			require.Equal(t, udait(n*price), final.Lease.Spent)
		} else if l.GroupId != gDry {
			require.Equal(t, types.CloseReasonDeploymentClosed, final.Lease.CloseReason)
			require.Equal(t, udait((cl.Height-1-created0)*price), final.Lease.Spent)
		}
		totalSpent = totalSpent.Add(final.Lease.Spent.Amount)
	}
	require.Equal(t, tenantStart.Sub(totalSpent), c.Balance(tenant))
	blocks := totalSpent.QuoRaw(price)
	require.Equal(t, providerStart.Add(blocks.MulRaw(price-take)), c.Balance(provider))
	require.True(t, c.Balance(authtypes.NewModuleAddress(types.ModuleName)).IsZero())
}

// communityPool is the pool's udait at height h (truncated).
func communityPool(t *testing.T, c *chain.Chain, h int64) math.Int {
	t.Helper()
	ctx := metadata.AppendToOutgoingContext(context.Background(), grpctypes.GRPCBlockHeightHeader, strconv.FormatInt(h, 10))
	res, err := distrtypes.NewQueryClient(c.Ctx()).CommunityPool(ctx, &distrtypes.QueryCommunityPoolRequest{})
	require.NoError(t, err)
	return res.Pool.AmountOf(types.Denom).TruncateInt()
}
