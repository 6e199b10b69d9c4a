// Package serving runs what the provider leased: it accepts a lease's
// manifest (checked against the chain), starts each service replica on the
// runtime with its host ports and GPU indices, keeps the workload table in
// the embedded store, watches health, closes leases whose manifest never
// came or whose services fail, stops workloads when a lease closes on
// chain, and re-adopts running workloads after a restart. The gateway
// (package gateway) is its HTTP face; the engine tells it of leases won and
// ended (engine.LeaseObserver).
package serving

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/runtime"
	"github.com/daitchain/daitchain/provider/workloads"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Errors of the manager; the gateway maps each to an HTTP status and a
// stable code.
var (
	ErrNotOnChain      = errors.New("not found on chain")
	ErrUnknownLease    = errors.New("this provider has no such lease (yet)")
	ErrNotYourLease    = errors.New("the lease belongs to another provider")
	ErrLeaseNotLive    = errors.New("the lease is not live")
	ErrNotTenant       = errors.New("only the lease's tenant may do this")
	ErrVersionMismatch = errors.New("the manifest's sha256 is not the deployment's on-chain version")
	ErrBadManifest     = errors.New("invalid manifest")
	ErrSecrets         = errors.New("secrets do not match the manifest")
	ErrNoManifest      = errors.New("no manifest has been sent for this lease")
	ErrNoSuchService   = errors.New("no such service or replica")
	ErrNoCapacity      = errors.New("no host port or GPU left for the workload")
	ErrStart           = errors.New("a workload failed to start")
	ErrBusy            = errors.New("another manifest for this lease is being applied")
	ErrInvalidConfig   = errors.New("invalid serving config")
)

// Chain is what the manager asks of the chain.
type Chain interface {
	Lease(ctx context.Context, id uint64) (types.Lease, error)
	Group(ctx context.Context, id uint64) (types.Group, error)
	Deployment(ctx context.Context, id uint64) (types.Deployment, error)
	// CloseLease sends MsgCloseBid for the lease's bid with reason and
	// returns once the tx is in a block.
	CloseLease(ctx context.Context, bidID uint64, reason types.CloseReason) error
}

// Config is the serving section of the provider config.
type Config struct {
	// ManifestTimeout: a lease whose manifest has not come this long after
	// the provider saw it win is closed (reason manifest_timeout).
	ManifestTimeout time.Duration `yaml:"manifest_timeout"`
	// HostPorts is the inclusive range host ports are assigned from.
	HostPorts [2]uint32 `yaml:"host_ports"`
	// Tick is how often timeouts and health checks are looked at.
	Tick time.Duration `yaml:"tick"`
	// CloseRetry is how long after a failed close tx it is sent again.
	CloseRetry time.Duration `yaml:"close_retry"`
}

// Defaults for zero Config fields.
const (
	DefaultManifestTimeout = 5 * time.Minute
	DefaultTick            = time.Second
	DefaultCloseRetry      = 10 * time.Second
	DefaultPortLow         = 30000
	DefaultPortHigh        = 32767
	// probeTimeout bounds one health probe.
	probeTimeout = 2 * time.Second
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.ManifestTimeout == 0 {
		c.ManifestTimeout = DefaultManifestTimeout
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.CloseRetry == 0 {
		c.CloseRetry = DefaultCloseRetry
	}
	if c.HostPorts == [2]uint32{} {
		c.HostPorts = [2]uint32{DefaultPortLow, DefaultPortHigh}
	}
	return c
}

// Validate checks a config after WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.ManifestTimeout < 0 || c.Tick < 0 || c.CloseRetry < 0:
		return fmt.Errorf("%w: durations must not be negative", ErrInvalidConfig)
	case c.HostPorts[0] < 1024 || c.HostPorts[1] > 65535 || c.HostPorts[0] > c.HostPorts[1]:
		return fmt.Errorf("%w: host_ports %v must be a range within 1024-65535", ErrInvalidConfig, c.HostPorts)
	}
	return nil
}

