package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// MaxExpiriesPerBlock bounds EndBlock's work; what is left is due at the
// next block (the queue is by height, so nothing is skipped).
const MaxExpiriesPerBlock = 100

// EndBlock closes the offers whose expiry height has come, at most
// MaxExpiriesPerBlock per block. An offer that cannot be closed (a broken
// record) is logged and left out of the queue rather than halting the
// chain.
func (k Keeper) EndBlock(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	height := sdkCtx.BlockHeight()
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndInclusive(collections.Join(height, ^uint64(0)))
	it, err := k.expiry.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	var due []collections.Pair[int64, uint64]
	for ; it.Valid() && len(due) < MaxExpiriesPerBlock; it.Next() {
		key, err := it.Key()
		if err != nil {
			_ = it.Close()
			return err
		}
		due = append(due, key)
	}
	_ = it.Close()
	for _, key := range due {
		if err := k.expire(ctx, key); err != nil {
			sdkCtx.Logger().Error("orderbook: offer expiry failed; dropped from the queue", "offer", key.K2(), "err", err)
			if err := k.expiry.Remove(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// expire closes one due offer in a cached context, so a failure changes
// nothing.
func (k Keeper) expire(ctx context.Context, key collections.Pair[int64, uint64]) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cache, write := sdkCtx.CacheContext()
	o, err := k.GetOffer(cache, key.K2())
	if err != nil {
		return err
	}
	if err := k.close(cache, o, "expired"); err != nil {
		return err
	}
	write()
	return nil
}
