package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/version"

	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/internal/leasetoken"
	providerchain "github.com/daitchain/daitchain/provider/chain"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/gateway"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/offers"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/provider/runtime"
	"github.com/daitchain/daitchain/provider/serving"
	"github.com/daitchain/daitchain/provider/workloads"
)

// Deps is what Run needs from its caller: the node and the signing key.
type Deps struct {
	// ClientCtx names the node (NodeURI, gRPC), chain id, keyring and the
	// --from account, which is the provider.
	ClientCtx client.Context
	// TxFactory signs and pays for txs (gas estimated when it says so).
	TxFactory tx.Factory
	Logger    *slog.Logger
	// Registry collects the metrics (a new one when nil).
	Registry *prometheus.Registry
	// Ready is called once every listener is bound and the gateway's
	// certificate is on chain (optional).
	Ready func(Endpoints)
}

// Endpoints are where a running daemon answers.
type Endpoints struct {
	MetricsURL string // "" without a metrics server
	GatewayURL string // "" without a gateway
	CertSHA256 []byte
}

// Run runs the provider daemon until ctx ends: the bidding engine, and
// with a gateway configured the lease manager, the gateway and its
// certificate. Listeners are bound before anything starts, so a taken
// port stops the daemon at once with an error naming it.
func Run(ctx context.Context, cfg Config, deps Deps) error {
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	owner := deps.ClientCtx.GetFromAddress().String()
	if deps.ClientCtx.GetFromAddress().Empty() {
		return errors.New("provider: no --from account")
	}
	cfg.Engine.Provider = owner
	if err := cfg.Validate(); err != nil {
		return err
	}
	invCfg, err := detectInventory(ctx, cfg.Inventory, log)
	if err != nil {
		return err
	}
	inv, err := inventory.New(invCfg)
	if err != nil {
		return err
	}
	strategy, err := pricing.New(cfg.Pricing)
	if err != nil {
		return err
	}
	registry := deps.Registry
	if registry == nil {
		registry = prometheus.NewRegistry()
	}
	chain := providerchain.New(owner, deps.ClientCtx, chainclient.NewSubmitter(deps.ClientCtx, deps.TxFactory))

	var (
		eps     Endpoints
		wg      sync.WaitGroup
		errOnce sync.Once
		runErr  error
	)
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		wg.Wait()
	}()
	fail := func(err error) {
		errOnce.Do(func() { runErr = err })
		cancel()
	}

	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics_listen %s: %w", cfg.MetricsListen, err)
		}
		srv := &http.Server{Handler: promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		eps.MetricsURL = fmt.Sprintf("http://%s/metrics", ln.Addr())
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fail(fmt.Errorf("metrics server: %w", err))
			}
		}()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = srv.Shutdown(sctx)
		}()
		log.Info("metrics", "url", eps.MetricsURL)
	}

	var observer engine.LeaseObserver
	var startGateway func(free func() inventory.Free)
	if cfg.Gateway.Listen != "" {
		s, err := newServing(ctx, cfg, invCfg, chain, owner, log)
		if err != nil {
			return err
		}
		defer func() { _ = s.store.Close() }()
		if c, ok := s.runtime.(io.Closer); ok {
			defer func() { _ = c.Close() }()
		}
		observer = s.manager
		eps.GatewayURL, eps.CertSHA256 = cfg.Gateway.PublicURI(), s.fingerprint
		startGateway = func(free func() inventory.Free) {
			srv := gateway.New(cfg.Gateway, gateway.Deps{
				Provider: owner, Version: version.Version, Runtime: s.runtime.Name(), Serving: s.manager,
				Tokens: leasetoken.NewVerifier(owner, chain), Free: free, Logger: log,
			})
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := srv.Serve(ctx, s.listener, s.cert); err != nil {
					fail(fmt.Errorf("gateway: %w", err))
				}
			}()
			go func() {
				defer wg.Done()
				_ = s.manager.Run(ctx)
			}()
		}
	}

	eng, err := engine.New(cfg.Engine, engine.Deps{
		Chain: chain, Events: providerchain.NewEvents(deps.ClientCtx.NodeURI), Inventory: inv,
		Strategy: strategy, Registry: registry, Logger: log, Leases: observer,
	})
	if err != nil {
		return err
	}
	if cfg.Offers.Enabled {
		om, err := offers.New(cfg.Offers, offers.Deps{Chain: chain, Strategy: strategy, Inventory: invCfg, Free: eng.Free, Logger: log})
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = om.Run(ctx)
		}()
		log.Info("offers: keeping one standing offer per GPU pool", "every", cfg.Offers.WithDefaults().Every)
	}
	if startGateway != nil {
		startGateway(eng.Free)
		log.Info("gateway", "url", eps.GatewayURL, "cert_sha256", fmt.Sprintf("%x", eps.CertSHA256))
	}
	if deps.Ready != nil {
		deps.Ready(eps)
	}
	log.Info("provider daemon started", "node", deps.ClientCtx.NodeURI)
	if err := eng.Run(ctx); err != nil {
		fail(err)
	}
	cancel()
	wg.Wait()
	log.Info("provider daemon stopped")
	return runErr
}