// Deps are the manager's collaborators; Logger and Now are optional.
type Deps struct {
	Provider string // this provider's address
	Chain    Chain
	Runtime  runtime.Runtime
	Store    *workloads.Store
	// GPUIndices are the host GPU indices of each inventory pool (class).
	GPUIndices map[string][]int
	Logger     *slog.Logger
	Now        func() time.Time
	// SecretKey opens the tenant's sealed secrets: the gateway
	// certificate's private key (nil: manifests with secrets are refused).
	SecretKey *ecdsa.PrivateKey
}

// Manager is safe for concurrent use: the engine's hooks, the gateway's
// handlers and Run's loop all call in.
type Manager struct {
	cfg      Config
	provider string
	chain    Chain
	rt       runtime.Runtime
	store    *workloads.Store
	pools    map[string][]int
	log      *slog.Logger
	now      func() time.Time
	// secretKey opens sealed secrets.
	secretKey *ecdsa.PrivateKey
	http      *http.Client
	kick      chan struct{}

	mu     sync.Mutex
	leases map[uint64]*lease
	rr     map[uint64]uint64 // ingress round robin per lease
}

// lease is the manager's view of one lease.
type lease struct {
	rec workloads.Lease
	// file is rec.Manifest parsed (nil before the manifest).
	file    *manifest.File
	health  map[string]*health // workload id
	ended   bool               // closed on chain: stop its workloads
	busy    bool               // a manifest is being applied
	closing time.Time          // when the last close tx was tried
}

// health is one workload's check state.
type health struct {
	check     manifest.Health // Every and FailAfter always set
	probe     bool            // false: liveness only (the runtime says it runs)
	hostPort  uint32
	started   time.Time
	last      time.Time // last probe; zero before the first
	fails     uint32    // in a row
	ok        bool      // last probe passed
	running   bool
	detail    string
	exitCode  int
	probeOnce bool // at least one probe done
}

