package serving

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/daitchain/daitchain/internal/sealed"
	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/runtime"
	"github.com/daitchain/daitchain/provider/workloads"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Secrets are the values of a manifest's secret env vars: service name ->
// variable name -> value sealed to the gateway key (internal/sealed,
// bound to the lease, service and variable). The manager opens them only
// to hand them to the runtime; it stores them sealed (so that a restart
// can start a gone workload again) and never logs them.
type Secrets map[string]map[string]string

// open opens every sealed value of secrets for lease leaseID: service ->
// name -> clear value. A clear value or one sealed for anything else is
// refused.
func (m *Manager) open(leaseID uint64, secrets Secrets) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for svc, vars := range secrets {
		for name, v := range vars {
			if m.secretKey == nil {
				return nil, fmt.Errorf("%w: this provider has no key to open secrets", ErrSecrets)
			}
			clear, err := sealed.Open(m.secretKey, sealed.Binding{LeaseID: leaseID, Service: svc, Name: name}, v)
			if err != nil {
				return nil, fmt.Errorf("%w: %s.env.%s: %v (seal it to the provider's gateway key: the tenant client does)", ErrSecrets, svc, name, err)
			}
			if out[svc] == nil {
				out[svc] = map[string]string{}
			}
			out[svc][name] = string(clear)
		}
	}
	return out, nil
}

// Apply accepts a lease's manifest from tenant (the gateway has verified
// the tenant's token) and starts its workloads. It refuses, changing
// nothing, unless the lease is live and this provider's, tenant is its
// tenant, sha256(body) is the deployment's on-chain version, and the
// file's group of the lease has services that fit. Sending the same
// manifest again is a no-op; a new version (after update-deployment)
// replaces the workloads.
func (m *Manager) Apply(ctx context.Context, leaseID uint64, tenant string, body []byte, secrets Secrets) error {
	m.mu.Lock()
	l, ok := m.leases[leaseID]
	switch {
	case !ok:
		m.mu.Unlock()
		return m.unknownLease(ctx, leaseID)
	case l.ended || l.rec.Phase == workloads.Closing:
		m.mu.Unlock()
		return fmt.Errorf("lease %d: %w (closing)", leaseID, ErrLeaseNotLive)
	case l.busy:
		m.mu.Unlock()
		return fmt.Errorf("lease %d: %w", leaseID, ErrBusy)
	}
	l.busy = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		l.busy = false
		m.mu.Unlock()
	}()

	chainLease, group, version, err := m.checkOnChain(ctx, leaseID, tenant, body)
	if err != nil {
		return err
	}
	f, err := manifest.Parse(body)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	g, ok := f.Group(group.Spec.Name)
	if !ok {
		return fmt.Errorf("%w: the file has no group %q (the lease's group)", ErrBadManifest, group.Spec.Name)
	}
	if len(g.Services) == 0 {
		return fmt.Errorf("%w: group %q has no services to run", ErrBadManifest, g.Spec.Name)
	}
	if err := checkSecrets(g, secrets); err != nil {
		return err
	}
	clear, err := m.open(leaseID, secrets)
	if err != nil {
		return err
	}

	m.mu.Lock()
	if l.ended {
		m.mu.Unlock()
		return fmt.Errorf("lease %d: %w", leaseID, ErrLeaseNotLive)
	}
	if l.rec.Phase == workloads.Running && bytes.Equal(l.rec.Version, version) && sameSecrets(l.rec.Secrets, clear, m, leaseID) {
		m.mu.Unlock()
		return nil
	}
	old := l.rec.Workloads
	rec := l.rec
	rec.DeploymentID, rec.GroupID, rec.Group, rec.Tenant = chainLease.DeploymentId, chainLease.GroupId, g.Spec.Name, chainLease.Tenant
	if rec.BidID == 0 {
		rec.BidID = chainLease.BidId
	}
	planned, err := m.plan(rec, g, old)
	m.mu.Unlock()
	if err != nil {
		return err
	}

	// A new version replaces the old workloads: stop them first (their
	// ports and GPUs are reused).
	for _, w := range old {
		if err := m.rt.Stop(ctx, w.ID); err != nil {
			return fmt.Errorf("%w: stopping the previous version's %s: %v", ErrStart, w.ID, err)
		}
	}
	now := m.now()
	hs := map[string]*health{}
	for i, w := range planned {
		svc, _ := serviceOf(g, w.Service)
		if err := m.rt.Start(ctx, m.spec(rec, g, svc, w, clear[w.Service])); err != nil {
			for _, started := range planned[:i] {
				_ = m.rt.Stop(context.WithoutCancel(ctx), started.ID)
			}
			m.mu.Lock()
			l.rec.Workloads = nil
			if l.rec.Phase == workloads.Running {
				l.rec.Phase = workloads.AwaitingManifest
			}
			m.put(l)
			m.mu.Unlock()
			return fmt.Errorf("%w: %s: %v", ErrStart, w.ID, err)
		}
		hs[w.ID] = newHealth(svc, w, now)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	rec.Phase, rec.Version, rec.Manifest, rec.Workloads, rec.ManifestAt = workloads.Running, version, body, planned, now
	rec.Secrets = secrets
	l.rec, l.file, l.health = rec, f, hs
	m.put(l)
	m.log.Info("manifest accepted", "lease", leaseID, "version", hex.EncodeToString(version), "workloads", len(planned))
	if l.ended { // closed while starting: Run stops them
		m.wake()
	}
	return nil
}

