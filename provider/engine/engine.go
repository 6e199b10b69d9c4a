// Package engine is the provider daemon's core loop: it scans the chain's
// open groups, bids through bidengine, follows market events, keeps the
// inventory in step with its bids and leases, and withdraws earnings. All
// chain access goes through the Chain and EventSource interfaces; this
// package has no network code.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/daitchain/daitchain/provider/bidengine"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

var (
	// ErrInvalidConfig is returned by Config.Validate.
	ErrInvalidConfig = errors.New("invalid engine config")
	// ErrMissingDependency is returned by New when a required Deps field is nil.
	ErrMissingDependency = errors.New("missing engine dependency")
	// ErrAlreadyRunning is returned by a second call to Run.
	ErrAlreadyRunning = errors.New("engine already running")
	// ErrGroupNotFound is what Chain.Group wraps when the group does not
	// exist (or was pruned): the engine then drops its bid on it.
	ErrGroupNotFound = errors.New("group not found")
)

// Config is the engine's configuration.
type Config struct {
	// Provider is this provider's address, as events name it.
	Provider string `yaml:"provider"`
	// WithdrawEvery is the withdrawal cadence; 0 withdraws only when a
	// lease closes.
	WithdrawEvery time.Duration `yaml:"withdraw_every"`
	// RescanEvery rescans open groups and reconciles leases periodically,
	// which picks up groups skipped for capacity once capacity frees; 0
	// rescans only on (re)connect.
	RescanEvery time.Duration `yaml:"rescan_every"`
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// attempts to (re)subscribe; the delay resets after a success.
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
}

// Validate checks the config.
func (c Config) Validate() error {
	switch {
	case c.Provider == "":
		return fmt.Errorf("%w: provider is empty", ErrInvalidConfig)
	case c.WithdrawEvery < 0:
		return fmt.Errorf("%w: withdraw_every is negative", ErrInvalidConfig)
	case c.RescanEvery < 0:
		return fmt.Errorf("%w: rescan_every is negative", ErrInvalidConfig)
	case c.ReconnectMin <= 0:
		return fmt.Errorf("%w: reconnect_min must be positive", ErrInvalidConfig)
	case c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("%w: reconnect_max %s is below reconnect_min %s", ErrInvalidConfig, c.ReconnectMax, c.ReconnectMin)
	}
	return nil
}

// Deps are the engine's collaborators. Logger defaults to discarding and
// Clock to the wall clock; the rest are required.
type Deps struct {
	Chain     Chain
	Events    EventSource
	Inventory *inventory.Inventory // owned by the engine from New on
	Strategy  pricing.Strategy
	Registry  *prometheus.Registry
	Logger    *slog.Logger
	Clock     Clock
	// Leases is told of won and ended leases (optional).
	Leases LeaseObserver
}

// Engine runs the provider's bidding loop. Everything mutable (inventory,
// bid book, audit view) belongs to the goroutine inside Run.
type Engine struct {
	cfg      Config
	chain    Chain
	events   EventSource
	inv      *inventory.Inventory
	strategy pricing.Strategy
	log      *slog.Logger
	clock    Clock
	leases   LeaseObserver
	m        *metrics
	running  atomic.Bool
	free     atomic.Pointer[inventory.Free]

	// Owned by Run's goroutine.
	book     map[uint64]*entry // key: group id | value: our bid and its lease
	records  []types.AuditRecord
	auditors []string // whitelisted auditors present in records
}

// entry is our stake in one group: an open bid, or a lease once won.
type entry struct {
	bidID   uint64
	leaseID uint64 // 0 while the bid is open
}

// New validates cfg and builds an engine, registering its metrics on
// deps.Registry.
func New(cfg Config, deps Deps) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.Chain == nil:
		return nil, fmt.Errorf("%w: Chain", ErrMissingDependency)
	case deps.Events == nil:
		return nil, fmt.Errorf("%w: Events", ErrMissingDependency)
	case deps.Inventory == nil:
		return nil, fmt.Errorf("%w: Inventory", ErrMissingDependency)
	case deps.Strategy == nil:
		return nil, fmt.Errorf("%w: Strategy", ErrMissingDependency)
	case deps.Registry == nil:
		return nil, fmt.Errorf("%w: Registry", ErrMissingDependency)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = SystemClock{}
	}
	if deps.Leases == nil {
		deps.Leases = nopObserver{}
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg: cfg, chain: deps.Chain, events: deps.Events, inv: deps.Inventory,
		strategy: deps.Strategy, log: deps.Logger, clock: deps.Clock, leases: deps.Leases, m: m,
		book: map[uint64]*entry{},
	}
	e.updateGauges()
	return e, nil
}

