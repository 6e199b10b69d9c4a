package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestProviderDaemonBinary runs the real `daitd provider run` process with a
// temporary config against a real node and the node's test keyring: gas
// estimated on the node (no --gas), it bids, wins and withdraws by itself, its
// /metrics are scraped over HTTP, and one SIGTERM stops it cleanly with
// status 0. (The second signal's exit(1) is TestSignalContextTwoSignals in
// cmd/daitd/cmd: sent to a live binary it would race its clean exit.)
func TestProviderDaemonBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "daitd")
	build := exec.Command("go", "build", "-o", bin, "github.com/daitchain/daitchain/cmd/daitd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build daitd: %v\n%s", err, out)
	}

	c, tenant, provider := providerChain(t)
	metricsAddr := freeAddr(t)
	config := filepath.Join(t.TempDir(), "provider.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`engine:
  withdraw_every: 1s
  rescan_every: 2s
  reconnect_min: 200ms
  reconnect_max: 2s
inventory:
  gpus:
    - { class: hopper, count: 8, memory_gb: 80 }
  cpu_millis: 64000
  memory_mb: 512000
  storage_gb: 2000
pricing:
  strategy: fixed
  fixed:
    gpu_per_block: { hopper: "1000" }
    cpu_per_1000_millis: "10"
    memory_per_gb: "1"
    storage_per_gb: "1"
metrics_listen: %s
`, metricsAddr)), 0o600))

	ctx := c.Ctx()
	daemon := exec.Command(bin, "provider", "run", "--config", config,
		"--from", "provider", "--keyring-backend", "test", "--keyring-dir", ctx.KeyringDir,
		"--node", ctx.NodeURI, "--chain-id", ctx.ChainID, "--home", t.TempDir())
	var out lockedBuffer
	daemon.Stdout, daemon.Stderr = &out, &out
	require.NoError(t, daemon.Start())
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		t.Logf("daemon output:\n%s", out.String())
	})

	// A tenant deploys; the daemon bids and wins.
	version := sha256.Sum256([]byte("daemon binary"))
	spec := group("trainer", 5_000, types.Requirement{Key: "region", Op: types.OpEq, Values: []string{"na-east"}})
	c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{spec}})
	var lease types.Lease
	c.Eventually(func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the daemon exited: %v", err)
		default:
		}
		res, err := c.Market.Leases(context.Background(), &types.QueryLeasesRequest{Provider: provider.String()})
		if err != nil || len(res.Leases) == 0 {
			return false
		}
		lease = res.Leases[0]
		return true
	}, 30)
	require.Equal(t, types.LeaseActive, lease.State)

	// Its metrics, over HTTP, count the bid and the win, and no errors.
	url := "http://" + metricsAddr + "/metrics"
	var m map[string]float64
	c.Eventually(func() bool {
		var err error
		m, err = scrape(url)
		return err == nil && m["daitd_provider_bids_won_total"] == 1
	}, 10)
	require.Equal(t, 1.0, m["daitd_provider_bids_placed_total"])
	require.Equal(t, 1.0, m["daitd_provider_leases_active"])
	require.Equal(t, 0.0, m["daitd_provider_bid_errors_total"])
	require.Equal(t, 0.0, m["daitd_provider_withdraw_errors_total"])
	// It collects earnings on its cadence.
	c.Eventually(func() bool {
		var err error
		m, err = scrape(url)
		return err == nil && m["daitd_provider_earnings_withdrawn_udait_total"] > 0
	}, 10)

	// One SIGTERM: a clean stop, status 0, the metrics server closed.
	require.NoError(t, daemon.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "the daemon's exit after one SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop within 30 s of SIGTERM")
	}
	require.Contains(t, out.String(), "signal=terminated")
	require.Contains(t, out.String(), "provider daemon stopped")
	_, err := scrape(url)
	require.Error(t, err, "the metrics server outlived the daemon")
}

// freeAddr is a 127.0.0.1 address with a port free when it was asked for.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// scrape reads the unlabelled samples of a Prometheus text exposition.
func scrape(url string) (map[string]float64, error) {
	res, err := http.Get(url) //nolint:gosec,noctx // a test's own local address
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.Contains(line, "{") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", url, line, err)
		}
		m[name] = v
	}
	return m, sc.Err()
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
