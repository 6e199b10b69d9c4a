package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/pricing"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	me       = "dait1provider"
	auditor  = "dait1auditor"
	waitFor  = 5 * time.Second // only reached when a test fails
	minDelay = time.Second     // fake clock durations, never slept
	maxDelay = 4 * time.Second
	every    = time.Hour
)

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, sdkmath.NewInt(n)) }

// group needs gpus hopper GPUs, one replica.
func group(id uint64, gpus uint32, mutate ...func(*types.Group)) types.Group {
	g := types.Group{
		Id:    id,
		State: types.GroupOpen,
		Spec: types.GroupSpec{
			Name: "trainer",
			Resources: types.Resources{
				GPU:       types.GPU{Count: gpus, MemoryGb: 80, Class: "hopper"},
				CpuMillis: 1000, MemoryMb: 1000, StorageGb: 10, Replicas: 1,
			},
			Requirements: []types.Requirement{{Key: "region", Op: types.OpIn, Values: []string{"eu-west"}}},
			MaxPrice:     udait(100_000),
		},
	}
	for _, m := range mutate {
		m(&g)
	}
	return g
}

// fakeChain answers from maps and reports calls on channels.
type fakeChain struct {
	mu      sync.Mutex
	groups  map[uint64]types.Group
	leases  []types.Lease
	nextBid uint64
	earned  sdk.Coin
	// bidErr and withdrawErr, when set, are what SubmitBid (on that group)
	// and Withdraw return instead of succeeding.
	bidErr      map[uint64]error
	withdrawErr error

	bids      chan uint64 // group ids bid on, failed attempts too
	withdraws chan struct{}
	scans     chan struct{}
}

func newFakeChain(groups ...types.Group) *fakeChain {
	c := &fakeChain{
		groups: map[uint64]types.Group{}, nextBid: 100, earned: udait(123), bidErr: map[uint64]error{},
		bids: make(chan uint64, 64), withdraws: make(chan struct{}, 64), scans: make(chan struct{}, 64),
	}
	for _, g := range groups {
		c.groups[g.Id] = g
	}
	return c
}

func (c *fakeChain) setGroup(g types.Group) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.groups[g.Id] = g
}

func (c *fakeChain) ListBiddableGroups(context.Context) ([]types.Group, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []types.Group
	for id := uint64(0); id < 100; id++ { // ordered, like a paginated scan
		if g, ok := c.groups[id]; ok && (g.State == types.GroupOpen || g.State == types.GroupOrdered) {
			out = append(out, g)
		}
	}
	c.scans <- struct{}{}
	return out, nil
}

func (c *fakeChain) Group(_ context.Context, id uint64) (types.Group, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	g, ok := c.groups[id]
	if !ok {
		return types.Group{}, fmt.Errorf("%w: %d", engine.ErrGroupNotFound, id)
	}
	return g, nil
}

func (c *fakeChain) AuditedAttributes(context.Context) ([]types.AuditRecord, error) {
	return []types.AuditRecord{{Provider: me, Auditor: auditor, Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}}}, nil
}

func (c *fakeChain) MyLeases(context.Context) ([]types.Lease, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]types.Lease(nil), c.leases...), nil
}

func (c *fakeChain) SubmitBid(_ context.Context, groupID uint64, _ sdk.Coin) (uint64, uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bids <- groupID
	if err := c.bidErr[groupID]; err != nil {
		return 0, 0, err
	}
	c.nextBid++
	return c.nextBid, 0, nil
}

func (c *fakeChain) Withdraw(context.Context) (sdk.Coin, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.withdraws <- struct{}{}
	if c.withdrawErr != nil {
		return sdk.Coin{}, c.withdrawErr
	}
	return c.earned, nil
}

// fakeEvents hands each subscription's channel to the test, which sends
// events (unbuffered, so a send returns once the engine took it) and closes
// it to simulate a disconnect.
type fakeEvents struct {
	mu   sync.Mutex
	fail int // Subscribe calls left to fail
	subs chan sub
}

type sub struct {
	ctx context.Context
	ch  chan engine.Event
}

func (f *fakeEvents) Subscribe(ctx context.Context) (<-chan engine.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return nil, errors.New("connection refused")
	}
	ch := make(chan engine.Event)
	f.subs <- sub{ctx, ch}
	return ch, nil
}

// fakeClock hands each new timer to the test, which fires it.
type fakeClock struct{ timers chan *fakeTimer }

type fakeTimer struct {
	d  time.Duration
	ch chan time.Time
}

