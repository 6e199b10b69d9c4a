package keeper

import (
	"context"
	"errors"
	"math"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// The buy side of the order book (SPEC section 12, ADR 0007): every
// ORDERED group is a resting limit buy at its max_price. A limit buy
// (order: limit) rests from creation until its expires_at; a group whose
// auction found nothing rests with no expiry. A resting buy is matched by
// the first eligible bid at or below its max price (CreateBid), or by an
// offer that is created, becomes cheaper or gains units: the order book
// tells OfferPriced, and EndBlock walks the buys that offer can serve,
// highest normalised limit first, then the earliest rested, then the
// lowest group id (price-time priority), at most maxOfferScansPerBlock
// offers and maxRestingVisits buys each per block; a scan that did not
// finish resumes where it stopped in the next block.

// RestKey orders the resting buys: (family, rank, rested height, group id),
// rank = 2^64-1 - the normalised limit (obtypes.NormLimit).
type RestKey = collections.Quad[string, uint64, int64, uint64]

// Bounds of the offer scans per block.
const (
	maxOfferScansPerBlock = 16
	maxRestingVisits      = 32
	// maxRestingCount is where RestingBuys stops counting.
	maxRestingCount = 10_000
	// maxRestingBookScan bounds the buys the order-book query reads.
	maxRestingBookScan = 1000
)

func restKeyOf(g types.Group) RestKey {
	need := resourcesOf(g.Spec.Resources)
	return collections.Join4(need.Family(), math.MaxUint64-obtypes.NormLimit(g.Spec.MaxPrice.Amount, need), g.AuctionEnd, g.Id)
}

func restCountKeyOf(g types.Group) collections.Pair[string, uint32] {
	return collections.Join(resourcesOf(g.Spec.Resources).Family(), g.Spec.Resources.GPU.MemoryGb)
}

// isLimitBuy reports whether a group is an order: limit buy (it expires).
func isLimitBuy(g types.Group) bool { return g.Spec.Order == types.OrderLimit && g.Spec.ExpiresAt > 0 }

// rest puts a group that just became ORDERED (and is stored so) on the
// buy side: the resting index, its family's count and, for a limit buy,
// the expiry queue.
func (k Keeper) rest(ctx context.Context, g types.Group) error {
	if err := k.resting.Set(ctx, restKeyOf(g)); err != nil {
		return err
	}
	if err := k.addRestingCount(ctx, restCountKeyOf(g), 1); err != nil {
		return err
	}
	if isLimitBuy(g) {
		return k.enqueue(ctx, k.orderExpiryQueue, g.Spec.ExpiresAt, g.Id)
	}
	return nil
}

// unrest takes a group that leaves ORDERED off the buy side.
func (k Keeper) unrest(ctx context.Context, g types.Group) error {
	if err := k.resting.Remove(ctx, restKeyOf(g)); err != nil {
		return err
	}
	if err := k.addRestingCount(ctx, restCountKeyOf(g), -1); err != nil {
		return err
	}
	if isLimitBuy(g) {
		return k.orderExpiryQueue.Remove(ctx, collections.Join(g.Spec.ExpiresAt, g.Id))
	}
	return nil
}

func (k Keeper) addRestingCount(ctx context.Context, key collections.Pair[string, uint32], delta int64) error {
	n, err := k.restingCount.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	switch {
	case delta < 0 && n < uint64(-delta):
		return errorsmod.Wrapf(types.ErrInvariantBroken, "resting buys of %s/%d would go below zero", key.K1(), key.K2())
	case delta < 0:
		n -= uint64(-delta)
	default:
		n += uint64(delta)
	}
	if n == 0 {
		return k.restingCount.Remove(ctx, key)
	}
	return k.restingCount.Set(ctx, key, n)
}

// expireOrder closes a resting limit buy at its expires_at: the escrow
// returns to the owner (closeGroup).
func (k Keeper) expireOrder(ctx context.Context, id uint64, due int64) error {
	g, err := k.GetGroup(ctx, id)
	if err != nil {
		return err
	}
	if g.State != types.GroupOrdered || !isLimitBuy(g) || g.Spec.ExpiresAt != due {
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d due to expire at %d is %s (order %s, expires_at %d)", id, due, g.State, g.Spec.Order, g.Spec.ExpiresAt)
	}
	if err := emit(ctx, &types.EventLimitOrderExpired{Id: g.Id, DeploymentId: g.DeploymentId, ExpiresAt: due}); err != nil {
		return err
	}
	return k.closeGroup(ctx, g, types.CloseReasonGroupClosed)
}

// OfferPriced is x/orderbook's notice that an open offer was created,
// became cheaper or gained units: its scan of the resting buys is queued
// for EndBlock (one write; a second notice in the same block is the same
// entry, restarted).
func (k Keeper) OfferPriced(ctx context.Context, offerID uint64) error {
	h := height(ctx)
	return k.offerScans.Set(ctx, collections.Join(h, offerID), types.OfferScan{OfferId: offerID, QueuedHeight: h})
}

// matchOffers runs up to maxOfferScansPerBlock queued offer scans, oldest
// first. A scan that ends (the offer is sold out, closed, or no resting
// buy is left that it can serve) leaves the queue; one that reached
// maxRestingVisits stays with its cursor. A failed scan is set aside like
// any scheduled item.
func (k Keeper) matchOffers(ctx context.Context) error {
	if k.offers.book == nil {
		return nil
	}
	it, err := k.offerScans.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	kvs, err := collectKVs(it, maxOfferScansPerBlock)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		key, scan := kv.Key, kv.Value
		err := k.runItem(ctx, types.QueueOfferMatch, scan.OfferId, scan.QueuedHeight, func(ctx context.Context) error {
			done, next, err := k.scanOffer(ctx, scan)
			if err != nil {
				return err
			}
			if done {
				return k.offerScans.Remove(ctx, key)
			}
			return k.offerScans.Set(ctx, key, next)
		})
		if err != nil {
			return err
		}
		// a failed scan's changes are gone; its entry goes too
		if has, err := k.failedItems.Has(ctx, collections.Join(int32(types.QueueOfferMatch), scan.OfferId)); err != nil {
			return err
		} else if has {
			if err := k.offerScans.Remove(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

func collectKVs[K, V any](it collections.Iterator[K, V], limit int) ([]collections.KeyValue[K, V], error) {
	defer func() { _ = it.Close() }()
	var out []collections.KeyValue[K, V]
	for ; it.Valid() && len(out) < limit; it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return nil, err
		}
		out = append(out, kv)
	}
	return out, nil
}

// restEntry is a resting buy's key as plain values.
type restEntry struct {
	rank   uint64
	height int64
	group  uint64
}

func (a restEntry) less(b restEntry) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.height != b.height {
		return a.height < b.height
	}
	return a.group < b.group
}

// restingAfter lists up to limit resting buys of the families with rank
// at most maxRank, after the cursor (from the start when !started), in
// priority order.
func (k Keeper) restingAfter(ctx context.Context, families []string, maxRank uint64, started bool, after restEntry, limit int) ([]restEntry, error) {
	var out []restEntry
	for _, f := range families {
		r := new(collections.Range[RestKey]).EndInclusive(collections.Join4(f, maxRank, int64(math.MaxInt64), uint64(math.MaxUint64)))
		if started {
			r = r.StartExclusive(collections.Join4(f, after.rank, after.height, after.group))
		} else {
			r = r.StartInclusive(collections.Join4(f, uint64(0), int64(math.MinInt64), uint64(0)))
		}
		it, err := k.resting.Iterate(ctx, r)
		if err != nil {
			return nil, err
		}
		for n := 0; it.Valid() && n < limit; it.Next() {
			key, err := it.Key()
			if err != nil {
				_ = it.Close()
				return nil, err
			}
			out = append(out, restEntry{key.K2(), key.K3(), key.K4()})
			n++
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b restEntry) int {
		switch {
		case a.less(b):
			return -1
		case b.less(a):
			return 1
		}
		return 0
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// scanOffer walks the resting buys an offer can serve, in priority order,
// from where its scan stopped, and matches each that fits the units left,
// at the offer's price for it within its max price, with a provider that
// meets its requirements. done: nothing is left for this offer.
func (k Keeper) scanOffer(ctx context.Context, scan types.OfferScan) (done bool, next types.OfferScan, err error) {
	book := k.offers.book
	o, err := book.GetOffer(ctx, scan.OfferId)
	if err != nil {
		return false, scan, err
	}
	if o.State != obtypes.OfferOpen || o.Available == 0 {
		return true, scan, nil
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return false, scan, err
	}
	maxRank := math.MaxUint64 - o.Unit.NormPrice(o.Price.Amount)
	after := restEntry{scan.AfterRank, scan.AfterHeight, scan.AfterGroup}
	entries, err := k.restingAfter(ctx, o.Unit.Families(), maxRank, scan.Started, after, maxRestingVisits)
	if err != nil {
		return false, scan, err
	}
	for _, e := range entries {
		scan.Started, scan.AfterRank, scan.AfterHeight, scan.AfterGroup = true, e.rank, e.height, e.group
		matched, err := k.matchResting(ctx, params, o, e.group)
		if err != nil {
			return false, scan, err
		}
		if !matched {
			continue
		}
		if o, err = book.GetOffer(ctx, o.Id); err != nil {
			return false, scan, err
		}
		if o.Available == 0 {
			return true, scan, nil
		}
	}
	return len(entries) < maxRestingVisits, scan, nil
}

// matchResting matches resting group id to offer o if the offer can serve
// it now. The lease is made in its own cached context: a group that cannot
// be matched (a bug or a broken object) is logged and passed over, and the
// offer goes on to the next buy.
func (k Keeper) matchResting(ctx context.Context, params types.Params, o obtypes.Offer, id uint64) (bool, error) {
	g, err := k.GetGroup(ctx, id)
	if err != nil {
		return false, err
	}
	if g.State != types.GroupOrdered {
		return false, errorsmod.Wrapf(types.ErrInvariantBroken, "resting group %d is %s", id, g.State)
	}
	c, ok := candidateFor(o, g)
	if !ok {
		return false, nil
	}
	eligible, err := k.isEligible(ctx, params.AuditorWhitelist, o.Provider, g)
	if err != nil || !eligible {
		return false, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cctx, write := sdkCtx.CacheContext()
	if err := recovered(func() error { _, err := k.leaseFromOffer(cctx, g, c, height(ctx)); return err }); err != nil {
		k.Logger(sdkCtx).Error("resting buy not matched", "group", id, "offer", o.Id, "err", err)
		return false, nil
	}
	write()
	return true, nil
}

// candidateFor is offer o as group g would buy it: the units it needs
// (UnitsFor), available, at unit price x units within its max price.
func candidateFor(o obtypes.Offer, g types.Group) (offerCandidate, bool) {
	units, ok := obtypes.UnitsFor(o.Unit, resourcesOf(g.Spec.Resources))
	if !ok || units > o.Available {
		return offerCandidate{}, false
	}
	price := o.Price.Amount.Mul(sdkmath.NewInt(int64(units)))
	if price.GT(g.Spec.MaxPrice.Amount) {
		return offerCandidate{}, false
	}
	return offerCandidate{offer: o, units: units, price: sdk.NewCoin(types.Denom, price)}, true
}

// RestingBuys are the resting buys a unit of class can serve by GPU class
// and memory, in levels of one normalised limit, highest first (depth
// levels at most, reading at most maxRestingBookScan buys), and their
// count up to maxRestingCount. For the order-book and market queries.
func (k Keeper) RestingBuys(ctx context.Context, class string, depth int) ([]obtypes.BuyLevel, uint64, error) {
	gpuClass, memory, err := obtypes.ParseClass(class)
	if err != nil {
		return nil, 0, err // the order book's queries check the class first
	}
	families := []string{obtypes.ClassCPU}
	if class != obtypes.ClassCPU {
		families = []string{"gpu:" + gpuClass, "gpu:"}
	}
	var count uint64
	for _, f := range families {
		it, err := k.restingCount.Iterate(ctx, new(collections.Range[collections.Pair[string, uint32]]).
			StartInclusive(collections.Join(f, uint32(0))).EndInclusive(collections.Join(f, memory)))
		if err != nil {
			return nil, 0, err
		}
		for scanned := 0; it.Valid() && count < maxRestingCount && scanned < maxRestingBookScan; it.Next() {
			n, err := it.Value()
			if err != nil {
				_ = it.Close()
				return nil, 0, err
			}
			count += n
			scanned++
		}
		if err := it.Close(); err != nil {
			return nil, 0, err
		}
	}
	count = min(count, maxRestingCount)
	if depth <= 0 {
		return nil, count, nil
	}
	entries, err := k.restingAfter(ctx, families, math.MaxUint64, false, restEntry{}, maxRestingBookScan)
	if err != nil {
		return nil, 0, err
	}
	var levels []obtypes.BuyLevel
	for _, e := range entries {
		g, err := k.GetGroup(ctx, e.group)
		if err != nil {
			return nil, 0, err
		}
		if g.Spec.Resources.GPU.MemoryGb > memory {
			continue
		}
		limit := sdk.NewCoin(types.Denom, sdkmath.NewIntFromUint64(math.MaxUint64-e.rank))
		quantity := wanted(g.Spec.Resources)
		if n := len(levels); n > 0 && levels[n-1].Limit.Equal(limit) {
			levels[n-1].Orders++
			levels[n-1].Quantity += quantity
			continue
		}
		if len(levels) == depth {
			break
		}
		levels = append(levels, obtypes.BuyLevel{Limit: limit, Orders: 1, Quantity: quantity})
	}
	return levels, count, nil
}

// wanted is what a group asks of its class's normalisation unit: GPUs, or
// CPU millis, over all replicas, saturating at 2^64-1 (cpu_millis is not
// bounded). It only ever serves as a lower bound of units bought or as a
// quantity: saturation keeps both safe.
func wanted(r types.Resources) uint64 {
	replicas := uint64(max(r.Replicas, 1))
	if r.GPU.Count > 0 {
		return uint64(r.GPU.Count) * replicas
	}
	if r.CpuMillis > math.MaxUint64/replicas {
		return math.MaxUint64
	}
	return r.CpuMillis * replicas
}
