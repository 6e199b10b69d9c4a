package types

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BankKeeper moves offer deposits.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipient string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, sender string, recipient sdk.AccAddress, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// AccountKeeper gives the module account's address.
type AccountKeeper interface {
	GetModuleAddress(name string) sdk.AccAddress
}

// MarketKeeper is what the order book asks of x/computemarket (ADR 0007),
// which keeps the buy side and does the matching.
type MarketKeeper interface {
	// RequireActiveProvider: whether an address is a registered provider
	// with the provider tier now (a typed computemarket error when not).
	RequireActiveProvider(ctx context.Context, owner sdk.AccAddress) error
	// OfferPriced tells the matcher that an open offer was created, became
	// cheaper or gained units: the resting limit buys it can now serve are
	// matched in EndBlock (bounded per block, carried over).
	OfferPriced(ctx context.Context, offerID uint64) error
	// RestingBuys are the resting limit buys a unit of class can serve (by
	// GPU class and memory), highest normalised limit first, in at most
	// depth levels, and how many such buys rest (counted up to a bound).
	RestingBuys(ctx context.Context, class string, depth int) ([]BuyLevel, uint64, error)
}
