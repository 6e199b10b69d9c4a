package keeper

import (
	"context"
	"sort"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// CheckInvariants checks the order book's state (ErrInvariantBroken with
// the first break): every offer has available <= capacity; the book holds
// exactly the OPEN offers with units available, at their current price
// and priced height; the provider index exactly the OPEN offers; the
// expiry queue exactly the OPEN offers with an expiry; each class's open
// interest is the sum over its booked offers; and the module account
// holds at least the deposits of the OPEN offers (nothing is lost).
func (k Keeper) CheckInvariants(ctx context.Context, moduleBalance math.Int) error {
	type bk struct {
		class  string
		price  uint64
		height int64
		id     uint64
	}
	flat := func(k BookKey) bk { return bk{k.K1(), k.K2(), k.K3(), k.K4()} }
	wantBook := map[bk]bool{}
	type interest struct {
		offers uint32
		units  uint64
	}
	wantInterest := map[string]interest{}
	open := map[uint64]types.Offer{}
	withExpiry := 0
	deposits := math.ZeroInt()
	err := k.offers.Walk(ctx, nil, func(id uint64, o types.Offer) (bool, error) {
		if o.Available > o.Capacity {
			return true, errorsmod.Wrapf(types.ErrInvariantBroken, "offer %d: available %d > capacity %d", id, o.Available, o.Capacity)
		}
		if o.State == types.OfferOpen {
			open[id] = o
			if o.ExpiresAt > 0 {
				withExpiry++
			}
			deposits = deposits.Add(o.Deposit.Amount)
			if o.Available > 0 {
				wantBook[flat(bookKey(o))] = true
				in := wantInterest[o.Unit.Class()]
				in.offers++
				in.units += uint64(o.Available)
				wantInterest[o.Unit.Class()] = in
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	n := 0
	if err := k.book.Walk(ctx, nil, func(key BookKey) (bool, error) {
		if !wantBook[flat(key)] {
			return true, errorsmod.Wrapf(types.ErrInvariantBroken, "book entry %+v has no open offer at that price", flat(key))
		}
		n++
		return false, nil
	}); err != nil {
		return err
	}
	if n != len(wantBook) {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "book has %d entries, %d open offers have units", n, len(wantBook))
	}
	n = 0
	if err := k.byProvider.Walk(ctx, nil, func(key collectionsPairT) (bool, error) {
		o, ok := open[key.K2()]
		if !ok || o.Provider != key.K1().String() {
			return true, errorsmod.Wrapf(types.ErrInvariantBroken, "provider index entry for offer %d is not an open offer of that provider", key.K2())
		}
		n++
		return false, nil
	}); err != nil {
		return err
	}
	if n != len(open) {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "provider index has %d entries, %d offers are open", n, len(open))
	}
	n = 0
	if err := k.expiry.Walk(ctx, nil, func(key collectionsPairH) (bool, error) {
		o, ok := open[key.K2()]
		if !ok || o.ExpiresAt != key.K1() {
			return true, errorsmod.Wrapf(types.ErrInvariantBroken, "expiry entry (%d, %d) is not an open offer expiring then", key.K1(), key.K2())
		}
		n++
		return false, nil
	}); err != nil {
		return err
	}
	if n != withExpiry {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "expiry queue has %d entries, %d open offers expire", n, withExpiry)
	}
	if err := k.markets.Walk(ctx, nil, func(class string, m types.MarketStats) (bool, error) {
		want := wantInterest[class]
		if m.OpenOffers != want.offers || m.OpenUnits != want.units {
			return true, errorsmod.Wrapf(types.ErrInvariantBroken, "class %s counts %d offers / %d units open, the book has %d / %d", class, m.OpenOffers, m.OpenUnits, want.offers, want.units)
		}
		delete(wantInterest, class)
		return false, nil
	}); err != nil {
		return err
	}
	if len(wantInterest) > 0 {
		classes := make([]string, 0, len(wantInterest))
		for class := range wantInterest {
			classes = append(classes, class)
		}
		sort.Strings(classes)
		return errorsmod.Wrapf(types.ErrInvariantBroken, "classes %v have open offers and no market record", classes)
	}
	if moduleBalance.LT(deposits) {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "the module holds %s, open offers' deposits are %s", moduleBalance, deposits)
	}
	return nil
}
