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

// The runtime section is checked before anything runs.
func TestConfigRuntime(t *testing.T) {
	cfg, err := provider.LoadConfig(filepath.Join("..", "docs", "examples", "provider.yaml"))
	require.NoError(t, err)
	cfg.Runtime.Kind = "docker"
	require.NoError(t, cfg.Validate())
	cfg.Runtime.Docker.Pull = "sometimes"
	require.ErrorContains(t, cfg.Validate(), "runtime.docker: pull")
	cfg.Runtime.Docker.Pull = ""
	cfg.Runtime.Docker.HostIP = "10.1.2.3"
	require.ErrorContains(t, cfg.Validate(), "host_ip")
	cfg.Runtime.Docker.HostIP = "0.0.0.0"
	require.NoError(t, cfg.Validate())
	cfg.Runtime.Kind = "kubernetes"
	require.ErrorContains(t, cfg.Validate(), "want process or docker")
}
