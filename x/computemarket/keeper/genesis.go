package keeper

import (
	"context"
	"maps"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// InitGenesis loads a validated genesis state. Indexes are filled by the
// indexed maps; the auction schedule is rebuilt from the OPEN groups.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.SetParams(ctx, gs.Params); err != nil {
		return err
	}
	for _, seq := range []struct {
		s    collections.Sequence
		next uint64
	}{
		{k.deploymentSeq, gs.NextDeploymentId},
		{k.groupSeq, gs.NextGroupId},
		{k.bidSeq, gs.NextBidId},
		{k.leaseSeq, gs.NextLeaseId},
	} {
		if err := seq.s.Set(ctx, max(seq.next, 1)); err != nil {
			return err
		}
	}
	for _, p := range gs.Providers {
		owner, err := k.addressCodec.StringToBytes(p.Owner)
		if err != nil {
			return err
		}
		if err := k.providers.Set(ctx, owner, p); err != nil {
			return err
		}
	}
	for _, r := range gs.AuditRecords {
		provider, auditor, err := k.auditKey(r.Provider, r.Auditor)
		if err != nil {
			return err
		}
		if err := k.auditRecords.Set(ctx, collections.Join(provider, auditor), r); err != nil {
			return err
		}
	}
	for _, d := range gs.Deployments {
		if err := k.deployments.Set(ctx, d.Id, d); err != nil {
			return err
		}
	}
	for _, g := range gs.Groups {
		if err := k.groups.Set(ctx, g.Id, g); err != nil {
			return err
		}
	}
	for _, e := range gs.Escrows {
		if err := k.escrows.Set(ctx, e.GroupId, e); err != nil {
			return err
		}
	}
	for _, b := range gs.Bids {
		if err := k.bids.Set(ctx, b.Id, b); err != nil {
			return err
		}
	}
	failed := map[failedKey]bool{}
	for _, f := range gs.FailedItems {
		key := collections.Join(int32(f.Queue), f.Id)
		if err := k.failedItems.Set(ctx, key, f); err != nil {
			return err
		}
		failed[failedKey{f.Queue, f.Id}] = true
	}
	for _, l := range gs.Leases {
		if err := k.leases.Set(ctx, l.Id, l); err != nil {
			return err
		}
	}
	for _, s := range gs.OfferScans {
		if err := k.offerScans.Set(ctx, collections.Join(s.QueuedHeight, s.OfferId), s); err != nil {
			return err
		}
	}
	if err := k.rebuildSchedules(ctx, gs, failed); err != nil {
		return err
	}
	// Items the exported chain had carried over are still due: the mark
	// says so, as of the exported height.
	if last := height(ctx) - 1; last >= 0 {
		left, err := k.hasDueItems(ctx, last)
		if err != nil {
			return err
		}
		if left {
			if err := k.scheduleBacklog.Set(ctx, last); err != nil {
				return err
			}
		}
	}
	return k.rebuildPruneQueue(ctx, gs, failed)
}

// failedKey names a failed item in a map (collections pairs hold pointers
// and cannot be map keys).
type failedKey struct {
	queue types.ScheduleQueue
	id    uint64
}

