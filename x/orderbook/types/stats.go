package types

import (
	"errors"
	"fmt"

	sdkmath "cosmossdk.io/math"
)

// Trade is one match, as market data records it: notional = price per
// block per unit x units (udait per block), quantity = the units in the
// class's normalisation unit (GPUs, or CPU millis).
type Trade struct {
	Height   int64
	Notional sdkmath.Int
	Quantity uint64
}

// ErrStats is returned by Record for a trade it cannot take (it changes
// nothing then).
var ErrStats = errors.New("market data")

// normalised is a trade's price per normalisation unit: notional x scale /
// quantity (floor).
func normalised(notional sdkmath.Int, quantity, scale uint64) (sdkmath.Int, error) {
	if quantity == 0 {
		return sdkmath.Int{}, fmt.Errorf("%w: zero quantity", ErrStats)
	}
	n, err := notional.SafeMul(sdkmath.NewIntFromUint64(scale))
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("%w: %v", ErrStats, err)
	}
	return n.Quo(sdkmath.NewIntFromUint64(quantity)), nil
}

// Record adds a trade in O(1): to the head bucket when the trade's height
// falls in it, else to a fresh bucket that replaces the oldest of a ring
// of ring buckets. Heights never go back; a trade below the head bucket
// is refused. On error nothing changes. It works on the whole ring in
// Buckets (genesis, tests); the keeper stores the buckets apart and uses
// RecordHead.
func (s *MarketStats) Record(t Trade, bucketBlocks int64, ring uint32) error {
	if ring == 0 {
		return fmt.Errorf("%w: bucket_blocks and the ring size must be positive", ErrStats)
	}
	view := *s
	if uint32(len(view.Buckets)) != ring { // first trade, or the ring was resized by params
		view.Buckets = view.Relayout(ring)
		view.Head = 0
	} else {
		view.Buckets = append([]Bucket(nil), view.Buckets...)
	}
	view.Ring = ring
	b, head, err := view.RecordHead(view.Buckets[view.Head], t, bucketBlocks)
	if err != nil {
		return err
	}
	view.Buckets[head] = b
	*s = view
	return nil
}

// Relayout is the ring resized to ring buckets: the head bucket first, the
// rest empty.
func (s MarketStats) Relayout(ring uint32) []Bucket {
	buckets := make([]Bucket, 0, ring)
	if h := s.current(); h != nil {
		buckets = append(buckets, *h)
	}
	for uint32(len(buckets)) < ring {
		buckets = append(buckets, EmptyBucket())
	}
	return buckets
}

// RecordHead applies a trade to the header and to the head bucket b (the
// bucket at Head, EmptyBucket when there is none) of a ring of s.Ring
// buckets: it returns the bucket to store and its slot, Head or the next
// one. On error s is unchanged.
func (s *MarketStats) RecordHead(b Bucket, t Trade, bucketBlocks int64) (Bucket, uint32, error) {
	if bucketBlocks <= 0 || s.Ring == 0 || s.Head >= s.Ring {
		return b, 0, fmt.Errorf("%w: bucket_blocks and the ring size must be positive", ErrStats)
	}
	if t.Height < 0 || t.Notional.IsNil() || t.Notional.IsNegative() {
		return b, 0, fmt.Errorf("%w: bad trade", ErrStats)
	}
	price, err := normalised(t.Notional, t.Quantity, ScaleOf(s.Class))
	if err != nil {
		return b, 0, err
	}
	start := t.Height - t.Height%bucketBlocks
	head := s.Head
	switch {
	case b.StartHeight == start:
	case b.StartHeight < start:
		if b.StartHeight >= 0 {
			head = (head + 1) % s.Ring
		}
		b = emptyBucket(start)
	default:
		return b, 0, fmt.Errorf("%w: trade at height %d is before the head bucket (%d)", ErrStats, t.Height, b.StartHeight)
	}
	notional, err := b.Notional.SafeAdd(t.Notional)
	if err != nil {
		return b, 0, fmt.Errorf("%w: %v", ErrStats, err)
	}
	if b.Units > ^uint64(0)-t.Quantity || s.TotalUnits > ^uint64(0)-t.Quantity {
		return b, 0, fmt.Errorf("%w: volume overflows", ErrStats)
	}
	b.Notional = notional
	b.Units += t.Quantity
	b.Trades++
	if b.Trades == 1 || price.LT(b.MinPrice) {
		b.MinPrice = price
	}
	if b.Trades == 1 || price.GT(b.MaxPrice) {
		b.MaxPrice = price
	}
	s.Head = head
	s.LastPrice, s.LastHeight = price, t.Height
	s.TotalTrades++
	s.TotalUnits += t.Quantity
	return b, head, nil
}

