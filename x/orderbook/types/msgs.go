package types

import (
	"math"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// MaxPrice bounds an offer's price per block per unit (and the deposit):
// 10^18 udait, so prices are uint64 index keys.
var MaxPrice = sdkmath.NewInt(1_000_000_000_000_000_000)

// Bounds of a unit, as for a group's resources.
const (
	MaxGPUsPerUnit   = 64
	MaxGPUMemoryGB   = 4096
	MaxCPUMillis     = 1 << 30
	MaxMemoryMB      = 1 << 40
	MaxStorageGB     = 1 << 40
	MaxGPUClassLen   = 64
	MaxExpiresAtSpan = int64(math.MaxInt64 / 2)
)

var (
	_ sdk.Msg = &MsgCreateOffer{}
	_ sdk.Msg = &MsgUpdateOffer{}
	_ sdk.Msg = &MsgCloseOffer{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// Validate checks a unit: CPU and memory always; a GPU unit names its
// class (a lower-case attribute-like key) and memory.
func (u ResourceUnit) Validate() error {
	switch {
	case u.CpuMillis == 0 || u.CpuMillis > MaxCPUMillis:
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "cpu_millis %d: want 1..%d", u.CpuMillis, MaxCPUMillis)
	case u.MemoryMb == 0 || u.MemoryMb > MaxMemoryMB:
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "memory_mb %d: want 1..%d", u.MemoryMb, uint64(MaxMemoryMB))
	case u.StorageGb > MaxStorageGB:
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "storage_gb %d: at most %d", u.StorageGb, uint64(MaxStorageGB))
	case u.Gpus > MaxGPUsPerUnit:
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "gpus %d: at most %d per unit", u.Gpus, MaxGPUsPerUnit)
	}
	if u.Gpus == 0 {
		if u.GpuClass != "" || u.GpuMemoryGb != 0 {
			return errorsmod.Wrap(ErrInvalidOfferUnit, "a CPU-only unit (gpus 0) has no gpu_class or gpu_memory_gb")
		}
		return nil
	}
	if u.GpuMemoryGb == 0 || u.GpuMemoryGb > MaxGPUMemoryGB {
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "gpu_memory_gb %d: want 1..%d", u.GpuMemoryGb, MaxGPUMemoryGB)
	}
	if !validClassName(u.GpuClass) {
		return errorsmod.Wrapf(ErrInvalidOfferUnit, "gpu_class %q: want 1..%d of [a-z0-9_-], starting with a letter", u.GpuClass, MaxGPUClassLen)
	}
	return nil
}

func validClassName(s string) bool {
	if len(s) == 0 || len(s) > MaxGPUClassLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// ValidatePrice wants a positive udait amount up to MaxPrice.
func ValidatePrice(c sdk.Coin) error {
	if c.Denom != Denom || c.Amount.IsNil() || !c.Amount.IsPositive() || c.Amount.GT(MaxPrice) {
		return errorsmod.Wrapf(ErrInvalidPrice, "%s: want 1..%s%s per block per unit", c, MaxPrice, Denom)
	}
	return nil
}

func validateOffer(provider string, price sdk.Coin, capacity uint32, expiresAt int64) error {
	if _, err := sdk.AccAddressFromBech32(provider); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "provider: %v", err)
	}
	if err := ValidatePrice(price); err != nil {
		return err
	}
	if capacity == 0 {
		return errorsmod.Wrap(ErrInvalidCapacity, "capacity must be at least 1 unit")
	}
	if expiresAt < 0 || expiresAt > MaxExpiresAtSpan {
		return errorsmod.Wrapf(ErrInvalidExpiry, "expires_at %d: want 0 (never) or a height", expiresAt)
	}
	return nil
}

// ValidateBasic checks the message alone.
func (m *MsgCreateOffer) ValidateBasic() error {
	if err := validateOffer(m.Provider, m.Price, m.Capacity, m.ExpiresAt); err != nil {
		return err
	}
	return m.Unit.Validate()
}

// ValidateBasic checks the message alone.
func (m *MsgUpdateOffer) ValidateBasic() error {
	if m.OfferId == 0 {
		return errorsmod.Wrap(ErrOfferNotFound, "offer_id is required")
	}
	return validateOffer(m.Provider, m.Price, m.Capacity, m.ExpiresAt)
}

// ValidateBasic checks the message alone.
func (m *MsgCloseOffer) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Provider); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "provider: %v", err)
	}
	if m.OfferId == 0 {
		return errorsmod.Wrap(ErrOfferNotFound, "offer_id is required")
	}
	return nil
}

// ValidateBasic checks the message alone.
func (m *MsgUpdateParams) ValidateBasic() error {
	if _, err := sdk.AccAddressFromBech32(m.Authority); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "authority: %v", err)
	}
	return m.Params.Validate()
}
