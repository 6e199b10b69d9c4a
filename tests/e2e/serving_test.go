package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client/tx"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/internal/leasetoken"
	"github.com/daitchain/daitchain/internal/sealed"
	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/gateway"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/provider/serving"
	tenantpkg "github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// buildHello builds the sample service (examples/hello) once per test.
func buildHello(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hello")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/daitchain/daitchain/examples/hello").CombinedOutput()
	require.NoError(t, err, "go build hello: %s", out)
	return bin
}

// servedDaemon is a provider daemon (provider.Run, in process) with a
// gateway, on the test's node.
type servedDaemon struct {
	t    *testing.T
	c    *chain.Chain
	cfg  provider.Config
	eps  provider.Endpoints
	stop func()
}

func servingConfig(t *testing.T, manifestTimeout time.Duration) provider.Config {
	return provider.Config{
		Engine: engine.Config{WithdrawEvery: 5 * time.Second, RescanEvery: 2 * time.Second, ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second},
		Inventory: inventory.Config{
			GPUs:      []inventory.GPUPool{{Class: "hopper", Count: 8, MemoryGB: 80, Indices: []int{0, 1, 2, 3, 4, 5, 6, 7}}},
			CPUMillis: 64_000, MemoryMB: 512_000, StorageGB: 2_000,
		},
		Pricing: pricing.Config{Strategy: "fixed", Fixed: &pricing.FixedConfig{
			GPUPerBlock: map[string]string{"hopper": "1000"}, CPUPer1000Millis: "10", MemoryPerGB: "1", StoragePerGB: "1",
		}},
		Gateway: gateway.Config{Listen: freeAddr(t)},
		Serving: serving.Config{ManifestTimeout: manifestTimeout, Tick: 200 * time.Millisecond, CloseRetry: 2 * time.Second, HostPorts: [2]uint32{41000, 41999}},
		Runtime: provider.RuntimeConfig{StopGrace: 2 * time.Second},
		DataDir: t.TempDir(),
	}
}

// startDaemon runs provider.Run until the returned daemon's stop.
func startDaemon(t *testing.T, c *chain.Chain, prov sdk.AccAddress, cfg provider.Config) *servedDaemon {
	t.Helper()
	clientCtx := c.Ctx().WithFromName("provider").WithFromAddress(prov)
	txf := tx.Factory{}.WithChainID(clientCtx.ChainID).WithKeybase(clientCtx.Keyring).WithTxConfig(clientCtx.TxConfig).
		WithAccountRetriever(clientCtx.AccountRetriever).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT).
		WithSimulateAndExecute(true).WithGasAdjustment(1.5).WithFromName("provider")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan provider.Endpoints, 1)
	done := make(chan error, 1)
	go func() {
		done <- provider.Run(ctx, cfg, provider.Deps{
			ClientCtx: clientCtx, TxFactory: txf, Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
			Ready: func(e provider.Endpoints) { ready <- e },
		})
	}()
	d := &servedDaemon{t: t, c: c, cfg: cfg}
	select {
	case d.eps = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("provider.Run: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("the daemon did not get ready")
	}
	stopped := false
	d.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("the daemon did not stop")
		}
	}
	t.Cleanup(d.stop)
	return d
}

// tenantGateway is the tenant's pinned client of the provider's gateway,
// signing tokens with the keyring key named key as the account claimed.
func tenantGateway(t *testing.T, c *chain.Chain, prov sdk.AccAddress, key string, claimed sdk.AccAddress) *gateway.Client {
	t.Helper()
	res, err := c.Market.Provider(context.Background(), &types.QueryProviderRequest{Owner: prov.String()})
	require.NoError(t, err)
	require.Len(t, res.Provider.TlsCertSha256, types.CertHashLen, "the daemon published its certificate")
	return gateway.NewClient(res.Provider.HostUri, res.Provider.TlsCertSha256,
		gateway.KeyringTokens(claimed.String(), prov.String(), keyringSigner(c, key), time.Minute))
}

func keyringSigner(c *chain.Chain, key string) leasetoken.Signer {
	return func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
		return c.Ctx().Keyring.Sign(key, msg, signing.SignMode_SIGN_MODE_DIRECT)
	}
}

// deployFile creates a deployment from a deployment file (its sha256 is
// the version) and waits for the provider's lease of its first group.
func deployFile(t *testing.T, c *chain.Chain, tenant, prov sdk.AccAddress, file []byte) (types.Lease, uint64) {
	t.Helper()
	f, err := manifest.Parse(file)
	require.NoError(t, err)
	res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: f.Version, Groups: f.Specs()})
	var out types.MsgCreateDeploymentResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &out))
	var lease types.Lease
	c.Eventually(func() bool {
		g, err := c.Market.Group(context.Background(), &types.QueryGroupRequest{Id: out.GroupIds[0]})
		if err != nil || g.Group.LeaseId == 0 {
			return false
		}
		l, err := c.Market.Lease(context.Background(), &types.QueryLeaseRequest{Id: g.Group.LeaseId})
		if err != nil {
			return false
		}
		lease = l.Lease
		return true
	}, 30)
	require.Equal(t, prov.String(), lease.Provider)
	return lease, out.DeploymentId
}

