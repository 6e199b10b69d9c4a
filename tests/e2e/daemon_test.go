package e2e

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/internal/chainclient"
	providerchain "github.com/daitchain/daitchain/provider/chain"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestProviderEngine runs the provider engine against a real node, through
// the gRPC queries, signed txs and the CometBFT websocket: it bids on a new
// group by itself, wins the auction, withdraws its earnings, and stops
// cleanly when cancelled. Its txs take the daemon's default path: gas
// estimated by a simulation on the node.
func TestProviderEngine(t *testing.T) {
	c, tenant, provider := providerChain(t)

	// The daemon's parts, wired to the node.
	clientCtx := c.Ctx().WithFromName("provider").WithFromAddress(provider)
	txf := tx.Factory{}.WithChainID(clientCtx.ChainID).WithKeybase(clientCtx.Keyring).WithTxConfig(clientCtx.TxConfig).
		WithAccountRetriever(clientCtx.AccountRetriever).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT).
		// The daemon's default when no --gas is given: estimate each tx.
		WithSimulateAndExecute(true).WithGasAdjustment(1.5).WithFromName("provider")
	inv, err := inventory.New(inventory.Config{GPUs: []inventory.GPUPool{{Class: "hopper", Count: 8, MemoryGB: 80}}, CPUMillis: 64_000, MemoryMB: 512_000, StorageGB: 2_000})
	require.NoError(t, err)
	strategy, err := pricing.NewFixed(pricing.FixedConfig{GPUPerBlock: map[string]string{"hopper": "1000"}, CPUPer1000Millis: "10", MemoryPerGB: "1", StoragePerGB: "1"})
	require.NoError(t, err)
	registry := prometheus.NewRegistry()
	eng, err := engine.New(engine.Config{Provider: provider.String(), WithdrawEvery: 2 * time.Second, ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second},
		engine.Deps{
			Chain:     providerchain.New(provider.String(), clientCtx, chainclient.NewSubmitter(clientCtx, txf)),
			Events:    providerchain.NewEvents(c.Val.RPCAddress),
			Inventory: inv,
			Strategy:  strategy,
			Registry:  registry,
			Logger:    slog.New(slog.NewTextHandler(t.Output(), nil)),
		})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	t.Cleanup(cancel)

	// A tenant deploys; nobody bids by hand.
	version := sha256.Sum256([]byte("daemon"))
	spec := group("trainer", 5_000, types.Requirement{Key: "region", Op: types.OpEq, Values: []string{"na-east"}})
	c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{spec}})

	var lease types.Lease
	c.Eventually(func() bool {
		res, err := c.Market.Leases(ctx, &types.QueryLeasesRequest{Provider: provider.String()})
		if err != nil || len(res.Leases) == 0 {
			return false
		}
		lease = res.Leases[0]
		return true
	}, 30)
	require.Equal(t, types.LeaseActive, lease.State)
	require.True(t, lease.Price.Amount.IsPositive() && lease.Price.Amount.LTE(spec.MaxPrice.Amount), lease.Price)

	// The auction's EndBlock event reached the engine: it counts the win.
	c.Eventually(func() bool { return metricValue(t, registry, "daitd_provider_bids_won_total") == 1 }, 10)

	// The engine withdraws on its cadence.
	c.Eventually(func() bool {
		res, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: lease.Id})
		return err == nil && res.Lease.Withdrawn.Amount.IsPositive()
	}, 20)

	// Its first withdrawals, before the lease paid anything, had nothing
	// to collect: none was sent, none is an error.
	require.Equal(t, 0.0, metricValue(t, registry, "daitd_provider_withdraw_errors_total"))
	require.Equal(t, 0.0, metricValue(t, registry, "daitd_provider_bid_errors_total"))

	cancel()
	select {
	case err := <-done:
		require.True(t, err == nil || errors.Is(err, context.Canceled), "Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the engine did not stop after cancel")
	}
}

// providerChain starts a node with a funded tenant and a registered
// provider (keys "tenant" and "provider"), audited for region=na-east.
func providerChain(t *testing.T) (c *chain.Chain, tenant, provider sdk.AccAddress) {
	t.Helper()
	auditor := auditorAddress(t)
	c = chain.Start(t, func(p *types.Params) {
		p.AuditorWhitelist = []string{auditor}
		p.BidDurationBlocks = 6
		p.ProviderMinBond = udait(0)
	})
	tenant = c.NewAccount("tenant", "", sdk.Coin{})
	provider = c.NewAccount("provider", "", sdk.Coin{})
	c.NewAccount("auditor", auditorMnemonic, sdk.Coin{})
	c.MustDeliver(c.Val.Moniker,
		banktypes.NewMsgSend(c.Val.Address, tenant, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, provider, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, c.AddressOf("auditor"), sdk.NewCoins(chain.DAIT(10))))
	c.MustDeliver("provider", &types.MsgCreateProvider{Owner: provider.String(), HostUri: "https://p.example.com"})
	c.MustDeliver("auditor", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider.String(), Attributes: []types.Attribute{{Key: "region", Value: "na-east"}}})
	return c, tenant, provider
}

func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() == name && len(f.Metric) > 0 {
			m := f.Metric[0]
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
		}
	}
	return -1
}
