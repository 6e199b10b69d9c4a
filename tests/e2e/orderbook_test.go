package e2e

import (
	"context"
	"crypto/sha256"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	tenantpkg "github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/testutil/chain"
	cmcli "github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// TestOfferBook on a real node (order book invariants checked at every
// block): a registered provider posts, re-prices and closes offers; the
// order book and market queries show them over gRPC; a non-provider is
// refused with the module's typed error; the deposit comes back.
func TestOfferBook(t *testing.T) {
	c, tenant, prov := providerChain(t)
	q := obtypes.NewQueryClient(c.Ctx())
	ctx := context.Background()
	unit := obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100}
	moduleAddr := authtypes.NewModuleAddress(obtypes.ModuleName)

	res := c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: prov.String(), Unit: unit, Price: udait(2400), Capacity: 8})
	var created obtypes.MsgCreateOfferResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &created))
	c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: prov.String(), Unit: unit, Price: udait(2600), Capacity: 2, ExpiresAt: c.Height() + 1000})
	require.Equal(t, obtypes.DefaultOfferDeposit().Amount.MulRaw(2), c.Balance(moduleAddr), "two deposits held")

	book, err := q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, []obtypes.PriceLevel{{Price: udait(2400), Units: 8, Offers: 1, Quantity: 8}, {Price: udait(2600), Units: 2, Offers: 1, Quantity: 2}}, book.Asks)
	m, err := q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint32(2), m.OpenOffers)
	require.Equal(t, uint64(10), m.OpenUnits)

	// Re-priced below the other: first in the book.
	c.MustDeliver("provider", &obtypes.MsgUpdateOffer{Provider: prov.String(), OfferId: created.OfferId, Price: udait(2000), Capacity: 8})
	book, err = q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80", Depth: 1})
	require.NoError(t, err)
	require.Equal(t, []obtypes.PriceLevel{{Price: udait(2000), Units: 8, Offers: 1, Quantity: 8}}, book.Asks)

	// The tenant's quote: the cheapest fitting offer first, at its price
	// per unit x the units the group needs (here 1); a group needing more
	// than an offer has left sees only the bigger one.
	tc := tenantpkg.New(tenant.String(), c.Market, nil, nil)
	quotes, err := tc.Quote(ctx, q, []types.GroupSpec{group("one", 5_000), func() types.GroupSpec {
		g := group("three", 50_000)
		g.Resources.Replicas = 3
		return g
	}()})
	require.NoError(t, err)
	require.Len(t, quotes, 2)
	require.Len(t, quotes[0].Offers, 2)
	require.Equal(t, created.OfferId, quotes[0].Offers[0].OfferID)
	require.Equal(t, uint32(1), quotes[0].Offers[0].Units)
	require.Equal(t, udait(2000).Amount, quotes[0].Offers[0].PerBlock)
	require.Len(t, quotes[1].Offers, 1, "the 2-unit offer cannot take 3 replicas")
	require.Equal(t, udait(6000).Amount, quotes[1].Offers[0].PerBlock)
	require.Len(t, quotes[0].Classes, 1)
	require.Equal(t, "gpu:hopper:80", quotes[0].Classes[0].Class)
	var table strings.Builder
	require.NoError(t, tenantpkg.PrintQuote(&table, quotes))
	require.Contains(t, table.String(), "within max_price")

	// A tenant is no provider: refused with the module's code.
	r, err := c.Deliver("tenant", &obtypes.MsgCreateOffer{Provider: tenant.String(), Unit: unit, Price: udait(1), Capacity: 1})
	require.NoError(t, err)
	require.Equal(t, obtypes.ModuleName, r.Codespace, r.RawLog)
	require.Equal(t, obtypes.ErrNotProvider.ABCICode(), r.Code, r.RawLog)

	// Closing both returns the deposits: the module holds nothing.
	c.MustDeliver("provider", &obtypes.MsgCloseOffer{Provider: prov.String(), OfferId: created.OfferId},
		&obtypes.MsgCloseOffer{Provider: prov.String(), OfferId: created.OfferId + 1})
	require.True(t, c.Balance(moduleAddr).IsZero())
	offers, err := q.Offers(ctx, &obtypes.QueryOffersRequest{Provider: prov.String()})
	require.NoError(t, err)
	require.Empty(t, offers.Offers, "no open offers left")
	o, err := q.Offer(ctx, &obtypes.QueryOfferRequest{Id: created.OfferId})
	require.NoError(t, err)
	require.Equal(t, obtypes.OfferClosed, o.Offer.State)
}