// sendManifest retries while the provider has not yet seen its lease.
func sendManifest(t *testing.T, c *chain.Chain, gw *gateway.Client, leaseID uint64, file []byte, secrets serving.Secrets) serving.LeaseStatus {
	t.Helper()
	var st serving.LeaseStatus
	var err error
	c.Eventually(func() bool {
		st, err = gw.SendManifest(context.Background(), leaseID, file, secrets)
		return !gateway.Retryable(err)
	}, 10)
	require.NoError(t, err)
	return st
}

func refusedWith(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr *gateway.APIError
	require.True(t, errors.As(err, &apiErr), "want a gateway refusal %s, got %v", code, err)
	require.Equal(t, code, apiErr.Code, apiErr.Message)
}

func helloFile(bin, name string, health string, extra string) []byte {
	return []byte(fmt.Sprintf(`groups:
  - name: %s
    resources:
      gpu: { count: 2, memory_gb: 80, class: hopper }
      cpu_millis: 2000
      memory_mb: 4096
      storage_gb: 10
      replicas: 1
    requirements:
      - { key: region, op: "=", value: na-east }
    max_price: 5000udait
    deposit: 60000000udait
    services:
      - name: web
        command: [%q]
        env: { GREETING: hi%s }
        ports: [ { port: 8080, proto: http } ]
        health: %s
        gpus: 2
`, name, bin, extra, health))
}

