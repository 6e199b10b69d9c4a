// Package keeper is x/orderbook's state machine: offers, the book index,
// expiries and market data (ADR 0007). It never panics on input: every
// refusal is a registered error and changes nothing.
package keeper

import (
	"context"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// BookKey orders a class's open offers: (class, normalised unit price
// (ResourceUnit.NormPrice), priced height, offer id): ascending price per
// GPU (or per 1000 CPU millis), then time, then id.
type BookKey = collections.Quad[string, uint64, int64, uint64]

// Keeper holds all state of x/orderbook.
type Keeper struct {
	addressCodec address.Codec
	authority    string
	bank         types.BankKeeper
	matcher      types.MarketKeeper

	Schema collections.Schema

	params   collections.Item[types.Params]
	offerSeq collections.Sequence
	// key: offer id | value: Offer (open and closed)
	offers collections.Map[uint64, types.Offer]
	// the OPEN offers with units available
	book collections.KeySet[BookKey]
	// key: (provider, offer id) | a provider's OPEN offers
	byProvider collections.KeySet[collections.Pair[sdk.AccAddress, uint64]]
	// key: (height, offer id) | OPEN offers that expire at that height
	expiry collections.KeySet[collections.Pair[int64, uint64]]
	// key: class | value: its market data header and open interest (the
	// ring's buckets are apart, below)
	markets collections.Map[string, types.MarketStats]
	// key: (class, slot) | value: a bucket of the class's ring (an absent
	// slot is empty)
	buckets collections.Map[collections.Pair[string, uint32], types.Bucket]
}

// NewKeeper builds the keeper; authority may change the params.
func NewKeeper(cdc codec.BinaryCodec, ac address.Codec, ss store.KVStoreService, authority string,
	bank types.BankKeeper, market types.MarketKeeper,
) Keeper {
	sb := collections.NewSchemaBuilder(ss)
	k := Keeper{
		addressCodec: ac, authority: authority, bank: bank, matcher: market,
		params:   collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		offerSeq: collections.NewSequence(sb, types.OfferSeqKey, "offer_seq"),
		offers:   collections.NewMap(sb, types.OffersKey, "offers", collections.Uint64Key, codec.CollValue[types.Offer](cdc)),
		book: collections.NewKeySet(sb, types.BookKey, "book",
			collections.QuadKeyCodec(collections.StringKey, collections.Uint64Key, collections.Int64Key, collections.Uint64Key)),
		byProvider: collections.NewKeySet(sb, types.ByProviderKey, "by_provider",
			collections.PairKeyCodec(sdk.AccAddressKey, collections.Uint64Key)),
		expiry:  collections.NewKeySet(sb, types.ExpiryKey, "expiry", collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)),
		markets: collections.NewMap(sb, types.MarketsKey, "markets", collections.StringKey, codec.CollValue[types.MarketStats](cdc)),
		buckets: collections.NewMap(sb, types.BucketsKey, "buckets",
			collections.PairKeyCodec(collections.StringKey, collections.Uint32Key), codec.CollValue[types.Bucket](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("orderbook schema: %w", err)) // a programming error, at start
	}
	k.Schema = schema
	return k
}

// Authority is the params authority.
func (k Keeper) Authority() string { return k.authority }

// GetParams returns the params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.params.Get(ctx) }

// SetParams validates and stores the params.
func (k Keeper) SetParams(ctx context.Context, p types.Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return k.params.Set(ctx, p)
}

// GetOffer returns an offer.
func (k Keeper) GetOffer(ctx context.Context, id uint64) (types.Offer, error) {
	o, err := k.offers.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return o, errorsmod.Wrapf(types.ErrOfferNotFound, "offer %d", id)
	}
	return o, err
}

func bookKey(o types.Offer) BookKey {
	return collections.Join4(o.Unit.Class(), o.Unit.NormPrice(o.Price.Amount), o.PricedHeight, o.Id)
}

// market reads a class's market data header (no buckets), empty when it
// has none yet: one small read, whatever the ring's size.
func (k Keeper) market(ctx context.Context, class string) (types.MarketStats, error) {
	m, err := k.markets.Get(ctx, class)
	if errors.Is(err, collections.ErrNotFound) {
		return types.MarketStats{Class: class, LastPrice: math.ZeroInt()}, nil
	}
	return m, err
}

// fullMarket is a class's market data with its whole ring (queries,
// export): the header and its ring's slots, empty ones filled in.
func (k Keeper) fullMarket(ctx context.Context, class string) (types.MarketStats, error) {
	m, err := k.market(ctx, class)
	if err != nil || m.Ring == 0 {
		return m, err
	}
	m.Buckets = make([]types.Bucket, m.Ring)
	for i := range m.Buckets {
		m.Buckets[i] = types.EmptyBucket()
	}
	it, err := k.buckets.Iterate(ctx, collections.NewPrefixedPairRange[string, uint32](class))
	if err != nil {
		return m, err
	}
	defer func() { _ = it.Close() }()
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return m, err
		}
		if slot := kv.Key.K2(); slot < m.Ring {
			m.Buckets[slot] = kv.Value
		}
	}
	return m, nil
}