// servingParts are the serving side's pieces, built before anything runs.
type servingParts struct {
	store       *workloads.Store
	runtime     runtime.Runtime
	manager     *serving.Manager
	listener    net.Listener
	cert        tls.Certificate
	fingerprint []byte
}

// newServing opens the workload table, the runtime and the certificate,
// binds the gateway, publishes the gateway on chain when the record
// differs, and builds the lease manager (which re-adopts workloads).
func newServing(ctx context.Context, cfg Config, inv inventory.Config, chain *providerchain.Chain, owner string, log *slog.Logger) (*servingParts, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("data_dir is required with a gateway: it holds the certificate and the workload table")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	rt, err := newRuntime(ctx, cfg.Runtime, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	cert, fp, err := gateway.LoadOrCreateCert(filepath.Join(cfg.DataDir, "gateway"), cfg.Gateway.CertHosts())
	if err != nil {
		return nil, err
	}
	rec, found, err := chain.Provider(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the provider record: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("provider %s is not registered: run `daitd tx computemarket create-provider` first", owner)
	}
	uri := cfg.Gateway.PublicURI()
	if rec.HostUri != uri || string(rec.TlsCertSha256) != string(fp) {
		log.Info("publishing the gateway on chain", "host_uri", uri, "cert_sha256", fmt.Sprintf("%x", fp))
		if err := chain.PublishGateway(ctx, rec, uri, fp); err != nil {
			return nil, fmt.Errorf("publishing the gateway (update-provider): %w", err)
		}
	}
	store, err := workloads.Open(filepath.Join(cfg.DataDir, "workloads.db"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Gateway.Listen)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("gateway listen %s: %w", cfg.Gateway.Listen, err)
	}
	key, ok := cert.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		_ = ln.Close()
		_ = store.Close()
		return nil, errors.New("the gateway certificate's key is not ECDSA: delete <data_dir>/gateway to make a new one")
	}
	pools := inv.GPUIndices()
	mgr, err := serving.New(ctx, cfg.Serving, serving.Deps{
		Provider: owner, Chain: chain, Runtime: rt, Store: store, GPUIndices: pools, Logger: log,
		SecretKey: key,
	})
	if err != nil {
		_ = ln.Close()
		_ = store.Close()
		return nil, err
	}
	return &servingParts{store: store, runtime: rt, manager: mgr, listener: ln, cert: cert, fingerprint: fp}, nil
}

// newRuntime builds the configured runtime (the docker one checks that
// its engine answers).
func newRuntime(ctx context.Context, cfg RuntimeConfig, dataDir string) (runtime.Runtime, error) {
	switch cfg.Kind {
	case "", "process":
		return runtime.NewProcess(filepath.Join(dataDir, "workloads"), cfg.StopGrace)
	case "docker":
		return runtime.NewDocker(ctx, cfg.Docker, cfg.StopGrace)
	}
	return nil, fmt.Errorf("runtime.kind %q: want process or docker", cfg.Kind)
}

// detectInventory replaces the config's GPUs by nvidia-smi's when the
// machine has it.
func detectInventory(ctx context.Context, cfg inventory.Config, log *slog.Logger) (inventory.Config, error) {
	gpus, err := inventory.DetectGPUs(ctx)
	switch {
	case errors.Is(err, inventory.ErrNoNvidiaSMI):
		return cfg, nil
	case err != nil:
		return cfg, fmt.Errorf("inventory: %w", err)
	case len(gpus) == 0:
		return cfg, nil
	}
	cfg.GPUs = inventory.Pools(gpus)
	log.Info("GPUs from nvidia-smi", "pools", len(cfg.GPUs), "gpus", len(gpus))
	return cfg, cfg.Validate()
}
