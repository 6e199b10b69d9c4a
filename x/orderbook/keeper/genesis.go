package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// InitGenesis loads a validated genesis: params, offers (and their
// indexes and open interest), the id sequence and the market data.
func (k Keeper) InitGenesis(ctx context.Context, g types.GenesisState) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := k.params.Set(ctx, g.Params); err != nil {
		return err
	}
	if err := k.offerSeq.Set(ctx, g.NextOfferId-1); err != nil {
		return err
	}
	for _, m := range g.Markets {
		m.OpenOffers, m.OpenUnits = 0, 0 // recounted from the offers below
		if m.LastPrice.IsNil() {
			m.LastPrice = nonNil(m.LastPrice)
		}
		if err := k.putMarket(ctx, m); err != nil {
			return err
		}
	}
	for _, o := range g.Offers {
		if o.State != types.OfferOpen {
			if err := k.offers.Set(ctx, o.Id, o); err != nil {
				return err
			}
			continue
		}
		provider, err := k.addressCodec.StringToBytes(o.Provider)
		if err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "offer %d: %v", o.Id, err)
		}
		if err := k.putOpen(ctx, provider, o); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes the whole state, in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.params.Get(ctx)
	if err != nil {
		return nil, err
	}
	seq, err := k.offerSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	g := &types.GenesisState{Params: p, NextOfferId: seq + 1}
	if err := k.offers.Walk(ctx, nil, func(_ uint64, o types.Offer) (bool, error) {
		g.Offers = append(g.Offers, o)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.markets.Walk(ctx, nil, func(class string, _ types.MarketStats) (bool, error) {
		m, err := k.fullMarket(ctx, class)
		g.Markets = append(g.Markets, m)
		return err != nil, err
	}); err != nil {
		return nil, err
	}
	return g, nil
}
