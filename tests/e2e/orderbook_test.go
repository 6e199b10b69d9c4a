package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/testutil/chain"
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
	require.Equal(t, []obtypes.PriceLevel{{Price: udait(2400), Units: 8, Offers: 1}, {Price: udait(2600), Units: 2, Offers: 1}}, book.Asks)
	m, err := q.Market(ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint32(2), m.OpenOffers)
	require.Equal(t, uint64(10), m.OpenUnits)

	// Re-priced below the other: first in the book.
	c.MustDeliver("provider", &obtypes.MsgUpdateOffer{Provider: prov.String(), OfferId: created.OfferId, Price: udait(2000), Capacity: 8})
	book, err = q.OrderBook(ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80", Depth: 1})
	require.NoError(t, err)
	require.Equal(t, []obtypes.PriceLevel{{Price: udait(2000), Units: 8, Offers: 1}}, book.Asks)

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
