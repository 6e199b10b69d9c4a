package keeper

import "cosmossdk.io/collections"

// AuctionQueue lets package keeper_test check the schedule InitGenesis rebuilds.
func (k Keeper) AuctionQueue() collections.KeySet[collections.Pair[int64, uint64]] {
	return k.auctionQueue
}
