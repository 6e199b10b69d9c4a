package keeper

import (
	"context"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// StakingTiers implements types.StakingTiersKeeper on x/staking: an
// account's tier is the stake it has bonded, that is its delegations to
// validators in the bonded set, counted in tokens (shares truncated).
type StakingTiers struct {
	staking types.StakingKeeper
}

var _ types.StakingTiersKeeper = StakingTiers{}

// NewStakingTiers wraps the staking keeper.
func NewStakingTiers(sk types.StakingKeeper) StakingTiers { return StakingTiers{staking: sk} }

// HasTierForProvider sums owner's bonded delegations and compares them with
// minBond. It stops as soon as the sum reaches minBond.
func (s StakingTiers) HasTierForProvider(ctx context.Context, owner sdk.AccAddress, minBond math.Int) (bool, math.Int, error) {
	bonded := math.ZeroInt()
	var iterErr error
	err := s.staking.IterateDelegatorDelegations(ctx, owner, func(d stakingtypes.Delegation) bool {
		valAddr, err := s.staking.ValidatorAddressCodec().StringToBytes(d.ValidatorAddress)
		if err != nil {
			iterErr = err
			return true
		}
		val, err := s.staking.GetValidator(ctx, valAddr)
		if err != nil {
			iterErr = err
			return true
		}
		if !val.IsBonded() {
			return false
		}
		bonded = bonded.Add(val.TokensFromSharesTruncated(d.Shares).TruncateInt())
		return bonded.GTE(minBond)
	})
	if err != nil {
		return false, bonded, err
	}
	if iterErr != nil {
		return false, bonded, iterErr
	}
	return bonded.GTE(minBond), bonded, nil
}