// TestServingLease is SPEC section 11 end to end on a real node with the
// process runtime: deploy -> lease -> the daemon publishes its gateway ->
// manifest (refusals first: wrong hash, wrong tenant, expired token,
// another provider's lease) -> the service answers through its gateway URL
// with its GPUs -> logs -> the daemon restarts and re-adopts it -> the
// tenant closes -> the process is gone within two blocks.
func TestServingLease(t *testing.T) {
	hello := buildHello(t)
	c, tenant, prov := providerChain(t)
	d := startDaemon(t, c, prov, servingConfig(t, time.Hour))

	rec, err := c.Market.Provider(context.Background(), &types.QueryProviderRequest{Owner: prov.String()})
	require.NoError(t, err)
	require.Equal(t, d.eps.GatewayURL, rec.Provider.HostUri)
	require.Equal(t, d.eps.CertSHA256, rec.Provider.TlsCertSha256)

	file := helloFile(hello, "web", "{ http: /healthz, every: 1s, fail_after: 3 }", ", API_KEY: { secret: true }")
	lease, deploymentID := deployFile(t, c, tenant, prov, file)
	secrets := serving.Secrets{"web": {"API_KEY": "k3y-only-the-workload-sees"}}
	gw := tenantGateway(t, c, prov, "tenant", tenant)
	ctx := context.Background()

	// Refusals, each typed, none changing anything.
	_, err = gw.SendManifest(ctx, lease.Id, append(bytes.Clone(file), '\n'), nil)
	for gateway.Retryable(err) {
		time.Sleep(200 * time.Millisecond)
		_, err = gw.SendManifest(ctx, lease.Id, append(bytes.Clone(file), '\n'), nil)
	}
	refusedWith(t, err, "version_mismatch")
	_, err = tenantGateway(t, c, prov, "auditor", c.AddressOf("auditor")).SendManifest(ctx, lease.Id, file, nil)
	refusedWith(t, err, "not_tenant")
	forged := gateway.NewClient(d.eps.GatewayURL, d.eps.CertSHA256,
		gateway.KeyringTokens(tenant.String(), prov.String(), keyringSigner(c, "auditor"), time.Minute))
	_, err = forged.SendManifest(ctx, lease.Id, file, nil)
	refusedWith(t, err, "token_signature")
	expired := gateway.NewClient(d.eps.GatewayURL, d.eps.CertSHA256, func(_ context.Context, id uint64, scope leasetoken.Scope) (string, error) {
		now := time.Now().Add(-time.Hour)
		return leasetoken.Mint(leasetoken.Claims{Tenant: tenant.String(), Provider: prov.String(), LeaseID: id,
			Scopes: []leasetoken.Scope{scope}, Expires: now.Add(time.Minute).Unix()}, keyringSigner(c, "tenant"), now)
	})
	_, err = expired.SendManifest(ctx, lease.Id, file, nil)
	refusedWith(t, err, "token_expired")
	_, err = gw.Status(ctx, lease.Id+1000)
	refusedWith(t, err, "not_found")
	otherLease := leaseOfAnotherProvider(t, c, tenant)
	_, err = gw.SendManifest(ctx, otherLease, file, nil)
	refusedWith(t, err, "not_your_lease")
	_, err = gw.Logs(ctx, lease.Id, "", 0, 10, false)
	refusedWith(t, err, "no_manifest")
	// Secrets: missing, clear, or sealed for another lease are refused.
	_, err = gw.SendManifest(ctx, lease.Id, file, nil)
	refusedWith(t, err, "bad_secrets")
	_, err = gw.SendSealedManifest(ctx, lease.Id, file, secrets)
	refusedWith(t, err, "bad_secrets")
	elsewhere, err := gw.Seal(ctx, lease.Id+1, secrets)
	require.NoError(t, err)
	_, err = gw.SendSealedManifest(ctx, lease.Id, file, elsewhere)
	refusedWith(t, err, "bad_secrets")
	// The pin is the chain's: a client pinned to another certificate fails.
	wrongPin := gateway.NewClient(d.eps.GatewayURL, make([]byte, 32), gateway.KeyringTokens(tenant.String(), prov.String(), keyringSigner(c, "tenant"), time.Minute))
	_, err = wrongPin.ProviderStatus(ctx)
	require.ErrorContains(t, err, "not the one published on chain")

	// The tenant client (what `daitd tenant deploy --wait` runs) sends the
	// manifest to the winner and waits until the service is ready.
	tc := tenantpkg.New(tenant.String(), c.Market, nil, nil)
	tc.Poll = 200 * time.Millisecond
	_, groups, err := tc.Status(ctx, deploymentID)
	require.NoError(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	served, err := tc.SendManifests(wctx, file, groups, keyringSigner(c, "tenant"), secrets)
	wcancel()
	require.NoError(t, err)
	require.Len(t, served, 1)
	st := *served[0].Status
	require.True(t, st.Ready)
	require.Equal(t, "running", string(st.Phase))
	require.Len(t, st.Services, 1)
	url := st.Services[0].Ports[0].URL
	require.Equal(t, gateway.IngressURL(d.eps.GatewayURL, lease.Id, "web", 8080), url)
	var table bytes.Buffer
	require.NoError(t, tenantpkg.PrintServed(&table, tc.ServedStatus(ctx, groups, keyringSigner(c, "tenant"))))
	require.Contains(t, table.String(), url)
	require.Contains(t, table.String(), "1/1")
	require.Len(t, st.Services[0].Workload[0].GPUs, 2)
	hostPort := st.Services[0].Ports[0].HostPorts[0]

	// The secret reached the workload; the provider stored it only sealed.
	secretSum := fmt.Sprintf("%x\n", sha256.Sum256([]byte(secrets["web"]["API_KEY"])))
	require.Equal(t, secretSum, get(t, gw.HTTPClient(), url+"env-sha256/API_KEY"))
	db, err := os.ReadFile(filepath.Join(d.cfg.DataDir, "workloads.db"))
	require.NoError(t, err)
	require.NotContains(t, string(db), secrets["web"]["API_KEY"])
	require.Contains(t, string(db), sealed.Prefix)

	page := get(t, gw.HTTPClient(), url)
	require.Contains(t, page, fmt.Sprintf("hello from lease %d, service web, replica 0, gpus [%d,%d]", lease.Id,
		st.Services[0].Workload[0].GPUs[0], st.Services[0].Workload[0].GPUs[1]))
	require.Contains(t, page, fmt.Sprintf(`prefix "/lease/%d/web/8080"`, lease.Id))

	logs, err := gw.Logs(ctx, lease.Id, "web", 0, 50, false)
	require.NoError(t, err)
	out, err := io.ReadAll(logs)
	require.NoError(t, err)
	require.NoError(t, logs.Close())
	require.Contains(t, string(out), "GET /healthz")
	require.Contains(t, string(out), "GET /\n")

	pub, err := gw.ProviderStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, pub.LiveLeases)
	require.Equal(t, "process", pub.Runtime)
	require.Equal(t, uint64(6), pub.Free.GPUs[0].Free, "2 of 8 GPUs leased")

	// A restart never closes a lease: the workload is re-adopted.
	d.stop()
	require.Contains(t, get(t, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/", hostPort)), "hello from lease", "the workload outlives the daemon")
	d = startDaemon(t, c, prov, d.cfg)
	c.Eventually(func() bool {
		st, err = gw.Status(ctx, lease.Id)
		return err == nil && st.Ready
	}, 15)
	require.Equal(t, hostPort, st.Services[0].Ports[0].HostPorts[0])
	require.Contains(t, get(t, gw.HTTPClient(), url), "hello from lease")

	// A workload that died while the daemon was down is started again
	// after the restart, with its secret (opened from the sealed copy).
	d.stop()
	workloadID := st.Services[0].Workload[0].ID
	pidFile, err := os.ReadFile(filepath.Join(d.cfg.DataDir, "workloads", workloadID, "pid"))
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscanf(string(pidFile), "%d", &pid)
	require.NoError(t, err)
	require.NoError(t, syscall.Kill(-pid, syscall.SIGKILL))
	c.Eventually(func() bool { return portClosed(hostPort) }, 10)
	startDaemon(t, c, prov, d.cfg) // stopped by its cleanup
	c.Eventually(func() bool {
		st, err = gw.Status(ctx, lease.Id)
		return err == nil && st.Ready
	}, 15)
	require.Equal(t, secretSum, get(t, gw.HTTPClient(), url+"env-sha256/API_KEY"))
	l, err := c.Market.Lease(ctx, &types.QueryLeaseRequest{Id: lease.Id})
	require.NoError(t, err)
	require.Equal(t, types.LeaseActive, l.Lease.State)

	// The tenant closes: within two blocks the process is gone and the
	// gateway no longer routes to it.
	res := c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: deploymentID})
	closedAt := res.Height
	for !portClosed(hostPort) {
		require.LessOrEqual(t, c.Height(), closedAt+2, "the workload still answers two blocks after its lease closed")
		time.Sleep(100 * time.Millisecond)
	}
	_, err = gw.Status(ctx, lease.Id)
	refusedWith(t, err, "lease_not_live")
	resp, err := gw.HTTPClient().Get(url)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusConflict, resp.StatusCode)
}

