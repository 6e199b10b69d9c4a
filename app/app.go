// Package app wires daitchain: the SDK modules it needs and x/computemarket.
package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/depinject"
	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/cosmos/cosmos-sdk/server/api"
	"github.com/cosmos/cosmos-sdk/server/config"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/x/auth"
	authkeeper "github.com/cosmos/cosmos-sdk/x/auth/keeper"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	bankkeeper "github.com/cosmos/cosmos-sdk/x/bank/keeper"
	distrkeeper "github.com/cosmos/cosmos-sdk/x/distribution/keeper"
	evidencekeeper "github.com/cosmos/cosmos-sdk/x/evidence/keeper"
	govkeeper "github.com/cosmos/cosmos-sdk/x/gov/keeper"
	slashingkeeper "github.com/cosmos/cosmos-sdk/x/slashing/keeper"
	"github.com/cosmos/cosmos-sdk/x/staking"
	stakingkeeper "github.com/cosmos/cosmos-sdk/x/staking/keeper"
	upgradekeeper "github.com/cosmos/cosmos-sdk/x/upgrade/keeper"

	marketkeeper "github.com/daitchain/daitchain/x/computemarket/keeper"
	orderbookkeeper "github.com/daitchain/daitchain/x/orderbook/keeper"
)

// DefaultNodeHome is where daitd keeps its data unless --home says otherwise.
var DefaultNodeHome string

func init() {
	home, err := os.UserHomeDir()
	if err != nil {
		panic(err)
	}
	DefaultNodeHome = filepath.Join(home, ".daitd")
	SetSDKConfig()
}

// SetSDKConfig sets the bech32 prefixes and the bond denom once per process.
func SetSDKConfig() {
	sdk.DefaultBondDenom = BondDenom
	cfg := sdk.GetConfig()
	cfg.SetBech32PrefixForAccount(Bech32PrefixAccAddr, Bech32PrefixAccAddr+"pub")
	cfg.SetBech32PrefixForValidator(Bech32PrefixValAddr, Bech32PrefixValAddr+"pub")
	cfg.SetBech32PrefixForConsensusNode(Bech32PrefixConsAddr, Bech32PrefixConsAddr+"pub")
}

// App is the daitchain application.
type App struct {
	*runtime.App

	legacyAmino       *codec.LegacyAmino
	appCodec          codec.Codec
	txConfig          client.TxConfig
	interfaceRegistry codectypes.InterfaceRegistry

	AccountKeeper  authkeeper.AccountKeeper
	BankKeeper     bankkeeper.BaseKeeper
	StakingKeeper  *stakingkeeper.Keeper
	SlashingKeeper slashingkeeper.Keeper
	DistrKeeper    distrkeeper.Keeper
	GovKeeper      *govkeeper.Keeper
	EvidenceKeeper evidencekeeper.Keeper
	UpgradeKeeper  *upgradekeeper.Keeper
	MarketKeeper   marketkeeper.Keeper
	OrderBook      orderbookkeeper.Keeper

	sm *module.SimulationManager
}

// New builds the app on db, able to execute the upgrades of Upgrades.
func New(logger log.Logger, db dbm.DB, loadLatest bool, appOpts servertypes.AppOptions, baseAppOptions ...func(*baseapp.BaseApp)) *App {
	return newApp(logger, db, loadLatest, appOpts, Upgrades, baseAppOptions...)
}

