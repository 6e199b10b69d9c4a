// Package offers is the provider daemon's dynamic pricing on the order
// book (SPEC section 12, issue 15): it keeps one standing offer per GPU
// pool of the inventory (a unit is one GPU with its share of the CPU,
// memory and storage), priced by the daemon's pricing strategy at the
// current utilisation, with capacity the pool's free GPUs. It re-prices
// only when the price moves by at least min_change_bps and at most once
// per min_interval per offer, so it does not spam the chain.
package offers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	cmtypes "github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// Config is the provider config's offers section.
type Config struct {
	// Enabled turns the order-book offers on.
	Enabled bool `yaml:"enabled"`
	// Every is how often prices and capacity are looked at (default 10s).
	Every time.Duration `yaml:"every"`
	// MinInterval is the least time between two updates of one offer
	// (default 1m).
	MinInterval time.Duration `yaml:"min_interval"`
	// MinChangeBps is the least relative price change sent (default 200:
	// 2%); a capacity change is always sent (after MinInterval).
	MinChangeBps uint32 `yaml:"min_change_bps"`
}

// ErrInvalidConfig is returned by Validate.
var ErrInvalidConfig = errors.New("invalid offers config")

// WithDefaults fills what is zero.
func (c Config) WithDefaults() Config {
	if c.Every == 0 {
		c.Every = 10 * time.Second
	}
	if c.MinInterval == 0 {
		c.MinInterval = time.Minute
	}
	if c.MinChangeBps == 0 {
		c.MinChangeBps = 200
	}
	return c
}

// Validate checks the config as WithDefaults leaves it.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Every < 100*time.Millisecond:
		return fmt.Errorf("%w: every %s: at least 100ms", ErrInvalidConfig, c.Every)
	case c.MinInterval < 0:
		return fmt.Errorf("%w: min_interval %s is negative", ErrInvalidConfig, c.MinInterval)
	case c.MinChangeBps > 10_000:
		return fmt.Errorf("%w: min_change_bps %d: at most 10000", ErrInvalidConfig, c.MinChangeBps)
	}
	return nil
}

// Chain is what the manager asks of the node.
type Chain interface {
	// MyOffers are this provider's OPEN offers.
	MyOffers(ctx context.Context) ([]obtypes.Offer, error)
	CreateOffer(ctx context.Context, unit obtypes.ResourceUnit, price sdk.Coin, capacity uint32) error
	UpdateOffer(ctx context.Context, id uint64, price sdk.Coin, capacity uint32, expiresAt int64) error
	CloseOffer(ctx context.Context, id uint64) error
}

// Deps are the manager's collaborators; Logger and Now are optional.
type Deps struct {
	Chain     Chain
	Strategy  pricing.Strategy
	Inventory inventory.Config
	// Free is the engine's live inventory snapshot (what is free, the
	// totals, and so the utilisation).
	Free   func() inventory.Free
	Logger *slog.Logger
	Now    func() time.Time
}

// Manager keeps the offers. Step is its whole work; Run calls it every
// Config.Every.
type Manager struct {
	cfg  Config
	d    Deps
	last map[uint64]time.Time // offer id -> when this daemon last updated it
}

