package serving

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/workloads"
)

// LeaseStatus is what the gateway reports of a lease to its tenant.
type LeaseStatus struct {
	LeaseID      uint64          `json:"lease_id"`
	DeploymentID uint64          `json:"deployment_id,omitempty"`
	Group        string          `json:"group,omitempty"`
	Tenant       string          `json:"tenant,omitempty"`
	Phase        workloads.Phase `json:"phase"`
	// Reason is why the provider is closing the lease, when it is.
	Reason     string          `json:"reason,omitempty"`
	Version    string          `json:"version,omitempty"` // hex sha256 of the manifest
	LeasedAt   time.Time       `json:"leased_at"`
	ManifestAt *time.Time      `json:"manifest_at,omitempty"`
	Services   []ServiceStatus `json:"services,omitempty"`
	// Ready is true when every replica of every service is ready.
	Ready bool `json:"ready"`
}

// ServiceStatus is one service of the lease.
type ServiceStatus struct {
	Name     string           `json:"name"`
	Replicas int              `json:"replicas"`
	Ready    int              `json:"ready"`
	Ports    []PortStatus     `json:"ports,omitempty"`
	Workload []WorkloadStatus `json:"workloads"`
}

// PortStatus is one port of a service; the gateway fills URL.
type PortStatus struct {
	Port  uint32         `json:"port"`
	Proto manifest.Proto `json:"proto"`
	// HostPorts are the replicas' host ports, by replica.
	HostPorts []uint32 `json:"host_ports"`
	URL       string   `json:"url,omitempty"`
}

// WorkloadStatus is one replica.
type WorkloadStatus struct {
	ID        string     `json:"id"`
	Replica   int        `json:"replica"`
	Running   bool       `json:"running"`
	Ready     bool       `json:"ready"`
	Fails     uint32     `json:"failed_checks"`
	Detail    string     `json:"detail,omitempty"`
	GPUs      []int      `json:"gpus,omitempty"`
	LastCheck *time.Time `json:"last_check,omitempty"`
}

