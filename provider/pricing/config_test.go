package pricing_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/daitchain/daitchain/provider/pricing"
)

// The README's examples decode strictly into the config structs.
func TestConfigYAML(t *testing.T) {
	script := filepath.Join(t.TempDir(), "price.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755))
	for _, tc := range []struct {
		name string
		doc  string
	}{
		{"fixed", `
strategy: fixed
fixed:
  gpu_per_block: { hopper: "1000", ada: "150" }
  cpu_per_1000_millis: "2.5"
  memory_per_gb: "0.1"
  storage_per_gb: "0.01"
`},
		{"cost_based", `
strategy: cost_based
cost_based:
  energy_per_kwh: "100000"
  block_seconds: "6"
  gpus:
    hopper: { watts: "700", amortisation_per_block: "500" }
  cpu_watts_per_1000_millis: "10"
  cpu_amortisation_per_1000_millis: "1"
  memory_amortisation_per_gb: "0.1"
  storage_amortisation_per_gb: "0.01"
  margin_bps: 2000
  idle_factor: "0.8"
  full_factor: "1.5"
`},
		{"script", `
strategy: script
script:
  path: ` + script + `
  args: ["--market", "eu"]
  timeout: 2s
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg pricing.Config
			dec := yaml.NewDecoder(bytes.NewBufferString(tc.doc))
			dec.KnownFields(true)
			require.NoError(t, dec.Decode(&cfg))
			require.NoError(t, cfg.Validate())
			if cfg.Script != nil {
				require.Equal(t, 2*time.Second, cfg.Script.Timeout)
			}
			_, err := pricing.New(cfg)
			require.NoError(t, err)
		})
	}
}
