package keeper

import (
	"context"
	"errors"
	"math"

	"cosmossdk.io/collections"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// EndBlocker runs the work scheduled at height h, in SPEC section 5's order:
//
//  1. the take of every paying lease goes to the community pool (the
//     leases' own payments are applied lazily; see escrow.go);
//  2. leases in INSUFFICIENT_FUNDS since h-1 close, their groups pause;
//  3. auctions whose window ends at h are matched;
//  4. ACTIVE leases whose escrow cannot pay h+1 (those created at h
//     included) become INSUFFICIENT_FUNDS.
//
// Each step reads only the queue entries of height h: the cost does not
// grow with leases or groups that change nothing now. A block before
// next_due has no entries at all and does one read and the take transfer.
func (k Keeper) EndBlocker(ctx context.Context) error {
	h := height(ctx)
	nextDue, err := k.nextDue.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		return k.payTake(ctx)
	case err != nil:
		return err
	case h < nextDue:
		return k.payTake(ctx)
	}
	if err := k.startTake(ctx, h); err != nil {
		return err
	}
	if err := k.payTake(ctx); err != nil {
		return err
	}
	steps := []struct {
		queue collections.KeySet[collections.Pair[int64, uint64]]
		run   func(id uint64) error
	}{
		{k.leaseCloseQueue, func(id uint64) error {
			return k.closeLeaseAndPause(ctx, id, types.CloseReasonInsufficientFunds)
		}},
		{k.auctionQueue, func(id uint64) error { return k.closeAuction(ctx, id) }},
		{k.leaseExhaustQueue, func(id uint64) error { return k.markInsufficient(ctx, id, h) }},
	}
	for _, step := range steps {
		if err := drain(ctx, step.queue, h, step.run); err != nil {
			return err
		}
	}
	return k.updateNextDue(ctx)
}

// updateNextDue sets next_due to the first height any schedule has work
// at, after a busy EndBlock emptied the entries up to now.
func (k Keeper) updateNextDue(ctx context.Context) error {
	next := int64(math.MaxInt64)
	for _, q := range []collections.KeySet[collections.Pair[int64, uint64]]{k.leaseCloseQueue, k.auctionQueue, k.leaseExhaustQueue} {
		first, found, err := firstKey(ctx, q)
		if err != nil {
			return err
		}
		if found && first.K1() < next {
			next = first.K1()
		}
	}
	it, err := k.takeStarts.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = it.Close() }()
	if it.Valid() {
		started, err := it.Key()
		if err != nil {
			return err
		}
		next = min(next, started+1)
	}
	if next == math.MaxInt64 {
		return k.nextDue.Remove(ctx)
	}
	return k.nextDue.Set(ctx, next)
}

func firstKey(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]]) (collections.Pair[int64, uint64], bool, error) {
	it, err := q.Iterate(ctx, nil)
	if err != nil {
		return collections.Pair[int64, uint64]{}, false, err
	}
	defer func() { _ = it.Close() }()
	if !it.Valid() {
		return collections.Pair[int64, uint64]{}, false, nil
	}
	key, err := it.Key()
	return key, err == nil, err
}

// drain removes the entries of a height-keyed queue up to h and runs each.
// The entries are listed first, so run may add to the queue.
func drain(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], h int64, run func(id uint64) error) error {
	it, err := q.Iterate(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h))
	if err != nil {
		return err
	}
	keys, err := it.Keys()
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := q.Remove(ctx, key); err != nil {
			return err
		}
		if err := run(key.K2()); err != nil {
			return err
		}
	}
	return nil
}

// markInsufficient settles an ACTIVE lease through h; its escrow can no
// longer pay the next block, so it is INSUFFICIENT_FUNDS and closes at h+1
// unless topped up first.
func (k Keeper) markInsufficient(ctx context.Context, id uint64, h int64) error {
	l, e, err := k.settledLease(ctx, id, h)
	if err != nil {
		return err
	}
	if l.State != types.LeaseActive || e.Balance.Amount.GTE(l.Price.Amount) {
		return nil // closed or topped up since; the entry was stale
	}
	if err := k.removeTake(ctx, l); err != nil {
		return err
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
