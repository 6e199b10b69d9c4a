package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Getters that turn collections.ErrNotFound into the module's typed errors.

func (k Keeper) GetDeployment(ctx context.Context, id uint64) (types.Deployment, error) {
	return get(ctx, k.deployments.Get, id, types.ErrDeploymentNotFound, "deployment")
}

func (k Keeper) GetGroup(ctx context.Context, id uint64) (types.Group, error) {
	return get(ctx, k.groups.Get, id, types.ErrGroupNotFound, "group")
}

func (k Keeper) GetBid(ctx context.Context, id uint64) (types.Bid, error) {
	return get(ctx, k.bids.Get, id, types.ErrBidNotFound, "bid")
}

func (k Keeper) GetLease(ctx context.Context, id uint64) (types.Lease, error) {
	return get(ctx, k.leases.Get, id, types.ErrLeaseNotFound, "lease")
}

func (k Keeper) GetEscrow(ctx context.Context, groupID uint64) (types.Escrow, error) {
	return get(ctx, k.escrows.Get, groupID, types.ErrEscrowNotFound, "escrow of group")
}

func get[V any](ctx context.Context, getter func(context.Context, uint64) (V, error), id uint64, notFound *errorsmod.Error, what string) (V, error) {
	v, err := getter(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return v, errorsmod.Wrapf(notFound, "%s %d", what, id)
	}
	return v, err
}

// requireSigner refuses a signer that is not the object's owner.
func requireSigner(signer, owner, what string, id uint64) error {
	if signer != owner {
		return errorsmod.Wrapf(types.ErrUnauthorized, "%s is not the owner of %s %d", signer, what, id)
	}
	return nil
}

// ModuleBalance is what the module account holds: the escrows, the
// earnings not yet withdrawn and the locked bid deposits.
func (k Keeper) ModuleBalance(ctx context.Context) sdk.Coin {
	return k.bank.GetBalance(ctx, k.account.GetModuleAddress(types.ModuleName), types.Denom)
}

// pull moves coins from an account into the module account.
func (k Keeper) pull(ctx context.Context, from string, c sdk.Coin) error {
	if !c.IsPositive() {
		return nil
	}
	addr, err := k.addressCodec.StringToBytes(from)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromAccountToModule(ctx, addr, types.ModuleName, sdk.NewCoins(c))
}

// pay moves coins from the module account to an account.
func (k Keeper) pay(ctx context.Context, to string, c sdk.Coin) error {
	if !c.IsPositive() {
		return nil
	}
	addr, err := k.addressCodec.StringToBytes(to)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, addr, sdk.NewCoins(c))
}

// height is the height a message executes at. A simulation (gas
// estimation) runs on the state of the last committed block h with h as
// its height, but its tx will execute in block h+1: simulate as h+1, or the
// lazily settled escrow is one payment off and refunds fail.
func height(ctx context.Context) int64 {
	c := sdk.UnwrapSDKContext(ctx)
	if c.ExecMode() == sdk.ExecModeSimulate {
		return c.BlockHeight() + 1
	}
	return c.BlockHeight()
}

// idsOf collects the primary keys an index holds for ref, so that callers
// may change the objects (and so the index) afterwards.
func idsOf[R, V any](ctx context.Context, idx *indexes.Multi[R, uint64, V], ref R) ([]uint64, error) {
	it, err := idx.MatchExact(ctx, ref)
	if err != nil {
		return nil, err
	}
	return it.PrimaryKeys()
}

// nextID hands out the next id of a sequence; ids start at 1 even on a
// store whose genesis never set the sequence.
func nextID(ctx context.Context, seq collections.Sequence) (uint64, error) {
	id, err := seq.Next(ctx)
	if err == nil && id == 0 {
		id, err = seq.Next(ctx)
	}
	return id, err
}

// enqueue adds an entry to a height-keyed schedule and lowers next_due.
func (k Keeper) enqueue(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], at int64, id uint64) error {
	if err := q.Set(ctx, collections.Join(at, id)); err != nil {
		return err
	}
	return k.noteDue(ctx, at)
}

// noteDue records that some schedule has work at height at.
func (k Keeper) noteDue(ctx context.Context, at int64) error {
	cur, err := k.nextDue.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if err == nil && cur <= at {
		return nil
	}
	return k.nextDue.Set(ctx, at)
}
