package app

import (
	runtimev1alpha1 "cosmossdk.io/api/cosmos/app/runtime/v1alpha1"
	appv1alpha1 "cosmossdk.io/api/cosmos/app/v1alpha1"
	authmodulev1 "cosmossdk.io/api/cosmos/auth/module/v1"
	bankmodulev1 "cosmossdk.io/api/cosmos/bank/module/v1"
	consensusmodulev1 "cosmossdk.io/api/cosmos/consensus/module/v1"
	distrmodulev1 "cosmossdk.io/api/cosmos/distribution/module/v1"
	evidencemodulev1 "cosmossdk.io/api/cosmos/evidence/module/v1"
	genutilmodulev1 "cosmossdk.io/api/cosmos/genutil/module/v1"
	govmodulev1 "cosmossdk.io/api/cosmos/gov/module/v1"
	mintmodulev1 "cosmossdk.io/api/cosmos/mint/module/v1"
	slashingmodulev1 "cosmossdk.io/api/cosmos/slashing/module/v1"
	stakingmodulev1 "cosmossdk.io/api/cosmos/staking/module/v1"
	txconfigv1 "cosmossdk.io/api/cosmos/tx/config/v1"
	upgrademodulev1 "cosmossdk.io/api/cosmos/upgrade/module/v1"
	"cosmossdk.io/depinject"
	"cosmossdk.io/depinject/appconfig"

	_ "github.com/cosmos/cosmos-sdk/x/auth"           // registers the module
	_ "github.com/cosmos/cosmos-sdk/x/auth/tx/config" // registers the tx config
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	_ "github.com/cosmos/cosmos-sdk/x/bank"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	_ "github.com/cosmos/cosmos-sdk/x/consensus"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	_ "github.com/cosmos/cosmos-sdk/x/distribution"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	_ "github.com/cosmos/cosmos-sdk/x/evidence"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
	"github.com/cosmos/cosmos-sdk/x/genutil"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"
	_ "github.com/cosmos/cosmos-sdk/x/gov"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	_ "github.com/cosmos/cosmos-sdk/x/mint"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"
	_ "github.com/cosmos/cosmos-sdk/x/slashing"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	_ "github.com/cosmos/cosmos-sdk/x/staking"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
	_ "github.com/cosmos/cosmos-sdk/x/upgrade"
	upgradetypes "github.com/cosmos/cosmos-sdk/x/upgrade/types"

	"github.com/cosmos/cosmos-sdk/types/module"

	_ "github.com/daitchain/daitchain/x/computemarket" // registers the module
	markettypes "github.com/daitchain/daitchain/x/computemarket/types"
	_ "github.com/daitchain/daitchain/x/orderbook" // registers the module
	orderbooktypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// Name is the application name.
const Name = "daitchain"

// Bech32 prefixes: accounts are dait1..., validators daitvaloper1...
const (
	Bech32PrefixAccAddr  = "dait"
	Bech32PrefixValAddr  = "daitvaloper"
	Bech32PrefixConsAddr = "daitvalcons"
)

// Module account permissions. The computemarket account holds escrow, bid
// deposits and unwithdrawn earnings; it neither mints nor burns.
var moduleAccPerms = []*authmodulev1.ModuleAccountPermission{
	{Account: authtypes.FeeCollectorName},
	{Account: distrtypes.ModuleName},
	{Account: minttypes.ModuleName, Permissions: []string{authtypes.Minter}},
	{Account: stakingtypes.BondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
	{Account: stakingtypes.NotBondedPoolName, Permissions: []string{authtypes.Burner, stakingtypes.ModuleName}},
	{Account: stakingtypes.KeyRotationFeePoolName, Permissions: []string{authtypes.Burner}},
	{Account: govtypes.ModuleName, Permissions: []string{authtypes.Burner}},
	{Account: markettypes.ModuleName},
	{Account: orderbooktypes.ModuleName},
}

// blockedAccounts may not receive funds by plain transfers; the market's
// account is fed only through its own messages.
var blockedAccounts = []string{
	authtypes.FeeCollectorName,
	distrtypes.ModuleName,
	minttypes.ModuleName,
	stakingtypes.BondedPoolName,
	stakingtypes.NotBondedPoolName,
	stakingtypes.KeyRotationFeePoolName,
	markettypes.ModuleName,
	orderbooktypes.ModuleName,
}

// AppConfig is the depinject configuration of the whole app.
func AppConfig() depinject.Config {
	return depinject.Configs(
		appconfig.Compose(&appv1alpha1.Config{Modules: modules()}),
		depinject.Supply(
			// genutil's CLI needs its basic module with the message validator.
			map[string]module.AppModuleBasic{
				genutiltypes.ModuleName: genutil.NewAppModuleBasic(genutiltypes.DefaultMessageValidator),
			},
		),
	)
}

func modules() []*appv1alpha1.ModuleConfig {
	return []*appv1alpha1.ModuleConfig{
		{
			Name: "runtime",
			Config: appconfig.WrapAny(&runtimev1alpha1.Module{
				AppName: Name,
				// upgrade first: at an upgrade height its migrations must
				// run before any other module touches the block.
				PreBlockers: []string{upgradetypes.ModuleName, authtypes.ModuleName},
				// evidence after slashing (which records the last block's
				// signatures) and before staking (whose EndBlock turns the
				// jailing into a validator-set update).
				BeginBlockers: []string{
					minttypes.ModuleName,
					distrtypes.ModuleName,
					slashingtypes.ModuleName,
					evidencetypes.ModuleName,
					stakingtypes.ModuleName,
				},
				// bank first (SDK v0.55); the market after staking and gov
				// so that its scheduled work sees the block's final stakes.
				EndBlockers: []string{
					banktypes.ModuleName,
					govtypes.ModuleName,
					stakingtypes.ModuleName,
					markettypes.ModuleName,
					orderbooktypes.ModuleName,
				},
				InitGenesis: []string{
					authtypes.ModuleName,
					banktypes.ModuleName,
					distrtypes.ModuleName,
					stakingtypes.ModuleName,
					slashingtypes.ModuleName,
					govtypes.ModuleName,
					minttypes.ModuleName,
					genutiltypes.ModuleName,
					evidencetypes.ModuleName,
					consensustypes.ModuleName,
					upgradetypes.ModuleName,
					markettypes.ModuleName,
					orderbooktypes.ModuleName,
				},
				OverrideStoreKeys: []*runtimev1alpha1.StoreKeyConfig{
					{ModuleName: authtypes.ModuleName, KvStoreKey: "acc"},
				},
			}),
		},
		{
			Name: authtypes.ModuleName,
			Config: appconfig.WrapAny(&authmodulev1.Module{
				Bech32Prefix:             Bech32PrefixAccAddr,
				ModuleAccountPermissions: moduleAccPerms,
			}),
		},
		{
			Name:   banktypes.ModuleName,
			Config: appconfig.WrapAny(&bankmodulev1.Module{BlockedModuleAccountsOverride: blockedAccounts}),
		},
		{
			Name: stakingtypes.ModuleName,
			Config: appconfig.WrapAny(&stakingmodulev1.Module{
				Bech32PrefixValidator: Bech32PrefixValAddr,
				Bech32PrefixConsensus: Bech32PrefixConsAddr,
			}),
		},
		{Name: slashingtypes.ModuleName, Config: appconfig.WrapAny(&slashingmodulev1.Module{})},
		{Name: "tx", Config: appconfig.WrapAny(&txconfigv1.Config{})},
		{Name: genutiltypes.ModuleName, Config: appconfig.WrapAny(&genutilmodulev1.Module{})},
		{Name: minttypes.ModuleName, Config: appconfig.WrapAny(&mintmodulev1.Module{})},
		{Name: distrtypes.ModuleName, Config: appconfig.WrapAny(&distrmodulev1.Module{})},
		{Name: govtypes.ModuleName, Config: appconfig.WrapAny(&govmodulev1.Module{})},
		{Name: consensustypes.ModuleName, Config: appconfig.WrapAny(&consensusmodulev1.Module{})},
		// Double-sign evidence from CometBFT slashes, jails and tombstones.
		{Name: evidencetypes.ModuleName, Config: appconfig.WrapAny(&evidencemodulev1.Module{})},
		// Software upgrades; the authority defaults to the gov module account.
		{Name: upgradetypes.ModuleName, Config: appconfig.WrapAny(&upgrademodulev1.Module{})},
		{Name: markettypes.ModuleName, Config: appconfig.WrapAny(&markettypes.Module{})},
		// Standing offers and market data (ADR 0007).
		{Name: orderbooktypes.ModuleName, Config: appconfig.WrapAny(&orderbooktypes.Module{})},
	}
}

// BlockedAddresses are the module accounts that plain transfers may not
// reach, by bech32 address.
func BlockedAddresses() map[string]bool {
	out := make(map[string]bool, len(blockedAccounts))
	for _, name := range blockedAccounts {
		out[authtypes.NewModuleAddress(name).String()] = true
	}
	return out
}
