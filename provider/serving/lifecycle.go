package serving

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/workloads"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Run is the lifecycle loop: every tick (and at once when the engine
// reports a change) it stops the workloads of leases closed on chain,
// closes leases past their manifest timeout or unhealthy, and runs the
// health checks that are due. It returns nil when ctx ends; workloads keep
// running (a restart re-adopts them).
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Tick)
	defer t.Stop()
	for {
		m.Step(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-m.kick:
		}
	}
}

// Step does one pass of the lifecycle loop (Run calls it; tests may too).
func (m *Manager) Step(ctx context.Context) {
	m.stopEnded(ctx)
	m.checkHealth(ctx)
	m.closeDue(ctx)
}

// stopEnded stops the workloads of every lease closed on chain and drops
// its record.
func (m *Manager) stopEnded(ctx context.Context) {
	m.mu.Lock()
	var ended []*lease
	for _, l := range m.sortedLeases() {
		if l.ended && !l.busy {
			ended = append(ended, l)
		}
	}
	m.mu.Unlock()
	for _, l := range ended {
		failed := false
		for _, w := range l.rec.Workloads {
			if err := m.rt.Stop(ctx, w.ID); err != nil {
				failed = true
				m.log.Error("stopping workload", "lease", l.rec.LeaseID, "workload", w.ID, "err", err)
			}
		}
		if failed {
			continue // tried again next step
		}
		m.mu.Lock()
		delete(m.leases, l.rec.LeaseID)
		delete(m.rr, l.rec.LeaseID)
		if err := m.store.Delete(l.rec.LeaseID); err != nil {
			m.log.Error("deleting the workload record", "lease", l.rec.LeaseID, "err", err)
		}
		m.mu.Unlock()
		m.log.Info("lease closed: workloads stopped", "lease", l.rec.LeaseID, "workloads", len(l.rec.Workloads))
	}
}

// probeJob is one due health check, run without the lock.
type probeJob struct {
	l  *lease
	id string
	h  *health
	// results
	running bool
	exit    int
	ok      bool
	detail  string
}

// checkHealth probes every due workload (concurrently, each bounded by
// probeTimeout) and closes a lease once one of its workloads failed
// fail_after checks in a row.
func (m *Manager) checkHealth(ctx context.Context) {
	now := m.now()
	m.mu.Lock()
	var jobs []*probeJob
	for _, l := range m.sortedLeases() {
		if l.ended || l.busy || l.rec.Phase != workloads.Running {
			continue
		}
		for _, w := range l.rec.Workloads {
			h := l.health[w.ID]
			if h != nil && (h.last.IsZero() || now.Sub(h.last) >= h.check.Every) {
				jobs = append(jobs, &probeJob{l: l, id: w.ID, h: h})
			}
		}
	}
	m.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.probe(ctx, j)
		}()
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range jobs {
		h := j.h
		h.last, h.running, h.exitCode, h.ok, h.detail, h.probeOnce = now, j.running, j.exit, j.ok, j.detail, true
		if j.ok {
			h.fails = 0
			continue
		}
		if now.Sub(h.started) < h.check.StartPeriod {
			continue // starting up: does not count
		}
		h.fails++
		if h.fails >= h.check.FailAfter && j.l.rec.Phase == workloads.Running && !j.l.ended {
			m.log.Warn("workload unhealthy: closing the lease", "lease", j.l.rec.LeaseID, "workload", j.id,
				"fails", h.fails, "detail", j.detail)
			m.beginClose(j.l, types.CloseReasonUnhealthy)
		}
	}
}

