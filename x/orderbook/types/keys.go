package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the module's name, store key and module account (it
	// holds the offer deposits).
	ModuleName = "orderbook"
	// StoreKey is the module's KV store key.
	StoreKey = ModuleName
	// Denom is the only denomination: micro-DAIT.
	Denom = "udait"
)

// Store prefixes; never renumbered.
var (
	ParamsKey     = collections.NewPrefix(0)
	OfferSeqKey   = collections.NewPrefix(1)
	OffersKey     = collections.NewPrefix(2)
	BookKey       = collections.NewPrefix(3)
	ByProviderKey = collections.NewPrefix(4)
	ExpiryKey     = collections.NewPrefix(5)
	MarketsKey    = collections.NewPrefix(6)
	// BucketsKey holds the market data's ring, one bucket per (class, slot).
	BucketsKey = collections.NewPrefix(7)
)
