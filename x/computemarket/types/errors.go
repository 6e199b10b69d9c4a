package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the module, grouped by aggregate. Codes never change.
var (
	// general
	ErrInvalidAddress   = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrInvalidAmount    = errorsmod.Register(ModuleName, 3, "invalid amount")
	ErrInvalidParams    = errorsmod.Register(ModuleName, 4, "invalid params")
	ErrInvalidAuthority = errorsmod.Register(ModuleName, 5, "signer is not the params authority")
	ErrInvalidGenesis   = errorsmod.Register(ModuleName, 6, "invalid genesis state")
	ErrUnauthorized     = errorsmod.Register(ModuleName, 7, "signer may not act on this object")
	ErrInvariantBroken  = errorsmod.Register(ModuleName, 8, "module invariant broken")
	ErrAmountTooLarge   = errorsmod.Register(ModuleName, 9, "amount is above the maximum a message may carry")

	// provider
	ErrProviderNotFound    = errorsmod.Register(ModuleName, 10, "provider not found")
	ErrProviderExists      = errorsmod.Register(ModuleName, 11, "provider already registered")
	ErrProviderTierTooLow  = errorsmod.Register(ModuleName, 12, "owner's bonded stake is below the provider tier")
	ErrInvalidHostURI      = errorsmod.Register(ModuleName, 13, "invalid host uri")
	ErrInvalidAttribute    = errorsmod.Register(ModuleName, 14, "invalid attribute")
	ErrInvalidProviderInfo = errorsmod.Register(ModuleName, 15, "invalid provider info")
	ErrInvalidCertHash     = errorsmod.Register(ModuleName, 16, "invalid TLS certificate fingerprint")

	// audit
	ErrAuditorNotWhitelisted = errorsmod.Register(ModuleName, 20, "auditor is not in the whitelist")
	ErrAttestationNotFound   = errorsmod.Register(ModuleName, 21, "no such attestation by this auditor")

	// requirements and group specs
	ErrInvalidRequirement = errorsmod.Register(ModuleName, 30, "invalid requirement")
	ErrInvalidResources   = errorsmod.Register(ModuleName, 31, "invalid resources")
	ErrInvalidGroupSpec   = errorsmod.Register(ModuleName, 32, "invalid group spec")

	// deployment and group
	ErrDeploymentNotFound   = errorsmod.Register(ModuleName, 40, "deployment not found")
	ErrDeploymentClosed     = errorsmod.Register(ModuleName, 41, "deployment is closed")
	ErrInvalidVersion       = errorsmod.Register(ModuleName, 42, "invalid deployment version")
	ErrGroupNotFound        = errorsmod.Register(ModuleName, 43, "group not found")
	ErrInvalidGroupState    = errorsmod.Register(ModuleName, 44, "group is not in a state that allows this")
	ErrDepositTooLow        = errorsmod.Register(ModuleName, 45, "deposit is below the minimum")
	ErrInvalidDeploymentMsg = errorsmod.Register(ModuleName, 46, "invalid deployment message")

	// bid
	ErrBidNotFound        = errorsmod.Register(ModuleName, 50, "bid not found")
	ErrInvalidBidState    = errorsmod.Register(ModuleName, 51, "bid is not in a state that allows this")
	ErrBidPriceTooHigh    = errorsmod.Register(ModuleName, 52, "bid price is above the group's max price")
	ErrBidExists          = errorsmod.Register(ModuleName, 53, "provider already has a live bid on this group")
	ErrTooManyBids        = errorsmod.Register(ModuleName, 54, "group has reached max_bids_per_group open bids")
	ErrRequirementsNotMet = errorsmod.Register(ModuleName, 55, "provider's audited attributes do not meet the group's requirements")
	ErrInvalidCloseReason = errorsmod.Register(ModuleName, 56, "close reason not allowed here")

	// lease and escrow
	ErrLeaseNotFound     = errorsmod.Register(ModuleName, 60, "lease not found")
	ErrInvalidLeaseState = errorsmod.Register(ModuleName, 61, "lease is not in a state that allows this")
	ErrEscrowNotFound    = errorsmod.Register(ModuleName, 62, "escrow not found")
	ErrNothingToWithdraw = errorsmod.Register(ModuleName, 63, "nothing to withdraw")
	ErrOverflow          = errorsmod.Register(ModuleName, 64, "arithmetic overflow")
	ErrNoMatchingOffer   = errorsmod.Register(ModuleName, 65, "market buy: no eligible offer at or below max_price")
)
