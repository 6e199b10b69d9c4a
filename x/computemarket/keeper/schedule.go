package keeper

import (
	"context"
	"fmt"
	"math"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// The EndBlock schedules (docs/adr/0003-per-block-item-limit.md).
//
// Three height-keyed queues hold the scheduled items: lease closes, auction
// ends and lease exhaustions. EndBlock h takes the items due up to h, queue
// by queue in that order and oldest first, at most max_items_per_block in
// all; the rest carry over to the next block. An item settles as of its own
// due height (the key), not the block that runs it, so balances, spent and
// the take are exact under carry-over.
//
// A transaction that acts on a group or lease first runs that object's
// overdue items (catchUpGroup, catchUpLease): what a user sees through a
// transaction is what the per-block rule gives, whatever the backlog.
//
// Each item runs in its own cached context. An item that fails (an error,
// or a panic from a bug) has its changes discarded; it is recorded in
// failed_items, logged and announced by EventScheduledItemFailed, and its
// entry is dropped, not retried: a deterministic failure would fail again
// every block. The object stays as it was, off the schedule, for an
// operator or an upgrade handler to repair; the chain goes on.

type scheduleStep struct {
	queue types.ScheduleQueue
	set   collections.KeySet[collections.Pair[int64, uint64]]
	run   func(ctx context.Context, id uint64, due int64) error
}

func (k Keeper) scheduleSteps() []scheduleStep {
	return []scheduleStep{
		{types.QueueLeaseClose, k.leaseCloseQueue, func(ctx context.Context, id uint64, due int64) error {
			return k.closeLeaseAndPause(ctx, id, types.CloseReasonInsufficientFunds, due)
		}},
		{types.QueueAuction, k.auctionQueue, func(ctx context.Context, id uint64, due int64) error {
			return k.closeAuction(ctx, id, due)
		}},
		{types.QueueLeaseExhaust, k.leaseExhaustQueue, k.markInsufficient},
		{types.QueueOrderExpiry, k.orderExpiryQueue, k.expireOrder},
	}
}

// runSchedules processes up to limit items due up to h.
func (k Keeper) runSchedules(ctx context.Context, h int64, limit uint32) error {
	var done uint32
	for _, step := range k.scheduleSteps() {
		n, err := k.drain(ctx, step, h, limit-done)
		if err != nil {
			return err
		}
		if done += n; done >= limit {
			break
		}
	}
	// Asked even under the limit: an item may queue another one due now
	// in a queue already drained (a carried-over exhaustion's close).
	left, err := k.hasDueItems(ctx, h)
	if err != nil {
		return err
	}
	if !left {
		// a block that ran everything due clears the backlog mark
		if has, err := k.scheduleBacklog.Has(ctx); err != nil || !has {
			return err
		}
		return k.scheduleBacklog.Remove(ctx)
	}
	if err := k.scheduleBacklog.Set(ctx, h); err != nil {
		return err
	}
	return emit(ctx, &types.EventScheduleCarriedOver{Height: h, Processed: done})
}

// hasDueItems reports whether any queue still has an item due up to h.
func (k Keeper) hasDueItems(ctx context.Context, h int64) (bool, error) {
	for _, step := range k.scheduleSteps() {
		first, found, err := firstKey(ctx, step.set)
		if err != nil {
			return false, err
		}
		if found && first.K1() <= h {
			return true, nil
		}
	}
	return false, nil
}

// drain removes and runs up to limit entries of a queue due up to h, in key
// order. The entries are listed first, so an item may add to the queue.
func (k Keeper) drain(ctx context.Context, step scheduleStep, h int64, limit uint32) (uint32, error) {
	if limit == 0 {
		return 0, nil
	}
	it, err := step.set.Iterate(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h))
	if err != nil {
		return 0, err
	}
	var keys []collections.Pair[int64, uint64]
	for ; it.Valid() && uint32(len(keys)) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			_ = it.Close()
			return 0, err
		}
		keys = append(keys, key)
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	for _, key := range keys {
		if err := step.set.Remove(ctx, key); err != nil {
			return 0, err
		}
		id, due := key.K2(), key.K1()
		if err := k.runItem(ctx, step.queue, id, due, func(ctx context.Context) error { return step.run(ctx, id, due) }); err != nil {
			return 0, err
		}
	}
	return uint32(len(keys)), nil
}

