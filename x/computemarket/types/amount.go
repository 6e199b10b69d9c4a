package types

import (
	"math/big"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// MaxAmount is the largest udait amount any message, param or genesis
// object may carry: 2^128 - 1. Every product the state machine forms of
// amounts (price x blocks, price x take rate, sums over groups and leases)
// then stays far below math.Int's 256 bits, and checked arithmetic turns
// what is left into ErrOverflow instead of a panic.
var MaxAmount = math.NewIntFromBigInt(new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)))

// CheckAmountBound refuses an amount above MaxAmount.
func CheckAmountBound(field string, a math.Int) error {
	if !a.IsNil() && a.GT(MaxAmount) {
		return errorsmod.Wrapf(ErrAmountTooLarge, "%s %s is above the maximum %s (2^128-1)", field, a, MaxAmount)
	}
	return nil
}

// SafeAdd is a+b, or ErrOverflow naming what was summed.
func SafeAdd(what string, a, b math.Int) (math.Int, error) {
	s, err := a.SafeAdd(b)
	if err != nil {
		return math.Int{}, errorsmod.Wrapf(ErrOverflow, "%s: %s + %s", what, a, b)
	}
	return s, nil
}

// SafeMul is a*b, or ErrOverflow naming what was multiplied.
func SafeMul(what string, a, b math.Int) (math.Int, error) {
	p, err := a.SafeMul(b)
	if err != nil {
		return math.Int{}, errorsmod.Wrapf(ErrOverflow, "%s: %s * %s", what, a, b)
	}
	return p, nil
}
