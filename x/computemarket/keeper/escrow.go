package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
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
// per block. A lease pays in a window of heights [from, x]: from its first
// paid height to its exhaustion height. The window is known in advance, so
// its edges are booked as changes of take_per_block keyed by height
// (take_changes: +t at from, -t at x+1), one summed entry per height. The
// take therefore stays exact even when the lease's own state change is
// carried over to a later block (docs/adr/0003-per-block-item-limit.md).

// TakeOf is the protocol's share of one payment: floor(price*bps/10000).
// Prices are bounded by types.MaxAmount, so the product fits; the check
// keeps a corrupt or unbounded price from reaching a panic.
func TakeOf(price math.Int, takeRateBps uint32) (math.Int, error) {
	p, err := types.SafeMul("take of price", price, math.NewIntFromUint64(uint64(takeRateBps)))
	if err != nil {
		return math.Int{}, err
	}
	return p.QuoRaw(int64(types.MaxTakeRateBps)), nil
}

// neverExhausted stands for an exhaustion height beyond any real chain's
// life; it does not move when the lease is settled.
const neverExhausted int64 = 1 << 62

// exhaustionHeight is the last height an ACTIVE lease pays (SPEC rule 1);
// it becomes INSUFFICIENT_FUNDS at the end of that height.
func exhaustionHeight(l types.Lease, e types.Escrow) int64 {
	if !l.Price.Amount.IsPositive() {
		return neverExhausted // refused by genesis validation; never divide by it
	}
	n := e.Balance.Amount.Quo(l.Price.Amount)
	if !n.IsInt64() || n.Int64() >= neverExhausted-l.SettledHeight {
		return neverExhausted
	}
	return l.SettledHeight + n.Int64()
}

// settle applies the payments of the heights (s, to] to an ACTIVE lease and
// its escrow. It changes only the two values, the caller stores them.
//
// The arithmetic cannot overflow, so it is plain: paid <= the escrow's
// balance (n <= balance/price), and spent, earned and withdrawn never
// exceed what was deposited, which the bank's total supply bounds (every
// sum of deposits is checked on the way in, addToEscrow).
func settle(l *types.Lease, e *types.Escrow, to int64) {
	if l.State != types.LeaseActive || to <= l.SettledHeight || !l.Price.Amount.IsPositive() {
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
	if !l.Price.Amount.IsPositive() {
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

// payFrom is the first height whose EndBlock a live ACTIVE lease may still
// pay at, seen from a transaction at h: h itself, or c+1 for a lease
// created at h.
func payFrom(ctx context.Context, l types.Lease) int64 {
	return max(l.CreatedHeight+1, height(ctx))
}

// paidWindow is the span of heights a live lease pays its take over, as
// booked: from the block after its creation to its exhaustion height (for
// an INSUFFICIENT_FUNDS lease, the height it was settled through when it
// ran dry). A top-up that revived a lease left a gap in the past; only the
// part at and after the current height matters to the schedule, and there
// the window is exact. ok is false for a lease that never pays.
func paidWindow(l types.Lease, e types.Escrow) (from, last int64, ok bool) {
	from, last = l.CreatedHeight+1, l.SettledHeight
	if l.State == types.LeaseActive {
		last = exhaustionHeight(l, e)
	}
	return from, last, l.IsLive() && from <= last
}

// startPaying books the take of an ACTIVE lease from now to its exhaustion.
func (k Keeper) startPaying(ctx context.Context, l types.Lease, e types.Escrow) error {
	return k.bookWindow(ctx, l, e, l.Take.Amount)
}

// stopPaying removes the take of an ACTIVE lease from now on; e must give
// the same exhaustion height as when the window was booked (as stored, or
// settled: settling does not move it).
func (k Keeper) stopPaying(ctx context.Context, l types.Lease, e types.Escrow) error {
	return k.bookWindow(ctx, l, e, l.Take.Amount.Neg())
}

// bookWindow adds delta to take_per_block over [payFrom, x].
func (k Keeper) bookWindow(ctx context.Context, l types.Lease, e types.Escrow, delta math.Int) error {
	from, x := payFrom(ctx, l), exhaustionHeight(l, e)
	if from > x || delta.IsZero() {
		return nil
	}
	if err := k.changeTakeAt(ctx, from, delta); err != nil {
		return err
	}
	return k.changeTakeAt(ctx, x+1, delta.Neg())
}

// changeTakeAt adds delta to the take change booked at height at (the first
// EndBlock it applies to); a sum of zero leaves no entry.
func (k Keeper) changeTakeAt(ctx context.Context, at int64, delta math.Int) error {
	if at < height(ctx) {
		return errorsmod.Wrapf(types.ErrInvalidLeaseState, "take change at height %d, before the current height %d", at, height(ctx))
	}
	cur, err := k.takeChanges.Get(ctx, at)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		cur = math.ZeroInt()
	case err != nil:
		return err
	}
	next, err := types.SafeAdd("take change", cur, delta)
	if err != nil {
		return err
	}
	if next.IsZero() {
		return k.takeChanges.Remove(ctx, at)
	}
	if err := k.takeChanges.Set(ctx, at, next); err != nil {
		return err
	}
	return k.noteDue(ctx, at)
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

// applyTakeChanges runs first in a busy EndBlock h: the changes booked for
// heights up to h join take_per_block.
func (k Keeper) applyTakeChanges(ctx context.Context, h int64) error {
	it, err := k.takeChanges.Iterate(ctx, new(collections.Range[int64]).EndInclusive(h))
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
		if total, err = types.SafeAdd("take per block", total, kv.Value); err != nil {
			return err
		}
		if err := k.takeChanges.Remove(ctx, kv.Key); err != nil {
			return err
		}
	}
	if total.IsNegative() {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "take per block %s is negative at height %d", total, h)
	}
	return k.setTakePerBlock(ctx, total)
}

// payPastTake pays the community pool, at once, the take of the blocks a
// lease created as of an earlier height has already paid for (from its
// first paid height to the block before this one, or its exhaustion if
// sooner): those blocks' EndBlocks did not know of it. The escrow pays its
// price for them when the lease is next settled; the take part is in the
// pool now, as it would be had the item run on time.
func (k Keeper) payPastTake(ctx context.Context, l types.Lease, e types.Escrow) error {
	from, last := l.CreatedHeight+1, min(exhaustionHeight(l, e), height(ctx)-1)
	if from > last || !l.Take.Amount.IsPositive() {
		return nil
	}
	lump, err := types.SafeMul("past take", l.Take.Amount, math.NewInt(last-from+1))
	if err != nil {
		return err
	}
	return k.distr.FundCommunityPool(ctx, sdk.NewCoins(sdk.NewCoin(types.Denom, lump)), k.account.GetModuleAddress(types.ModuleName))
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
