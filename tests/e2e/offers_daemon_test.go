package e2e

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/offers"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// TestDaemonOffers: the provider daemon with offers enabled keeps one
// standing offer per GPU pool on a real node, priced by its strategy, and
// resizes it when it wins a lease in an auction (the pool's free GPUs
// drop), within its min_interval.
func TestDaemonOffers(t *testing.T) {
	c, tenant, prov := providerChain(t)
	cfg := servingConfig(t, time.Hour)
	cfg.Offers = offers.Config{Enabled: true, Every: 200 * time.Millisecond, MinInterval: 200 * time.Millisecond}
	startDaemon(t, c, prov, cfg)
	q := obtypes.NewQueryClient(c.Ctx())
	ctx := context.Background()

	var offer obtypes.Offer
	c.Eventually(func() bool {
		res, err := q.Offers(ctx, &obtypes.QueryOffersRequest{Provider: prov.String()})
		if err != nil || len(res.Offers) != 1 {
			return false
		}
		offer = res.Offers[0]
		return true
	}, 10)
	require.Equal(t, "gpu:hopper:80", offer.Unit.Class())
	require.Equal(t, uint32(8), offer.Capacity, "the pool's 8 free GPUs")
	// The strategy's price for one unit (a GPU and its share of the rest).
	strategy, err := pricing.New(cfg.Pricing)
	require.NoError(t, err)
	want, ok, err := strategy.Price(ctx, offers.Quote(offers.Unit(cfg.Inventory, cfg.Inventory.GPUs[0]), inventory.Ratio{Num: 0, Den: 1}))
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, want, offer.Price)
	require.Equal(t, offers.Unit(cfg.Inventory, cfg.Inventory.GPUs[0]), offer.Unit)
	book, err := q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Len(t, book.Asks, 1)

	// The daemon wins a 1-GPU group in an auction: its offer shrinks to 7.
	sum := sha256.Sum256([]byte("offers"))
	c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: sum[:], Groups: []types.GroupSpec{group("g", 5_000)}})
	c.Eventually(func() bool {
		res, err := q.Offer(ctx, &obtypes.QueryOfferRequest{Id: offer.Id})
		if err != nil {
			return false
		}
		offer = res.Offer
		return offer.Capacity == 7
	}, 30)
	require.Equal(t, uint32(7), offer.Available)
}
