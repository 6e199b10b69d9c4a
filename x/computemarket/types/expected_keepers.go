package types

import (
	"context"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// AccountKeeper is what the module needs of x/auth.
type AccountKeeper interface {
	AddressCodec() address.Codec
	GetModuleAddress(name string) sdk.AccAddress
}

// BankKeeper moves escrow, deposits and earnings in and out of the module account.
type BankKeeper interface {
	SendCoinsFromAccountToModule(ctx context.Context, sender sdk.AccAddress, recipientModule string, amt sdk.Coins) error
	SendCoinsFromModuleToAccount(ctx context.Context, senderModule string, recipient sdk.AccAddress, amt sdk.Coins) error
	GetBalance(ctx context.Context, addr sdk.AccAddress, denom string) sdk.Coin
}

// DistributionKeeper receives the protocol take into the community pool.
type DistributionKeeper interface {
	FundCommunityPool(ctx context.Context, amount sdk.Coins, sender sdk.AccAddress) error
}

// StakingKeeper is the part of x/staking that backs the provider tiers.
type StakingKeeper interface {
	IterateDelegatorDelegations(ctx context.Context, delegator sdk.AccAddress, cb func(stakingtypes.Delegation) (stop bool)) error
	GetValidator(ctx context.Context, addr sdk.ValAddress) (stakingtypes.Validator, error)
	ValidatorAddressCodec() address.Codec
}

// StakingTiersKeeper decides whether an account's stake puts it in the
// provider tier. bonded is the stake that was counted.
type StakingTiersKeeper interface {
	HasTierForProvider(ctx context.Context, owner sdk.AccAddress, minBond math.Int) (ok bool, bonded math.Int, err error)
}

// OfferBook is what the matcher asks of x/orderbook (ADR 0007). The app
// sets it after both keepers are built (the order book asks this module
// whether a provider is active, so neither can take the other at
// construction); without it, auctions are bids only.
type OfferBook interface {
	// FittingClasses are the order book's classes whose units can serve a
	// group with these GPUs (gpus 0: the CPU class), at most limit.
	FittingClasses(ctx context.Context, gpus uint32, gpuClass string, minMemoryGB uint32, limit int) ([]string, error)
	// WalkOffers visits a class's open offers with units, cheapest unit
	// price first (then earliest priced, then id), at most limit.
	WalkOffers(ctx context.Context, class string, maxPrice uint64, limit int, fn func(obtypes.Offer) (stop bool, err error)) error
	GetOffer(ctx context.Context, id uint64) (obtypes.Offer, error)
	// Fill takes units of an offer for a lease and records the trade
	// (notional: the lease's price per block) in the market data.
	Fill(ctx context.Context, id uint64, units uint32, notional math.Int) (obtypes.Offer, error)
	Release(ctx context.Context, id uint64, units uint32) error
	RecordTrade(ctx context.Context, class string, notional math.Int, quantity uint64) error
	// WalkAllOffers visits every offer (the invariants only).
	WalkAllOffers(ctx context.Context, fn func(obtypes.Offer) (stop bool, err error)) error
}