// unknownLease explains why a lease is not in the table: another
// provider's, closed, or won so recently that the engine has not said so.
func (m *Manager) unknownLease(ctx context.Context, leaseID uint64) error {
	cl, err := m.chain.Lease(ctx, leaseID)
	switch {
	case errors.Is(err, ErrNotOnChain):
		return fmt.Errorf("lease %d: %w", leaseID, ErrNotOnChain)
	case err != nil:
		return fmt.Errorf("lease %d: %w", leaseID, err)
	case cl.Provider != m.provider:
		return fmt.Errorf("lease %d: %w", leaseID, ErrNotYourLease)
	case cl.State != types.LeaseActive:
		return fmt.Errorf("lease %d: %w (%s)", leaseID, ErrLeaseNotLive, cl.State)
	}
	return fmt.Errorf("lease %d: %w: try again in a few seconds", leaseID, ErrUnknownLease)
}

// checkOnChain checks the lease, its tenant and the deployment's version.
func (m *Manager) checkOnChain(ctx context.Context, leaseID uint64, tenant string, body []byte) (types.Lease, types.Group, []byte, error) {
	cl, err := m.chain.Lease(ctx, leaseID)
	if err != nil {
		return cl, types.Group{}, nil, fmt.Errorf("lease %d: %w", leaseID, err)
	}
	switch {
	case cl.Provider != m.provider:
		return cl, types.Group{}, nil, fmt.Errorf("lease %d: %w", leaseID, ErrNotYourLease)
	case cl.State != types.LeaseActive:
		return cl, types.Group{}, nil, fmt.Errorf("lease %d: %w (%s)", leaseID, ErrLeaseNotLive, cl.State)
	case cl.Tenant != tenant:
		return cl, types.Group{}, nil, fmt.Errorf("lease %d: %w", leaseID, ErrNotTenant)
	}
	d, err := m.chain.Deployment(ctx, cl.DeploymentId)
	if err != nil {
		return cl, types.Group{}, nil, fmt.Errorf("deployment %d: %w", cl.DeploymentId, err)
	}
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], d.Version) {
		return cl, types.Group{}, nil, fmt.Errorf("%w: the manifest hashes to %s, deployment %d's version is %s",
			ErrVersionMismatch, hex.EncodeToString(sum[:]), d.Id, hex.EncodeToString(d.Version))
	}
	g, err := m.chain.Group(ctx, cl.GroupId)
	if err != nil {
		return cl, g, nil, fmt.Errorf("group %d: %w", cl.GroupId, err)
	}
	return cl, g, sum[:], nil
}

// checkSecrets wants a value for every secret variable and nothing else.
func checkSecrets(g manifest.Group, secrets Secrets) error {
	for name, vars := range secrets {
		svc, ok := serviceOf(g, name)
		if !ok {
			return fmt.Errorf("%w: group %q has no service %q", ErrSecrets, g.Spec.Name, name)
		}
		for v := range vars {
			if !isSecret(svc, v) {
				return fmt.Errorf("%w: %s.env.%s is not a secret variable of the manifest", ErrSecrets, name, v)
			}
		}
	}
	for _, svc := range g.Services {
		for _, e := range svc.Env {
			if _, ok := secrets[svc.Name][e.Name]; e.Secret && !ok {
				return fmt.Errorf("%w: %s.env.%s is secret and has no value", ErrSecrets, svc.Name, e.Name)
			}
		}
	}
	return nil
}

// sameSecrets says whether the stored sealed secrets open to the values
// just sent (sending the same manifest and secrets again is a no-op; new
// secret values restart the workloads).
func sameSecrets(stored Secrets, clear map[string]map[string]string, m *Manager, leaseID uint64) bool {
	old, err := m.open(leaseID, stored)
	if err != nil || len(old) != len(clear) {
		return false
	}
	for svc, vars := range clear {
		if len(old[svc]) != len(vars) {
			return false
		}
		for k, v := range vars {
			if ov, ok := old[svc][k]; !ok || ov != v {
				return false
			}
		}
	}
	return true
}

