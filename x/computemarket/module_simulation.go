package computemarket

import (
	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	"github.com/cosmos/cosmos-sdk/types/module"
	simtypes "github.com/cosmos/cosmos-sdk/types/simulation"

	"github.com/daitchain/daitchain/x/computemarket/simulation"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

var (
	_ module.AppModuleSimulation   = AppModule{}
	_ simsx.HasWeightedOperationsX = AppModule{}
	_ simsx.HasProposalMsgsX       = AppModule{}
)

// GenerateGenesisState writes a random genesis of the module.
func (AppModule) GenerateGenesisState(simState *module.SimulationState) {
	simulation.RandomizedGenState(simState)
}

// RegisterStoreDecoder decodes the module's store from its collections
// schema, to print differences in the import/export simulation.
func (am AppModule) RegisterStoreDecoder(sdr simtypes.StoreDecoderRegistry) {
	sdr[types.StoreKey] = simtypes.NewStoreDecoderFuncFromCollectionsSchema(am.keeper.Schema)
}

// WeightedOperations is the SDK's older interface; the simulation uses
// WeightedOperationsX when a module has it.
func (AppModule) WeightedOperations(module.SimulationState) []simtypes.WeightedOperation { return nil }

// WeightedOperationsX registers a factory for every message of the module.
func (am AppModule) WeightedOperationsX(weights simsx.WeightSource, reg simsx.Registry) {
	for _, op := range simulation.NewFactories(am.keeper).Operations() {
		reg.Add(weights.Get(op.Key, op.Weight), op.Factory)
	}
}

// ProposalMsgsX registers the params update as a governance proposal.
func (am AppModule) ProposalMsgsX(weights simsx.WeightSource, reg simsx.Registry) {
	reg.Add(weights.Get("msg_update_params", 20), simulation.NewFactories(am.keeper).UpdateParams())
}