func (c fakeClock) NewTimer(d time.Duration) engine.Timer {
	t := &fakeTimer{d: d, ch: make(chan time.Time, 1)}
	c.timers <- t
	return t
}
func (t *fakeTimer) C() <-chan time.Time { return t.ch }
func (t *fakeTimer) Stop() bool          { return true }
func (t *fakeTimer) fire()               { t.ch <- time.Time{} }

type harness struct {
	t      *testing.T
	chain  *fakeChain
	events *fakeEvents
	clock  fakeClock
	reg    *prometheus.Registry
	eng    *engine.Engine
	cancel context.CancelFunc
	done   chan error
}

// start runs an engine on chain; configure changes the engine's config.
func start(t *testing.T, chain *fakeChain, configure ...func(*engine.Config)) *harness {
	t.Helper()
	inv, err := inventory.New(inventory.Config{
		GPUs:      []inventory.GPUPool{{Class: "hopper", Count: 8, MemoryGB: 80}},
		CPUMillis: 128_000, MemoryMB: 1_024_000, StorageGB: 10_000,
	})
	require.NoError(t, err)
	strategy, err := pricing.NewFixed(pricing.FixedConfig{GPUPerBlock: map[string]string{"hopper": "1000"}})
	require.NoError(t, err)
	h := &harness{
		t: t, chain: chain,
		events: &fakeEvents{subs: make(chan sub, 16)},
		clock:  fakeClock{timers: make(chan *fakeTimer, 64)},
		reg:    prometheus.NewRegistry(),
		done:   make(chan error, 1),
	}
	cfg := engine.Config{Provider: me, WithdrawEvery: every, ReconnectMin: minDelay, ReconnectMax: maxDelay}
	for _, c := range configure {
		c(&cfg)
	}
	h.eng, err = engine.New(cfg, engine.Deps{
		Chain: chain, Events: h.events, Inventory: inv, Strategy: strategy,
		Registry: h.reg, Clock: h.clock,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.eng.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Run returned %v after cancel", err)
			}
		case <-time.After(waitFor):
			t.Error("Run did not return after cancel")
		}
	})
	return h
}

// subscribed waits for the engine's next subscription.
func (h *harness) subscribed() sub {
	h.t.Helper()
	select {
	case s := <-h.events.subs:
		return s
	case <-time.After(waitFor):
		h.t.Fatal("no subscription")
	}
	return sub{}
}

// send delivers events, then a no-op one: when that send returns, the
// engine has handled everything before it.
func (h *harness) send(s sub, evs ...engine.Event) {
	h.t.Helper()
	for _, ev := range append(evs, engine.LeaseInsufficientFunds{LeaseID: 999_999, Provider: "someone"}) {
		select {
		case s.ch <- ev:
		case <-time.After(waitFor):
			h.t.Fatalf("engine did not take %T", ev)
		}
	}
}

func (h *harness) bid() uint64 {
	h.t.Helper()
	select {
	case id := <-h.chain.bids:
		return id
	case <-time.After(waitFor):
		h.t.Fatal("no bid")
	}
	return 0
}

func (h *harness) noBid() {
	h.t.Helper()
	select {
	case id := <-h.chain.bids:
		h.t.Fatalf("unexpected bid on group %d", id)
	default:
	}
}

func (h *harness) timer(d time.Duration) *fakeTimer {
	h.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case tm := <-h.clock.timers:
			if tm.d == d {
				return tm
			}
		case <-deadline:
			h.t.Fatalf("no timer of %s", d)
		}
	}
}

func (h *harness) wait(ch chan struct{}, what string) {
	h.t.Helper()
	select {
	case <-ch:
	case <-time.After(waitFor):
		h.t.Fatalf("no %s", what)
	}
}

