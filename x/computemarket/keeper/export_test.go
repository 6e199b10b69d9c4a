package keeper

import (
	"context"

	"cosmossdk.io/collections"
)

// AuctionQueue lets package keeper_test check the schedule InitGenesis rebuilds.
func (k Keeper) AuctionQueue() collections.KeySet[collections.Pair[int64, uint64]] {
	return k.auctionQueue
}

// LiveLease lets package keeper_test find a group's lease in ACTIVE or
// INSUFFICIENT_FUNDS.
func (k Keeper) LiveLease(ctx context.Context, groupID uint64) (id uint64, found bool, err error) {
	return k.liveLease(ctx, groupID)
}

// HasBacklog reports whether the last EndBlock carried items over.
func (k Keeper) HasBacklog(ctx context.Context) (bool, error) {
	return k.scheduleBacklog.Has(ctx)
}

// NeverExhausted is the exhaustion height the lease-escrow query reports
// for a lease whose escrow outlasts any chain (2^62).
const NeverExhausted = neverExhausted
