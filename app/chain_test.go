package app_test

import (
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	"cosmossdk.io/log/v2"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/codec"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/app"
)

// A small in-process chain driven through ABCI (InitChain, FinalizeBlock,
// Commit) the way CometBFT drives daitd, on a goleveldb in a temporary home,
// so that a test can stop the app and start another binary on the same data.

const (
	testChainID   = "daitchain-test"
	blockInterval = 5 * time.Second
)

var genesisTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testChain is one node's app and the keys of the chain's genesis: a
// validator (bonded at genesis) and a user who holds funds and the whole
// delegation to that validator, so the user's vote decides gov proposals.
type testChain struct {
	t    *testing.T
	home string
	app  *app.App

	valSet  *cmttypes.ValidatorSet
	user    cryptotypes.PrivKey
	height  int64     // last committed
	time    time.Time // of the last committed block
	txNonce int64
	opts    simtestutil.AppOptionsMap // node options beyond the home
}

// newTestChain starts a chain with the binary of the given upgrades (see
// NewWithUpgrades): genesis, and block 1 committed. More genesis accounts
// come from extra (each funded with 1,000,000 DAIT); edit changes genesis.
func newTestChain(t *testing.T, upgrades []app.Upgrade, extra []cryptotypes.PrivKey, edit func(codec.JSONCodec, map[string]json.RawMessage)) *testChain {
	t.Helper()
	return newTestChainOpts(t, nil, upgrades, extra, edit)
}

// newTestChainOpts is newTestChain on a node with the given app options.
func newTestChainOpts(t *testing.T, opts simtestutil.AppOptionsMap, upgrades []app.Upgrade, extra []cryptotypes.PrivKey, edit func(codec.JSONCodec, map[string]json.RawMessage)) *testChain {
	t.Helper()
	c := &testChain{
		t:    t,
		home: t.TempDir(),
		user: secp256k1.GenPrivKeyFromSecret([]byte("user")),
		time: genesisTime,
		opts: opts,
	}
	c.start(upgrades)

	valKey := ed25519.GenPrivKeyFromSecret([]byte("genesis validator"))
	cmtPub, err := cryptocodec.ToCmtPubKeyInterface(valKey.PubKey())
	require.NoError(t, err)
	c.valSet = cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(cmtPub, 1)})

	funds := sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1_000_000_000_000)))
	var (
		accounts []authtypes.GenesisAccount
		balances []banktypes.Balance
	)
	for i, k := range append([]cryptotypes.PrivKey{c.user}, extra...) {
		addr := sdk.AccAddress(k.PubKey().Address())
		accounts = append(accounts, authtypes.NewBaseAccount(addr, k.PubKey(), uint64(i), 0))
		balances = append(balances, banktypes.Balance{Address: addr.String(), Coins: funds})
	}
	genesis, err := simtestutil.GenesisStateWithValSet(c.app.AppCodec(), c.app.DefaultGenesis(), c.valSet, accounts, balances...)
	require.NoError(t, err)
	if edit != nil {
		edit(c.app.AppCodec(), genesis)
	}
	appState, err := json.Marshal(genesis)
	require.NoError(t, err)

	// The SDK's test consensus params, without their consensus-level
	// authority (a cosmos1 address): module authorities stay gov's.
	params := *simtestutil.DefaultConsensusParams
	params.Authority = nil
	_, err = c.app.InitChain(&abci.RequestInitChain{
		Time:            genesisTime,
		ChainId:         testChainID,
		ConsensusParams: &params,
		AppStateBytes:   appState,
		InitialHeight:   1,
	})
	require.NoError(t, err)
	c.mustBlock()
	return c
}

// start opens the app (a binary carrying upgrades) on the chain's home.
func (c *testChain) start(upgrades []app.Upgrade) {
	c.t.Helper()
	db, err := dbm.NewDB("application", dbm.GoLevelDBBackend, c.home+"/data")
	require.NoError(c.t, err)
	opts := simtestutil.AppOptionsMap{flags.FlagHome: c.home}
	for k, v := range c.opts {
		opts[k] = v
	}
	c.app = app.NewWithUpgrades(log.NewNopLogger(), db, true, opts, upgrades, baseapp.SetChainID(testChainID))
	c.t.Cleanup(func() { _ = c.app.Close() }) // closing twice is harmless
}

// restart stops the app, as an operator stops the node, and starts the
// binary of upgrades on the same data.
func (c *testChain) restart(upgrades []app.Upgrade) {
	c.t.Helper()
	require.NoError(c.t, c.app.Close())
	c.start(upgrades)
	require.Equal(c.t, c.height, c.app.LastBlockHeight(), "the restarted app resumes at the last committed block")
}

// request is the FinalizeBlock request of the next block.
func (c *testChain) request(txs [][]byte, misbehavior ...abci.Misbehavior) *abci.RequestFinalizeBlock {
	return &abci.RequestFinalizeBlock{
		Height:             c.height + 1,
		Time:               c.time.Add(blockInterval),
		Txs:                txs,
		Misbehavior:        misbehavior,
		NextValidatorsHash: c.valSet.Hash(),
		ProposerAddress:    c.valSet.Validators[0].Address,
	}
}

// block finalizes the next block and, when the app accepts it, commits it.
func (c *testChain) block(txs [][]byte, misbehavior ...abci.Misbehavior) (*abci.ResponseFinalizeBlock, error) {
	req := c.request(txs, misbehavior...)
	res, err := c.app.FinalizeBlock(req)
	if err != nil {
		return nil, err
	}
	if _, err := c.app.Commit(); err != nil {
		return nil, err
	}
	c.height, c.time = req.Height, req.Time
	return res, nil
}

// mustBlock is block for a block that must be accepted.
func (c *testChain) mustBlock(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	res, err := c.block(txs)
	require.NoError(c.t, err, "block %d", c.height+1)
	return res
}

// deliver signs msgs by key in a tx, delivers it in the next block and
// requires it to succeed.
func (c *testChain) deliver(key cryptotypes.PrivKey, msgs ...sdk.Msg) {
	c.t.Helper()
	res := c.mustBlock(c.signTx(key, msgs...))
	require.Len(c.t, res.TxResults, 1)
	require.Zero(c.t, res.TxResults[0].Code, "tx at height %d: %s", c.height, res.TxResults[0].Log)
}

// signTx signs msgs by key with the account's current number and sequence.
func (c *testChain) signTx(key cryptotypes.PrivKey, msgs ...sdk.Msg) []byte {
	c.t.Helper()
	acc := c.app.AccountKeeper.GetAccount(c.ctx(), sdk.AccAddress(key.PubKey().Address()))
	require.NotNil(c.t, acc)
	c.txNonce++ // the mock tx's memo comes from this seed: deterministic
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(c.txNonce)), c.app.TxConfig(), msgs, sdk.Coins{},
		2_000_000, testChainID, []uint64{acc.GetAccountNumber()}, []uint64{acc.GetSequence()}, key)
	require.NoError(c.t, err)
	bz, err := c.app.TxConfig().TxEncoder()(tx)
	require.NoError(c.t, err)
	return bz
}

// ctx reads the committed state at the last height.
func (c *testChain) ctx() sdk.Context {
	return c.app.NewContextLegacy(true, cmtproto.Header{Height: c.height, Time: c.time, ChainID: testChainID})
}
