package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/daitchain/daitchain/app"
)

// Short gov periods: a proposal passes a few blocks after it is submitted.
func fastGov(cdc codec.JSONCodec, genesis map[string]json.RawMessage) {
	var gs govv1.GenesisState
	cdc.MustUnmarshalJSON(genesis[govtypes.ModuleName], &gs)
	voting, expedited := 4*blockInterval, 2*blockInterval
	gs.Params.VotingPeriod, gs.Params.ExpeditedVotingPeriod = &voting, &expedited
	genesis[govtypes.ModuleName] = cdc.MustMarshalJSON(&gs)
}

// TestSoftwareUpgradeByGovernance runs a software upgrade the way a chain
// does: a gov proposal of MsgSoftwareUpgrade passes; the binary without the
// upgrade's handler runs up to the plan height and refuses that block; the
// binary with the handler (app.Upgrades) starts on the same data, executes
// the upgrade in that block and goes on. The new binary refuses to run
// before the height, and the old one after it.
func TestSoftwareUpgradeByGovernance(t *testing.T) {
	const planHeight = 12
	var (
		before = []app.Upgrade(nil) // the binary before the upgrade: no handler for v2
		after  = app.Upgrades
	)
	c := newTestChain(t, before, nil, fastGov)
	user := sdk.AccAddress(c.user.PubKey().Address())
	gov := authtypes.NewModuleAddress(govtypes.ModuleName).String()
	authority, err := c.app.UpgradeKeeper.Authority(c.ctx(), &upgradetypes.QueryAuthorityRequest{})
	require.NoError(t, err)
	require.Equal(t, gov, authority.Address, "the upgrade authority is the gov module account")

	// The proposal and the vote that passes it.
	gp, err := c.app.GovKeeper.Params.Get(c.ctx())
	require.NoError(t, err)
	upgrade := &upgradetypes.MsgSoftwareUpgrade{
		Authority: gov,
		Plan:      upgradetypes.Plan{Name: app.UpgradeV2, Height: planHeight, Info: "daitd v2"},
	}
	submit, err := govv1.NewMsgSubmitProposal([]sdk.Msg{upgrade}, gp.MinDeposit, user.String(), "", "Upgrade to v2", "daitd v2", false)
	require.NoError(t, err)
	c.deliver(c.user, submit)
	c.deliver(c.user, govv1.NewMsgVote(user, 1, govv1.OptionYes, ""))

	// Blocks until the vote ends and gov executes the upgrade message.
	votingEnd := c.time.Add(*gp.VotingPeriod)
	for !c.time.After(votingEnd) {
		c.mustBlock()
	}
	proposal, err := c.app.GovKeeper.Proposals.Get(c.ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, govv1.StatusPassed, proposal.Status, "proposal: %s", proposal.FailedReason)
	plan, err := c.app.UpgradeKeeper.GetUpgradePlan(c.ctx())
	require.NoError(t, err)
	require.Equal(t, app.UpgradeV2, plan.Name)
	require.EqualValues(t, planHeight, plan.Height)
	require.Less(t, c.height, int64(planHeight-1))

	// An operator who swaps the binary too early is stopped at once.
	c.restart(after)
	_, err = c.block(nil)
	require.ErrorContains(t, err, `BINARY UPDATED BEFORE TRIGGER! UPGRADE "v2"`)
	c.restart(before)

	// The old binary runs up to the block before the plan height...
	for c.height < planHeight-1 {
		c.mustBlock()
	}
	// ...and refuses the block at the height: the chain halts there, and the
	// plan is on disk for the new binary (and cosmovisor).
	_, err = c.block(nil)
	require.ErrorContains(t, err, `UPGRADE "v2" NEEDED at height: 12: daitd v2`)
	require.EqualValues(t, planHeight-1, c.app.LastBlockHeight(), "nothing is committed at the plan height")
	bz, err := os.ReadFile(filepath.Join(c.home, "data", upgradetypes.UpgradeInfoFilename))
	require.NoError(t, err)
	var onDisk upgradetypes.Plan
	require.NoError(t, json.Unmarshal(bz, &onDisk))
	require.Equal(t, app.UpgradeV2, onDisk.Name)
	require.EqualValues(t, planHeight, onDisk.Height)

	// Restarted as is, the old binary halts again at the same block.
	c.restart(before)
	_, err = c.block(nil)
	require.ErrorContains(t, err, `UPGRADE "v2" NEEDED at height: 12`)

	// The new binary executes the upgrade at the plan height and goes on.
	c.restart(after)
	fromVM, err := c.app.UpgradeKeeper.GetModuleVersionMap(c.ctx())
	require.NoError(t, err)
	c.mustBlock()
	require.EqualValues(t, planHeight, c.height)
	for range 3 {
		c.mustBlock()
	}

	ctx := c.ctx()
	done, err := c.app.UpgradeKeeper.GetDoneHeight(ctx, app.UpgradeV2)
	require.NoError(t, err)
	require.EqualValues(t, planHeight, done, "the v2 handler ran at the plan height")
	_, err = c.app.UpgradeKeeper.GetUpgradePlan(ctx)
	require.ErrorIs(t, err, upgradetypes.ErrNoUpgradePlanFound, "the applied plan is cleared")
	name, height, err := c.app.UpgradeKeeper.GetLastCompletedUpgrade(ctx)
	require.NoError(t, err)
	require.Equal(t, app.UpgradeV2, name)
	require.EqualValues(t, planHeight, height)
	toVM, err := c.app.UpgradeKeeper.GetModuleVersionMap(ctx)
	require.NoError(t, err)
	require.Equal(t, c.app.ModuleManager.GetVersionMap(), toVM, "every module at its binary's consensus version")
	require.Equal(t, fromVM, toVM, "no module changed its consensus version in v2")
	applied, err := c.app.UpgradeKeeper.AppliedPlan(ctx, &upgradetypes.QueryAppliedPlanRequest{Name: app.UpgradeV2})
	require.NoError(t, err)
	require.EqualValues(t, planHeight, applied.Height)

	// Going back to the old binary after the upgrade is refused.
	c.restart(before)
	_, err = c.block(nil)
	require.ErrorContains(t, err, "upgrade handler is missing for v2 upgrade plan")
}

// TestUpgradesAreWellFormed checks the list every daitd carries: named,
// with a handler, no name twice (app construction refuses it).
func TestUpgradesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, u := range app.Upgrades {
		require.NotEmpty(t, u.Name)
		require.NotNil(t, u.Handler, u.Name)
		require.False(t, seen[u.Name], "upgrade %q listed twice", u.Name)
		seen[u.Name] = true
	}
	require.True(t, seen[app.UpgradeV2])

	twice := append(append([]app.Upgrade(nil), app.Upgrades...), app.Upgrades[0])
	require.PanicsWithError(t, `upgrade "v2" is listed twice`, func() {
		app.NewWithUpgrades(log.NewNopLogger(), dbm.NewMemDB(), true, simtestutil.AppOptionsMap{flags.FlagHome: t.TempDir()}, twice)
	})
}
