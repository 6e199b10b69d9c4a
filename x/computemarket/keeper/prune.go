package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Pruning (SPEC section 10). Every object that closes (a deployment, a
// group with its escrow, a LOST or CLOSED bid, a CLOSED lease) is queued
// under its closed height. EndBlock h removes, with their index entries,
// at most prune_per_block of those that closed at or before
// h - retention_blocks, oldest first; the rest wait for the next block.
// Keying by the closed height (not by the prune height) lets a change of
// retention_blocks apply to everything queued, and lets an import rebuild
// the queue byte for byte from the objects. History older than the window
// is kept by events (and any indexer that follows them), not by state.

// queuePrune queues a closed object for pruning.
func (k Keeper) queuePrune(ctx context.Context, kind types.PruneKind, id uint64, closedHeight int64) error {
	return k.pruneQueue.Set(ctx, collections.Join3(closedHeight, kind, id))
}

// prune removes the closed objects past the retention window.
func (k Keeper) prune(ctx context.Context, h int64, params types.Params) error {
	cutoff := h - int64(params.RetentionBlocks)
	if cutoff < 0 {
		return nil
	}
	it, err := k.pruneQueue.Iterate(ctx, new(collections.Range[collections.Triple[int64, int32, uint64]]).
		EndExclusive(collections.TriplePrefix[int64, int32, uint64](cutoff+1)))
	if err != nil {
		return err
	}
	var keys []collections.Triple[int64, int32, uint64]
	for ; it.Valid() && uint32(len(keys)) < params.PrunePerBlock; it.Next() {
		key, err := it.Key()
		if err != nil {
			_ = it.Close()
			return err
		}
		keys = append(keys, key)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, key := range keys {
		if err := k.pruneQueue.Remove(ctx, key); err != nil {
			return err
		}
		kind, id := key.K2(), key.K3()
		if err := k.runItem(ctx, types.QueuePrune, types.PruneItemID(kind, id), key.K1(), func(ctx context.Context) error {
			return k.pruneObject(ctx, kind, id)
		}); err != nil {
			return err
		}
	}
	return nil
}

// pruneObject removes one closed object. It must be closed: a live object
// in the prune queue is a bug, reported as the item's failure.
func (k Keeper) pruneObject(ctx context.Context, kind types.PruneKind, id uint64) error {
	switch kind {
	case types.PruneLease:
		l, err := k.GetLease(ctx, id)
		if err != nil {
			return err
		}
		if l.State != types.LeaseClosed {
			return errorsmod.Wrapf(types.ErrInvalidLeaseState, "lease %d queued for pruning is %s", id, l.State)
		}
		return k.leases.Remove(ctx, id)
	case types.PruneBid:
		b, err := k.GetBid(ctx, id)
		if err != nil {
			return err
		}
		if b.IsLive() {
			return errorsmod.Wrapf(types.ErrInvalidBidState, "bid %d queued for pruning is %s", id, b.State)
		}
		return k.bids.Remove(ctx, id)
	case types.PruneGroup:
		g, err := k.GetGroup(ctx, id)
		if err != nil {
			return err
		}
		e, err := k.GetEscrow(ctx, id)
		if err != nil {
			return err
		}
		if g.State != types.GroupClosed || !e.Balance.IsZero() {
			return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d queued for pruning is %s with escrow %s", id, g.State, e.Balance)
		}
		if err := k.escrows.Remove(ctx, id); err != nil {
			return err
		}
		return k.groups.Remove(ctx, id)
	case types.PruneDeployment:
		d, err := k.GetDeployment(ctx, id)
		if err != nil {
			return err
		}
		if d.State != types.DeploymentClosed {
			return errorsmod.Wrapf(types.ErrDeploymentClosed, "deployment %d queued for pruning is %s", id, d.State)
		}
		return k.deployments.Remove(ctx, id)
	}
	return fmt.Errorf("unknown prune kind %d of object %d", kind, id)
}
