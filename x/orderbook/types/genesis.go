package types

import (
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis is an empty book with the default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextOfferId: 1}
}

// Validate checks the params, each offer (unique ids below next_offer_id,
// valid fields, available <= capacity, OPEN ones holding the deposit) and
// each market (unique classes, at most history_buckets buckets).
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	if g.NextOfferId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_offer_id must be at least 1")
	}
	seen := map[uint64]bool{}
	for _, o := range g.Offers {
		switch {
		case o.Id == 0 || o.Id >= g.NextOfferId:
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: id must be in 1..next_offer_id-1 (%d)", o.Id, g.NextOfferId-1)
		case seen[o.Id]:
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d is listed twice", o.Id)
		case o.State != OfferOpen && o.State != OfferClosed:
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: state %s", o.Id, o.State)
		case o.Available > o.Capacity:
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: available %d above capacity %d", o.Id, o.Available, o.Capacity)
		}
		seen[o.Id] = true
		if err := validateOffer(o.Provider, o.Price, o.Capacity, o.ExpiresAt); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: %v", o.Id, err)
		}
		if err := o.Unit.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: %v", o.Id, err)
		}
		if o.Deposit.Denom != Denom || o.Deposit.Amount.IsNil() || o.Deposit.IsNegative() || o.Deposit.Amount.GT(MaxPrice) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer %d: deposit %s", o.Id, o.Deposit)
		}
	}
	classes := map[string]bool{}
	for _, m := range g.Markets {
		if _, _, err := ParseClass(m.Class); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "market: %v", err)
		}
		if classes[m.Class] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "market %s is listed twice", m.Class)
		}
		classes[m.Class] = true
		if uint32(len(m.Buckets)) > g.Params.HistoryBuckets || (len(m.Buckets) > 0 && int(m.Head) >= len(m.Buckets)) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "market %s: %d buckets, head %d", m.Class, len(m.Buckets), m.Head)
		}
		for _, b := range m.Buckets {
			if b.Notional.IsNil() || b.Notional.IsNegative() || b.MinPrice.IsNil() || b.MaxPrice.IsNil() {
				return errorsmod.Wrapf(ErrInvalidGenesis, "market %s: a bucket has a nil or negative amount", m.Class)
			}
		}
	}
	return nil
}