// TestServingLifecycleCloses: a lease without a manifest closes with
// reason manifest_timeout; a service failing its health check fail_after
// times closes with reason unhealthy. The daemon does both by itself.
func TestServingLifecycleCloses(t *testing.T) {
	hello := buildHello(t)
	c, tenant, prov := providerChain(t)
	startDaemon(t, c, prov, servingConfig(t, 6*time.Second))
	gw := tenantGateway(t, c, prov, "tenant", tenant)

	silent, _ := deployFile(t, c, tenant, prov, helloFile(hello, "silent", "{ http: /healthz }", ""))
	sick := helloFile(hello, "sick", "{ http: /status/500, every: 1s, fail_after: 2 }", "")
	sickLease, _ := deployFile(t, c, tenant, prov, sick)
	sendManifest(t, c, gw, sickLease.Id, sick, nil)

	for _, want := range []struct {
		id     uint64
		reason types.CloseReason
	}{{sickLease.Id, types.CloseReasonUnhealthy}, {silent.Id, types.CloseReasonManifestTimeout}} {
		var l types.Lease
		c.Eventually(func() bool {
			res, err := c.Market.Lease(context.Background(), &types.QueryLeaseRequest{Id: want.id})
			l = res.GetLease()
			return err == nil && l.State == types.LeaseClosed
		}, 30)
		require.Equal(t, want.reason, l.CloseReason, "lease %d", want.id)
	}
}

// leaseOfAnotherProvider registers a second provider that wins a lease of
// its own (a CPU-only group our daemon cannot serve at its price).
func leaseOfAnotherProvider(t *testing.T, c *chain.Chain, tenant sdk.AccAddress) uint64 {
	t.Helper()
	other := c.NewAccount("provider2", "", sdk.Coin{})
	c.MustDeliver(c.Val.Moniker, banktypes.NewMsgSend(c.Val.Address, other, sdk.NewCoins(chain.DAIT(100))))
	c.MustDeliver("provider2", &types.MsgCreateProvider{Owner: other.String(), HostUri: "https://other.example.com"})
	spec := group("other", 5)
	spec.Resources.GPU = types.GPU{}
	res := c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: sha(t, "other"), Groups: []types.GroupSpec{spec}})
	var out types.MsgCreateDeploymentResponse
	require.NoError(t, chain.FirstMsgResponse(c.Ctx(), res, &out))
	c.MustDeliver("provider2", &types.MsgCreateBid{Provider: other.String(), GroupId: out.GroupIds[0], Price: udait(1)})
	var leaseID uint64
	c.Eventually(func() bool {
		g, err := c.Market.Group(context.Background(), &types.QueryGroupRequest{Id: out.GroupIds[0]})
		leaseID = g.GetGroup().LeaseId
		return err == nil && leaseID != 0
	}, 20)
	return leaseID
}

func sha(_ *testing.T, s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", url, body)
	return string(body)
}

func portClosed(port uint32) bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
	if err != nil {
		return true
	}
	_ = conn.Close()
	return false
}
