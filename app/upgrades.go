package app

import (
	"context"
	"fmt"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"
)

// Upgrade is one named software upgrade, carried by the binary the chain
// switches to: the handler x/upgrade runs at the plan's height, and the
// stores the new binary mounts or drops at that height.
//
// A binary carries the handlers of the upgrades that lead to it and never
// the handler of a plan still pending on its chain: x/upgrade halts a node
// whose binary has the handler of a plan not yet due ("BINARY UPDATED
// BEFORE TRIGGER"). See docs/upgrades.md.
type Upgrade struct {
	// Name is the plan's name in the governance proposal (MsgSoftwareUpgrade).
	Name string
	// Handler builds the upgrade handler from the app being upgraded.
	Handler func(*App) upgradetypes.UpgradeHandler
	// StoreUpgrades are the stores added, renamed or deleted at the upgrade
	// height: the store of a new module in Added, of a removed one in Deleted.
	StoreUpgrades storetypes.StoreUpgrades
}

// UpgradeV2 is the name of the upgrade to this release.
const UpgradeV2 = "v2"

// Upgrades are the upgrades this binary can execute, oldest first.
//
// v2 is the template for later upgrades: it runs every module's consensus
// migrations and changes no store. A later upgrade adds an entry named for
// its release (a new const UpgradeVN), lists the stores of modules it adds or
// removes, and runs its own state changes in the handler after (or instead
// of) RunMigrations. Entries of upgrades the chain has passed stay: a node
// replaying or restarting on an old height needs them, and x/upgrade refuses
// to start a binary without the handler of the last applied upgrade.
var Upgrades = []Upgrade{
	{
		Name:          UpgradeV2,
		Handler:       runMigrations,
		StoreUpgrades: storetypes.StoreUpgrades{},
	},
}

// runMigrations runs the consensus migrations of every module whose version
// moved since the last upgrade, and InitGenesis of modules new to the chain.
func runMigrations(app *App) upgradetypes.UpgradeHandler {
	return func(ctx context.Context, _ upgradetypes.Plan, fromVM module.VersionMap) (module.VersionMap, error) {
		return app.ModuleManager.RunMigrations(ctx, app.Configurator(), fromVM)
	}
}

// registerUpgrades sets the handler of every upgrade on the upgrade keeper,
// and, when the node halted at an upgrade's height (the old binary wrote the
// plan to data/upgrade-info.json), the store loader that applies its store
// upgrades when the stores are loaded at that height. It must run before the
// stores are loaded.
func (app *App) registerUpgrades(upgrades []Upgrade) error {
	byName := make(map[string]Upgrade, len(upgrades))
	for _, u := range upgrades {
		if u.Name == "" || u.Handler == nil {
			return fmt.Errorf("upgrade %q: name and handler are required", u.Name)
		}
		if _, dup := byName[u.Name]; dup {
			return fmt.Errorf("upgrade %q is listed twice", u.Name)
		}
		byName[u.Name] = u
		app.UpgradeKeeper.SetUpgradeHandler(u.Name, u.Handler(app))
	}

	info, err := app.UpgradeKeeper.ReadUpgradeInfoFromDisk()
	if err != nil {
		return fmt.Errorf("read upgrade info from disk: %w", err)
	}
	if info.Name == "" || app.UpgradeKeeper.IsSkipHeight(info.Height) {
		return nil
	}
	u, ok := byName[info.Name]
	if !ok {
		// An old binary restarted after the halt: its x/upgrade PreBlocker
		// refuses the block again, naming the upgrade it needs.
		return nil
	}
	storeUpgrades := u.StoreUpgrades
	app.SetStoreLoader(upgradetypes.UpgradeStoreLoader(info.Height, &storeUpgrades))
	return nil
}
