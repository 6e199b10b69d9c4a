package orderbook

import (
	"cosmossdk.io/core/address"
	"cosmossdk.io/core/appmodule"
	"cosmossdk.io/core/store"
	"cosmossdk.io/depinject"
	"cosmossdk.io/depinject/appconfig"

	"github.com/cosmos/cosmos-sdk/codec"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/daitchain/daitchain/internal/appopts"
	"github.com/daitchain/daitchain/x/orderbook/keeper"
	"github.com/daitchain/daitchain/x/orderbook/types"
)

func init() {
	appconfig.RegisterModule(&types.Module{}, appconfig.Provide(ProvideModule))
}

// ModuleInputs are the dependencies of the module.
type ModuleInputs struct {
	depinject.In

	Config       *types.Module
	Cdc          codec.Codec
	StoreService store.KVStoreService
	AddressCodec address.Codec

	BankKeeper   types.BankKeeper
	MarketKeeper types.MarketKeeper

	AppOpts servertypes.AppOptions `optional:"true"`
}

// FlagInvariantCheckPeriod is the node option that makes EndBlock run the
// order book's invariants every N blocks and halt the node on a broken
// one (0, the default: never).
const FlagInvariantCheckPeriod = "orderbook.invariant-check-period"

// ModuleOutputs are what the module provides to the app.
type ModuleOutputs struct {
	depinject.Out

	Keeper keeper.Keeper
	Module appmodule.AppModule
}

// ProvideModule builds the keeper; the authority defaults to x/gov.
func ProvideModule(in ModuleInputs) ModuleOutputs {
	authority := authtypes.NewModuleAddress(govtypes.ModuleName)
	if in.Config.Authority != "" {
		authority = authtypes.NewModuleAddressOrBech32Address(in.Config.Authority)
	}
	authorityStr, err := in.AddressCodec.BytesToString(authority)
	if err != nil {
		panic(err)
	}
	k := keeper.NewKeeper(in.Cdc, in.AddressCodec, in.StoreService, authorityStr, in.BankKeeper, in.MarketKeeper)
	m := NewAppModule(in.Cdc, k)
	m.bank, m.invariantCheckPeriod = in.BankKeeper, appopts.Uint64(in.AppOpts, FlagInvariantCheckPeriod)
	return ModuleOutputs{Keeper: k, Module: m}
}
