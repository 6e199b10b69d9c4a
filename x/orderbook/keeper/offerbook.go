package keeper

import (
	"errors"

	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// The OfferBook side of ADR 0007: what x/computemarket's matcher asks.

// WalkOffers calls fn on the OPEN offers of class with units available and
// a normalised unit price (NormPrice) at most maxPrice, cheapest first (then earliest priced,
// then lowest id), until fn returns stop or limit offers were visited.
// Bounded by limit.
func (k Keeper) WalkOffers(ctx context.Context, class string, maxPrice uint64, limit int, fn func(types.Offer) (stop bool, err error)) error {
	it, err := k.book.Iterate(ctx, new(collections.Range[BookKey]).
		StartInclusive(collections.Join4(class, uint64(0), int64(-1<<63), uint64(0))).
		EndInclusive(collections.Join4(class, maxPrice, int64(1<<63-1), ^uint64(0))))
	if err != nil {
		return err
	}
	defer func() { _ = it.Close() }()
	for n := 0; it.Valid() && n < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			return err
		}
		o, err := k.GetOffer(ctx, key.K4())
		if err != nil {
			return err
		}
		n++
		stop, err := fn(o)
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// Fill takes units of an OPEN offer for a lease and records the trade
// (notional: the lease's price per block) in the class's market data, in
// one write of the offer and one of the market record. Market data never
// blocks a trade: one it cannot take (not reachable within the bounds on
// prices and units) is logged.
func (k Keeper) Fill(ctx context.Context, id uint64, units uint32, notional math.Int) (types.Offer, error) {
	o, err := k.GetOffer(ctx, id)
	if err != nil {
		return o, err
	}
	if o.State != types.OfferOpen {
		return o, errorsmod.Wrapf(types.ErrOfferClosed, "offer %d", id)
	}
	if units == 0 || units > o.Available {
		return o, errorsmod.Wrapf(types.ErrInsufficientUnits, "offer %d has %d units available, %d asked", id, o.Available, units)
	}
	params, err := k.params.Get(ctx)
	if err != nil {
		return o, err
	}
	n := o
	n.Available -= units
	if err := k.offers.Set(ctx, n.Id, n); err != nil {
		return o, err
	}
	soldOut := int32(0)
	if n.Available == 0 {
		soldOut = -1
		if err := k.book.Remove(ctx, bookKey(o)); err != nil {
			return o, err
		}
	}
	class := o.Unit.Class()
	m, err := k.market(ctx, class)
	if err != nil {
		return o, err
	}
	if err := m.AddOpenInterest(soldOut, -int64(units)); err != nil {
		return o, errorsmod.Wrapf(types.ErrInvariantBroken, "%s: %v", class, err)
	}
	if quantity, ok := o.Unit.Quantity(uint64(units)); ok {
		t := types.Trade{Height: sdk.UnwrapSDKContext(ctx).BlockHeight(), Notional: notional, Quantity: quantity}
		if err := k.record(ctx, &m, t, params); err != nil {
			if !errors.Is(err, types.ErrStats) {
				return o, err
			}
			sdk.UnwrapSDKContext(ctx).Logger().Error("market data: trade not recorded", "offer", id, "err", err)
		}
	}
	return n, k.markets.Set(ctx, class, m)
}

// Release gives back units a closed lease held. On a closed offer they
// only leave the taken tally; an open offer can sell them again.
func (k Keeper) Release(ctx context.Context, id uint64, units uint32) error {
	o, err := k.GetOffer(ctx, id)
	if err != nil {
		return err
	}
	if uint64(o.Available)+uint64(units) > uint64(o.Capacity) {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "offer %d: releasing %d units would make %d available of %d", id, units, uint64(o.Available)+uint64(units), o.Capacity)
	}
	n := o
	n.Available += units
	return k.replace(ctx, o, n)
}

// RecordTrade adds a match to its class's market data: notional = price
// per block per unit x units, quantity in the class's normalisation unit.
// A trade the market data cannot take is refused with ErrMarketData.
func (k Keeper) RecordTrade(ctx context.Context, class string, notional math.Int, quantity uint64) error {
	if _, _, err := types.ParseClass(class); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidClass, "%v", err)
	}
	params, err := k.params.Get(ctx)
	if err != nil {
		return err
	}
	m, err := k.market(ctx, class)
	if err != nil {
		return err
	}
	t := types.Trade{Height: sdk.UnwrapSDKContext(ctx).BlockHeight(), Notional: notional, Quantity: quantity}
	if err := k.record(ctx, &m, t, params); err != nil {
		if errors.Is(err, types.ErrStats) {
			return errorsmod.Wrapf(types.ErrMarketData, "%v", err)
		}
		return err
	}
	return k.markets.Set(ctx, class, m)
}

// FittingClasses are the classes with market records (every class that
// ever had an offer) whose units can serve a group with gpus GPUs of
// gpuClass (any when empty) with at least minMemoryGB each; the CPU class
// for a group without GPUs. At most limit, in key order, reading at most
// 4 x limit classes (bounded work in EndBlock).
func (k Keeper) FittingClasses(ctx context.Context, gpus uint32, gpuClass string, minMemoryGB uint32, limit int) ([]string, error) {
	if gpus == 0 {
		has, err := k.markets.Has(ctx, types.ClassCPU)
		if err != nil || !has {
			return nil, err
		}
		return []string{types.ClassCPU}, nil
	}
	// Class keys are gpu:<class>:<memory>; ';' sorts right after ':'.
	from, to := "gpu:", "gpu;"
	if gpuClass != "" {
		from, to = "gpu:"+gpuClass+":", "gpu:"+gpuClass+";"
	}
	it, err := k.markets.Iterate(ctx, new(collections.Range[string]).StartInclusive(from).EndExclusive(to))
	if err != nil {
		return nil, err
	}
	defer func() { _ = it.Close() }()
	var out []string
	for scanned := 0; it.Valid() && len(out) < limit && scanned < 4*limit; it.Next() {
		scanned++
		class, err := it.Key()
		if err != nil {
			return nil, err
		}
		c, mem, err := types.ParseClass(class)
		if err != nil || mem < minMemoryGB || (gpuClass != "" && c != gpuClass) {
			continue
		}
		out = append(out, class)
	}
	return out, nil
}

// WalkAllOffers visits every offer in id order (for invariants: it reads
// the whole table).
func (k Keeper) WalkAllOffers(ctx context.Context, fn func(types.Offer) (bool, error)) error {
	return k.offers.Walk(ctx, nil, func(_ uint64, o types.Offer) (bool, error) { return fn(o) })
}