// Status reports a lease to tenant (the token's signer).
func (m *Manager) Status(ctx context.Context, leaseID uint64, tenant string) (LeaseStatus, error) {
	m.mu.Lock()
	l, ok := m.leases[leaseID]
	if !ok || l.ended {
		m.mu.Unlock()
		return LeaseStatus{}, m.unknownLease(ctx, leaseID)
	}
	known := l.rec.Tenant
	m.mu.Unlock()
	if known == "" { // no manifest yet: ask the chain who the tenant is
		cl, err := m.chain.Lease(ctx, leaseID)
		if err != nil {
			return LeaseStatus{}, fmt.Errorf("lease %d: %w", leaseID, err)
		}
		known = cl.Tenant
	}
	if known != tenant {
		return LeaseStatus{}, fmt.Errorf("lease %d: %w", leaseID, ErrNotTenant)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status(l), nil
}

func (m *Manager) status(l *lease) LeaseStatus {
	r := l.rec
	st := LeaseStatus{
		LeaseID: r.LeaseID, DeploymentID: r.DeploymentID, Group: r.Group, Tenant: r.Tenant,
		Phase: r.Phase, Reason: r.Reason, LeasedAt: r.LeasedAt,
	}
	if len(r.Version) > 0 {
		st.Version = hex.EncodeToString(r.Version)
	}
	if !r.ManifestAt.IsZero() {
		t := r.ManifestAt
		st.ManifestAt = &t
	}
	if l.file == nil {
		return st
	}
	g, _ := l.file.Group(r.Group)
	st.Ready = r.Phase == workloads.Running
	for _, svc := range g.Services {
		ss := ServiceStatus{Name: svc.Name}
		for _, p := range svc.Ports {
			ss.Ports = append(ss.Ports, PortStatus{Port: p.Port, Proto: p.Proto})
		}
		for _, w := range r.Workloads {
			if w.Service != svc.Name {
				continue
			}
			ss.Replicas++
			ws := WorkloadStatus{ID: w.ID, Replica: w.Replica, GPUs: w.GPUs}
			if h := l.health[w.ID]; h != nil {
				ws.Running, ws.Ready, ws.Fails, ws.Detail = h.running, h.probeOnce && h.ok, h.fails, h.detail
				if !h.last.IsZero() {
					t := h.last
					ws.LastCheck = &t
				}
			}
			if ws.Ready {
				ss.Ready++
			}
			for i := range ss.Ports {
				ss.Ports[i].HostPorts = append(ss.Ports[i].HostPorts, w.Ports[ss.Ports[i].Port])
			}
			ss.Workload = append(ss.Workload, ws)
		}
		if ss.Ready < ss.Replicas || ss.Replicas == 0 {
			st.Ready = false
		}
		st.Services = append(st.Services, ss)
	}
	return st
}

// Logs returns a workload's output for tenant: the replica of service (the
// first one when service is empty).
func (m *Manager) Logs(ctx context.Context, leaseID uint64, tenant, service string, replica, tail int, follow bool) (io.ReadCloser, error) {
	m.mu.Lock()
	l, ok := m.leases[leaseID]
	if !ok || l.ended {
		m.mu.Unlock()
		return nil, m.unknownLease(ctx, leaseID)
	}
	rec := l.rec
	m.mu.Unlock()
	if rec.Phase == workloads.AwaitingManifest || len(rec.Workloads) == 0 {
		if err := m.checkTenant(ctx, leaseID, tenant); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("lease %d: %w", leaseID, ErrNoManifest)
	}
	if rec.Tenant != tenant {
		return nil, fmt.Errorf("lease %d: %w", leaseID, ErrNotTenant)
	}
	for _, w := range rec.Workloads {
		if (service == "" || w.Service == service) && w.Replica == replica {
			return m.rt.Logs(ctx, w.ID, tail, follow)
		}
	}
	return nil, fmt.Errorf("lease %d: %w: service %q replica %d", leaseID, ErrNoSuchService, service, replica)
}

func (m *Manager) checkTenant(ctx context.Context, leaseID uint64, tenant string) error {
	cl, err := m.chain.Lease(ctx, leaseID)
	if err != nil {
		return fmt.Errorf("lease %d: %w", leaseID, err)
	}
	if cl.Tenant != tenant {
		return fmt.Errorf("lease %d: %w", leaseID, ErrNotTenant)
	}
	return nil
}

// Route is where the ingress sends one request: a replica's host port,
// and who may send it.
type Route struct {
	HostPort uint32
	// Restricted: the group is private or confidential, so only Tenant
	// (with an ingress token) passes.
	Restricted bool
	Tenant     string
}

// Route is where the gateway's ingress sends a request for a service's
// HTTP port: the host port of a ready replica, taken in turn (any running
// one when none is ready). Only running leases route. A lease whose
// manifest could not be read back is treated as restricted.
func (m *Manager) Route(leaseID uint64, service string, port uint32) (Route, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.leases[leaseID]
	if !ok || l.ended || l.rec.Phase != workloads.Running {
		return Route{}, fmt.Errorf("lease %d: %w", leaseID, ErrLeaseNotLive)
	}
	route := Route{Restricted: true, Tenant: l.rec.Tenant}
	if l.file != nil {
		g, _ := l.file.Group(l.rec.Group)
		svc, ok := serviceOf(g, service)
		if !ok || !isHTTPPort(svc, port) {
			return Route{}, fmt.Errorf("lease %d: %w: no http port %d on service %q", leaseID, ErrNoSuchService, port, service)
		}
		route.Restricted = g.Privacy.Restricted()
	}
	var ready, running []uint32
	for _, w := range l.rec.Workloads {
		hp, ok := w.Ports[port]
		if w.Service != service || !ok {
			continue
		}
		h := l.health[w.ID]
		switch {
		case h != nil && h.probeOnce && h.ok:
			ready = append(ready, hp)
		case h == nil || !h.probeOnce || h.running:
			running = append(running, hp)
		}
	}
	pick := ready
	if len(pick) == 0 {
		pick = running
	}
	if len(pick) == 0 {
		return Route{}, fmt.Errorf("lease %d: %w: no replica of %q is running", leaseID, ErrNoSuchService, service)
	}
	sort.Slice(pick, func(i, j int) bool { return pick[i] < pick[j] })
	n := m.rr[leaseID]
	m.rr[leaseID] = n + 1
	route.HostPort = pick[n%uint64(len(pick))]
	return route, nil
}

func isHTTPPort(svc manifest.Service, port uint32) bool {
	for _, p := range svc.Ports {
		if p.Port == port {
			return p.Proto == manifest.ProtoHTTP
		}
	}
	return false
}
