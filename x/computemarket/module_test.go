package computemarket

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/core/address"
	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"

	"github.com/daitchain/daitchain/internal/appopts"
	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// moduleBank holds a fixed balance in the module account, whatever the
// market's state says it should hold; it moves nothing.
type moduleBank struct{ held math.Int }

func (moduleBank) SendCoinsFromAccountToModule(context.Context, sdk.AccAddress, string, sdk.Coins) error {
	return nil
}

func (moduleBank) SendCoinsFromModuleToAccount(context.Context, string, sdk.AccAddress, sdk.Coins) error {
	return nil
}

func (b moduleBank) GetBalance(_ context.Context, _ sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, b.held)
}

func (moduleBank) FundCommunityPool(context.Context, sdk.Coins, sdk.AccAddress) error { return nil }

type moduleAccounts struct{}

func (moduleAccounts) AddressCodec() address.Codec { return addresscodec.NewBech32Codec("dait") }
func (moduleAccounts) GetModuleAddress(name string) sdk.AccAddress {
	return authtypes.NewModuleAddress(name)
}

type noTiers struct{}

func (noTiers) HasTierForProvider(context.Context, sdk.AccAddress, math.Int) (bool, math.Int, error) {
	return false, math.ZeroInt(), nil
}

// moduleAt builds the module on an empty market whose module account holds
// `held` udait, at height h.
func moduleAt(t *testing.T, held int64, h int64) (AppModule, sdk.Context) {
	t.Helper()
	encCfg := moduletestutil.MakeTestEncodingConfig(AppModule{})
	key := storetypes.NewKVStoreKey(types.StoreKey)
	testCtx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("transient_test"))
	ac := addresscodec.NewBech32Codec("dait")
	authority, err := ac.BytesToString(authtypes.NewModuleAddress(govtypes.ModuleName))
	require.NoError(t, err)
	bank := moduleBank{held: math.NewInt(held)}
	k := keeper.NewKeeper(encCfg.Codec, ac, runtime.NewKVStoreService(key), authority,
		moduleAccounts{}, bank, bank, noTiers{})
	ctx := testCtx.Ctx.WithBlockHeight(h)
	require.NoError(t, k.InitGenesis(ctx, *types.DefaultGenesis()))
	return NewAppModule(encCfg.Codec, k), ctx
}

// TestInvariantCheckHaltsTheBlock: with the operator option on, EndBlock at
// a checked height fails with a typed error when the escrow does not add up
// (here one udait too many in the module account); off, or between checked
// heights, it does not look.
func TestInvariantCheckHaltsTheBlock(t *testing.T) {
	m, ctx := moduleAt(t, 1, 12)
	require.NoError(t, m.EndBlock(ctx), "the check is off by default")
	require.NoError(t, m.WithInvariantCheckPeriod(5).EndBlock(ctx), "12 is not a multiple of 5")
	err := m.WithInvariantCheckPeriod(4).EndBlock(ctx)
	require.ErrorIs(t, err, types.ErrInvariantBroken)
	require.Contains(t, err.Error(), "escrow-conservation")
	require.Contains(t, err.Error(), "height 12")

	m, ctx = moduleAt(t, 0, 12)
	require.NoError(t, m.WithInvariantCheckPeriod(1).EndBlock(ctx), "a market that adds up passes")
}

func TestInvariantCheckPeriodOption(t *testing.T) {
	for _, tc := range []struct {
		value any
		want  uint64
	}{
		{nil, 0}, {"0", 0}, {"7", 7}, {uint64(3), 3}, {1, 1},
	} {
		opts := simtestutil.AppOptionsMap{}
		if tc.value != nil {
			opts[FlagInvariantCheckPeriod] = tc.value
		}
		require.Equal(t, tc.want, appopts.Uint64(opts, FlagInvariantCheckPeriod), "%v", tc.value)
	}
	require.Zero(t, appopts.Uint64(nil, FlagInvariantCheckPeriod))
	require.Panics(t, func() {
		appopts.Uint64(simtestutil.AppOptionsMap{FlagInvariantCheckPeriod: "often"}, FlagInvariantCheckPeriod)
	})
	require.Panics(t, func() {
		appopts.Uint64(simtestutil.AppOptionsMap{FlagInvariantCheckPeriod: "-1"}, FlagInvariantCheckPeriod)
	})
}