// probe runs one check: the workload must run, and answer its health
// check when it has one.
func (m *Manager) probe(ctx context.Context, j *probeJob) {
	st, err := m.rt.Status(ctx, j.id)
	if err != nil {
		j.detail = "runtime: " + err.Error()
		return
	}
	j.running, j.exit = st.Running, st.ExitCode
	if !st.Running {
		j.detail = fmt.Sprintf("not running (exit code %d)", st.ExitCode)
		return
	}
	if !j.h.probe {
		j.ok, j.detail = true, "running"
		return
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(j.h.hostPort), 10))
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if j.h.check.HTTP == "" {
		c, err := (&net.Dialer{}).DialContext(pctx, "tcp", addr)
		if err != nil {
			j.detail = "tcp check: " + err.Error()
			return
		}
		_ = c.Close()
		j.ok, j.detail = true, "tcp check passed"
		return
	}
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, "http://"+addr+j.h.check.HTTP, nil)
	if err != nil {
		j.detail = err.Error()
		return
	}
	res, err := m.http.Do(req)
	if err != nil {
		j.detail = "http check: " + err.Error()
		return
	}
	_ = res.Body.Close()
	if res.StatusCode >= 200 && res.StatusCode < 400 {
		j.ok, j.detail = true, fmt.Sprintf("GET %s: %d", j.h.check.HTTP, res.StatusCode)
		return
	}
	j.detail = fmt.Sprintf("GET %s: %d", j.h.check.HTTP, res.StatusCode)
}

// beginClose marks a lease to be closed by the provider with reason
// (callers hold mu); closeDue sends the tx.
func (m *Manager) beginClose(l *lease, reason types.CloseReason) {
	l.rec.Phase, l.rec.Reason = workloads.Closing, reason.String()
	l.closing = time.Time{}
	m.put(l)
}

// closeDue closes leases past their manifest timeout, and sends the close
// tx of every closing lease not tried within CloseRetry.
func (m *Manager) closeDue(ctx context.Context) {
	now := m.now()
	type job struct {
		l      *lease
		bid    uint64
		reason types.CloseReason
	}
	var jobs []job
	m.mu.Lock()
	for _, l := range m.sortedLeases() {
		if l.ended || l.busy {
			continue
		}
		if l.rec.Phase == workloads.AwaitingManifest && now.Sub(l.rec.LeasedAt) >= m.cfg.ManifestTimeout {
			m.log.Warn("no manifest in time: closing the lease", "lease", l.rec.LeaseID, "timeout", m.cfg.ManifestTimeout)
			m.beginClose(l, types.CloseReasonManifestTimeout)
		}
		if l.rec.Phase != workloads.Closing || (!l.closing.IsZero() && now.Sub(l.closing) < m.cfg.CloseRetry) {
			continue
		}
		l.closing = now
		reason := types.CloseReason(types.CloseReason_value[l.rec.Reason])
		jobs = append(jobs, job{l: l, bid: l.rec.BidID, reason: reason})
	}
	m.mu.Unlock()
	for _, j := range jobs {
		if j.bid == 0 {
			m.log.Error("cannot close a lease whose bid is unknown", "lease", j.l.rec.LeaseID)
			continue
		}
		err := m.chain.CloseLease(ctx, j.bid, j.reason)
		if err != nil {
			// Already closed on chain (e.g. the escrow ran out)? Then the
			// lease ends here too.
			if cl, qerr := m.chain.Lease(ctx, j.l.rec.LeaseID); qerr == nil && cl.State == types.LeaseClosed {
				err = nil
			}
		}
		if err != nil {
			m.log.Warn("closing the lease failed; will retry", "lease", j.l.rec.LeaseID, "reason", j.reason.String(), "err", err)
			continue
		}
		m.log.Info("closed the lease", "lease", j.l.rec.LeaseID, "reason", j.reason.String())
		m.LeaseEnded(j.l.rec.LeaseID)
	}
	m.stopEnded(ctx)
}

// newHealth is the check state of workload w of svc: its health check, or
// a liveness check (the runtime says it runs) with the default cadence.
func newHealth(svc manifest.Service, w workloads.Workload, started time.Time) *health {
	h := &health{started: started, check: manifest.Health{Every: manifest.DefaultHealthEvery, FailAfter: manifest.DefaultHealthFailAfter}}
	if svc.Health != nil {
		h.check, h.probe, h.hostPort = *svc.Health, true, w.Ports[svc.Health.Port]
		if h.check.Every == 0 {
			h.check.Every = manifest.DefaultHealthEvery
		}
		if h.check.FailAfter == 0 {
			h.check.FailAfter = manifest.DefaultHealthFailAfter
		}
	}
	return h
}