// putMarket stores market data that carries its whole ring: the header,
// and each slot (empty slots and slots past the ring removed).
func (k Keeper) putMarket(ctx context.Context, m types.MarketStats) error {
	buckets := m.Buckets
	m.Buckets, m.Ring = nil, uint32(len(buckets)) //nolint:gosec // a ring has at most 1024 buckets (params)
	it, err := k.buckets.Iterate(ctx, collections.NewPrefixedPairRange[string, uint32](m.Class))
	if err != nil {
		return err
	}
	keys, err := it.Keys()
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := k.buckets.Remove(ctx, key); err != nil {
			return err
		}
	}
	for i, b := range buckets {
		if b.StartHeight >= 0 {
			if err := k.buckets.Set(ctx, collections.Join(m.Class, uint32(i)), b); err != nil { //nolint:gosec // bounded just above
				return err
			}
		}
	}
	return k.markets.Set(ctx, m.Class, m)
}

// record adds a trade to a class's market data: on the header m (which the
// caller stores) and the one bucket it falls in, written here. Only the
// first trade of a class, or one after history_buckets changed, lays the
// ring out again (bounded by the ring's size).
func (k Keeper) record(ctx context.Context, m *types.MarketStats, t types.Trade, p types.Params) error {
	if m.Ring != p.HistoryBuckets {
		full, err := k.fullMarket(ctx, m.Class)
		if err != nil {
			return err
		}
		full.OpenOffers, full.OpenUnits = m.OpenOffers, m.OpenUnits
		if err := full.Record(t, p.BucketBlocks, p.HistoryBuckets); err != nil {
			return err
		}
		if err := k.putMarket(ctx, full); err != nil {
			return err
		}
		full.Buckets = nil
		*m = full
		return nil
	}
	b, err := k.buckets.Get(ctx, collections.Join(m.Class, m.Head))
	switch {
	case errors.Is(err, collections.ErrNotFound):
		b = types.EmptyBucket()
	case err != nil:
		return err
	}
	next := *m
	nb, slot, err := next.RecordHead(b, t, p.BucketBlocks)
	if err != nil {
		return err
	}
	if err := k.buckets.Set(ctx, collections.Join(m.Class, slot), nb); err != nil {
		return err
	}
	*m = next
	return nil
}

// index puts an OPEN offer with units available in the book and counts it
// in its class's open interest; unindex undoes it. Both run on the offer
// as stored.
func (k Keeper) index(ctx context.Context, o types.Offer) error {
	if !booked(o) {
		return nil
	}
	if err := k.book.Set(ctx, bookKey(o)); err != nil {
		return err
	}
	return k.openInterest(ctx, o.Unit.Class(), 1, int64(o.Available))
}

func (k Keeper) unindex(ctx context.Context, o types.Offer) error {
	if !booked(o) {
		return nil
	}
	if err := k.book.Remove(ctx, bookKey(o)); err != nil {
		return err
	}
	return k.openInterest(ctx, o.Unit.Class(), -1, -int64(o.Available))
}

func (k Keeper) openInterest(ctx context.Context, class string, offers int32, units int64) error {
	m, err := k.market(ctx, class)
	if err != nil {
		return err
	}
	if err := m.AddOpenInterest(offers, units); err != nil {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "%s: %v", class, err)
	}
	return k.markets.Set(ctx, class, m)
}

// replace stores o in place of old, keeping the indexes right. An offer
// that stays in the book under the same key (a capacity change) costs one
// write of the offer and one of its class's open interest.
func (k Keeper) replace(ctx context.Context, old, o types.Offer) error {
	if booked(old) && booked(o) && sameBookKey(old, o) {
		if err := k.offers.Set(ctx, o.Id, o); err != nil {
			return err
		}
		if o.Available == old.Available {
			return nil
		}
		return k.openInterest(ctx, o.Unit.Class(), 0, int64(o.Available)-int64(old.Available))
	}
	if err := k.unindex(ctx, old); err != nil {
		return err
	}
	if err := k.offers.Set(ctx, o.Id, o); err != nil {
		return err
	}
	return k.index(ctx, o)
}

// booked reports whether an offer is in the book (OPEN with units).
func booked(o types.Offer) bool { return o.State == types.OfferOpen && o.Available > 0 }

func sameBookKey(a, b types.Offer) bool {
	ka, kb := bookKey(a), bookKey(b)
	return ka.K1() == kb.K1() && ka.K2() == kb.K2() && ka.K3() == kb.K3() && ka.K4() == kb.K4()
}

func emit(ctx context.Context, ev proto.Message) error {
	return sdk.UnwrapSDKContext(ctx).EventManager().EmitTypedEvent(ev)
}
