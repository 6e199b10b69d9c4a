package chain

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/provider/offers"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

var _ offers.Chain = (*Chain)(nil)

// MyOffers are this provider's OPEN offers (every page).
func (c *Chain) MyOffers(ctx context.Context) ([]obtypes.Offer, error) {
	q := obtypes.NewQueryClient(c.clientCtx)
	var out []obtypes.Offer
	var key []byte
	for {
		res, err := q.Offers(ctx, &obtypes.QueryOffersRequest{Provider: c.provider, Pagination: &query.PageRequest{Key: key, Limit: 200}})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Offers...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// CreateOffer posts an offer.
func (c *Chain) CreateOffer(ctx context.Context, unit obtypes.ResourceUnit, price sdk.Coin, capacity uint32) error {
	_, err := c.submit.Submit(ctx, &obtypes.MsgCreateOffer{Provider: c.provider, Unit: unit, Price: price, Capacity: capacity})
	return err
}

// UpdateOffer re-prices or resizes an offer.
func (c *Chain) UpdateOffer(ctx context.Context, id uint64, price sdk.Coin, capacity uint32, expiresAt int64) error {
	_, err := c.submit.Submit(ctx, &obtypes.MsgUpdateOffer{Provider: c.provider, OfferId: id, Price: price, Capacity: capacity, ExpiresAt: expiresAt})
	return err
}

// CloseOffer closes an offer.
func (c *Chain) CloseOffer(ctx context.Context, id uint64) error {
	_, err := c.submit.Submit(ctx, &obtypes.MsgCloseOffer{Provider: c.provider, OfferId: id})
	return err
}
