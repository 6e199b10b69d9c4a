package computemarket

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

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
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

// AppModule is the computemarket module.
type AppModule struct {
	cdc    codec.Codec
	keeper keeper.Keeper

	// invariantCheckPeriod: when > 0, EndBlock runs every invariant at the
	// heights divisible by it and fails the block if one is broken. An
	// operator option (FlagInvariantCheckPeriod); it never changes state.
	invariantCheckPeriod uint64
}

// NewAppModule builds the module.
func NewAppModule(cdc codec.Codec, k keeper.Keeper) AppModule {
	return AppModule{cdc: cdc, keeper: k}
}

// WithInvariantCheckPeriod returns the module checking every invariant at
// the end of each block whose height is a multiple of period (0: never).
func (am AppModule) WithInvariantCheckPeriod(period uint64) AppModule {
	am.invariantCheckPeriod = period
	return am
}

func (AppModule) IsOnePerModuleType() {}
func (AppModule) IsAppModule()        {}

// Name returns the module name.
func (AppModule) Name() string { return types.ModuleName }

// ConsensusVersion implements module.HasConsensusVersion.
func (AppModule) ConsensusVersion() uint64 { return ConsensusVersion }

// RegisterLegacyAminoCodec is empty: amino-json signing reads the
// amino.name options of the protos, no legacy registration is needed.
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

// DefaultGenesis returns SPEC's default params and an empty market.
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

// EndBlock closes the auctions and settles the escrow events scheduled at
// this height, and nothing else.
func (am AppModule) EndBlock(ctx context.Context) error {
	if err := am.keeper.EndBlocker(ctx); err != nil {
		return err
	}
	return am.assertInvariants(sdk.UnwrapSDKContext(ctx))
}

// assertInvariants runs the invariants when the operator asked for them at
// this height. A broken invariant fails the block: the node halts instead
// of building on a market that has lost track of money.
func (am AppModule) assertInvariants(ctx sdk.Context) error {
	p := am.invariantCheckPeriod
	if p == 0 || ctx.BlockHeight() <= 0 || uint64(ctx.BlockHeight())%p != 0 {
		return nil
	}
	if msg, broken := keeper.AllInvariants(am.keeper)(ctx); broken {
		return errorsmod.Wrapf(types.ErrInvariantBroken, "height %d: %s", ctx.BlockHeight(), msg)
	}
	return nil
}