// TestOfferMatching on a real node: at an auction's end an offer competes
// with the group's bids under SPEC section 4's rule (price for the group =
// unit price x units needed): alone it wins at its price; a lower bid beats
// it; it beats a higher bid. A matched offer loses the units and gets them
// back when the lease closes; the market data holds exactly its trades.
func TestOfferMatching(t *testing.T) {
	c, tenant, prov := providerChain(t)
	other := c.NewAccount("provider2", "", sdk.Coin{})
	c.MustDeliver(c.Val.Moniker, banktypes.NewMsgSend(c.Val.Address, other, sdk.NewCoins(chain.DAIT(1_000))))
	c.MustDeliver("provider2", &types.MsgCreateProvider{Owner: other.String(), HostUri: "https://p2.example.com"})
	q := obtypes.NewQueryClient(c.Ctx())
	ctx := context.Background()
	unit := obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100}
	res := c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: prov.String(), Unit: unit, Price: udait(2000), Capacity: 2})
	var created obtypes.MsgCreateOfferResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &created))

	deploy := func(name string, bid int64) types.Lease {
		t.Helper()
		sum := sha256.Sum256([]byte(name))
		res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: sum[:], Groups: []types.GroupSpec{group(name, 5_000)}})
		var out types.MsgCreateDeploymentResponse
		require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &out))
		if bid > 0 {
			c.MustDeliver("provider2", &types.MsgCreateBid{Provider: other.String(), GroupId: out.GroupIds[0], Price: udait(bid)})
		}
		var lease types.Lease
		c.Eventually(func() bool {
			g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: out.GroupIds[0]})
			if err != nil || g.Group.LeaseId == 0 {
				return false
			}
			l, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: g.Group.LeaseId})
			lease = l.GetLease()
			return err == nil
		}, 20)
		return lease
	}
	available := func() uint32 {
		o, err := q.Offer(ctx, &obtypes.QueryOfferRequest{Id: created.OfferId})
		require.NoError(t, err)
		return o.Offer.Available
	}

	// Alone, the offer wins at its price, through a bid that stands for it.
	first := deploy("alone", 0)
	require.Equal(t, prov.String(), first.Provider)
	require.Equal(t, udait(2000), first.Price)
	b, err := c.Market.Bid(ctx, &types.QueryBidRequest{Id: first.BidId})
	require.NoError(t, err)
	require.Equal(t, created.OfferId, b.Bid.OfferId)
	require.Equal(t, uint32(1), b.Bid.OfferUnits)
	require.True(t, b.Bid.Deposit.IsZero(), "the offer's deposit stands for it")
	require.Equal(t, uint32(1), available())

	// A lower bid beats it; it beats a higher bid.
	lower := deploy("lower-bid", 1500)
	require.Equal(t, other.String(), lower.Provider)
	require.Equal(t, uint32(1), available())
	higher := deploy("higher-bid", 2500)
	require.Equal(t, prov.String(), higher.Provider)
	require.Equal(t, udait(2000), higher.Price)
	require.Equal(t, uint32(0), available())
	book, err := q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Empty(t, book.Asks, "sold out")

	// Closing a lease gives the unit back.
	c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: first.DeploymentId})
	require.Equal(t, uint32(1), available())

	// The market data holds exactly the three trades, the winning bid's
	// included: 2000, 1500, 2000 per GPU.
	m, err := q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(3), m.WindowTrades)
	require.Equal(t, uint64(3), m.WindowQuantity)
	require.Equal(t, "1833", m.Vwap.String(), "floor(5500 / 3)")
	require.Equal(t, "2000", m.LastPrice.String())
	require.Equal(t, "1500", m.MinPrice.String())
}