// runItem runs one item in a cached context and keeps its changes only if
// it succeeds; a failure is set aside (see above). Only a failure to record
// the failure is returned.
func (k Keeper) runItem(ctx context.Context, queue types.ScheduleQueue, id uint64, due int64, run func(context.Context) error) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cctx, write := sdkCtx.CacheContext()
	err := recovered(func() error { return run(cctx) })
	if err == nil {
		write()
		return nil
	}
	h := sdkCtx.BlockHeight()
	k.Logger(sdkCtx).Error("scheduled item failed and was set aside", "queue", queue.String(), "id", id, "due", due, "height", h, "err", err)
	item := types.FailedItem{Queue: queue, Id: id, DueHeight: due, FailedHeight: h, Error: truncate(err.Error(), types.MaxFailedItemErrorLen)}
	if err := k.failedItems.Set(ctx, collections.Join(int32(queue), id), item); err != nil {
		return err
	}
	return emit(ctx, &types.EventScheduledItemFailed{Queue: queue, Id: id, DueHeight: due, Height: h, Error: item.Error})
}

// recovered runs f and turns a panic into an error. Consensus code must not
// panic; this keeps a bug in one item from halting the chain.
func recovered(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// updateNextDue sets next_due to the first height any schedule has work
// at, after a busy EndBlock. With items carried over it is the current
// height or earlier, so the next block runs them.
func (k Keeper) updateNextDue(ctx context.Context) error {
	next := int64(math.MaxInt64)
	for _, step := range k.scheduleSteps() {
		first, found, err := firstKey(ctx, step.set)
		if err != nil {
			return err
		}
		if found && first.K1() < next {
			next = first.K1()
		}
	}
	it, err := k.takeChanges.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = it.Close() }()
	if it.Valid() {
		at, err := it.Key()
		if err != nil {
			return err
		}
		next = min(next, at)
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

// catchUpGroup runs, inside a transaction, the overdue items of a group
// and of its live lease (those a carried-over EndBlock has not reached
// yet), and returns the group as it then is.
func (k Keeper) catchUpGroup(ctx context.Context, g types.Group) (types.Group, error) {
	h := height(ctx)
	if g.State == types.GroupOrdered && isLimitBuy(g) && g.Spec.ExpiresAt < h {
		ran, err := k.runOverdue(ctx, k.orderExpiryQueue, g.Spec.ExpiresAt, g.Id, func() error { return k.expireOrder(ctx, g.Id, g.Spec.ExpiresAt) })
		if err != nil || !ran {
			return g, err
		}
		return k.GetGroup(ctx, g.Id)
	}
	if g.State == types.GroupOpen && g.AuctionEnd < h {
		ran, err := k.runOverdue(ctx, k.auctionQueue, g.AuctionEnd, g.Id, func() error { return k.closeAuction(ctx, g.Id, g.AuctionEnd) })
		if err != nil {
			return g, err
		}
		if ran {
			if g, err = k.GetGroup(ctx, g.Id); err != nil {
				return g, err
			}
		}
	}
	if id, live := liveLeaseOf(g); live {
		ran, err := k.catchUpLease(ctx, id)
		if err != nil || !ran {
			return g, err
		}
		return k.GetGroup(ctx, g.Id)
	}
	return g, nil
}

// catchUpLease runs a live lease's overdue exhaustion and close; ran
// reports whether anything changed.
func (k Keeper) catchUpLease(ctx context.Context, id uint64) (ran bool, err error) {
	h := height(ctx)
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return false, err
	}
	if l.State == types.LeaseActive {
		e, err := k.GetEscrow(ctx, l.GroupId)
		if err != nil {
			return false, err
		}
		if x := exhaustionHeight(l, e); x < h {
			if ran, err = k.runOverdue(ctx, k.leaseExhaustQueue, x, id, func() error { return k.markInsufficient(ctx, id, x) }); err != nil || !ran {
				return ran, err
			}
			if l, err = k.GetLease(ctx, id); err != nil {
				return ran, err
			}
		}
	}
	if l.State == types.LeaseInsufficientFunds {
		if at := l.SettledHeight + 1; at < h {
			closed, err := k.runOverdue(ctx, k.leaseCloseQueue, at, id, func() error {
				return k.closeLeaseAndPause(ctx, id, types.CloseReasonInsufficientFunds, at)
			})
			return ran || closed, err
		}
	}
	return ran, nil
}

// runOverdue runs an overdue item if its entry is still queued (a failed
// item's entry is gone) and removes the entry.
func (k Keeper) runOverdue(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], due int64, id uint64, run func() error) (bool, error) {
	key := collections.Join(due, id)
	queued, err := q.Has(ctx, key)
	if err != nil || !queued {
		return false, err
	}
	if err := q.Remove(ctx, key); err != nil {
		return false, err
	}
	return true, run()
}
