// Package chain starts a real in-process daitchain network (CometBFT node,
// gRPC, REST) for tests, and signs and broadcasts transactions with a real
// keyring.
package chain

import (
	"context"
	"fmt"
	"testing"
	"time"

	dbm "github.com/cosmos/cosmos-db"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/hd"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	pruningtypes "github.com/cosmos/cosmos-sdk/store/v2/pruning/types"
	"github.com/cosmos/cosmos-sdk/testutil/network"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtx "github.com/cosmos/cosmos-sdk/x/auth/tx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	minttypes "github.com/cosmos/cosmos-sdk/x/mint/types"

	"github.com/daitchain/daitchain/app"
	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/x/computemarket"
	"github.com/daitchain/daitchain/x/computemarket/types"
	"github.com/daitchain/daitchain/x/orderbook"
)

// Chain is a running one-validator network.
type Chain struct {
	t   testing.TB
	Net *network.Network
	Val *network.Validator
	// Market is a gRPC client of the computemarket queries.
	Market types.QueryClient
	Bank   banktypes.QueryClient
}

// DAIT returns n DAIT as a udait coin.
func DAIT(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, math.NewInt(n*types.OneDait)) }

// Option changes the network config (genesis, block time) or the node's
// options before start.
type Option func(*settings)

type settings struct {
	network.Config
	invariantPeriod int64
}

// InvariantCheckPeriod runs the computemarket invariants in consensus at
// every n-th block instead of every block (0: never); a load test keeps the
// whole-market walk off most blocks.
func InvariantCheckPeriod(n int64) Option {
	return func(s *settings) { s.invariantPeriod = n }
}

// NoInflation stops minting, so that the community pool grows only by the
// market's take (fees are zero on the test network).
func NoInflation() Option {
	return func(cfg *settings) {
		var gs minttypes.GenesisState
		cfg.Codec.MustUnmarshalJSON(cfg.GenesisState[minttypes.ModuleName], &gs)
		gs.Minter.Inflation = math.LegacyZeroDec()
		gs.Params.InflationMin = math.LegacyZeroDec()
		gs.Params.InflationMax = math.LegacyZeroDec()
		gs.Params.InflationRateChange = math.LegacyZeroDec()
		cfg.GenesisState[minttypes.ModuleName] = cfg.Codec.MustMarshalJSON(&gs)
	}
}

// BlockTime sets the time between blocks.
func BlockTime(d time.Duration) Option {
	return func(cfg *settings) { cfg.TimeoutCommit = d }
}