// EmptyBucket is a ring slot that holds no bucket yet.
func EmptyBucket() Bucket { return emptyBucket(-1) }

func emptyBucket(start int64) Bucket {
	return Bucket{StartHeight: start, Notional: sdkmath.ZeroInt(), MinPrice: sdkmath.ZeroInt(), MaxPrice: sdkmath.ZeroInt()}
}

// current is the head bucket, nil when there is none.
func (s *MarketStats) current() *Bucket {
	if int(s.Head) >= len(s.Buckets) || s.Buckets[s.Head].StartHeight < 0 {
		return nil
	}
	b := s.Buckets[s.Head]
	return &b
}

// Summary is the market data over a window of heights.
type Summary struct {
	Last       sdkmath.Int
	LastHeight int64
	// VWAP is sum(notional) x scale / sum(quantity) over the window's
	// trades (floor); zero without trades.
	VWAP     sdkmath.Int
	Min, Max sdkmath.Int
	Trades   uint64
	Quantity uint64
}

// Summarise reads the buckets that start within the last window heights
// before and at height (a bucket counts whole once it starts in the
// window). It reads at most the ring's buckets.
func (s MarketStats) Summarise(height, window int64) Summary {
	out := Summary{Last: s.LastPrice, LastHeight: s.LastHeight, VWAP: sdkmath.ZeroInt(), Min: sdkmath.ZeroInt(), Max: sdkmath.ZeroInt()}
	if out.Last.IsNil() {
		out.Last = sdkmath.ZeroInt()
	}
	notional := sdkmath.ZeroInt()
	for _, b := range s.Buckets {
		if b.StartHeight < 0 || b.Trades == 0 || b.StartHeight <= height-window || b.StartHeight > height {
			continue
		}
		sum, err := notional.SafeAdd(b.Notional)
		if err != nil || out.Quantity > ^uint64(0)-b.Units {
			continue // cannot happen for recorded buckets; skip rather than halt
		}
		notional = sum
		if out.Trades == 0 || b.MinPrice.LT(out.Min) {
			out.Min = b.MinPrice
		}
		if out.Trades == 0 || b.MaxPrice.GT(out.Max) {
			out.Max = b.MaxPrice
		}
		out.Trades += b.Trades
		out.Quantity += b.Units
	}
	if out.Quantity > 0 {
		if v, err := normalised(notional, out.Quantity, ScaleOf(s.Class)); err == nil {
			out.VWAP = v
		}
	}
	return out
}

// History is the ring's buckets with trades, oldest first.
func (s MarketStats) History() []Bucket {
	n := uint32(len(s.Buckets))
	var out []Bucket
	for i := uint32(1); i <= n; i++ {
		b := s.Buckets[(s.Head+i)%n]
		if b.StartHeight >= 0 && b.Trades > 0 {
			out = append(out, b)
		}
	}
	return out
}

// AddOpenInterest changes the class's open interest by offers offers and
// units units; it refuses to go below zero or past the counters' range.
func (s *MarketStats) AddOpenInterest(offers int32, units int64) error {
	no := int64(s.OpenOffers) + int64(offers)
	nu := int64(s.OpenUnits) + units //nolint:gosec // open units are bounded by offers x max capacity
	if no < 0 || nu < 0 || no > int64(^uint32(0)) {
		return fmt.Errorf("open interest would be %d offers, %d units", no, nu)
	}
	s.OpenOffers, s.OpenUnits = uint32(no), uint64(nu)
	return nil
}
