package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Streaming escrow, computed lazily (SPEC section 5).
//
// A live lease and its group's escrow are stored as of the lease's
// settled_height s: the escrow holds B and the lease has spent S. An ACTIVE
// lease pays its price p at every EndBlock after s while the escrow can pay,
// so it pays floor(B/p) more blocks and runs dry at x = s + floor(B/p). x
// does not move when the lease is settled (s grows by n, B shrinks by n*p),
// only when the escrow is topped up. x is kept in lease_exhaust_queue: at
// EndBlock x the lease becomes INSUFFICIENT_FUNDS and is queued in
// lease_close_queue for x+1. Nothing else visits a lease between events.
//
// The protocol take t of every paying lease is summed in take_per_block, so
// the community pool receives exactly the per-block sum with one transfer
// per block. A lease created at c pays from c+1: its take waits in
// take_starts[c] until then.

// TakeOf is the protocol's share of one payment: floor(price*bps/10000).
func TakeOf(price math.Int, takeRateBps uint32) math.Int {
	return price.MulRaw(int64(takeRateBps)).QuoRaw(int64(types.MaxTakeRateBps))
}

// neverExhausted stands for an exhaustion height beyond any real chain's
// life; it does not move when the lease is settled.
const neverExhausted int64 = 1 << 62

// exhaustionHeight is the last height an ACTIVE lease pays (SPEC rule 1);
// it becomes INSUFFICIENT_FUNDS at the end of that height.
func exhaustionHeight(l types.Lease, e types.Escrow) int64 {
	n := e.Balance.Amount.Quo(l.Price.Amount)
	if !n.IsInt64() || n.Int64() >= neverExhausted-l.SettledHeight {
		return neverExhausted
	}
	return l.SettledHeight + n.Int64()
}

// settle applies the payments of the heights (s, to] to an ACTIVE lease and
// its escrow. It changes only the two values, the caller stores them.
func settle(l *types.Lease, e *types.Escrow, to int64) {
	if l.State != types.LeaseActive || to <= l.SettledHeight {
		return
	}
	n := math.NewInt(to - l.SettledHeight)
	if payable := e.Balance.Amount.Quo(l.Price.Amount); payable.LT(n) {
		n = payable
	}
	paid := l.Price.Amount.Mul(n)
	e.Balance.Amount = e.Balance.Amount.Sub(paid)
	l.Spent.Amount = l.Spent.Amount.Add(paid)
	l.SettledHeight = to
	e.SettledHeight = to
}

// Earned is what a lease has earned its provider: p - t for every block paid.
func Earned(l types.Lease) math.Int {
	if l.Price.Amount.IsZero() {
		return math.ZeroInt()
	}
	blocks := l.Spent.Amount.Quo(l.Price.Amount)
	return blocks.Mul(l.Price.Amount.Sub(l.Take.Amount))
}

// Withdrawable is what the provider has earned and not yet collected.
func Withdrawable(l types.Lease) math.Int {
	return Earned(l).Sub(l.Withdrawn.Amount)
}

// settledLease loads a lease and its escrow settled to `to` (not stored).
func (k Keeper) settledLease(ctx context.Context, id uint64, to int64) (types.Lease, types.Escrow, error) {
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return l, types.Escrow{}, err
	}
	e, err := k.GetEscrow(ctx, l.GroupId)
	if err != nil {
		return l, e, err
	}
	settle(&l, &e, to)
	return l, e, nil
}

func (k Keeper) saveLeaseAndEscrow(ctx context.Context, l types.Lease, e types.Escrow) error {
	if err := k.leases.Set(ctx, l.Id, l); err != nil {
		return err
	}
	return k.escrows.Set(ctx, e.GroupId, e)
}

// addTake puts a lease's take among the payers: from the next height when
// the lease was created at this height, at once otherwise.
func (k Keeper) addTake(ctx context.Context, l types.Lease) error {
	return k.changeTake(ctx, l, l.Take.Amount)
}