// Run subscribes to events, scans and reconciles, then follows events until
// ctx is cancelled, when it returns nil. A lost stream (or a failed
// subscribe or scan) is retried with exponential backoff, then rescanned.
// Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	withdraw := newTicker(e.clock, e.cfg.WithdrawEvery)
	defer withdraw.stop()
	rescan := newTicker(e.clock, e.cfg.RescanEvery)
	defer rescan.stop()

	var (
		events    <-chan Event
		cancelSub context.CancelFunc = func() {}
		retry     Timer
		delay     = e.cfg.ReconnectMin
	)
	defer func() { cancelSub() }()
	defer func() {
		if retry != nil {
			retry.Stop()
		}
	}()
	backoff := func() {
		e.m.reconnects.Inc()
		e.log.Info("event stream down, retrying", "in", delay)
		retry = e.clock.NewTimer(delay)
		delay = min(2*delay, e.cfg.ReconnectMax)
	}

	for {
		if events == nil && retry == nil {
			subCtx, cancel := context.WithCancel(ctx)
			ch, err := e.connect(subCtx)
			if ctx.Err() != nil {
				cancel()
				return nil
			}
			if err != nil {
				cancel()
				e.log.Warn("connect failed", "err", err)
				backoff()
			} else {
				events, cancelSub, delay = ch, cancel, e.cfg.ReconnectMin
			}
		}
		var retryC <-chan time.Time
		if retry != nil {
			retryC = retry.C()
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				cancelSub()
				cancelSub = func() {}
				backoff()
				continue
			}
			e.handle(ctx, ev)
		case <-retryC:
			retry = nil
		case <-withdraw.c():
			withdraw.rearm()
			e.withdraw(ctx)
		case <-rescan.c():
			rescan.rearm()
			if events != nil { // a reconnect rescans anyway
				if err := e.scan(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("rescan failed", "err", err)
				}
			}
		}
	}
}