// rebuildSchedules rebuilds the auction and lease queues and the take
// schedule from the objects, as the live chain holds them after the
// EndBlock of the export height. The first EndBlock after the import runs
// at the initial height i (the context's): take changes booked for heights
// before i were applied to take_per_block, later ones wait in
// take_changes. Objects whose item failed stay off the schedule.
func (k Keeper) rebuildSchedules(ctx context.Context, gs types.GenesisState, failed map[failedKey]bool) error {
	for _, g := range gs.Groups {
		if g.State == types.GroupOpen && !failed[failedKey{types.QueueAuction, g.Id}] {
			if err := k.enqueue(ctx, k.auctionQueue, g.AuctionEnd, g.Id); err != nil {
				return err
			}
		}
		// the buy side; a limit buy whose expiry failed stays off the queue
		if g.State == types.GroupOrdered {
			if err := k.rest(ctx, g); err != nil {
				return err
			}
			if isLimitBuy(g) && failed[failedKey{types.QueueOrderExpiry, g.Id}] {
				if err := k.orderExpiryQueue.Remove(ctx, collections.Join(g.Spec.ExpiresAt, g.Id)); err != nil {
					return err
				}
			}
		}
	}
	first := height(ctx)
	take := math.ZeroInt()
	changes := map[int64]math.Int{}
	book := func(at int64, delta math.Int) error {
		if at < first {
			var err error
			take, err = types.SafeAdd("take per block", take, delta)
			return err
		}
		cur, ok := changes[at]
		if !ok {
			cur = math.ZeroInt()
		}
		next, err := types.SafeAdd("take change", cur, delta)
		changes[at] = next
		return err
	}
	for _, l := range gs.Leases {
		if !l.IsLive() {
			continue
		}
		e, err := k.GetEscrow(ctx, l.GroupId)
		if err != nil {
			return err
		}
		queue := types.QueueLeaseExhaust
		if l.State == types.LeaseInsufficientFunds {
			queue = types.QueueLeaseClose
		}
		if !failed[failedKey{queue, l.Id}] {
			if err := k.scheduleLease(ctx, l, e); err != nil {
				return err
			}
		}
		from, last, ok := paidWindow(l, e)
		if !ok {
			continue
		}
		if err := book(from, l.Take.Amount); err != nil {
			return err
		}
		if err := book(last+1, l.Take.Amount.Neg()); err != nil {
			return err
		}
	}
	for _, at := range slices.Sorted(maps.Keys(changes)) {
		if changes[at].IsZero() {
			continue
		}
		if err := k.takeChanges.Set(ctx, at, changes[at]); err != nil {
			return err
		}
		if err := k.noteDue(ctx, at); err != nil {
			return err
		}
	}
	if take.IsNegative() {
		return errorsmod.Wrapf(types.ErrInvalidGenesis, "take per block %s is negative", take)
	}
	return k.setTakePerBlock(ctx, take)
}

// rebuildPruneQueue queues every closed object under its closed height,
// but for those whose pruning failed.
func (k Keeper) rebuildPruneQueue(ctx context.Context, gs types.GenesisState, failed map[failedKey]bool) error {
	queuePrune := func(ctx context.Context, kind types.PruneKind, id uint64, closedHeight int64) error {
		if failed[failedKey{types.QueuePrune, types.PruneItemID(kind, id)}] {
			return nil
		}
		return k.queuePrune(ctx, kind, id, closedHeight)
	}
	for _, d := range gs.Deployments {
		if d.State == types.DeploymentClosed {
			if err := queuePrune(ctx, types.PruneDeployment, d.Id, d.ClosedHeight); err != nil {
				return err
			}
		}
	}
	for _, g := range gs.Groups {
		if g.State == types.GroupClosed {
			if err := queuePrune(ctx, types.PruneGroup, g.Id, g.ClosedHeight); err != nil {
				return err
			}
		}
	}
	for _, b := range gs.Bids {
		if !b.IsLive() {
			if err := queuePrune(ctx, types.PruneBid, b.Id, b.ClosedHeight); err != nil {
				return err
			}
		}
	}
	for _, l := range gs.Leases {
		if l.State == types.LeaseClosed {
			if err := queuePrune(ctx, types.PruneLease, l.Id, l.ClosedHeight); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExportGenesis writes the whole state, every list in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	gs := &types.GenesisState{}
	var err error
	if gs.Params, err = k.GetParams(ctx); err != nil {
		return nil, err
	}
	if gs.NextDeploymentId, err = k.deploymentSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextGroupId, err = k.groupSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextBidId, err = k.bidSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextLeaseId, err = k.leaseSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.Providers, err = values(ctx, k.providers); err != nil {
		return nil, err
	}
	if gs.AuditRecords, err = values(ctx, k.auditRecords); err != nil {
		return nil, err
	}
	if gs.Deployments, err = values(ctx, k.deployments); err != nil {
		return nil, err
	}
	if gs.Groups, err = values(ctx, k.groups); err != nil {
		return nil, err
	}
	if gs.Escrows, err = values(ctx, k.escrows); err != nil {
		return nil, err
	}
	if gs.Bids, err = values(ctx, k.bids); err != nil {
		return nil, err
	}
	if gs.Leases, err = values(ctx, k.leases); err != nil {
		return nil, err
	}
	if gs.FailedItems, err = values(ctx, k.failedItems); err != nil {
		return nil, err
	}
	if gs.OfferScans, err = values(ctx, k.offerScans); err != nil {
		return nil, err
	}
	return gs, nil
}

type iterable[K, V any] interface {
	Iterate(context.Context, collections.Ranger[K]) (collections.Iterator[K, V], error)
}

func values[K, V any](ctx context.Context, c iterable[K, V]) ([]V, error) {
	it, err := c.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return it.Values()
}
