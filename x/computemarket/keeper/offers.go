package keeper

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

type offerBookRef struct{ book types.OfferBook }

// SetOfferBook gives the matcher the order book (the app calls it once,
// after both keepers are built). Every copy of the keeper sees it.
func (k Keeper) SetOfferBook(b types.OfferBook) { k.offers.book = b }

// Bounds of the matcher's walk of the order book per auction.
const (
	maxOfferClasses   = 8
	maxOffersPerClass = 32
)

// offerCandidate is an offer that can serve a group, at the group's price.
type offerCandidate struct {
	offer obtypes.Offer
	units uint32
	price sdk.Coin // unit price x units, per block
}

// asBid is the candidate as the bid it would become, for the auction rule
// (price, then height, then provider).
func (c offerCandidate) asBid(groupID uint64) types.Bid {
	return types.Bid{GroupId: groupID, Provider: c.offer.Provider, Price: c.price, CreatedHeight: c.offer.PricedHeight,
		OfferId: c.offer.Id, OfferUnits: c.units, Deposit: sdk.NewCoin(types.Denom, math.ZeroInt())}
}

func resourcesOf(r types.Resources) obtypes.Resources {
	return obtypes.Resources{GPUCount: r.GPU.Count, GPUMemoryGB: r.GPU.MemoryGb, GPUClass: r.GPU.Class,
		CPUMillis: r.CpuMillis, MemoryMB: r.MemoryMb, StorageGB: r.StorageGb, Replicas: r.Replicas}
}

// bestOffer is the best offer for group g under the auction rule: it fits
// (obtypes.UnitsFor) with the units available, its price for the group is
// at most the group's max price, and its provider's audited attributes
// meet the group's requirements. Bounded: at most maxOfferClasses classes
// and maxOffersPerClass offers each.
func (k Keeper) bestOffer(ctx context.Context, g types.Group, whitelist []string) (offerCandidate, bool, error) {
	book := k.offers.book
	if book == nil {
		return offerCandidate{}, false, nil
	}
	need := resourcesOf(g.Spec.Resources)
	classes, err := book.FittingClasses(ctx, need.GPUCount, need.GPUClass, need.GPUMemoryGB, maxOfferClasses)
	if err != nil {
		return offerCandidate{}, false, err
	}
	maxPrice := g.Spec.MaxPrice.Amount
	wantedQty := math.NewIntFromUint64(wanted(g.Spec.Resources))
	var best offerCandidate
	found := false
	for _, class := range classes {
		err := book.WalkOffers(ctx, class, ^uint64(0), maxOffersPerClass, func(o obtypes.Offer) (bool, error) {
			// The walk is by normalised price: once even the fewest units
			// the group could need cost more than the best so far, no later
			// offer of the class can beat it.
			if found && lowestPrice(o, wantedQty).GT(best.price.Amount) {
				return true, nil
			}
			units, ok := obtypes.UnitsFor(o.Unit, need)
			if !ok || units > o.Available {
				return false, nil
			}
			price := o.Price.Amount.Mul(math.NewInt(int64(units)))
			if price.GT(maxPrice) {
				return false, nil
			}
			c := offerCandidate{offer: o, units: units, price: sdk.NewCoin(types.Denom, price)}
			if found && !better(c.asBid(g.Id), best.asBid(g.Id)) {
				return false, nil
			}
			eligible, err := k.isEligible(ctx, whitelist, o.Provider, g)
			if err != nil || !eligible {
				return false, err
			}
			best, found = c, true
			return false, nil
		})
		if err != nil {
			return offerCandidate{}, false, err
		}
	}
	return best, found, nil
}

// leaseFromOffer takes the candidate's units from its offer, records the
// trade in the market data, and makes the lease through a bid that stands
// for the offer (no deposit: the offer's deposit stands for it).
func (k Keeper) leaseFromOffer(ctx context.Context, g types.Group, c offerCandidate, at int64) (types.Lease, error) {
	book := k.offers.book
	if _, err := book.Fill(ctx, c.offer.Id, c.units, c.price.Amount); err != nil {
		return types.Lease{}, err
	}
	id, err := nextID(ctx, k.bidSeq)
	if err != nil {
		return types.Lease{}, err
	}
	// createLease stores the bid, ACTIVE: one write.
	bid := c.asBid(g.Id)
	bid.Id, bid.State, bid.CreatedHeight = id, types.BidOpen, at
	if err := emit(ctx, &types.EventBidCreated{Id: bid.Id, GroupId: g.Id, Provider: bid.Provider, Price: bid.Price, Deposit: bid.Deposit}); err != nil {
		return types.Lease{}, err
	}
	return k.createLease(ctx, g, bid, at)
}

// releaseOffer gives an offer back the units a closed lease held; the
// resting buys may now take them (OfferPriced).
func (k Keeper) releaseOffer(ctx context.Context, bid types.Bid) error {
	if bid.OfferId == 0 || bid.OfferUnits == 0 || k.offers.book == nil {
		return nil
	}
	if err := k.offers.book.Release(ctx, bid.OfferId, bid.OfferUnits); err != nil {
		return err
	}
	return k.OfferPriced(ctx, bid.OfferId)
}

// newBuyMatch matches a market or limit buy in the transaction that
// creates it (SPEC section 12), before the group is stored: the best
// eligible offer at or below its max price wins and the lease is made now
// (the group's first write is MATCHED). matched is false, and nothing is
// written, when no offer serves it.
func (k Keeper) newBuyMatch(ctx context.Context, params types.Params, g types.Group) (matched bool, err error) {
	offer, ok, err := k.bestOffer(ctx, g, params.AuditorWhitelist)
	if err != nil || !ok {
		return false, err
	}
	g.State = types.GroupStateUnspecified // not stored yet: no queue or buy-side entry to remove
	_, err = k.leaseFromOffer(ctx, g, offer, height(ctx))
	return err == nil, err
}

// lowestPrice is a lower bound of what any group wanting qty GPUs (or CPU
// millis) pays for offer o: its normalised price x qty / scale (a group
// needs at least qty / per-unit units).
func lowestPrice(o obtypes.Offer, qty math.Int) math.Int {
	return math.NewIntFromUint64(o.Unit.NormPrice(o.Price.Amount)).Mul(qty).QuoRaw(int64(o.Unit.Scale())) //nolint:gosec // scale is 1 or 1000
}

// recordBidTrade puts a lease made from a bid (an auction's, a first
// accept's or one the tenant took) into the order book's market data, in
// the class the group asked for: gpu:<class>:<memory> when it names a GPU
// class, cpu when it has no GPUs (a group that names no GPU class has no
// class to report under). Market data never blocks a trade: one it cannot
// take is logged.
func (k Keeper) recordBidTrade(ctx context.Context, g types.Group, bid types.Bid) {
	book := k.offers.book
	r := g.Spec.Resources
	if book == nil || (r.GPU.Count > 0 && r.GPU.Class == "") {
		return
	}
	class := obtypes.ClassCPU
	if r.GPU.Count > 0 {
		class = obtypes.ResourceUnit{Gpus: 1, GpuClass: r.GPU.Class, GpuMemoryGb: r.GPU.MemoryGb}.Class()
	}
	qty := wanted(r)
	if qty == 0 {
		return
	}
	if err := book.RecordTrade(ctx, class, bid.Price.Amount, qty); err != nil {
		sdk.UnwrapSDKContext(ctx).Logger().Error("market data: bid trade not recorded", "bid", bid.Id, "class", class, "err", err)
	}
}
