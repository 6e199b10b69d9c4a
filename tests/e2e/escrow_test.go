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

// TestEscrowStreaming streams two leases on a real node: one runs dry and
// closes at the next block (its group pauses), the other is revived by a
// top-up while INSUFFICIENT_FUNDS; the provider withdraws exactly N*(p-t),
// the community pool grows by exactly t per paid block, and closing the
// deployment refunds the rest to the tenant.
func TestEscrowStreaming(t *testing.T) {
	const (
		price  = 1_000
		take   = 10 // 1% of 1,000
		window = 6
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
	revived := group("revived", price)
	revived.Deposit = udait(6*price + price/2) // pays 6 blocks
	dry := group("dry", price)
	dry.Deposit = udait(3*price + price/2) // pays 3 blocks
	res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{revived, dry}})
	var created types.MsgCreateDeploymentResponse
	require.NoError(t, unpackResponse(c, res, &created))
	gRevived, gDry := created.GroupIds[0], created.GroupIds[1]
	c.MustDeliver("provider",
		&types.MsgCreateBid{Provider: provider.String(), GroupId: gRevived, Price: udait(price)},
		&types.MsgCreateBid{Provider: provider.String(), GroupId: gDry, Price: udait(price)})
	providerStart := c.Balance(provider).Add(types.DefaultBidMinDeposit().Amount.MulRaw(2)) // deposits come back at close

	// Both leases start at the same height: the auction's end, or the bid's
	// own block if the window had already closed (ORDERED groups).
	var leases *types.QueryLeasesResponse
	for range 2 * window {
		var err error
		leases, err = c.Market.Leases(ctx, &types.QueryLeasesRequest{Provider: provider.String()})
		require.NoError(t, err)
		if len(leases.Leases) == 2 {
			break
		}
		c.WaitForHeight(c.Height() + 1)
	}
	require.Len(t, leases.Leases, 2)
	created0 := leases.Leases[0].CreatedHeight
	var lRevived, lDry types.Lease
	for _, l := range leases.Leases {
		require.Equal(t, created0, l.CreatedHeight)
		if l.GroupId == gRevived {
			lRevived = l
		} else {
			lDry = l
		}
	}
	pool0 := communityPool(t, c, created0)

	// The dry lease pays c+1..c+3, is INSUFFICIENT_FUNDS at the end of c+3
	// and CLOSED at c+4; its group pauses and keeps the last 500 udait.
	// (A node may report a height before its app has committed it: poll.)
	var dryNow *types.QueryLeaseResponse
	c.Eventually(func() bool {
		var err error
		dryNow, err = c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: lDry.Id})
		return err == nil && dryNow.Lease.State == types.LeaseClosed
	}, 10)
	require.Equal(t, types.CloseReasonInsufficientFunds, dryNow.Lease.CloseReason)
	require.Equal(t, created0+4, dryNow.Lease.ClosedHeight)
	require.Equal(t, udait(3*price), dryNow.Lease.Spent)
	dryGroup, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gDry})
	require.NoError(t, err)
	require.Equal(t, types.GroupPaused, dryGroup.Group.State)
	require.Equal(t, udait(price/2), dryGroup.Escrow.Balance)

	// The revived lease runs dry at c+6; the tenant tops up as soon as it
	// sees INSUFFICIENT_FUNDS, before the close at c+7.
	esc, err := c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: lRevived.Id})
	require.NoError(t, err)
	require.Equal(t, created0+6, esc.ExhaustionHeight)
	c.Eventually(func() bool {
		esc, err = c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: lRevived.Id})
		return err == nil && esc.Lease.State == types.LeaseInsufficientFunds
	}, 10)
	require.Equal(t, created0+7, esc.CloseHeight)
	topUp := c.MustDeliver("tenant", &types.MsgDepositDeployment{Owner: tenant.String(), GroupId: gRevived, Amount: udait(100 * price)})
	require.Equal(t, created0+7, topUp.Height, "the top-up must land before the close height")
	esc, err = c.Market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: lRevived.Id})
	require.NoError(t, err)
	require.Equal(t, types.LeaseActive, esc.Lease.State)

	// Withdraw: the lease has paid every block from c+1 to w-1.
	before := c.Balance(provider)
	w := c.MustDeliver("provider", &types.MsgWithdraw{Provider: provider.String(), LeaseId: lRevived.Id})
	paid := w.Height - 1 - created0
	require.Equal(t, before.AddRaw(paid*(price-take)), c.Balance(provider), "withdraw pays N*(p-t) with N = %d", paid)

	// The community pool grew by t per paid block of both leases.
	h := c.Height()
	require.Equal(t, pool0.AddRaw((3+(h-created0))*take), communityPool(t, c, h))

	// Closing the deployment refunds the rest to the tenant and pays the
	// provider the last earnings and its deposits.
	cl := c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: created.DeploymentId})
	final, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: lRevived.Id})
	require.NoError(t, err)
	require.Equal(t, types.LeaseClosed, final.Lease.State)
	require.Equal(t, udait((cl.Height-1-created0)*price), final.Lease.Spent)
	totalSpent := final.Lease.Spent.Amount.Add(dryNow.Lease.Spent.Amount)
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