// removeTake takes a lease out of the payers.
func (k Keeper) removeTake(ctx context.Context, l types.Lease) error {
	return k.changeTake(ctx, l, l.Take.Amount.Neg())
}

func (k Keeper) changeTake(ctx context.Context, l types.Lease, delta math.Int) error {
	if delta.IsZero() {
		return nil
	}
	h := height(ctx)
	if l.CreatedHeight == h {
		cur, err := k.takeStarts.Get(ctx, h)
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return err
		}
		if err != nil {
			cur = math.ZeroInt()
		}
		if next := cur.Add(delta); next.IsZero() {
			return k.takeStarts.Remove(ctx, h)
		} else if err := k.takeStarts.Set(ctx, h, next); err != nil {
			return err
		}
		return k.noteDue(ctx, h+1)
	}
	cur, err := k.TakePerBlock(ctx)
	if err != nil {
		return err
	}
	return k.setTakePerBlock(ctx, cur.Add(delta))
}

// TakePerBlock is the take the community pool receives at the next EndBlock
// (leases created at this height excluded).
func (k Keeper) TakePerBlock(ctx context.Context) (math.Int, error) {
	v, err := k.takePerBlock.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return math.ZeroInt(), nil
	}
	return v, err
}

// setTakePerBlock stores the take, absent when zero: one state, one encoding
// (an import rebuilds the same bytes).
func (k Keeper) setTakePerBlock(ctx context.Context, v math.Int) error {
	if v.IsZero() {
		return k.takePerBlock.Remove(ctx)
	}
	return k.takePerBlock.Set(ctx, v)
}

// startTake runs first in a busy EndBlock h: the take of the leases
// created before h joins take_per_block (a lease first pays at c+1).
func (k Keeper) startTake(ctx context.Context, h int64) error {
	it, err := k.takeStarts.Iterate(ctx, new(collections.Range[int64]).EndExclusive(h))
	if err != nil {
		return err
	}
	kvs, err := it.KeyValues()
	if err != nil || len(kvs) == 0 {
		return err
	}
	total, err := k.TakePerBlock(ctx)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		total = total.Add(kv.Value)
		if err := k.takeStarts.Remove(ctx, kv.Key); err != nil {
			return err
		}
	}
	return k.setTakePerBlock(ctx, total)
}

// payTake moves the take of every paying lease to the community pool.
func (k Keeper) payTake(ctx context.Context) error {
	total, err := k.TakePerBlock(ctx)
	if err != nil || !total.IsPositive() {
		return err
	}
	return k.distr.FundCommunityPool(ctx, sdk.NewCoins(sdk.NewCoin(types.Denom, total)), k.account.GetModuleAddress(types.ModuleName))
}

// scheduleLease queues the next escrow event of a live lease: its
// exhaustion when ACTIVE, its close when INSUFFICIENT_FUNDS.
func (k Keeper) scheduleLease(ctx context.Context, l types.Lease, e types.Escrow) error {
	switch l.State {
	case types.LeaseActive:
		return k.enqueue(ctx, k.leaseExhaustQueue, exhaustionHeight(l, e), l.Id)
	case types.LeaseInsufficientFunds:
		return k.enqueue(ctx, k.leaseCloseQueue, l.SettledHeight+1, l.Id)
	}
	return nil
}

// unscheduleLease removes the queued event of a live lease; l and e must be
// as stored (or settled: settling does not move the exhaustion height).
func (k Keeper) unscheduleLease(ctx context.Context, l types.Lease, e types.Escrow) error {
	switch l.State {
	case types.LeaseActive:
		return k.leaseExhaustQueue.Remove(ctx, collections.Join(exhaustionHeight(l, e), l.Id))
	case types.LeaseInsufficientFunds:
		return k.leaseCloseQueue.Remove(ctx, collections.Join(l.SettledHeight+1, l.Id))
	}
	return nil
}