// metric reads one counter or gauge; labels are name=value pairs.
func (h *harness) metric(name string, labels ...string) float64 {
	h.t.Helper()
	families, err := h.reg.Gather()
	require.NoError(h.t, err)
	for _, f := range families {
		if f.GetName() != "daitd_provider_"+name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			for i := 0; i < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	h.t.Fatalf("metric %s %v not found", name, labels)
	return 0
}

func TestInitialScanBidsAndSkips(t *testing.T) {
	h := start(t, newFakeChain(
		group(1, 4),
		group(2, 1, func(g *types.Group) { g.Spec.Requirements[0].Values = []string{"us-east"} }),
		group(3, 1, func(g *types.Group) { g.Spec.Resources.GPU.Class = "ada" }),
		group(4, 1, func(g *types.Group) { g.Spec.MaxPrice = udait(10) }),
		group(5, 8), // capacity taken by group 1
		group(6, 1, func(g *types.Group) { g.State = types.GroupOrdered }),
		group(7, 1, func(g *types.Group) { g.State = types.GroupMatched }), // not listed
	))
	s := h.subscribed()
	h.send(s) // the scan is done

	require.Equal(t, uint64(1), h.bid())
	require.Equal(t, uint64(6), h.bid())
	h.noBid()
	require.Equal(t, 2.0, h.metric("bids_placed_total"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "requirements_unmet"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "gpu_mismatch"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "strategy_declined"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "capacity_short"))
	require.Equal(t, 0.0, h.metric("skips_total", "reason", "pricing_failed"))
	require.Equal(t, 5.0/8, h.metric("inventory_utilisation"))
	require.Equal(t, 0.0, h.metric("leases_active"))
}

func TestGroupOpenedBids(t *testing.T) {
	h := start(t, newFakeChain())
	s := h.subscribed()
	h.send(s)
	h.noBid()

	h.chain.setGroup(group(9, 2))
	h.send(s, engine.GroupOpened{GroupID: 9})
	require.Equal(t, uint64(9), h.bid())

	// The same group again (a repeated event) is already held.
	h.send(s, engine.GroupOpened{GroupID: 9})
	h.noBid()
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "already_bid"))
}

func TestBidLostReleasesInventory(t *testing.T) {
	h := start(t, newFakeChain(group(1, 8)))
	s := h.subscribed()
	require.Equal(t, uint64(1), h.bid()) // bid 101

	h.chain.setGroup(group(2, 8))
	h.send(s, engine.GroupOpened{GroupID: 2})
	h.noBid()
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "capacity_short"))

	// Another bid's loss, or a wrong bid id, changes nothing.
	h.send(s, engine.BidLost{BidID: 55, GroupID: 1}, engine.GroupOpened{GroupID: 2})
	h.noBid()

	h.send(s, engine.BidLost{BidID: 101, GroupID: 1, Provider: me}, engine.GroupOpened{GroupID: 2})
	require.Equal(t, uint64(2), h.bid())
	require.Equal(t, 1.0, h.metric("bids_lost_total", "how", "lost"))

	// BidClosed releases too.
	h.chain.setGroup(group(3, 8))
	h.send(s, engine.BidClosed{BidID: 102, GroupID: 2}, engine.GroupOpened{GroupID: 3})
	require.Equal(t, uint64(3), h.bid())
	require.Equal(t, 1.0, h.metric("bids_lost_total", "how", "closed"))
}

func TestLeaseLifecycle(t *testing.T) {
	h := start(t, newFakeChain(group(1, 8), group(2, 8)))
	s := h.subscribed()
	require.Equal(t, uint64(1), h.bid()) // bid 101; group 2 is short of capacity

	// Someone else's lease is not ours.
	h.send(s, engine.LeaseCreated{LeaseID: 7, BidID: 55, GroupID: 1, Provider: "other"})
	require.Equal(t, 0.0, h.metric("bids_won_total"))

	h.send(s, engine.LeaseCreated{LeaseID: 10, BidID: 101, GroupID: 1, Provider: me})
	require.Equal(t, 1.0, h.metric("bids_won_total"))
	require.Equal(t, 1.0, h.metric("leases_active"))
	require.Equal(t, 1.0, h.metric("inventory_utilisation"))

	// Committed: a late BidClosed for the winning bid frees nothing.
	h.send(s, engine.BidClosed{BidID: 101, GroupID: 1}, engine.GroupOpened{GroupID: 2})
	h.noBid()
	require.Equal(t, 0.0, h.metric("bids_lost_total", "how", "closed"))

	h.send(s, engine.LeaseInsufficientFunds{LeaseID: 10, GroupID: 1, Provider: me, Balance: udait(3)})

	h.send(s, engine.LeaseClosed{LeaseID: 10, GroupID: 1, Provider: me, Reason: types.CloseReasonTenant})
	h.wait(h.chain.withdraws, "withdraw after lease closed")
	require.Equal(t, 0.0, h.metric("leases_active"))
	require.Equal(t, 123.0, h.metric("earnings_withdrawn_udait_total"))
	require.Equal(t, 0.0, h.metric("inventory_utilisation"))

	h.send(s, engine.GroupOpened{GroupID: 2})
	require.Equal(t, uint64(2), h.bid())
}