// New builds a manager and restores the workload table: running workloads
// are adopted (or started again when they are gone and need no secret).
// The engine's first scan then says which leases are still live.
func New(ctx context.Context, cfg Config, deps Deps) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Chain == nil || deps.Runtime == nil || deps.Store == nil || deps.Provider == "" {
		return nil, fmt.Errorf("%w: provider, chain, runtime and store are required", ErrInvalidConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	m := &Manager{
		cfg: cfg, provider: deps.Provider, chain: deps.Chain, rt: deps.Runtime, store: deps.Store,
		pools: deps.GPUIndices, log: deps.Logger, now: deps.Now, secretKey: deps.SecretKey,
		http:   &http.Client{Timeout: probeTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		kick:   make(chan struct{}, 1),
		leases: map[uint64]*lease{},
		rr:     map[uint64]uint64{},
	}
	recs, err := m.store.List()
	if err != nil {
		return nil, fmt.Errorf("reading the workload table: %w", err)
	}
	for _, rec := range recs {
		l := &lease{rec: rec, health: map[string]*health{}}
		m.leases[rec.LeaseID] = l
		if rec.Phase != workloads.Running {
			continue
		}
		if err := m.restore(ctx, l); err != nil {
			m.log.Error("restoring lease", "lease", rec.LeaseID, "err", err)
		}
	}
	return m, nil
}

// restore re-adopts a running lease's workloads after a restart.
func (m *Manager) restore(ctx context.Context, l *lease) error {
	f, err := manifest.Parse(l.rec.Manifest)
	if err != nil {
		return fmt.Errorf("stored manifest: %w", err)
	}
	l.file = f
	g, ok := f.Group(l.rec.Group)
	if !ok {
		return fmt.Errorf("stored manifest has no group %q", l.rec.Group)
	}
	now := m.now()
	for _, w := range l.rec.Workloads {
		svc, ok := serviceOf(g, w.Service)
		if !ok {
			return fmt.Errorf("stored manifest has no service %q", w.Service)
		}
		// Secrets that no longer open (the gateway key was replaced) leave
		// the workload to be adopted, not started again.
		clear, openErr := m.open(l.rec.LeaseID, Secrets{w.Service: l.rec.Secrets[w.Service]})
		canStart := !needsSecrets(svc) || (openErr == nil && len(clear[w.Service]) > 0)
		spec := m.spec(l.rec, g, svc, w, clear[w.Service])
		h := newHealth(svc, w, now)
		l.health[w.ID] = h
		err := m.rt.Adopt(ctx, spec)
		switch {
		case err == nil:
			m.log.Info("adopted workload", "lease", l.rec.LeaseID, "workload", w.ID)
		case errors.Is(err, runtime.ErrNotFound) && canStart:
			if err := m.rt.Start(ctx, spec); err != nil {
				m.log.Error("restarting workload", "lease", l.rec.LeaseID, "workload", w.ID, "err", err)
				continue
			}
			m.log.Info("workload was gone after the restart; started again", "lease", l.rec.LeaseID, "workload", w.ID)
		case errors.Is(err, runtime.ErrNotFound):
			h.detail = "gone after a provider restart; its sealed secrets do not open with the gateway key any more: send the manifest again"
			m.log.Warn("workload gone after the restart and its secrets do not open", "lease", l.rec.LeaseID, "workload", w.ID, "err", openErr)
		default:
			m.log.Error("adopting workload", "lease", l.rec.LeaseID, "workload", w.ID, "err", err)
		}
	}
	return nil
}

var _ engine.LeaseObserver = (*Manager)(nil)

// LeaseWon records a lease that awaits its manifest (the manifest timeout
// starts now) unless it is known.
func (m *Manager) LeaseWon(ref engine.LeaseRef) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.won(ref)
	m.wake()
}

func (m *Manager) won(ref engine.LeaseRef) {
	if l, ok := m.leases[ref.LeaseID]; ok {
		if l.rec.BidID == 0 || l.rec.GPUClass == "" {
			l.rec.BidID, l.rec.GPUClass = max(l.rec.BidID, ref.BidID), ref.GPUClass
			m.put(l)
		}
		return
	}
	now := m.now()
	l := &lease{health: map[string]*health{}, rec: workloads.Lease{
		LeaseID: ref.LeaseID, BidID: ref.BidID, GroupID: ref.GroupID, GPUClass: ref.GPUClass,
		Phase: workloads.AwaitingManifest, LeasedAt: now, UpdatedAt: now,
	}}
	m.leases[ref.LeaseID] = l
	m.put(l)
	m.log.Info("lease awaits its manifest", "lease", ref.LeaseID, "timeout", m.cfg.ManifestTimeout)
}

// LeaseEnded marks a lease closed on chain; Run stops its workloads.
func (m *Manager) LeaseEnded(leaseID uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[leaseID]; ok {
		l.ended = true
	}
	m.wake()
}

// LeasesLive reconciles with the engine's live set: unknown ones are
// recorded, known ones missing from it have ended.
func (m *Manager) LeasesLive(refs []engine.LeaseRef) {
	m.mu.Lock()
	defer m.mu.Unlock()
	live := make(map[uint64]bool, len(refs))
	for _, r := range refs {
		live[r.LeaseID] = true
		m.won(r)
	}
	for id, l := range m.leases {
		if !live[id] {
			l.ended = true
		}
	}
	m.wake()
}

func (m *Manager) wake() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// put writes a record; a failed write is logged (the in-memory state
// stays right; only a restart would lose it).
func (m *Manager) put(l *lease) {
	l.rec.UpdatedAt = m.now()
	if err := m.store.Put(l.rec); err != nil {
		m.log.Error("writing the workload table", "lease", l.rec.LeaseID, "err", err)
	}
}

// Live counts the leases the manager serves or awaits a manifest for.
func (m *Manager) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, l := range m.leases {
		if !l.ended {
			n++
		}
	}
	return n
}

// sortedLeases returns the leases in id order (callers hold mu).
func (m *Manager) sortedLeases() []*lease {
	out := make([]*lease, 0, len(m.leases))
	for _, l := range m.leases {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].rec.LeaseID < out[j].rec.LeaseID })
	return out
}

func serviceOf(g manifest.Group, name string) (manifest.Service, bool) {
	for _, s := range g.Services {
		if s.Name == name {
			return s, true
		}
	}
	return manifest.Service{}, false
}

func needsSecrets(s manifest.Service) bool {
	for _, e := range s.Env {
		if e.Secret {
			return true
		}
	}
	return false
}