// newApp is New with the upgrades the binary carries as a parameter, so that
// tests can build the binaries before and after an upgrade.
func newApp(logger log.Logger, db dbm.DB, loadLatest bool, appOpts servertypes.AppOptions, upgrades []Upgrade,
	baseAppOptions ...func(*baseapp.BaseApp),
) *App {
	var (
		app        = &App{}
		appBuilder *runtime.AppBuilder
	)
	if err := depinject.Inject(
		depinject.Configs(AppConfig(), depinject.Supply(logger, appOpts)),
		&appBuilder,
		&app.appCodec,
		&app.legacyAmino,
		&app.txConfig,
		&app.interfaceRegistry,
		&app.AccountKeeper,
		&app.BankKeeper,
		&app.StakingKeeper,
		&app.SlashingKeeper,
		&app.DistrKeeper,
		&app.GovKeeper,
		&app.EvidenceKeeper,
		&app.UpgradeKeeper,
		&app.MarketKeeper,
		&app.OrderBook,
	); err != nil {
		panic(err)
	}
	// The matcher asks the order book for offers (ADR 0007); the order book
	// asked computemarket for providers at construction, so this link is
	// made here.
	app.MarketKeeper.SetOfferBook(app.OrderBook)
	app.App = appBuilder.Build(db, baseAppOptions...)
	app.SetCircuitBreaker(msgCircuit{})

	// Upgrade handlers and the store loader of a pending upgrade must be in
	// place before the stores are loaded.
	if err := app.registerUpgrades(upgrades); err != nil {
		panic(err)
	}

	// The simulation manager serves the SDK's simulation (app/sim_test.go).
	// Its genesis accounts are plain accounts: the chain has no vesting.
	app.sm = module.NewSimulationManagerFromAppModules(app.ModuleManager.Modules, map[string]module.AppModuleSimulation{
		authtypes.ModuleName: auth.NewAppModule(app.appCodec, app.AccountKeeper, simGenesisAccounts),
	})
	app.sm.RegisterStoreDecoders()

	if err := app.Load(loadLatest); err != nil {
		panic(err)
	}
	return app
}

// AppCodec returns the app's codec.
func (app *App) AppCodec() codec.Codec { return app.appCodec }

// InterfaceRegistry returns the app's interface registry.
func (app *App) InterfaceRegistry() codectypes.InterfaceRegistry { return app.interfaceRegistry }

// simGenesisAccounts gives every simulation account a base account.
func simGenesisAccounts(simState *module.SimulationState) authtypes.GenesisAccounts {
	out := make(authtypes.GenesisAccounts, len(simState.Accounts))
	for i, acc := range simState.Accounts {
		out[i] = authtypes.NewBaseAccountWithAddress(acc.Address)
	}
	return out
}

// SimulationManager returns the app's simulation manager.
func (app *App) SimulationManager() *module.SimulationManager { return app.sm }

// TxConfig returns the app's tx config.
func (app *App) TxConfig() client.TxConfig { return app.txConfig }

// LegacyAmino returns the app's amino codec.
func (app *App) LegacyAmino() *codec.LegacyAmino { return app.legacyAmino }

// RegisterAPIRoutes registers the REST routes (gRPC gateway) of every module.
func (app *App) RegisterAPIRoutes(apiSvr *api.Server, apiConfig config.APIConfig) {
	app.App.RegisterAPIRoutes(apiSvr, apiConfig)
	if err := server.RegisterSwaggerAPI(apiSvr.ClientCtx, apiSvr.Router, apiConfig.Swagger); err != nil {
		panic(err)
	}
}

// ExportAppStateAndValidators exports the state of every module (or the
// listed ones) at the latest height. Zero-height export (a restart of the
// chain from height 0) is not supported yet and is refused.
func (app *App) ExportAppStateAndValidators(forZeroHeight bool, _ []string, modulesToExport []string) (servertypes.ExportedApp, error) {
	if forZeroHeight {
		return servertypes.ExportedApp{}, fmt.Errorf("export --for-zero-height is not supported")
	}
	ctx := app.NewContextLegacy(true, cmtproto.Header{Height: app.LastBlockHeight()})
	genState, err := app.ModuleManager.ExportGenesisForModules(ctx, app.appCodec, modulesToExport)
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	appState, err := json.MarshalIndent(genState, "", "  ")
	if err != nil {
		return servertypes.ExportedApp{}, err
	}
	validators, err := staking.WriteValidators(ctx, app.StakingKeeper)
	return servertypes.ExportedApp{
		AppState:        appState,
		Validators:      validators,
		Height:          app.LastBlockHeight(),
		ConsensusParams: app.GetConsensusParams(ctx),
	}, err
}
