package e2e

import (
	"context"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, math.NewInt(n)) }

func group(name string, maxPrice int64, reqs ...types.Requirement) types.GroupSpec {
	return types.GroupSpec{
		Name: name,
		Resources: types.Resources{
			GPU:       types.GPU{Count: 1, MemoryGb: 80, Class: "hopper"},
			CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100, Replicas: 1,
		},
		Requirements: reqs,
		MaxPrice:     udait(maxPrice),
		Deposit:      chain.DAIT(60),
	}
}

// TestMarketAuction runs the reverse auction on a real node: a tenant
// deploys two groups, three providers bid, the lowest price wins each group
// at the window's end, the losers get their deposits back to the last
// udait, a bid on an ORDERED group is matched at once, and closing the
// deployment returns every escrow and leaves the module account empty.
func TestMarketAuction(t *testing.T) {
	auditor := auditorAddress(t)
	const window = 20
	c := chain.Start(t, func(p *types.Params) {
		p.AuditorWhitelist = []string{auditor}
		p.BidDurationBlocks = window
		p.ProviderMinBond = udait(0) // the tier is covered by TestProviderLifecycle
	})
	ctx := context.Background()

	names := []string{"tenant", "p1", "p2", "p3"}
	addrs := map[string]sdk.AccAddress{}
	var funding []sdk.Msg
	for _, n := range names {
		addrs[n] = c.NewAccount(n, "", sdk.Coin{})
		funding = append(funding, banktypes.NewMsgSend(c.Val.Address, addrs[n], sdk.NewCoins(chain.DAIT(1_000))))
	}
	addrs["auditor"] = c.NewAccount("auditor", auditorMnemonic, sdk.Coin{})
	funding = append(funding, banktypes.NewMsgSend(c.Val.Address, addrs["auditor"], sdk.NewCoins(chain.DAIT(10))))
	c.MustDeliver(c.Val.Moniker, funding...)

	// Three providers register; the auditor attests their regions.
	var regs []chain.Signed
	var audits []sdk.Msg
	regions := map[string]string{"p1": "na-east", "p2": "eu-west", "p3": "na-east"}
	for _, p := range []string{"p1", "p2", "p3"} {
		regs = append(regs, chain.Signed{From: p, Msgs: []sdk.Msg{&types.MsgCreateProvider{
			Owner: addrs[p].String(), HostUri: "https://" + p + ".example.com",
			Attributes: []types.Attribute{{Key: "region", Value: regions[p]}},
		}}})
		audits = append(audits, &types.MsgAuditAttribute{Auditor: auditor, Provider: addrs[p].String(),
			Attributes: []types.Attribute{{Key: "region", Value: regions[p]}, {Key: "gpu_memory_gb", Value: "80"}}})
	}
	c.DeliverMany(regs...)
	c.MustDeliver("auditor", audits...)

	// The tenant deploys: two groups to bid on, and a third nobody bids on.
	region := types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"na-east", "eu-west"}}
	gpuMem := types.Requirement{Key: "gpu_memory_gb", Op: types.OpGte, Values: []string{"80"}}
	version := sha256.Sum256([]byte("manifest v1"))
	tenantStart := c.Balance(addrs["tenant"])
	res := c.MustDeliver("tenant", &types.MsgCreateDeployment{
		Owner: addrs["tenant"].String(), Version: version[:],
		Groups: []types.GroupSpec{group("trainer", 5000, region, gpuMem), group("inference", 3000, gpuMem), group("spare", 1000)},
	})
	var created types.MsgCreateDeploymentResponse
	require.NoError(t, unpackResponse(c, res, &created))
	require.Len(t, created.GroupIds, 3)
	gA, gB, gSpare := created.GroupIds[0], created.GroupIds[1], created.GroupIds[2]
	require.Equal(t, tenantStart.Sub(chain.DAIT(180).Amount), c.Balance(addrs["tenant"]))

	before := map[string]math.Int{}
	for _, p := range []string{"p1", "p2", "p3"} {
		before[p] = c.Balance(addrs[p])
	}
	bid := func(p string, g uint64, price int64) sdk.Msg {
		return &types.MsgCreateBid{Provider: addrs[p].String(), GroupId: g, Price: udait(price)}
	}
	// trainer: p2 is cheapest; inference: p1 and p3 tie on price, p3 bids first.
	c.MustDeliver("p3", bid("p3", gB, 2000))
	c.DeliverMany(
		chain.Signed{From: "p1", Msgs: []sdk.Msg{bid("p1", gA, 4000), bid("p1", gB, 2000)}},
		chain.Signed{From: "p2", Msgs: []sdk.Msg{bid("p2", gA, 3500), bid("p2", gB, 2500)}},
		chain.Signed{From: "p3", Msgs: []sdk.Msg{bid("p3", gA, 4500)}},
	)
	g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gA})
	require.NoError(t, err)
	require.Equal(t, res.Height+window, g.Group.AuctionEnd)
	c.WaitForHeight(g.Group.AuctionEnd + 1)

	leases, err := c.Market.Leases(ctx, &types.QueryLeasesRequest{Tenant: addrs["tenant"].String()})
	require.NoError(t, err)
	require.Len(t, leases.Leases, 2)
	byGroup := map[uint64]types.Lease{}
	for _, l := range leases.Leases {
		byGroup[l.GroupId] = l
	}
	require.Equal(t, addrs["p2"].String(), byGroup[gA].Provider, "lowest price wins")
	require.Equal(t, udait(3500), byGroup[gA].Price)
	require.Equal(t, addrs["p3"].String(), byGroup[gB].Provider, "equal price: the earlier bid wins")

	// Losers' deposits are back; winners' stay locked as collateral.
	require.Equal(t, before["p1"], c.Balance(addrs["p1"]), "p1 lost both auctions")
	for _, gid := range []uint64{gA, gB} {
		bids, err := c.Market.Bids(ctx, &types.QueryBidsRequest{GroupId: gid})
		require.NoError(t, err)
		for _, b := range bids.Bids {
			want := types.BidLost
			if b.Provider == byGroup[gid].Provider {
				want = types.BidActive
			}
			require.Equal(t, want, b.State, "bid %d", b.Id)
		}
	}

	// Nobody bid on the spare group: it stands as a limit order, and the
	// first acceptable bid is matched in its own transaction.
	spare, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gSpare})
	require.NoError(t, err)
	require.Equal(t, types.GroupOrdered, spare.Group.State)
	res = c.MustDeliver("p1", bid("p1", gSpare, 900))
	var placed types.MsgCreateBidResponse
	require.NoError(t, unpackResponse(c, res, &placed))
	require.NotZero(t, placed.LeaseId)
	spare, err = c.Market.Group(ctx, &types.QueryGroupRequest{Id: gSpare})
	require.NoError(t, err)
	require.Equal(t, types.GroupMatched, spare.Group.State)

	// Closing the deployment closes every lease and refunds every escrow:
	// the tenant is short exactly what the leases spent.
	c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: addrs["tenant"].String(), DeploymentId: created.DeploymentId})
	leases, err = c.Market.Leases(ctx, &types.QueryLeasesRequest{Tenant: addrs["tenant"].String()})
	require.NoError(t, err)
	require.Len(t, leases.Leases, 3)
	spent := math.ZeroInt()
	for _, l := range leases.Leases {
		require.Equal(t, types.LeaseClosed, l.State)
		require.Equal(t, types.CloseReasonDeploymentClosed, l.CloseReason)
		spent = spent.Add(l.Spent.Amount)
	}
	require.True(t, spent.IsPositive(), "leases streamed while they ran")
	require.Equal(t, tenantStart.Sub(spent), c.Balance(addrs["tenant"]))
	module := authtypes.NewModuleAddress(types.ModuleName)
	require.True(t, c.Balance(module).IsZero(), "module account keeps nothing: %s", c.Balance(module))
	// Each provider got its deposits back and earned p - take per block paid.
	for _, p := range []string{"p1", "p2", "p3"} {
		earned := math.ZeroInt()
		for _, l := range leases.Leases {
			if l.Provider == addrs[p].String() {
				blocks := l.Spent.Amount.Quo(l.Price.Amount)
				earned = earned.Add(blocks.Mul(l.Price.Amount.Sub(l.Take.Amount)))
			}
		}
		require.Equal(t, before[p].Add(earned), c.Balance(addrs[p]), p)
	}
}

func unpackResponse(c *chain.Chain, res *sdk.TxResponse, out interface{ Unmarshal([]byte) error }) error {
	return chain.FirstMsgResponse(c.Ctx(), res, out)
}
