package app_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/app"
	"github.com/daitchain/daitchain/x/computemarket"
	markettypes "github.com/daitchain/daitchain/x/computemarket/types"
)

// Nodes with and without the in-consensus invariant check agree on every
// app hash (issue 13): the check writes nothing. Two nodes run the same
// market (a deployment, a bid, a lease that streams, runs dry and closes)
// block by block; one checks the invariants at every block.
func TestInvariantCheckKeepsAppHashes(t *testing.T) {
	tenant := secp256k1.GenPrivKeyFromSecret([]byte("tenant"))
	extra := []cryptotypes.PrivKey{tenant}
	noBond := func(cdc codec.JSONCodec, genesis map[string]json.RawMessage) {
		var gs markettypes.GenesisState
		cdc.MustUnmarshalJSON(genesis[markettypes.ModuleName], &gs)
		gs.Params.ProviderMinBond = sdk.NewInt64Coin(markettypes.Denom, 0)
		genesis[markettypes.ModuleName] = cdc.MustMarshalJSON(&gs)
	}
	plain := newTestChainOpts(t, nil, app.Upgrades, extra, noBond)
	checked := newTestChainOpts(t, simtestutil.AppOptionsMap{computemarket.FlagInvariantCheckPeriod: 1}, app.Upgrades, extra, noBond)
	nodes := []*testChain{plain, checked}

	user := sdk.AccAddress(plain.user.PubKey().Address())
	owner := sdk.AccAddress(tenant.PubKey().Address())
	params := markettypes.DefaultParams()
	spec := markettypes.GroupSpec{
		Name:      "g",
		Resources: markettypes.Resources{GPU: markettypes.GPU{Count: 1, MemoryGb: 80, Class: "hopper"}, CpuMillis: 1000, MemoryMb: 1024, StorageGb: 10, Replicas: 1},
		MaxPrice:  params.LeaseMinDeposit,
		Deposit:   params.LeaseMinDeposit,
	}
	price := sdk.NewCoin(markettypes.Denom, params.LeaseMinDeposit.Amount.QuoRaw(3)) // pays three blocks
	steps := []struct {
		key  cryptotypes.PrivKey
		msgs []sdk.Msg
	}{
		{plain.user, []sdk.Msg{&markettypes.MsgCreateProvider{Owner: user.String(), HostUri: "https://p.example.com"}}},
		{tenant, []sdk.Msg{&markettypes.MsgCreateDeployment{Owner: owner.String(), Version: make([]byte, 32), Groups: []markettypes.GroupSpec{spec}}}},
		{plain.user, []sdk.Msg{&markettypes.MsgCreateBid{Provider: user.String(), GroupId: 1, Price: price}}},
		{tenant, []sdk.Msg{&markettypes.MsgCreateLease{Owner: owner.String(), BidId: 1}}},
	}
	for _, s := range steps {
		var hashes []string
		for _, n := range nodes {
			n.deliver(s.key, s.msgs...)
			hashes = append(hashes, string(n.app.LastCommitID().Hash))
		}
		require.Equal(t, hashes[0], hashes[1], "app hash at height %d", plain.height)
	}
	for range 6 { // the lease pays, runs dry and closes
		var hashes []string
		for _, n := range nodes {
			n.mustBlock()
			hashes = append(hashes, string(n.app.LastCommitID().Hash))
		}
		require.Equal(t, hashes[0], hashes[1], "app hash at height %d", plain.height)
	}
	l, err := checked.app.MarketKeeper.GetLease(checked.ctx(), 1)
	require.NoError(t, err)
	require.Equal(t, markettypes.LeaseClosed, l.State, "the market did work")
	require.Equal(t, markettypes.CloseReasonInsufficientFunds, l.CloseReason)
}
