package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// EndBlocker runs the work scheduled up to height h, in SPEC section 5's
// order:
//
//  1. leases in INSUFFICIENT_FUNDS since h-1 close, their groups pause;
//  2. auctions whose window ends at h are matched;
//  3. ACTIVE leases whose escrow cannot pay h+1 (those created at h
//     included) become INSUFFICIENT_FUNDS;
//  4. the take changes booked up to h join take_per_block, and the take of
//     every lease paying at h goes to the community pool in one transfer
//     (the leases' own payments are applied lazily; see escrow.go);
//  5. closed objects past the retention window are pruned.
//
// SPEC lists the take first; it is one transfer of a sum that steps 1-3
// do not change for h (a lease created at h pays from h+1, one running dry
// at h has paid h), so the order only matters to an item carried over from
// an earlier height, whose lease then pays h too.
//
// Steps 1-3 process at most max_items_per_block items, each in its own
// cached context (schedule.go); what is left carries over, oldest first.
// Each step reads only due entries: the cost does not grow with leases or
// groups that change nothing now. A block before next_due does one read,
// the take transfer and one prune-queue read.
func (k Keeper) EndBlocker(ctx context.Context) error {
	h := height(ctx)
	due, err := k.isDue(ctx, h)
	if err != nil {
		return err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if due {
		if err := k.runSchedules(ctx, h, params.MaxItemsPerBlock); err != nil {
			return errorsmod.Wrapf(err, "schedules at height %d", h)
		}
		// after the items: a carried-over auction books its lease's take
		// from this height on
		if err := k.applyTakeChanges(ctx, h); err != nil {
			return errorsmod.Wrapf(err, "take changes at height %d", h)
		}
	}
	// resting limit buys an offer became able to serve (limit.go)
	if err := k.matchOffers(ctx); err != nil {
		return errorsmod.Wrapf(err, "offer scans at height %d", h)
	}
	if err := k.payTake(ctx); err != nil {
		return errorsmod.Wrapf(err, "take transfer at height %d", h)
	}
	if due {
		if err := k.updateNextDue(ctx); err != nil {
			return err
		}
	}
	if err := k.prune(ctx, h, params); err != nil {
		return errorsmod.Wrapf(err, "pruning at height %d", h)
	}
	return nil
}

// isDue reports whether any schedule may have work at h.
func (k Keeper) isDue(ctx context.Context, h int64) (bool, error) {
	nextDue, err := k.nextDue.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return h >= nextDue, nil
}

// markInsufficient settles an ACTIVE lease through its exhaustion height
// due (the entry's own height, even when the item was carried over to a
// later block); its escrow can no longer pay the next block, so it is
// INSUFFICIENT_FUNDS and closes at due+1 unless topped up first. Its take
// stopped at due+1 when the window was booked.
func (k Keeper) markInsufficient(ctx context.Context, id uint64, due int64) error {
	l, e, err := k.settledLease(ctx, id, due)
	if err != nil {
		return err
	}
	if !l.IsLive() || l.State != types.LeaseActive {
		return errorsmod.Wrapf(types.ErrInvalidLeaseState, "lease %d due to run dry at %d is %s", id, due, l.State)
	}
	if e.Balance.Amount.GTE(l.Price.Amount) {
		return errorsmod.Wrapf(types.ErrInvalidLeaseState, "lease %d due to run dry at %d still holds %s at price %s", id, due, e.Balance, l.Price)
	}
	l.State = types.LeaseInsufficientFunds
	if err := k.saveLeaseAndEscrow(ctx, l, e); err != nil {
		return err
	}
	if err := k.scheduleLease(ctx, l, e); err != nil {
		return err
	}
	return emit(ctx, &types.EventLeaseInsufficientFunds{Id: l.Id, GroupId: l.GroupId, Tenant: l.Tenant, Provider: l.Provider, Balance: e.Balance})
}

// wrapAt names the object and height of a failure (STYLE rule 9). It
// keeps the registered error's ABCI code: a refused transaction answers
// with the module's code, not baseapp's "internal" (fmt's %w is not seen
// by errorsmod.ABCIInfo).
func wrapAt(err error, what string, id uint64, h int64) error {
	if err == nil {
		return nil
	}
	return errorsmod.Wrapf(err, "%s %d at height %d", what, id, h)
}