// connect subscribes, then scans: subscribing first means no event between
// the scan and the subscription is lost (at worst one is seen twice).
func (e *Engine) connect(ctx context.Context) (<-chan Event, error) {
	ch, err := e.events.Subscribe(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	if err := e.scan(ctx); err != nil {
		return nil, err
	}
	return ch, nil
}

// scan refreshes the audit view, reconciles the book with the chain's
// leases and groups (events may have been missed), and considers every
// biddable group.
func (e *Engine) scan(ctx context.Context) error {
	records, err := e.chain.AuditedAttributes(ctx)
	if err != nil {
		return fmt.Errorf("audited attributes: %w", err)
	}
	e.setRecords(records)
	leases, err := e.chain.MyLeases(ctx)
	if err != nil {
		return fmt.Errorf("my leases: %w", err)
	}
	if err := e.reconcile(ctx, leases); err != nil {
		return err
	}
	groups, err := e.chain.ListBiddableGroups(ctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	for _, g := range groups {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.consider(ctx, g)
	}
	return nil
}

func (e *Engine) setRecords(records []types.AuditRecord) {
	e.records = records
	seen := map[string]bool{}
	e.auditors = e.auditors[:0]
	for _, r := range records {
		if !seen[r.Auditor] {
			seen[r.Auditor] = true
			e.auditors = append(e.auditors, r.Auditor)
		}
	}
}

func (e *Engine) reconcile(ctx context.Context, leases []types.Lease) error {
	live := map[uint64]types.Lease{}
	for _, l := range leases {
		if l.State != types.LeaseClosed && l.Provider == e.cfg.Provider {
			live[l.GroupId] = l
		}
	}
	closed := false
	for _, gid := range sortedKeys(e.book) {
		ent := e.book[gid]
		if l, ok := live[gid]; ok {
			switch {
			case ent.leaseID == 0:
				e.won(gid, l.Id)
			case ent.leaseID != l.Id: // a lease closed and another opened on the group while away
				e.leases.LeaseEnded(ent.leaseID)
				ent.leaseID, ent.bidID = l.Id, l.BidId
				e.leases.LeaseWon(e.ref(gid))
				closed = true
			}
			continue
		}
		if ent.leaseID != 0 {
			e.log.Info("lease closed while disconnected", "lease", ent.leaseID, "group", gid)
			e.leases.LeaseEnded(ent.leaseID)
			e.drop(gid)
			closed = true
			continue
		}
		g, err := e.chain.Group(ctx, gid)
		if errors.Is(err, ErrGroupNotFound) {
			g.State = types.GroupClosed
		} else if err != nil {
			return fmt.Errorf("group %d: %w", gid, err)
		}
		if g.State != types.GroupOpen && g.State != types.GroupOrdered {
			e.log.Info("bid ended while disconnected", "bid", ent.bidID, "group", gid, "state", g.State)
			e.drop(gid)
			e.m.bidsLost.WithLabelValues(lostReconciled).Inc()
		}
	}
	for _, gid := range sortedKeys(live) {
		if _, ok := e.book[gid]; ok {
			continue
		}
		if err := e.adopt(ctx, live[gid]); err != nil {
			return err
		}
	}
	refs := make([]LeaseRef, 0, len(live))
	for _, gid := range sortedKeys(e.book) {
		if e.book[gid].leaseID != 0 {
			refs = append(refs, e.ref(gid))
		}
	}
	e.leases.LeasesLive(refs)
	e.updateGauges()
	if closed {
		e.withdraw(ctx)
	}
	return nil
}

// adopt takes in a lease the book does not know (won before a restart, or
// from a bid placed elsewhere): it holds capacity like any other.
func (e *Engine) adopt(ctx context.Context, l types.Lease) error {
	g, err := e.chain.Group(ctx, l.GroupId)
	if err != nil {
		return fmt.Errorf("group %d of lease %d: %w", l.GroupId, l.Id, err)
	}
	if _, err := e.inv.Reserve(g.Id, g.Spec.Resources); err != nil {
		// The lease runs whatever our inventory says; record it so its
		// close is still followed.
		e.log.Error("lease does not fit the inventory", "lease", l.Id, "group", g.Id, "err", err)
	} else if err := e.inv.Commit(g.Id); err != nil {
		e.log.Error("commit adopted lease", "lease", l.Id, "group", g.Id, "err", err)
	}
	e.book[g.Id] = &entry{bidID: l.BidId, leaseID: l.Id}
	e.log.Info("adopted lease", "lease", l.Id, "group", g.Id)
	e.leases.LeaseWon(e.ref(g.Id))
	e.updateGauges()
	return nil
}

// consider runs Decide on one group and bids when it says so.
func (e *Engine) consider(ctx context.Context, g types.Group) {
	attrs := types.NewAuditedAttributes(e.records, e.auditors, g.Spec.Auditors)
	d, err := bidengine.Decide(ctx, g, attrs, e.inv, e.strategy)
	if err != nil && d.Reason != bidengine.ReasonPricingFailed {
		e.log.Error("decide", "group", g.Id, "err", err)
		return
	}
	if !d.Bid() {
		e.m.skips.WithLabelValues(d.Reason.String()).Inc()
		e.log.Debug("skip group", "group", g.Id, "reason", d.Reason.String(), "detail", d.Detail, "err", err)
		return
	}
	bidID, leaseID, err := e.chain.SubmitBid(ctx, g.Id, d.Price)
	if err != nil {
		if rerr := e.inv.Release(g.Id); rerr != nil {
			e.log.Error("release after failed bid", "group", g.Id, "err", rerr)
		}
		e.m.bidErrors.Inc()
		e.log.Warn("submit bid", "group", g.Id, "price", d.Price.String(), "err", err)
		e.updateGauges()
		return
	}
	e.book[g.Id] = &entry{bidID: bidID}
	e.m.bidsPlaced.Inc()
	e.log.Info("bid placed", "group", g.Id, "bid", bidID, "price", d.Price.String())
	if leaseID != 0 {
		e.won(g.Id, leaseID)
	}
	e.updateGauges()
}

func (e *Engine) handle(ctx context.Context, ev Event) {
	switch ev := ev.(type) {
	case GroupOpened:
		g, err := e.chain.Group(ctx, ev.GroupID)
		if err != nil {
			e.log.Warn("fetch opened group", "group", ev.GroupID, "err", err)
			return
		}
		e.consider(ctx, g)
	case BidLost:
		e.bidEnded(ev.GroupID, ev.BidID, lostAuction)
	case BidClosed:
		e.bidEnded(ev.GroupID, ev.BidID, lostClosed)
	case LeaseCreated:
		if ev.Provider != e.cfg.Provider {
			return // our bid on this group, if any, ends with BidLost
		}
		ent, ok := e.book[ev.GroupID]
		switch {
		case !ok:
			if err := e.adopt(ctx, types.Lease{Id: ev.LeaseID, BidId: ev.BidID, GroupId: ev.GroupID}); err != nil {
				e.log.Warn("adopt lease", "lease", ev.LeaseID, "err", err)
			}
		case ent.leaseID == 0:
			e.won(ev.GroupID, ev.LeaseID)
			e.updateGauges()
		}
	case LeaseClosed:
		ent, ok := e.book[ev.GroupID]
		if !ok || ent.leaseID != ev.LeaseID {
			return
		}
		e.log.Info("lease closed", "lease", ev.LeaseID, "group", ev.GroupID, "reason", ev.Reason.String())
		e.leases.LeaseEnded(ev.LeaseID)
		e.drop(ev.GroupID)
		e.updateGauges()
		e.withdraw(ctx)
	case LeaseInsufficientFunds:
		ent, ok := e.book[ev.GroupID]
		if ev.Provider == e.cfg.Provider || (ok && ent.leaseID == ev.LeaseID) {
			e.log.Warn("lease escrow cannot pay the next block", "lease", ev.LeaseID, "group", ev.GroupID, "balance", ev.Balance.String())
		}
	default:
		e.log.Warn("unknown event", "type", fmt.Sprintf("%T", ev))
	}
}

func (e *Engine) bidEnded(groupID, bidID uint64, how string) {
	ent, ok := e.book[groupID]
	if !ok || ent.bidID != bidID || ent.leaseID != 0 {
		return
	}
	e.log.Info("bid ended", "bid", bidID, "group", groupID, "how", how)
	e.drop(groupID)
	e.m.bidsLost.WithLabelValues(how).Inc()
	e.updateGauges()
}

func (e *Engine) won(groupID, leaseID uint64) {
	if err := e.inv.Commit(groupID); err != nil {
		e.log.Error("commit won lease", "group", groupID, "lease", leaseID, "err", err)
	}
	e.book[groupID].leaseID = leaseID
	e.m.bidsWon.Inc()
	e.log.Info("lease won", "lease", leaseID, "group", groupID)
	e.leases.LeaseWon(e.ref(groupID))
}

// ref describes the lease of a group in the book.
func (e *Engine) ref(groupID uint64) LeaseRef {
	ent := e.book[groupID]
	r := LeaseRef{LeaseID: ent.leaseID, GroupID: groupID, BidID: ent.bidID}
	if res, ok := e.inv.Reservation(groupID); ok {
		r.GPUClass = res.GPUClass
	}
	return r
}

// drop forgets a group and frees what it held.
func (e *Engine) drop(groupID uint64) {
	delete(e.book, groupID)
	if err := e.inv.Release(groupID); err != nil && !errors.Is(err, inventory.ErrNotReserved) {
		e.log.Error("release", "group", groupID, "err", err)
	}
}

func (e *Engine) withdraw(ctx context.Context) {
	amt, err := e.chain.Withdraw(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.m.withdrawErrors.Inc()
			e.log.Warn("withdraw", "err", err)
		}
		return
	}
	if amt.Denom == types.Denom && !amt.Amount.IsNil() && amt.Amount.IsPositive() {
		f, _ := amt.Amount.ToLegacyDec().Float64()
		e.m.withdrawn.Add(f)
		e.log.Info("withdrew earnings", "amount", amt.String())
	}
}

func (e *Engine) updateGauges() {
	n := 0
	for _, ent := range e.book {
		if ent.leaseID != 0 {
			n++
		}
	}
	e.m.leasesActive.Set(float64(n))
	e.m.utilisation.Set(e.inv.Utilisation().Float64())
	free := e.inv.Free()
	e.free.Store(&free)
}

// Free is the inventory's free capacity as of the engine's last change;
// safe to call from any goroutine.
func (e *Engine) Free() inventory.Free { return *e.free.Load() }

func sortedKeys[V any](m map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ticker is a re-armed timer on the engine's clock; a zero period never fires.
type ticker struct {
	clock  Clock
	period time.Duration
	t      Timer
}

func newTicker(c Clock, period time.Duration) *ticker {
	tk := &ticker{clock: c, period: period}
	tk.rearm()
	return tk
}

func (tk *ticker) rearm() {
	if tk.period > 0 {
		tk.t = tk.clock.NewTimer(tk.period)
	}
}

func (tk *ticker) c() <-chan time.Time {
	if tk.t == nil {
		return nil
	}
	return tk.t.C()
}

func (tk *ticker) stop() {
	if tk.t != nil {
		tk.t.Stop()
	}
}