func TestWithdrawCadence(t *testing.T) {
	h := start(t, newFakeChain())
	s := h.subscribed()
	h.send(s)
	h.timer(every).fire()
	h.wait(h.chain.withdraws, "withdraw on cadence")
	h.timer(every).fire() // re-armed
	h.wait(h.chain.withdraws, "second withdraw")
	h.send(s) // the engine has counted the second withdrawal
	require.Equal(t, 246.0, h.metric("earnings_withdrawn_udait_total"))
	require.Equal(t, 0.0, h.metric("withdraw_errors_total"))
}

// A bid the chain refuses frees what was reserved for it: the next group
// that needs the same GPUs is bid in the same scan. The refusal is counted,
// and the refused group is not held, so a later event bids on it again.
func TestFailedBidReleasesCapacity(t *testing.T) {
	chain := newFakeChain(group(1, 8), group(2, 8))
	chain.bidErr[1] = errors.New("account sequence mismatch")
	h := start(t, chain)
	s := h.subscribed()
	h.send(s) // the scan is done

	require.Equal(t, uint64(1), h.bid()) // refused
	require.Equal(t, uint64(2), h.bid()) // with group 1's GPUs: bid 101
	h.noBid()
	require.Equal(t, 1.0, h.metric("bid_errors_total"))
	require.Equal(t, 1.0, h.metric("bids_placed_total"))
	require.Equal(t, 0.0, h.metric("skips_total", "reason", "capacity_short"))
	require.Equal(t, 1.0, h.metric("inventory_utilisation"))

	chain.mu.Lock()
	delete(chain.bidErr, 1)
	chain.mu.Unlock()
	h.send(s, engine.BidLost{BidID: 101, GroupID: 2, Provider: me}, engine.GroupOpened{GroupID: 1})
	require.Equal(t, uint64(1), h.bid())
	require.Equal(t, 2.0, h.metric("bids_placed_total"))
	require.Equal(t, 0.0, h.metric("skips_total", "reason", "already_bid"))
}

// A failed withdrawal is counted and earns nothing; the cadence goes on.
func TestWithdrawFailureCounted(t *testing.T) {
	chain := newFakeChain()
	chain.withdrawErr = errors.New("tx not included")
	h := start(t, chain)
	s := h.subscribed()
	h.send(s)

	h.timer(every).fire()
	h.wait(chain.withdraws, "withdraw on cadence")
	h.send(s) // the engine has counted it
	require.Equal(t, 1.0, h.metric("withdraw_errors_total"))
	require.Equal(t, 0.0, h.metric("earnings_withdrawn_udait_total"))

	chain.mu.Lock()
	chain.withdrawErr = nil
	chain.mu.Unlock()
	h.timer(every).fire()
	h.wait(chain.withdraws, "withdraw after the failure")
	h.send(s)
	require.Equal(t, 1.0, h.metric("withdraw_errors_total"))
	require.Equal(t, 123.0, h.metric("earnings_withdrawn_udait_total"))
}

// rescan_every rescans the open groups on its cadence: a group skipped for
// capacity is bid once the capacity frees, though no event names it.
func TestRescanPicksUpFreedCapacity(t *testing.T) {
	const rescan = 30 * time.Minute
	h := start(t, newFakeChain(group(1, 8), group(2, 8)), func(c *engine.Config) { c.RescanEvery = rescan })
	s := h.subscribed()
	h.wait(h.chain.scans, "initial scan")
	require.Equal(t, uint64(1), h.bid()) // bid 101; group 2 is short of capacity
	h.send(s)
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "capacity_short"))

	// Another provider wins group 1: its GPUs are free again, but no event
	// is about group 2, which is still open.
	h.chain.setGroup(group(1, 8, func(g *types.Group) { g.State = types.GroupMatched }))
	h.send(s, engine.BidLost{BidID: 101, GroupID: 1, Provider: me})
	h.noBid()

	h.timer(rescan).fire()
	h.wait(h.chain.scans, "rescan")
	require.Equal(t, uint64(2), h.bid())

	// The cadence is re-armed: the next rescan finds group 2 held.
	h.timer(rescan).fire()
	h.wait(h.chain.scans, "second rescan")
	h.send(s)
	h.noBid()
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "already_bid"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "capacity_short"))
}

