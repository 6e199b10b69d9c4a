package pricing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/pricing"
)

// Energy is 100000 udait/kWh over 6 s blocks: 1/6 udait per watt per block.
// One hopper costs 700/6 + 500 and one core 10/6 + 1, so a hopper and a core
// cost 1858/3; with a 20% margin, 743.2.
func costConfig() pricing.CostBasedConfig {
	return pricing.CostBasedConfig{
		EnergyPerKWh:                 "100000",
		BlockSeconds:                 "6",
		GPUs:                         map[string]pricing.GPUCost{"hopper": {Watts: "700", AmortisationPerBlock: "500"}},
		CPUWattsPer1000Millis:        "10",
		CPUAmortisationPer1000Millis: "1",
		MemoryAmortisationPerGB:      "0.1",
		StorageAmortisationPerGB:     "0.01",
		MarginBps:                    2000,
	}
}

func TestCostBased(t *testing.T) {
	one := quote(1, "hopper", 1000, 0, 0, 1, 100_000)
	for _, tc := range []struct {
		name string
		cfg  pricing.CostBasedConfig
		q    pricing.Quote
		want int64
	}{
		{"idle: 743.2 * 0.8", costConfig(), one, 595},
		{"half: 743.2 * 1.15", costConfig(), withUtil(one, 1, 2), 855},
		{"full: 743.2 * 1.5", costConfig(), withUtil(one, 1, 1), 1115},
		{"over full is clamped", costConfig(), withUtil(one, 3, 2), 1115},
		{"replicas multiply: 1486.4 * 0.8", costConfig(), withReplicas(one, 2), 1190},
		{"memory and storage: (1000*0.1 + 1000*0.01 + 0.1*(10/6+1)) * 1.2 * 0.8", costConfig(), quote(0, "", 100, 1_000_000, 1000, 1, 1000), 106},
		{"flat factor", func() pricing.CostBasedConfig {
			c := costConfig()
			c.IdleFactor, c.FullFactor = "1", "1"
			return c
		}(), withUtil(one, 1, 3), 744},
		{"above max declines", costConfig(), withMax(withUtil(one, 1, 1), 1114), 0},
		{"class not priced declines", costConfig(), quote(1, "ada", 1000, 0, 0, 1, 100_000), 0},
		{"zero cost becomes 1 udait", pricing.CostBasedConfig{BlockSeconds: "6"}, one, 0},
		{"zero cost without gpu", pricing.CostBasedConfig{BlockSeconds: "6"}, quote(0, "", 1000, 1000, 0, 1, 10), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pricing.NewCostBased(tc.cfg)
			require.NoError(t, err)
			checkPrice(t, s, tc.q, tc.want)
		})
	}
}

func TestCostBasedMonotonicInUtilisation(t *testing.T) {
	for _, tc := range []struct {
		name       string
		idle, full string
		flat       bool
	}{
		{"defaults", "", "", false},
		{"steep", "0.5", "3", false},
		{"flat", "1.2", "1.2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := costConfig()
			cfg.IdleFactor, cfg.FullFactor = tc.idle, tc.full
			s, err := pricing.NewCostBased(cfg)
			require.NoError(t, err)
			q := quote(8, "hopper", 64_000, 512_000, 2000, 3, 1_000_000_000)
			prev, first := int64(0), int64(0)
			for i := uint64(0); i <= 1000; i++ {
				price, ok, err := s.Price(context.Background(), withUtil(q, i, 1000))
				require.NoError(t, err)
				require.True(t, ok)
				p := price.Amount.Int64()
				require.GreaterOrEqual(t, p, prev, "utilisation %d/1000", i)
				if i == 0 {
					first = p
				}
				prev = p
			}
			if tc.flat {
				require.Equal(t, first, prev)
			} else {
				require.Greater(t, prev, first)
			}
		})
	}
}

func TestCostBasedConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*pricing.CostBasedConfig)
		ok     bool
	}{
		{"valid", func(*pricing.CostBasedConfig) {}, true},
		{"explicit factors", func(c *pricing.CostBasedConfig) { c.IdleFactor, c.FullFactor = "0.5", "2" }, true},
		{"no block time", func(c *pricing.CostBasedConfig) { c.BlockSeconds = "" }, false},
		{"zero block time", func(c *pricing.CostBasedConfig) { c.BlockSeconds = "0" }, false},
		{"negative energy", func(c *pricing.CostBasedConfig) { c.EnergyPerKWh = "-0.1" }, false},
		{"bad gpu watts", func(c *pricing.CostBasedConfig) { c.GPUs["hopper"] = pricing.GPUCost{Watts: "lots"} }, false},
		{"empty class", func(c *pricing.CostBasedConfig) { c.GPUs[""] = pricing.GPUCost{} }, false},
		{"bad amortisation", func(c *pricing.CostBasedConfig) { c.StorageAmortisationPerGB = "x" }, false},
		{"zero idle factor", func(c *pricing.CostBasedConfig) { c.IdleFactor = "0" }, false},
		{"falling curve", func(c *pricing.CostBasedConfig) { c.IdleFactor, c.FullFactor = "1.5", "0.8" }, false},
		{"full below default idle", func(c *pricing.CostBasedConfig) { c.FullFactor = "0.5" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := costConfig()
			tc.mutate(&cfg)
			if tc.ok {
				require.NoError(t, cfg.Validate())
				return
			}
			require.ErrorIs(t, cfg.Validate(), pricing.ErrInvalidConfig)
		})
	}
}
