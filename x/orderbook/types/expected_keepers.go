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

// ProviderKeeper is what the order book asks of x/computemarket (ADR
// 0007): whether an address is a registered provider with the provider
// tier now (a typed computemarket error when not).
type ProviderKeeper interface {
	RequireActiveProvider(ctx context.Context, owner sdk.AccAddress) error
}
