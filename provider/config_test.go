package provider_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider"
	"github.com/daitchain/daitchain/provider/pricing"
)

func TestExampleConfig(t *testing.T) {
	cfg, err := provider.LoadConfig(filepath.Join("..", "docs", "examples", "provider.yaml"))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())
	require.Equal(t, "fixed", cfg.Pricing.Strategy)
	_, err = pricing.New(cfg.Pricing)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9464", cfg.MetricsListen)
}

func TestConfigUnknownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte("inventory:\n  gpus: []\n  cpu_millis: 1\n  memory_mb: 1\n  colour: blue\n"), 0o600))
	_, err := provider.LoadConfig(path)
	require.ErrorContains(t, err, "colour")
}