// New builds a manager.
func New(cfg Config, d Deps) (*Manager, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Chain == nil || d.Strategy == nil || d.Free == nil {
		return nil, fmt.Errorf("%w: chain, strategy and free are required", ErrInvalidConfig)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Manager{cfg: cfg, d: d, last: map[uint64]time.Time{}}, nil
}

// Run steps until ctx ends; a failed step is logged and retried at the
// next tick.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Every)
	defer t.Stop()
	for {
		if err := m.Step(ctx); err != nil && ctx.Err() == nil {
			m.d.Logger.Warn("offers: step failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Unit is the resource unit of pool p: one GPU and its share of the
// machine's CPU, memory and storage (floored, at least 1 CPU milli and
// 1 MB).
func Unit(inv inventory.Config, p inventory.GPUPool) obtypes.ResourceUnit {
	var gpus uint64
	for _, q := range inv.GPUs {
		gpus += uint64(q.Count)
	}
	if gpus == 0 {
		gpus = 1
	}
	return obtypes.ResourceUnit{
		GpuClass: p.Class, GpuMemoryGb: p.MemoryGB, Gpus: 1,
		CpuMillis: max(inv.CPUMillis/gpus, 1), MemoryMb: max(inv.MemoryMB/gpus, 1), StorageGb: inv.StorageGB / gpus,
	}
}

// Quote is what the strategy prices for one unit of pool p.
func Quote(u obtypes.ResourceUnit, util inventory.Ratio) pricing.Quote {
	return pricing.Quote{
		Resources: cmtypes.Resources{
			GPU:       cmtypes.GPU{Count: u.Gpus, MemoryGb: u.GpuMemoryGb, Class: u.GpuClass},
			CpuMillis: u.CpuMillis, MemoryMb: u.MemoryMb, StorageGb: u.StorageGb, Replicas: 1,
		},
		GPUClass:    u.GpuClass,
		MaxPrice:    sdk.NewCoin(cmtypes.Denom, obtypes.MaxPrice),
		Utilisation: util,
	}
}

// Step makes the chain's offers match the inventory and the strategy: it
// creates the missing offer of a pool with free GPUs, updates one whose
// capacity changed or whose price moved by min_change_bps (at most once per
// min_interval), and closes one whose pool has nothing free and nothing
// sold through it.
func (m *Manager) Step(ctx context.Context) error {
	mine, err := m.d.Chain.MyOffers(ctx)
	if err != nil {
		return fmt.Errorf("reading my offers: %w", err)
	}
	byClass := map[string]obtypes.Offer{}
	for _, o := range mine {
		c := o.Unit.Class()
		if cur, ok := byClass[c]; !ok || o.Id < cur.Id {
			byClass[c] = o
		}
	}
	snapshot := m.d.Free()
	free := map[string]uint64{}
	for _, g := range snapshot.GPUs {
		free[obtypes.ResourceUnit{GpuClass: g.Class, GpuMemoryGb: g.MemoryGB, Gpus: 1}.Class()] = g.Free
	}
	util := snapshot.Utilisation()
	pools := append([]inventory.GPUPool(nil), m.d.Inventory.GPUs...)
	sort.Slice(pools, func(i, j int) bool { return pools[i].Class < pools[j].Class })
	var errs []error
	for _, p := range pools {
		u := Unit(m.d.Inventory, p)
		price, ok, err := m.d.Strategy.Price(ctx, Quote(u, util))
		if err != nil || !ok {
			if err != nil {
				errs = append(errs, fmt.Errorf("pricing %s: %w", u.Class(), err))
			}
			continue
		}
		capacity := uint32(min(free[u.Class()], uint64(^uint32(0)))) //nolint:gosec // bounded just here
		o, exists := byClass[u.Class()]
		if !exists {
			if capacity == 0 {
				continue
			}
			if err := m.d.Chain.CreateOffer(ctx, u, price, capacity); err != nil {
				errs = append(errs, fmt.Errorf("creating the %s offer: %w", u.Class(), err))
				continue
			}
			m.d.Logger.Info("offer created", "class", u.Class(), "price", price, "capacity", capacity)
			continue
		}
		taken := o.Capacity - o.Available
		capacity += taken
		if capacity == 0 { // nothing free, nothing sold through it: withdraw it
			if err := m.d.Chain.CloseOffer(ctx, o.Id); err != nil {
				errs = append(errs, fmt.Errorf("closing offer %d: %w", o.Id, err))
				continue
			}
			delete(m.last, o.Id)
			m.d.Logger.Info("offer closed: no free GPUs", "offer", o.Id, "class", u.Class())
			continue
		}
		if !m.due(o.Id) || (!moved(o.Price.Amount, price.Amount, m.cfg.MinChangeBps) && capacity == o.Capacity) {
			continue
		}
		if err := m.d.Chain.UpdateOffer(ctx, o.Id, price, capacity, o.ExpiresAt); err != nil {
			errs = append(errs, fmt.Errorf("updating offer %d: %w", o.Id, err))
			continue
		}
		m.last[o.Id] = m.d.Now()
		m.d.Logger.Info("offer re-priced", "offer", o.Id, "class", u.Class(), "from", o.Price, "to", price, "capacity", capacity)
	}
	return errors.Join(errs...)
}

// due says whether min_interval has passed since this daemon last updated
// the offer.
func (m *Manager) due(id uint64) bool {
	t, ok := m.last[id]
	return !ok || m.d.Now().Sub(t) >= m.cfg.MinInterval
}

// moved says whether next differs from cur by at least bps basis points
// of cur (exactly, in integers).
func moved(cur, next math.Int, bps uint32) bool {
	diff := next.Sub(cur).Abs()
	if diff.IsZero() {
		return false
	}
	return diff.MulRaw(10_000).GTE(cur.MulRaw(int64(bps)))
}
