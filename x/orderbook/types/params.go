package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// OneDait is 10^6 udait.
const OneDait = 1_000_000

// Defaults (ADR 0007).
const (
	DefaultMaxOffersPerProvider uint32 = 64
	DefaultMaxOfferCapacity     uint32 = 4096
	DefaultBucketBlocks         int64  = 100
	DefaultHistoryBuckets       uint32 = 96
	DefaultVWAPWindowBuckets    uint32 = 24

	// Upper bounds a params change may not pass: every per-block or
	// per-query walk stays bounded.
	MaxHistoryBuckets   uint32 = 1024
	MaxOffersCap        uint32 = 1024
	MaxOfferCapacityCap uint32 = 1 << 20
)

// DefaultOfferDeposit is 100 DAIT, as a bid's minimum deposit.
func DefaultOfferDeposit() sdk.Coin { return sdk.NewCoin(Denom, math.NewInt(100*OneDait)) }

// DefaultParams are the genesis params.
func DefaultParams() Params {
	return Params{
		OfferDeposit:         DefaultOfferDeposit(),
		MaxOffersPerProvider: DefaultMaxOffersPerProvider,
		MaxOfferCapacity:     DefaultMaxOfferCapacity,
		BucketBlocks:         DefaultBucketBlocks,
		HistoryBuckets:       DefaultHistoryBuckets,
		VwapWindowBuckets:    DefaultVWAPWindowBuckets,
	}
}

// Validate checks every field.
func (p Params) Validate() error {
	switch {
	case p.OfferDeposit.Denom != Denom || p.OfferDeposit.Amount.IsNil() || p.OfferDeposit.IsNegative() || p.OfferDeposit.Amount.GT(MaxPrice):
		return errorsmod.Wrapf(ErrInvalidParams, "offer_deposit %s: want 0..%s%s", p.OfferDeposit, MaxPrice, Denom)
	case p.MaxOffersPerProvider == 0 || p.MaxOffersPerProvider > MaxOffersCap:
		return errorsmod.Wrapf(ErrInvalidParams, "max_offers_per_provider %d: want 1..%d", p.MaxOffersPerProvider, MaxOffersCap)
	case p.MaxOfferCapacity == 0 || p.MaxOfferCapacity > MaxOfferCapacityCap:
		return errorsmod.Wrapf(ErrInvalidParams, "max_offer_capacity %d: want 1..%d", p.MaxOfferCapacity, MaxOfferCapacityCap)
	case p.BucketBlocks <= 0 || p.BucketBlocks > 1_000_000:
		return errorsmod.Wrapf(ErrInvalidParams, "bucket_blocks %d: want 1..1000000", p.BucketBlocks)
	case p.HistoryBuckets == 0 || p.HistoryBuckets > MaxHistoryBuckets:
		return errorsmod.Wrapf(ErrInvalidParams, "history_buckets %d: want 1..%d", p.HistoryBuckets, MaxHistoryBuckets)
	case p.VwapWindowBuckets == 0 || p.VwapWindowBuckets > p.HistoryBuckets:
		return errorsmod.Wrapf(ErrInvalidParams, "vwap_window_buckets %d: want 1..history_buckets (%d)", p.VwapWindowBuckets, p.HistoryBuckets)
	}
	return nil
}

// Window is the VWAP window in blocks.
func (p Params) Window() int64 { return p.BucketBlocks * int64(p.VwapWindowBuckets) }