func isSecret(svc manifest.Service, name string) bool {
	for _, e := range svc.Env {
		if e.Name == name {
			return e.Secret
		}
	}
	return false
}

// plan assigns each replica of each service its workload id, host ports
// and GPU indices; reuse is what the lease's previous version held
// (callers hold mu).
func (m *Manager) plan(rec workloads.Lease, g manifest.Group, reuse []workloads.Workload) ([]workloads.Workload, error) {
	usedPorts, usedGPUs := map[uint32]bool{}, map[int]bool{}
	for _, l := range m.leases {
		if l.rec.LeaseID == rec.LeaseID {
			continue
		}
		for _, w := range l.rec.Workloads {
			for _, hp := range w.Ports {
				usedPorts[hp] = true
			}
			for _, x := range w.GPUs {
				usedGPUs[x] = true
			}
		}
	}
	_ = reuse // the previous version's ports and GPUs are free again once it stops
	free := m.freeGPUs(rec.GPUClass, usedGPUs)
	perReplica := int(g.Spec.Resources.GPU.Count)
	replicas := max(int(g.Spec.Resources.Replicas), 1)
	if perReplica > 0 && len(m.pools[rec.GPUClass]) > 0 && len(free) < perReplica*replicas {
		return nil, fmt.Errorf("%w: %d GPUs of class %q free for %d", ErrNoCapacity, len(free), rec.GPUClass, perReplica*replicas)
	}
	next := m.cfg.HostPorts[0]
	port := func() (uint32, error) {
		for ; next <= m.cfg.HostPorts[1] && next != 0; next++ {
			if usedPorts[next] || !bindable(next) {
				continue
			}
			p := next
			next++
			return p, nil
		}
		return 0, fmt.Errorf("%w: host ports %d-%d are all taken", ErrNoCapacity, m.cfg.HostPorts[0], m.cfg.HostPorts[1])
	}
	var out []workloads.Workload
	for r := 0; r < replicas; r++ {
		var replicaGPUs []int
		if perReplica > 0 && len(free) >= perReplica {
			replicaGPUs, free = free[:perReplica], free[perReplica:]
		}
		for _, svc := range g.Services {
			w := workloads.Workload{ID: workloadID(rec.LeaseID, svc.Name, r), Service: svc.Name, Replica: r}
			for _, p := range svc.Ports {
				hp, err := port()
				if err != nil {
					return nil, err
				}
				if w.Ports == nil {
					w.Ports = map[uint32]uint32{}
				}
				w.Ports[p.Port] = hp
			}
			if n := int(svc.GPUs); n > 0 && len(replicaGPUs) >= n {
				w.GPUs, replicaGPUs = append([]int(nil), replicaGPUs[:n]...), replicaGPUs[n:]
			}
			out = append(out, w)
		}
	}
	return out, nil
}

func (m *Manager) freeGPUs(class string, used map[int]bool) []int {
	var out []int
	for _, x := range m.pools[class] {
		if !used[x] {
			out = append(out, x)
		}
	}
	return out
}

// bindable says whether nothing else on the host listens on port.
func bindable(port uint32) bool {
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.FormatUint(uint64(port), 10)))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}

func workloadID(leaseID uint64, service string, replica int) string {
	return fmt.Sprintf("l%d-%s-%d", leaseID, service, replica)
}

// spec is what the runtime runs for workload w of service svc.
func (m *Manager) spec(rec workloads.Lease, g manifest.Group, svc manifest.Service, w workloads.Workload, secrets map[string]string) runtime.Spec {
	s := runtime.Spec{
		ID: w.ID,
		Labels: map[string]string{
			"dait.lease": strconv.FormatUint(rec.LeaseID, 10), "dait.group": g.Spec.Name,
			"dait.service": svc.Name, "dait.replica": strconv.Itoa(w.Replica),
		},
		Image: svc.Image, Command: svc.Command, Args: svc.Args,
		GPUs:      w.GPUs,
		CPUMillis: g.Spec.Resources.CpuMillis, MemoryMB: g.Spec.Resources.MemoryMb,
	}
	for _, e := range svc.Env {
		v := e.Value
		if e.Secret {
			v = secrets[e.Name]
		}
		s.Env = append(s.Env, runtime.EnvVar{Name: e.Name, Value: v})
	}
	s.Env = append(s.Env,
		runtime.EnvVar{Name: "DAIT_LEASE_ID", Value: strconv.FormatUint(rec.LeaseID, 10)},
		runtime.EnvVar{Name: "DAIT_SERVICE", Value: svc.Name},
		runtime.EnvVar{Name: "DAIT_REPLICA", Value: strconv.Itoa(w.Replica)},
	)
	for _, p := range svc.Ports {
		s.Ports = append(s.Ports, runtime.PortMap{Port: p.Port, HostPort: w.Ports[p.Port]})
	}
	return s
}
