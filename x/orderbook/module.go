// Package orderbook is the order book module (ADR 0007): providers'
// standing offers and per-class market data. x/computemarket matches
// offers against groups through the keeper's OfferBook methods.
package orderbook

import (
	"context"
	"encoding/json"
	"fmt"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/runtime"

	"cosmossdk.io/core/appmodule"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/x/orderbook/keeper"
	"github.com/daitchain/daitchain/x/orderbook/types"
)

// ConsensusVersion is the state version of the module.
const ConsensusVersion = 1

var (
	_ module.AppModuleBasic = AppModule{}
	_ module.HasGenesis     = AppModule{}
	_ module.HasServices    = AppModule{}

	_ appmodule.AppModule     = AppModule{}
	_ appmodule.HasEndBlocker = AppModule{}
)

// AppModule is the orderbook module.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper

	// bank and invariantCheckPeriod: when the period is > 0, EndBlock runs
	// the invariants at heights divisible by it and fails the block on a
	// broken one (an operator option; it never changes state).
	bank                 types.BankKeeper
	invariantCheckPeriod uint64
}

// NewAppModule builds the module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule { return AppModule{cdc: cdc, keeper: k} }

func (AppModule) IsOnePerModuleType() {}
func (AppModule) IsAppModule()        {}

// Name returns the module name.
func (AppModule) Name() string { return types.ModuleName }

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterLegacyAminoCodec is empty: amino-json signing reads the protos'
// amino.name options.
func (AppModule) RegisterLegacyAminoCodec(*codec.LegacyAmino) {}

// RegisterInterfaces registers the module's messages.
func (AppModule) RegisterInterfaces(r codectypes.InterfaceRegistry) { types.RegisterInterfaces(r) }

// RegisterGRPCGatewayRoutes serves the queries over REST.
func (AppModule) RegisterGRPCGatewayRoutes(clientCtx client.Context, mux *gwruntime.ServeMux) {
	if err := types.RegisterQueryHandlerClient(context.Background(), mux, types.NewQueryClient(clientCtx)); err != nil {
		panic(err)
	}
}

// RegisterServices registers the Msg and Query services.
func (am AppModule) RegisterServices(cfg module.Configurator) {
	types.RegisterMsgServer(cfg.MsgServer(), keeper.NewMsgServerImpl(am.keeper))
	types.RegisterQueryServer(cfg.QueryServer(), keeper.NewQueryServerImpl(am.keeper))
}

// DefaultGenesis is an empty book with the default params.
func (AppModule) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	return cdc.MustMarshalJSON(types.DefaultGenesis())
}

// ValidateGenesis validates a genesis state.
func (AppModule) ValidateGenesis(cdc codec.JSONCodec, _ client.TxEncodingConfig, bz json.RawMessage) error {
	var gs types.GenesisState
	if err := cdc.UnmarshalJSON(bz, &gs); err != nil {
		return fmt.Errorf("failed to unmarshal %s genesis state: %w", types.ModuleName, err)
	}
	return gs.Validate()
}

// InitGenesis loads the genesis state; an invalid one halts the chain start.
func (am AppModule) InitGenesis(ctx sdk.Context, cdc codec.JSONCodec, bz json.RawMessage) {
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
	if err := am.keeper.InitGenesis(ctx, gs); err != nil {
		panic(fmt.Errorf("%s genesis: %w", types.ModuleName, err))
	}
}

// ExportGenesis exports the whole state.
func (am AppModule) ExportGenesis(ctx sdk.Context, cdc codec.JSONCodec) json.RawMessage {
	gs, err := am.keeper.ExportGenesis(ctx)
	if err != nil {
		panic(fmt.Errorf("%s export: %w", types.ModuleName, err))
	}
	return cdc.MustMarshalJSON(gs)
}

// EndBlock closes the offers whose expiry has come (bounded per block).
func (am AppModule) EndBlock(ctx context.Context) error {
	if err := am.keeper.EndBlock(ctx); err != nil {
		return err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	p := am.invariantCheckPeriod
	if p == 0 || am.bank == nil || sdkCtx.BlockHeight() <= 0 || uint64(sdkCtx.BlockHeight())%p != 0 {
		return nil
	}
	held := am.bank.GetBalance(ctx, authtypes.NewModuleAddress(types.ModuleName), types.Denom).Amount
	if err := am.keeper.CheckInvariants(ctx, held); err != nil {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "height %d: %v", sdkCtx.BlockHeight(), err)
	}
	return nil
}
