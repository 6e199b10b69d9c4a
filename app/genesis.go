package app

import (
	"encoding/json"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
)

// BondDenom is the base denom of DAIT: every SDK default that names a denom
// (bond, mint, gov deposits, key-rotation fee) uses it.
const (
	BondDenom    = "udait"
	DisplayDenom = "DAIT"
)

// DenomMetadata describes DAIT to wallets: 1 DAIT = 10^6 udait.
func DenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "The native token of daitchain",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microdait"}},
			{Denom: "mdait", Exponent: 3, Aliases: []string{"millidait"}},
			{Denom: DisplayDenom, Exponent: 6},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    "DAIT",
		Symbol:  "DAIT",
	}
}

// bankBasic adds DAIT's metadata to x/bank's default genesis, so that
// `daitd init` writes it.
type bankBasic struct {
	module.AppModuleBasic
}

// DefaultGenesis is x/bank's default with DAIT's metadata.
func (b bankBasic) DefaultGenesis(cdc codec.JSONCodec) json.RawMessage {
	var gs banktypes.GenesisState
	cdc.MustUnmarshalJSON(b.AppModuleBasic.(module.HasGenesisBasics).DefaultGenesis(cdc), &gs)
	gs.DenomMetadata = append(gs.DenomMetadata, DenomMetadata())
	return cdc.MustMarshalJSON(&gs)
}

// WithDaitDefaults adjusts the basic manager that `init` uses.
func WithDaitDefaults(bm module.BasicManager) module.BasicManager {
	if b, ok := bm[banktypes.ModuleName]; ok {
		bm[banktypes.ModuleName] = bankBasic{AppModuleBasic: b}
	}
	return bm
}

// PatchGenesis applies the same defaults to a genesis map built from the
// module manager (the in-process test network uses it).
func PatchGenesis(cdc codec.JSONCodec, gen map[string]json.RawMessage) map[string]json.RawMessage {
	var gs banktypes.GenesisState
	cdc.MustUnmarshalJSON(gen[banktypes.ModuleName], &gs)
	if len(gs.DenomMetadata) == 0 {
		gs.DenomMetadata = append(gs.DenomMetadata, DenomMetadata())
	}
	gen[banktypes.ModuleName] = cdc.MustMarshalJSON(&gs)
	return gen
}

// ValidateGenesis is x/bank's.
func (b bankBasic) ValidateGenesis(cdc codec.JSONCodec, txCfg client.TxEncodingConfig, bz json.RawMessage) error {
	return b.AppModuleBasic.(module.HasGenesisBasics).ValidateGenesis(cdc, txCfg, bz)
}