func TestReconnectBacksOffAndRescans(t *testing.T) {
	h := start(t, newFakeChain(group(1, 8)))
	s := h.subscribed()
	h.wait(h.chain.scans, "initial scan")
	require.Equal(t, uint64(1), h.bid())

	// While disconnected: the bid on group 1 ends unseen, group 2 opens.
	h.events.mu.Lock()
	h.events.fail = 2
	h.events.mu.Unlock()
	h.chain.setGroup(group(1, 8, func(g *types.Group) { g.State = types.GroupMatched }))
	h.chain.setGroup(group(2, 8))
	close(s.ch)

	h.timer(minDelay).fire()     // first retry fails
	h.timer(2 * minDelay).fire() // second fails
	h.timer(4 * minDelay).fire() // third succeeds
	s = h.subscribed()
	h.wait(h.chain.scans, "rescan")
	require.Equal(t, uint64(2), h.bid())
	require.Equal(t, 1.0, h.metric("bids_lost_total", "how", "reconciled"))
	require.Equal(t, 3.0, h.metric("event_reconnects_total"))
	select {
	case <-s.ctx.Done():
		t.Fatal("live subscription cancelled")
	default:
	}

	// The delay was reset by the success, and is capped at max.
	h.events.mu.Lock()
	h.events.fail = 5
	h.events.mu.Unlock()
	close(s.ch)
	for _, d := range []time.Duration{minDelay, 2 * minDelay, 4 * minDelay, maxDelay, maxDelay} {
		h.timer(d).fire()
	}
	h.timer(maxDelay).fire()
	h.send(h.subscribed())
}

func TestAdoptsAndReconcilesLeases(t *testing.T) {
	chain := newFakeChain(group(1, 8, func(g *types.Group) { g.State = types.GroupMatched }), group(2, 8))
	chain.leases = []types.Lease{{Id: 10, BidId: 5, GroupId: 1, Provider: me, State: types.LeaseActive}}
	h := start(t, chain)
	s := h.subscribed()
	h.send(s)
	h.noBid() // group 1's lease holds the GPUs
	require.Equal(t, 1.0, h.metric("leases_active"))
	require.Equal(t, 1.0, h.metric("skips_total", "reason", "capacity_short"))

	// The lease closes while disconnected: the rescan frees it and withdraws.
	chain.mu.Lock()
	chain.leases = nil
	chain.mu.Unlock()
	close(s.ch)
	h.timer(minDelay).fire()
	h.wait(h.chain.withdraws, "withdraw after missed close")
	require.Equal(t, uint64(2), h.bid())
	require.Equal(t, 0.0, h.metric("leases_active"))
}

func TestCleanShutdown(t *testing.T) {
	h := start(t, newFakeChain(group(1, 1)))
	s := h.subscribed()
	h.bid()
	h.cancel()
	select {
	case err := <-h.done:
		require.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
	}
	h.done <- nil // for the cleanup
	select {
	case <-s.ctx.Done(): // the subscription was cancelled too
	case <-time.After(waitFor):
		t.Fatal("subscription left running")
	}
	require.ErrorIs(t, h.eng.Run(context.Background()), engine.ErrAlreadyRunning)
}

func TestCancelWhileBackingOff(t *testing.T) {
	h := start(t, newFakeChain())
	s := h.subscribed()
	close(s.ch)
	h.timer(minDelay) // waiting to reconnect
	h.cancel()
	select {
	case err := <-h.done:
		require.NoError(t, err)
		h.done <- nil
	case <-time.After(waitFor):
		t.Fatal("Run did not return")
	}
}

func TestNewValidates(t *testing.T) {
	ok := engine.Config{Provider: me, ReconnectMin: time.Second, ReconnectMax: time.Minute}
	require.NoError(t, ok.Validate())
	for name, mutate := range map[string]func(*engine.Config){
		"no provider":     func(c *engine.Config) { c.Provider = "" },
		"zero min":        func(c *engine.Config) { c.ReconnectMin = 0 },
		"max below min":   func(c *engine.Config) { c.ReconnectMax = time.Millisecond },
		"negative every":  func(c *engine.Config) { c.WithdrawEvery = -time.Second },
		"negative rescan": func(c *engine.Config) { c.RescanEvery = -time.Second },
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			mutate(&c)
			require.ErrorIs(t, c.Validate(), engine.ErrInvalidConfig)
			_, err := engine.New(c, engine.Deps{})
			require.ErrorIs(t, err, engine.ErrInvalidConfig)
		})
	}
	_, err := engine.New(ok, engine.Deps{})
	require.ErrorIs(t, err, engine.ErrMissingDependency)
}