// TestMarketBuy on a real node: a market-buy group is matched in the
// transaction that creates it, at the best offer's price; with no fitting
// offer at or below its max price the transaction fails with a typed error
// and changes nothing; with fallback: auction it opens an auction instead.
func TestMarketBuy(t *testing.T) {
	c, tenant, prov := providerChain(t)
	q := obtypes.NewQueryClient(c.Ctx())
	ctx := context.Background()
	unit := obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100}
	c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: prov.String(), Unit: unit, Price: udait(2000), Capacity: 1})
	market := func(name string, maxPrice int64, fallback bool) *types.MsgCreateDeployment {
		g := group(name, maxPrice)
		g.Order, g.FallbackAuction = types.OrderMarket, fallback
		sum := sha256.Sum256([]byte(name))
		return &types.MsgCreateDeployment{Owner: tenant.String(), Version: sum[:], Groups: []types.GroupSpec{g}}
	}

	// Below the offer's price: refused, nothing changes.
	deployments := func() int {
		res, err := c.Market.Deployments(ctx, &types.QueryDeploymentsRequest{Owner: tenant.String()})
		require.NoError(t, err)
		return len(res.Deployments)
	}
	r, err := c.Deliver("tenant", market("cheap", 1999, false))
	require.NoError(t, err)
	require.Equal(t, types.ErrNoMatchingOffer.ABCICode(), r.Code, r.RawLog)
	require.Equal(t, types.ModuleName, r.Codespace)
	require.Zero(t, deployments())

	// At or above: matched in the same transaction, at the offer's price.
	res := c.MustDeliver("tenant", market("now", 5000, false))
	var out types.MsgCreateDeploymentResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &out))
	g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: out.GroupIds[0]})
	require.NoError(t, err)
	require.Equal(t, types.GroupMatched, g.Group.State)
	l, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: g.Group.LeaseId})
	require.NoError(t, err)
	require.Equal(t, res.Height, l.Lease.CreatedHeight, "in the creating transaction")
	require.Equal(t, udait(2000), l.Lease.Price)
	require.Equal(t, prov.String(), l.Lease.Provider)

	// Sold out: a second market buy fails; with fallback it opens an auction.
	r, err = c.Deliver("tenant", market("again", 5000, false))
	require.NoError(t, err)
	require.Equal(t, types.ErrNoMatchingOffer.ABCICode(), r.Code, r.RawLog)
	require.Equal(t, 1, deployments())
	res = c.MustDeliver("tenant", market("patient", 5000, true))
	var patient types.MsgCreateDeploymentResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &patient))
	g, err = c.Market.Group(ctx, &types.QueryGroupRequest{Id: patient.GroupIds[0]})
	require.NoError(t, err)
	require.Equal(t, types.GroupOpen, g.Group.State, "an auction, as asked")

	m, err := q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(1), m.TotalTrades)
}