// Start runs a one-validator network whose market params are changed by
// editParams. The validator is rich: 10,000,000 DAIT, 1,000,000 bonded.
func Start(t testing.TB, editParams func(*types.Params), opts ...Option) *Chain {
	t.Helper()
	cfg, err := network.DefaultConfigWithAppConfig(app.AppConfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg.NumValidators = 1
	cfg.BondDenom = app.BondDenom
	cfg.MinGasPrices = "0" + app.BondDenom
	cfg.AccountTokens = math.NewInt(10_000_000 * types.OneDait)
	cfg.StakingTokens = math.NewInt(10_000_000 * types.OneDait)
	cfg.BondedTokens = math.NewInt(1_000_000 * types.OneDait)
	cfg.TimeoutCommit = 500 * time.Millisecond
	cfg.GenesisState = app.PatchGenesis(cfg.Codec, cfg.GenesisState)

	var gs types.GenesisState
	cfg.Codec.MustUnmarshalJSON(cfg.GenesisState[types.ModuleName], &gs)
	if editParams != nil {
		editParams(&gs.Params)
	}
	cfg.GenesisState[types.ModuleName] = cfg.Codec.MustMarshalJSON(&gs)
	s := settings{Config: cfg, invariantPeriod: 1}
	for _, opt := range opts {
		opt(&s)
	}
	cfg = s.Config

	// The node is daitd's app, with the computemarket invariants checked at
	// the end of every block (unless an option says otherwise): a test whose
	// market loses track of a udait halts the chain at that block.
	cfg.AppConstructor = func(val network.ValidatorI) servertypes.Application {
		// The home is the node's own, so that x/upgrade keeps its
		// upgrade-info.json there and not in the working directory.
		opts := simtestutil.AppOptionsMap{
			computemarket.FlagInvariantCheckPeriod: s.invariantPeriod,
			orderbook.FlagInvariantCheckPeriod:     s.invariantPeriod,
			flags.FlagHome:                         val.GetCtx().Config.RootDir,
		}
		return app.New(val.GetCtx().Logger, dbm.NewMemDB(), true, opts,
			baseapp.SetPruning(pruningtypes.NewPruningOptionsFromString(val.GetAppConfig().Pruning)),
			baseapp.SetMinGasPrices(val.GetAppConfig().MinGasPrices),
			baseapp.SetChainID(cfg.ChainID))
	}

	net, err := network.New(t, t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Cleanup)
	if _, err := net.WaitForHeight(1); err != nil {
		t.Fatal(err)
	}
	val := net.Validators[0]
	return &Chain{
		t:      t,
		Net:    net,
		Val:    val,
		Market: types.NewQueryClient(val.ClientCtx),
		Bank:   banktypes.NewQueryClient(val.ClientCtx),
	}
}

// Ctx is the validator's client context.
func (c *Chain) Ctx() client.Context { return c.Val.ClientCtx }

// NewAccount adds a key to the validator's keyring (from mnemonic, or a
// fresh one when empty), funds it from the validator and returns its address.
func (c *Chain) NewAccount(name, mnemonic string, funds sdk.Coin) sdk.AccAddress {
	c.t.Helper()
	kr := c.Ctx().Keyring
	var (
		rec *keyring.Record
		err error
	)
	if mnemonic == "" {
		rec, _, err = kr.NewMnemonic(name, keyring.English, sdk.FullFundraiserPath, keyring.DefaultBIP39Passphrase, hd.Secp256k1)
	} else {
		rec, err = kr.NewAccount(name, mnemonic, keyring.DefaultBIP39Passphrase, sdk.FullFundraiserPath, hd.Secp256k1)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		c.t.Fatal(err)
	}
	if !funds.IsNil() && funds.IsPositive() {
		c.MustDeliver(c.Val.Moniker, banktypes.NewMsgSend(c.Val.Address, addr, sdk.NewCoins(funds)))
	}
	return addr
}

// AddressOf returns the address of a key of the keyring.
func (c *Chain) AddressOf(name string) sdk.AccAddress {
	rec, err := c.Ctx().Keyring.Key(name)
	if err != nil {
		c.t.Fatal(err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		c.t.Fatal(err)
	}
	return addr
}

// Deliver signs msgs with key `from`, broadcasts them and waits until the
// tx is in a block. It returns the delivered tx response (check Code).
//
// A tx that reaches baseapp's panic recovery (code 111222: a panic in a
// message handler) fails the test: no transaction may panic (issue 12).
func (c *Chain) Deliver(from string, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	res, err := c.broadcast(from, msgs...)
	if err == nil && res.Code == 0 { // a CheckTx refusal is final
		res, err = c.WaitTx(res.TxHash)
	}
	if err == nil && res.Code == panicCode {
		c.t.Errorf("tx from %s reached baseapp's panic recovery (code %d): %s", from, res.Code, res.RawLog)
	}
	return res, err
}

// panicCode is the code baseapp gives a tx whose handler panicked.
const panicCode = 111222

// broadcast signs and sends a tx without waiting for a block.
func (c *Chain) broadcast(from string, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	ctx := c.Ctx()
	addr := c.AddressOf(from)
	if from == c.Val.Moniker {
		addr = c.Val.Address
	}
	ctx = ctx.WithFromName(from).WithFromAddress(addr)
	acc, err := ctx.AccountRetriever.GetAccount(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", from, err)
	}
	txf := tx.Factory{}.
		WithChainID(ctx.ChainID).
		WithKeybase(ctx.Keyring).
		WithTxConfig(ctx.TxConfig).
		WithAccountRetriever(ctx.AccountRetriever).
		WithAccountNumber(acc.GetAccountNumber()).
		WithSequence(acc.GetSequence()).
		WithGas(2_000_000).
		WithSignMode(1) // SIGN_MODE_DIRECT
	b, err := txf.BuildUnsignedTx(msgs...)
	if err != nil {
		return nil, err
	}
	if err := tx.Sign(context.Background(), txf, from, b, true); err != nil {
		return nil, err
	}
	bz, err := ctx.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		return nil, err
	}
	return ctx.WithBroadcastMode("sync").BroadcastTx(bz)
}

// MustDeliver is Deliver that fails the test unless the tx succeeded.
func (c *Chain) MustDeliver(from string, msgs ...sdk.Msg) *sdk.TxResponse {
	c.t.Helper()
	res, err := c.Deliver(from, msgs...)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.Code != 0 {
		c.t.Fatalf("tx from %s failed: code %d (%s): %s", from, res.Code, res.Codespace, res.RawLog)
	}
	return res
}

// WaitTx polls until the tx is in a block, for up to 30 seconds.
func (c *Chain) WaitTx(hash string) (*sdk.TxResponse, error) {
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := authtx.QueryTx(c.Ctx(), hash)
		if err == nil {
			return res, nil
		}
		last = err
	}
	return nil, fmt.Errorf("tx %s not included: %w", hash, last)
}

