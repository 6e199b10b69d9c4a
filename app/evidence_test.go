package app_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/evidence/exported"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/daitchain/daitchain/app"
)

// TestDoubleSignIsSlashed: a validator created by a transaction signs two
// blocks at one height; CometBFT reports it in FinalizeBlock as DUPLICATE_VOTE
// misbehavior; x/evidence slashes its stake by slash_fraction_double_sign,
// jails it for good, tombstones it and removes it from the validator set.
// The same evidence again changes nothing.
func TestDoubleSignIsSlashed(t *testing.T) {
	operator := secp256k1.GenPrivKeyFromSecret([]byte("operator"))
	consKey := ed25519.GenPrivKeyFromSecret([]byte("operator consensus key"))
	c := newTestChain(t, app.Upgrades, []cryptotypes.PrivKey{operator}, nil)

	const power = 10 // consensus power of the self-delegation
	valAddr := sdk.ValAddress(operator.PubKey().Address())
	consAddr := sdk.ConsAddress(consKey.PubKey().Address())
	selfBond := sdk.NewCoin(app.BondDenom, sdk.TokensFromConsensusPower(power, sdk.DefaultPowerReduction))
	create, err := stakingtypes.NewMsgCreateValidator(valAddr.String(), consKey.PubKey(), selfBond,
		stakingtypes.NewDescription("double-signer", "", "", "", ""),
		stakingtypes.NewCommissionRates(sdkmath.LegacyNewDecWithPrec(1, 1), sdkmath.LegacyNewDecWithPrec(2, 1), sdkmath.LegacyNewDecWithPrec(1, 2)),
		sdkmath.OneInt())
	require.NoError(t, err)
	c.deliver(operator, create)

	// The validator is bonded; it signs (twice) at the next height.
	ctx := c.ctx()
	val, err := c.app.StakingKeeper.GetValidator(ctx, valAddr)
	require.NoError(t, err)
	require.Equal(t, stakingtypes.Bonded, val.GetStatus())
	require.Equal(t, selfBond.Amount, val.GetTokens())
	c.mustBlock()
	infraction := abci.Misbehavior{
		Type:             abci.MisbehaviorType_DUPLICATE_VOTE,
		Validator:        abci.Validator{Address: consAddr, Power: power},
		Height:           c.height,
		Time:             c.time,
		TotalVotingPower: power + 1,
	}
	ctx = c.ctx()
	poolsBefore := c.stakingPools(ctx)
	fraction, err := c.app.SlashingKeeper.SlashFractionDoubleSign(ctx)
	require.NoError(t, err)
	require.True(t, fraction.IsPositive())
	info, err := c.app.SlashingKeeper.GetValidatorSigningInfo(ctx, consAddr)
	require.NoError(t, err)
	require.False(t, info.Tombstoned)

	// CometBFT reports the double sign in the next block.
	res, err := c.block(nil, infraction)
	require.NoError(t, err)

	ctx = c.ctx()
	slashed := fraction.MulInt(sdk.TokensFromConsensusPower(power, sdk.DefaultPowerReduction)).TruncateInt()
	val, err = c.app.StakingKeeper.GetValidator(ctx, valAddr)
	require.NoError(t, err)
	require.Equal(t, selfBond.Amount.Sub(slashed).String(), val.GetTokens().String(), "stake slashed by slash_fraction_double_sign (%s)", fraction)
	require.Equal(t, slashed.String(), poolsBefore.Sub(c.stakingPools(ctx)).String(), "the slashed stake is burned")
	require.True(t, val.IsJailed())
	require.Equal(t, stakingtypes.Unbonding, val.GetStatus(), "a jailed validator leaves the bonded set")
	require.Contains(t, res.ValidatorUpdates, val.ABCIValidatorUpdateZero(), "CometBFT is told to drop the validator")

	info, err = c.app.SlashingKeeper.GetValidatorSigningInfo(ctx, consAddr)
	require.NoError(t, err)
	require.True(t, info.Tombstoned, "tombstoned: it can never unjail")
	require.True(t, info.JailedUntil.Equal(evidencetypes.DoubleSignJailEndTime), "jailed until %s", info.JailedUntil)

	all, err := c.evidence(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	eq, ok := all[0].(*evidencetypes.Equivocation)
	require.True(t, ok, "%T", all[0])
	require.Equal(t, infraction.Height, eq.Height)
	require.EqualValues(t, power, eq.Power)
	require.Equal(t, consAddr.String(), eq.ConsensusAddress)

	// The same double sign reported again: the validator is already
	// tombstoned, nothing more is slashed.
	_, err = c.block(nil, infraction)
	require.NoError(t, err)
	ctx = c.ctx()
	again, err := c.app.StakingKeeper.GetValidator(ctx, valAddr)
	require.NoError(t, err)
	require.Equal(t, val.GetTokens().String(), again.GetTokens().String())
	all, err = c.evidence(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)

	// The chain goes on with the remaining validator.
	for range 3 {
		c.mustBlock()
	}
}

// TestSubmittedEvidenceIsRefused: evidence comes from CometBFT only. The
// chain registers no evidence handler (the keeper has no router), so the
// app's circuit breaker refuses MsgSubmitEvidence with a registered error
// before its handler could panic (code 111222); nothing changes and the
// chain goes on.
func TestSubmittedEvidenceIsRefused(t *testing.T) {
	c := newTestChain(t, app.Upgrades, nil, nil)
	consAddr := sdk.ConsAddress(c.valSet.Validators[0].Address)
	ev := &evidencetypes.Equivocation{Height: c.height, Time: c.time, Power: 1, ConsensusAddress: consAddr.String()}
	msg, err := evidencetypes.NewMsgSubmitEvidence(sdk.AccAddress(c.user.PubKey().Address()), ev)
	require.NoError(t, err)

	res := c.mustBlock(c.signTx(c.user, msg))
	require.Len(t, res.TxResults, 1)
	require.Equal(t, sdkerrors.ErrUnauthorized.ABCICode(), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, sdkerrors.RootCodespace, res.TxResults[0].Codespace)
	require.Contains(t, res.TxResults[0].Log, "MsgSubmitEvidence is disabled")
	all, err := c.evidence(c.ctx())
	require.NoError(t, err)
	require.Empty(t, all)
	require.False(t, c.app.SlashingKeeper.IsTombstoned(c.ctx(), consAddr))
	c.mustBlock()
}

// stakingPools is the stake held by the bonded and not-bonded pools.
func (c *testChain) stakingPools(ctx sdk.Context) sdkmath.Int {
	total := sdkmath.ZeroInt()
	for _, pool := range []string{stakingtypes.BondedPoolName, stakingtypes.NotBondedPoolName} {
		total = total.Add(c.app.BankKeeper.GetBalance(ctx, authtypes.NewModuleAddress(pool), app.BondDenom).Amount)
	}
	return total
}

// evidence is the evidence x/evidence has stored.
func (c *testChain) evidence(ctx sdk.Context) ([]exported.Evidence, error) {
	it, err := c.app.EvidenceKeeper.Evidences.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return it.Values()
}