// TestLimitBuy on a real node (SPEC section 12's done-when): two limit
// buys rest ORDERED and show on the buy side of the book; the provider
// re-prices its offer below one limit and the next EndBlock fills it at
// the offer's price; the other expires at its expires_at and its deposit
// returns to the udait; a market buy of 2 GPUs trades too, and the market
// data's VWAP is the volume-weighted mean of exactly those trades.
func TestLimitBuy(t *testing.T) {
	c, tenant, prov := providerChain(t)
	q := obtypes.NewQueryClient(c.Ctx())
	ctx := context.Background()
	unit := obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100}
	res := c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: prov.String(), Unit: unit, Price: udait(3000), Capacity: 4})
	var offer obtypes.MsgCreateOfferResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &offer))

	deploy := func(g types.GroupSpec) (uint64, int64) {
		t.Helper()
		sum := sha256.Sum256([]byte(g.Name))
		res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: sum[:], Groups: []types.GroupSpec{g}})
		var out types.MsgCreateDeploymentResponse
		require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &out))
		return out.GroupIds[0], res.Height
	}
	limit := func(name string, maxPrice, expiresAt int64) types.GroupSpec {
		g := group(name, maxPrice)
		g.Order, g.ExpiresAt = types.OrderLimit, expiresAt
		return g
	}
	groupOf := func(id uint64) types.Group {
		g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: id})
		require.NoError(t, err)
		return g.Group
	}
	leaseOf := func(id uint64) types.Lease {
		g := groupOf(id)
		require.Equal(t, types.GroupMatched, g.State, "group %d", id)
		l, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: g.LeaseId})
		require.NoError(t, err)
		return l.Lease
	}

	patient, _ := deploy(limit("patient", 2500, c.Height()+500))
	brief, _ := deploy(limit("brief", 1500, c.Height()+30))
	expiresAt := groupOf(brief).Spec.ExpiresAt
	require.Equal(t, types.GroupOrdered, groupOf(patient).State, "a limit buy rests from creation")
	require.Equal(t, types.GroupOrdered, groupOf(brief).State)
	book, err := q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, []obtypes.BuyLevel{{Limit: udait(2500), Orders: 1, Quantity: 1}, {Limit: udait(1500), Orders: 1, Quantity: 1}}, book.Bids)
	m, err := q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(2), m.RestingBuys)

	// Re-priced below the patient limit (not the brief one): filled in the
	// next EndBlock at the offer's new price.
	res = c.MustDeliver("provider", &obtypes.MsgUpdateOffer{Provider: prov.String(), OfferId: offer.OfferId, Price: udait(2400), Capacity: 4})
	c.WaitForHeight(res.Height + 1)
	l := leaseOf(patient)
	require.Equal(t, udait(2400), l.Price)
	require.Equal(t, res.Height, l.CreatedHeight, "matched in the EndBlock of the re-pricing's block")
	require.Equal(t, types.GroupOrdered, groupOf(brief).State)

	// A market buy of 2 GPUs at the offer's price.
	two := group("two", 10_000)
	two.Resources.GPU.Count, two.Order = 2, types.OrderMarket
	c.MustDeliver("provider", &obtypes.MsgUpdateOffer{Provider: prov.String(), OfferId: offer.OfferId, Price: udait(2000), Capacity: 4})
	marketGroup, _ := deploy(two)
	require.Equal(t, udait(4000), leaseOf(marketGroup).Price, "2 units at 2000")
	require.Equal(t, types.GroupOrdered, groupOf(brief).State, "2000 is above the brief limit")

	// The brief limit buy expires: CLOSED at its expires_at, deposit back.
	require.Less(t, c.Height(), expiresAt, "the test ran past the expiry")
	before := c.Balance(tenant)
	c.WaitForHeight(expiresAt + 1)
	g := groupOf(brief)
	require.Equal(t, types.GroupClosed, g.State)
	require.Equal(t, expiresAt, g.ClosedHeight)
	require.Equal(t, before.Add(chain.DAIT(60).Amount), c.Balance(tenant), "the whole deposit returns")

	// Market data: exactly the two trades; VWAP = sum(price x GPUs) / GPUs.
	trades := []struct{ notional, gpus int64 }{{2400, 1}, {4000, 2}}
	var notional, gpus int64
	for _, tr := range trades {
		notional, gpus = notional+tr.notional, gpus+tr.gpus
	}
	m, err = q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(len(trades)), m.WindowTrades)
	require.Equal(t, uint64(gpus), m.WindowQuantity)
	require.Equal(t, strconv.FormatInt(notional/gpus, 10), m.Vwap.String())
	require.Equal(t, "2000", m.LastPrice.String())
	require.Equal(t, "2000", m.MinPrice.String())
	require.Equal(t, "2400", m.MaxPrice.String())
	require.Zero(t, m.RestingBuys)

	// The same market data through the CLI, where buyers look.
	out, err := clitestutil.ExecTestCLICmd(c.Ctx(), cmcli.NewQueryCmd(), []string{"market", "gpu:hopper:80", "-o", "json"})
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), `"vwap":"`+strconv.FormatInt(notional/gpus, 10)+`"`)
	out, err = clitestutil.ExecTestCLICmd(c.Ctx(), cmcli.NewQueryCmd(), []string{"order-book", "gpu:hopper:80", "--depth", "1", "-o", "json"})
	require.NoError(t, err, out.String())
	require.Contains(t, out.String(), `"asks":[{"price":{"denom":"udait","amount":"2000"}`)
	_, err = clitestutil.ExecTestCLICmd(c.Ctx(), cmcli.NewQueryCmd(), []string{"price-history", "gpu:nope"})
	require.ErrorContains(t, err, "memory_gb")
}
