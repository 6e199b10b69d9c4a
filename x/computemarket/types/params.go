package types

import (
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// OneDait is 1 DAIT in udait.
const OneDait int64 = 1_000_000

// Defaults of SPEC section 2. MaxBidsPerGroup and ProviderMinBond are the
// project's choices: 256 open bids bound the auction close to a few
// milliseconds, and 1,000 DAIT of bonded stake makes a provider identity
// cost something real.
const (
	DefaultBidDurationBlocks uint64 = 30
	DefaultTakeRateBps       uint32 = 100
	DefaultMaxBidsPerGroup   uint32 = 256
	// DefaultMaxItemsPerBlock bounds one EndBlock's scheduled work to a few
	// tens of milliseconds (see make bench).
	DefaultMaxItemsPerBlock uint32 = 1_000
	// DefaultRetentionBlocks keeps closed objects about a week at 6 s blocks.
	DefaultRetentionBlocks uint64 = 100_000
	// DefaultPrunePerBlock is x/feegrant's figure.
	DefaultPrunePerBlock uint32 = 200

	// MaxBidDurationBlocks keeps auction_end far from int64 overflow.
	MaxBidDurationBlocks uint64 = 10_000_000
	// MaxItemsPerBlockLimit and MaxPrunePerBlockLimit bound the bounds.
	MaxItemsPerBlockLimit uint32 = 100_000
	MaxPrunePerBlockLimit uint32 = 100_000
	// MaxRetentionBlocks is about 19 years at 6 s blocks.
	MaxRetentionBlocks uint64 = 100_000_000

	// MaxTakeRateBps is 100%.
	MaxTakeRateBps uint32 = 10_000
	// MaxBidsPerGroupLimit keeps the cap itself bounded.
	MaxBidsPerGroupLimit uint32 = 10_000
	// MaxAuditors bounds the whitelist.
	MaxAuditors = 100
)

func DefaultBidMinDeposit() sdk.Coin   { return sdk.NewCoin(Denom, math.NewInt(100*OneDait)) }
func DefaultLeaseMinDeposit() sdk.Coin { return sdk.NewCoin(Denom, math.NewInt(50*OneDait)) }
func DefaultProviderMinBond() sdk.Coin { return sdk.NewCoin(Denom, math.NewInt(1_000*OneDait)) }

// DefaultParams are the genesis defaults; the auditor whitelist is empty
// until genesis supplies it.
func DefaultParams() Params {
	return Params{
		BidDurationBlocks: DefaultBidDurationBlocks,
		BidMinDeposit:     DefaultBidMinDeposit(),
		LeaseMinDeposit:   DefaultLeaseMinDeposit(),
		TakeRateBps:       DefaultTakeRateBps,
		AuditorWhitelist:  []string{},
		MaxBidsPerGroup:   DefaultMaxBidsPerGroup,
		ProviderMinBond:   DefaultProviderMinBond(),
		MaxItemsPerBlock:  DefaultMaxItemsPerBlock,
		RetentionBlocks:   DefaultRetentionBlocks,
		PrunePerBlock:     DefaultPrunePerBlock,
	}
}

// Validate checks every rule of SPEC section 2.
func (p Params) Validate() error {
	if p.BidDurationBlocks < 1 || p.BidDurationBlocks > MaxBidDurationBlocks {
		return errorsmod.Wrapf(ErrInvalidParams, "bid_duration_blocks must be in 1..%d", MaxBidDurationBlocks)
	}
	if err := validateUdait("bid_min_deposit", p.BidMinDeposit, false); err != nil {
		return err
	}
	if err := validateUdait("lease_min_deposit", p.LeaseMinDeposit, false); err != nil {
		return err
	}
	if p.TakeRateBps > MaxTakeRateBps {
		return errorsmod.Wrapf(ErrInvalidParams, "take_rate_bps %d is above %d", p.TakeRateBps, MaxTakeRateBps)
	}
	if len(p.AuditorWhitelist) > MaxAuditors {
		return errorsmod.Wrapf(ErrInvalidParams, "auditor_whitelist has %d entries, at most %d", len(p.AuditorWhitelist), MaxAuditors)
	}
	seen := make(map[string]struct{}, len(p.AuditorWhitelist))
	for _, a := range p.AuditorWhitelist {
		if err := ValidateAddress("auditor_whitelist", a); err != nil {
			return errorsmod.Wrapf(ErrInvalidParams, "%s", err.Error())
		}
		if _, dup := seen[a]; dup {
			return errorsmod.Wrapf(ErrInvalidParams, "auditor_whitelist: %s is listed twice", a)
		}
		seen[a] = struct{}{}
	}
	if p.MaxBidsPerGroup < 1 || p.MaxBidsPerGroup > MaxBidsPerGroupLimit {
		return errorsmod.Wrapf(ErrInvalidParams, "max_bids_per_group must be in 1..%d", MaxBidsPerGroupLimit)
	}
	if p.MaxItemsPerBlock < 1 || p.MaxItemsPerBlock > MaxItemsPerBlockLimit {
		return errorsmod.Wrapf(ErrInvalidParams, "max_items_per_block must be in 1..%d", MaxItemsPerBlockLimit)
	}
	if p.RetentionBlocks < 1 || p.RetentionBlocks > MaxRetentionBlocks {
		return errorsmod.Wrapf(ErrInvalidParams, "retention_blocks must be in 1..%d", MaxRetentionBlocks)
	}
	if p.PrunePerBlock < 1 || p.PrunePerBlock > MaxPrunePerBlockLimit {
		return errorsmod.Wrapf(ErrInvalidParams, "prune_per_block must be in 1..%d", MaxPrunePerBlockLimit)
	}
	return validateUdait("provider_min_bond", p.ProviderMinBond, true)
}

// IsAuditor reports whether addr is in the whitelist.
func (p Params) IsAuditor(addr string) bool {
	for _, a := range p.AuditorWhitelist {
		if a == addr {
			return true
		}
	}
	return false
}

func validateUdait(field string, c sdk.Coin, zeroOK bool) error {
	if c.Denom != Denom {
		return errorsmod.Wrapf(ErrInvalidParams, "%s must be in %s, got %q", field, Denom, c.Denom)
	}
	if c.Amount.IsNil() || c.Amount.IsNegative() {
		return errorsmod.Wrapf(ErrInvalidParams, "%s must not be negative, got %s", field, c)
	}
	if !zeroOK && c.Amount.IsZero() {
		return errorsmod.Wrapf(ErrInvalidParams, "%s must be positive", field)
	}
	if err := CheckAmountBound(field, c.Amount); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "%s", err.Error())
	}
	return nil
}
