package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the module. Codes never change.
var (
	ErrInvalidAddress     = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrInvalidParams      = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAuthority   = errorsmod.Register(ModuleName, 4, "signer is not the params authority")
	ErrInvalidGenesis     = errorsmod.Register(ModuleName, 5, "invalid genesis state")
	ErrUnauthorized       = errorsmod.Register(ModuleName, 6, "signer may not act on this offer")
	ErrInvariantBroken    = errorsmod.Register(ModuleName, 7, "module invariant broken")
	ErrInvalidOfferUnit   = errorsmod.Register(ModuleName, 10, "invalid resource unit")
	ErrInvalidPrice       = errorsmod.Register(ModuleName, 11, "invalid offer price")
	ErrInvalidCapacity    = errorsmod.Register(ModuleName, 12, "invalid offer capacity")
	ErrInvalidExpiry      = errorsmod.Register(ModuleName, 13, "invalid offer expiry")
	ErrOfferNotFound      = errorsmod.Register(ModuleName, 14, "offer not found")
	ErrOfferClosed        = errorsmod.Register(ModuleName, 15, "offer is closed")
	ErrTooManyOffers      = errorsmod.Register(ModuleName, 16, "provider has the most live offers the params allow")
	ErrCapacityBelowTaken = errorsmod.Register(ModuleName, 17, "capacity is below the units leases hold")
	ErrNotProvider        = errorsmod.Register(ModuleName, 18, "signer is not a registered provider with the provider tier")
	ErrInvalidClass       = errorsmod.Register(ModuleName, 19, "invalid resource class")
	ErrInsufficientUnits  = errorsmod.Register(ModuleName, 20, "offer has fewer units available than asked")
	ErrMarketData         = errorsmod.Register(ModuleName, 21, "market data cannot record this trade")
)