// AddressFromMnemonic derives the account address of a mnemonic on the
// standard path, so that genesis can name an account before it exists.
func AddressFromMnemonic(mnemonic string) (sdk.AccAddress, error) {
	derived, err := hd.Secp256k1.Derive()(mnemonic, keyring.DefaultBIP39Passphrase, sdk.FullFundraiserPath)
	if err != nil {
		return nil, err
	}
	return sdk.AccAddress(hd.Secp256k1.Generate()(derived).PubKey().Address()), nil
}

// Balance is an account's udait balance.
func (c *Chain) Balance(addr sdk.AccAddress) math.Int {
	c.t.Helper()
	res, err := c.Bank.Balance(context.Background(), &banktypes.QueryBalanceRequest{Address: addr.String(), Denom: types.Denom})
	if err != nil {
		c.t.Fatal(err)
	}
	return res.Balance.Amount
}

// Height is the latest committed height.
func (c *Chain) Height() int64 {
	c.t.Helper()
	h, err := c.Net.LatestHeight()
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

// WaitForHeight waits until the chain has committed height h.
func (c *Chain) WaitForHeight(h int64) {
	c.t.Helper()
	ahead := max(h-c.Height(), 0) // a past height returns at once
	if _, err := c.Net.WaitForHeightWithTimeout(h, time.Duration(ahead+10)*2*time.Second); err != nil {
		c.t.Fatal(err)
	}
}

// Signed is one signer's messages, for DeliverMany.
type Signed struct {
	From string
	Msgs []sdk.Msg
}

// DeliverMany broadcasts the txs of different signers together (they land
// in the same block when they can) and waits for all; every one must pass.
func (c *Chain) DeliverMany(txs ...Signed) []*sdk.TxResponse {
	c.t.Helper()
	hashes := make([]string, len(txs))
	for i, s := range txs {
		res, err := c.broadcast(s.From, s.Msgs...)
		if err != nil {
			c.t.Fatal(err)
		}
		if res.Code != 0 {
			c.t.Fatalf("tx from %s refused: %s", s.From, res.RawLog)
		}
		hashes[i] = res.TxHash
	}
	out := make([]*sdk.TxResponse, len(txs))
	for i, h := range hashes {
		res, err := c.WaitTx(h)
		if err != nil {
			c.t.Fatal(err)
		}
		if res.Code != 0 {
			c.t.Fatalf("tx from %s failed: code %d: %s", txs[i].From, res.Code, res.RawLog)
		}
		out[i] = res
	}
	return out
}

// FirstMsgResponse decodes the response of the first message of a tx.
func FirstMsgResponse(ctx client.Context, res *sdk.TxResponse, out interface{ Unmarshal([]byte) error }) error {
	return chainclient.MsgResponse(ctx, res, 0, out)
}

// Eventually polls cond every 100 ms until it holds, for at most the given
// number of block times; it fails the test otherwise.
func (c *Chain) Eventually(cond func() bool, blocks int) {
	c.t.Helper()
	deadline := time.Now().Add(time.Duration(blocks) * c.Net.Config.TimeoutCommit * 2)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("condition not met within %d blocks", blocks)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
