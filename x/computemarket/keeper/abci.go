package keeper

import (
	"context"
)

// EndBlocker runs the work scheduled at this height. The market lifecycle
// and streaming escrow fill it in; with no schedule it touches nothing.
func (k Keeper) EndBlocker(ctx context.Context) error {
	return nil
}
