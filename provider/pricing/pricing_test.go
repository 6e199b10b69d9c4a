package pricing_test

import (
	"context"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, sdkmath.NewInt(n)) }

func quote(gpus uint32, class string, cpu, mem, storage uint64, replicas uint32, max int64) pricing.Quote {
	return pricing.Quote{
		GroupID: 1,
		Resources: types.Resources{
			GPU:       types.GPU{Count: gpus, Class: class},
			CpuMillis: cpu, MemoryMb: mem, StorageGb: storage, Replicas: replicas,
		},
		GPUClass:    class,
		MaxPrice:    udait(max),
		Utilisation: inventory.Ratio{Num: 0, Den: 1},
	}
}

func fixedConfig() pricing.FixedConfig {
	return pricing.FixedConfig{
		GPUPerBlock:      map[string]string{"hopper": "1000", "ada": "150"},
		CPUPer1000Millis: "2.5",
		MemoryPerGB:      "0.1",
		StoragePerGB:     "0.01",
	}
}

func TestFixed(t *testing.T) {
	// 8 hoppers + 64 cores + 512 GB + 2000 GB = 8000 + 160 + 51.2 + 20 = 8231.2
	big := quote(8, "hopper", 64_000, 512_000, 2000, 1, 100_000)
	for _, tc := range []struct {
		name string
		cfg  pricing.FixedConfig
		q    pricing.Quote
		want int64 // 0: declined
	}{
		{"rounds up", fixedConfig(), big, 8232},
		{"replicas multiply before rounding", fixedConfig(), withReplicas(big, 2), 16463},
		{"max price equal to the price", fixedConfig(), withMax(big, 8232), 8232},
		{"max price just below declines", fixedConfig(), withMax(big, 8231), 0},
		{"class chosen by the inventory", fixedConfig(), withGPUClass(quote(2, "", 1000, 1000, 0, 1, 1000), "ada"), 303},
		{"class not priced declines", fixedConfig(), quote(1, "ampere", 1000, 1000, 0, 1, 100_000), 0},
		{"no gpu", fixedConfig(), quote(0, "", 1000, 1000, 0, 1, 100), 3},
		{"exact integer is not rounded", fixedConfig(), quote(0, "", 2000, 0, 0, 1, 100), 5},
		{"zero price becomes 1 udait", pricing.FixedConfig{}, quote(0, "", 1000, 1000, 0, 1, 100), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pricing.NewFixed(tc.cfg)
			require.NoError(t, err)
			checkPrice(t, s, tc.q, tc.want)
		})
	}
}

func TestFixedConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*pricing.FixedConfig)
		ok     bool
	}{
		{"valid", func(*pricing.FixedConfig) {}, true},
		{"empty rates are zero", func(c *pricing.FixedConfig) { *c = pricing.FixedConfig{} }, true},
		{"fraction", func(c *pricing.FixedConfig) { c.MemoryPerGB = "1/3" }, true},
		{"negative", func(c *pricing.FixedConfig) { c.CPUPer1000Millis = "-1" }, false},
		{"not a number", func(c *pricing.FixedConfig) { c.StoragePerGB = "cheap" }, false},
		{"bad gpu rate", func(c *pricing.FixedConfig) { c.GPUPerBlock["hopper"] = "1,000" }, false},
		{"empty class", func(c *pricing.FixedConfig) { c.GPUPerBlock[""] = "1" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fixedConfig()
			tc.mutate(&cfg)
			if tc.ok {
				require.NoError(t, cfg.Validate())
				return
			}
			require.ErrorIs(t, cfg.Validate(), pricing.ErrInvalidConfig)
			_, err := pricing.NewFixed(cfg)
			require.ErrorIs(t, err, pricing.ErrInvalidConfig)
		})
	}
}

func TestInvalidQuote(t *testing.T) {
	s, err := pricing.NewFixed(fixedConfig())
	require.NoError(t, err)
	for name, q := range map[string]pricing.Quote{
		"wrong denom":   {Resources: types.Resources{Replicas: 1}, MaxPrice: sdk.NewInt64Coin("stake", 10)},
		"zero max":      {Resources: types.Resources{Replicas: 1}, MaxPrice: udait(0)},
		"nil max":       {Resources: types.Resources{Replicas: 1}},
		"zero replicas": {MaxPrice: udait(10)},
	} {
		t.Run(name, func(t *testing.T) {
			_, ok, err := s.Price(context.Background(), q)
			require.ErrorIs(t, err, pricing.ErrInvalidQuote)
			require.False(t, ok)
		})
	}
}

func TestConfigSelectsStrategy(t *testing.T) {
	fixed := fixedConfig()
	for _, tc := range []struct {
		name string
		cfg  pricing.Config
		ok   bool
	}{
		{"fixed", pricing.Config{Strategy: "fixed", Fixed: &fixed}, true},
		{"cost_based", pricing.Config{Strategy: "cost_based", CostBased: ptr(costConfig())}, true},
		{"missing section", pricing.Config{Strategy: "cost_based", Fixed: &fixed}, false},
		{"missing script section", pricing.Config{Strategy: "script"}, false},
		{"unknown", pricing.Config{Strategy: "auction"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pricing.New(tc.cfg)
			if !tc.ok {
				require.ErrorIs(t, err, pricing.ErrInvalidConfig)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, s)
		})
	}
}

func checkPrice(t *testing.T, s pricing.Strategy, q pricing.Quote, want int64) {
	t.Helper()
	price, ok, err := s.Price(context.Background(), q)
	require.NoError(t, err)
	if want == 0 {
		require.False(t, ok, "expected a decline, got %s", price)
		return
	}
	require.True(t, ok)
	require.Equal(t, udait(want), price)
	require.True(t, price.Amount.LTE(q.MaxPrice.Amount))
}

func withReplicas(q pricing.Quote, n uint32) pricing.Quote { q.Resources.Replicas = n; return q }
func withMax(q pricing.Quote, m int64) pricing.Quote       { q.MaxPrice = udait(m); return q }
func withGPUClass(q pricing.Quote, c string) pricing.Quote { q.GPUClass = c; return q }
func withUtil(q pricing.Quote, num, den uint64) pricing.Quote {
	q.Utilisation = inventory.Ratio{Num: num, Den: den}
	return q
}
func ptr[T any](v T) *T { return &v }
