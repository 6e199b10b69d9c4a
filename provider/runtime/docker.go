package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/docker/go-connections/nat"
)

// Docker runs each workload as a container through the Docker Engine API
// (SPEC section 11): the service's image, its command as the entrypoint and
// its args as the command, CPU and memory limits from the group's
// resources, the assigned GPUs as an nvidia device request, and each port
// published on HostIP at the host port the provider assigned. The
// containers of one lease share a bridge network of their own, where each
// reaches the others by service name; no other lease's container is on it.
//
// Every object it makes carries the label dait.managed=true and the
// workload's labels, and is named after the workload (container
// dait-<id>, network dait-lease-<lease>), so that Adopt after a daemon
// restart finds a container by name and checks its label.
type Docker struct {
	cli       *client.Client
	cfg       DockerConfig
	stopGrace time.Duration

	// mu serialises network creation and removal (a lease's replicas
	// start concurrently and share one network).
	mu sync.Mutex
}

// DockerConfig is the docker runtime's part of the provider config.
type DockerConfig struct {
	// Host is the engine's address (unix:///var/run/docker.sock, tcp://...);
	// empty: DOCKER_HOST or the default socket.
	Host string `yaml:"host"`
	// HostIP is the address ports are published on (default 127.0.0.1:
	// the gateway's ingress is the only way in from outside).
	HostIP string `yaml:"host_ip"`
	// Pull is when an image is pulled: missing (default: only when not
	// present), always, or never (only images already on the engine run).
	Pull string `yaml:"pull"`
	// GPUDriver is the device-request driver for GPUs (default nvidia).
	GPUDriver string `yaml:"gpu_driver"`
}

// Docker labels.
const (
	labelManaged  = "dait.managed"
	labelWorkload = "dait.workload"
	labelLease    = "dait.lease"
	labelService  = "dait.service"
)

// WithDefaults fills what is left empty.
func (c DockerConfig) WithDefaults() DockerConfig {
	if c.HostIP == "" {
		c.HostIP = "127.0.0.1"
	}
	if c.Pull == "" {
		c.Pull = "missing"
	}
	if c.GPUDriver == "" {
		c.GPUDriver = "nvidia"
	}
	return c
}

// Validate checks the pull policy and the host IP, which must be one the
// daemon reaches on 127.0.0.1 (its health checks and ingress do).
func (c DockerConfig) Validate() error {
	c = c.WithDefaults()
	switch c.Pull {
	case "missing", "always", "never":
	default:
		return fmt.Errorf("pull %q: want missing, always or never", c.Pull)
	}
	if ip := net.ParseIP(c.HostIP); ip == nil || (!ip.IsLoopback() && !ip.IsUnspecified()) {
		return fmt.Errorf("host_ip %q: want a loopback address (127.0.0.1, the default) or 0.0.0.0", c.HostIP)
	}
	return nil
}

// NewDocker connects to the engine (negotiating the API version) and
// checks that it answers.
func NewDocker(ctx context.Context, cfg DockerConfig, stopGrace time.Duration) (*Docker, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if cfg.Host != "" {
		opts = append(opts, client.WithHost(cfg.Host))
	}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		return nil, fmt.Errorf("docker runtime: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("docker runtime: the engine at %s does not answer: %w", cli.DaemonHost(), err)
	}
	if stopGrace <= 0 {
		stopGrace = 10 * time.Second
	}
	return &Docker{cli: cli, cfg: cfg, stopGrace: stopGrace}, nil
}

// Name is "docker".
func (d *Docker) Name() string { return "docker" }

// Close releases the engine connection.
func (d *Docker) Close() error { return d.cli.Close() }

func containerName(id string) string { return "dait-" + id }

func leaseNetwork(spec Spec) string {
	if l := spec.Labels[labelLease]; l != "" {
		return "dait-lease-" + l
	}
	return "dait-" + spec.ID
}

// ContainerConfig is what Start asks the engine for (exported for tests
// of the mapping, which need no engine).
func (d *Docker) ContainerConfig(spec Spec) (*container.Config, *container.HostConfig, *network.NetworkingConfig) {
	labels := map[string]string{labelManaged: "true", labelWorkload: spec.ID}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	cfg := &container.Config{
		Image:        spec.Image,
		Labels:       labels,
		ExposedPorts: nat.PortSet{},
	}
	if len(spec.Command) > 0 {
		cfg.Entrypoint = append([]string(nil), spec.Command...)
	}
	if len(spec.Args) > 0 {
		cfg.Cmd = append([]string(nil), spec.Args...)
	}
	for _, e := range spec.Env {
		cfg.Env = append(cfg.Env, e.Name+"="+e.Value)
	}
	host := &container.HostConfig{
		PortBindings:  nat.PortMap{},
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		Init:          boolPtr(true),
	}
	for i, pm := range spec.Ports {
		// Inside the container a service listens on its own port.
		cfg.Env = append(cfg.Env, fmt.Sprintf("PORT_%d=%d", pm.Port, pm.Port))
		if i == 0 {
			cfg.Env = append(cfg.Env, fmt.Sprintf("PORT=%d", pm.Port))
		}
		p := nat.Port(strconv.FormatUint(uint64(pm.Port), 10) + "/tcp")
		cfg.ExposedPorts[p] = struct{}{}
		host.PortBindings[p] = []nat.PortBinding{{HostIP: d.cfg.HostIP, HostPort: strconv.FormatUint(uint64(pm.HostPort), 10)}}
	}
	if spec.CPUMillis > 0 && spec.CPUMillis <= 1<<40 {
		host.NanoCPUs = int64(spec.CPUMillis) * 1_000_000 //nolint:gosec // bounded just above
	}
	if spec.MemoryMB > 0 && spec.MemoryMB <= 1<<40 {
		host.Memory = int64(spec.MemoryMB) << 20 //nolint:gosec // bounded just above
		host.MemorySwap = host.Memory            // no swap beyond the limit
	}
	pids := int64(4096)
	host.PidsLimit = &pids
	host.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: 4096, Hard: 4096}, {Name: "core", Soft: 0, Hard: 0}}
	if len(spec.GPUs) > 0 {
		ids := make([]string, len(spec.GPUs))
		for i, g := range spec.GPUs {
			ids[i] = strconv.Itoa(g)
		}
		host.DeviceRequests = []container.DeviceRequest{{Driver: d.cfg.GPUDriver, DeviceIDs: ids, Capabilities: [][]string{{"gpu"}}}}
	}
	netName := leaseNetwork(spec)
	host.NetworkMode = container.NetworkMode(netName)
	ep := &network.EndpointSettings{}
	if s := spec.Labels[labelService]; s != "" {
		ep.Aliases = []string{s}
	}
	return cfg, host, &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{netName: ep}}
}

func boolPtr(b bool) *bool { return &b }

// Start makes sure the image and the lease's network exist, removes a dead
// container left under the workload's name, and creates and starts the
// container.
func (d *Docker) Start(ctx context.Context, spec Spec) error {
	if spec.Image == "" {
		return fmt.Errorf("workload %s: the docker runtime runs an image; the service has only a command", spec.ID)
	}
	if err := d.ensureImage(ctx, spec.Image); err != nil {
		return fmt.Errorf("workload %s: %w", spec.ID, err)
	}
	name := containerName(spec.ID)
	if info, err := d.cli.ContainerInspect(ctx, name); err == nil {
		if info.State != nil && info.State.Running {
			return fmt.Errorf("workload %s is already running (container %.12s)", spec.ID, info.ID)
		}
		if err := d.cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("workload %s: removing its stopped container: %w", spec.ID, err)
		}
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("workload %s: %w", spec.ID, err)
	}
	cfg, host, nets := d.ContainerConfig(spec)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.ensureNetwork(ctx, spec); err != nil {
		return fmt.Errorf("workload %s: %w", spec.ID, err)
	}
	created, err := d.cli.ContainerCreate(ctx, cfg, host, nets, nil, name)
	if err != nil {
		return fmt.Errorf("workload %s: creating its container: %w", spec.ID, err)
	}
	if err := d.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		_ = d.cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
		return fmt.Errorf("workload %s: starting its container: %w", spec.ID, err)
	}
	return nil
}

// ensureImage applies the pull policy.
func (d *Docker) ensureImage(ctx context.Context, ref string) error {
	if d.cfg.Pull != "always" {
		if _, err := d.cli.ImageInspect(ctx, ref); err == nil {
			return nil
		} else if !cerrdefs.IsNotFound(err) {
			return err
		}
		if d.cfg.Pull == "never" {
			return fmt.Errorf("image %s is not on the engine and the pull policy is never", ref)
		}
	}
	rc, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return fmt.Errorf("pulling image %s: %w", ref, err)
	}
	defer func() { _ = rc.Close() }()
	// The pull runs while its progress stream is read; an error in the
	// stream is reported as JSON, so check the image is there after it.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return fmt.Errorf("pulling image %s: %w", ref, err)
	}
	if _, err := d.cli.ImageInspect(ctx, ref); err != nil {
		return fmt.Errorf("pulling image %s: not on the engine after the pull: %w", ref, err)
	}
	return nil
}

// ensureNetwork creates the lease's bridge network when missing; d.mu is
// held.
func (d *Docker) ensureNetwork(ctx context.Context, spec Spec) error {
	name := leaseNetwork(spec)
	if _, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{}); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return err
	}
	labels := map[string]string{labelManaged: "true"}
	if l := spec.Labels[labelLease]; l != "" {
		labels[labelLease] = l
	}
	if _, err := d.cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Labels: labels}); err != nil {
		return fmt.Errorf("creating network %s: %w", name, err)
	}
	return nil
}

// inspect finds the workload's container, checking it is ours.
func (d *Docker) inspect(ctx context.Context, id string) (container.InspectResponse, error) {
	info, err := d.cli.ContainerInspect(ctx, containerName(id))
	if cerrdefs.IsNotFound(err) {
		return info, fmt.Errorf("workload %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return info, fmt.Errorf("workload %s: %w", id, err)
	}
	if info.Config == nil || info.Config.Labels[labelWorkload] != id || info.Config.Labels[labelManaged] != "true" {
		return info, fmt.Errorf("workload %s: container %s is not this daemon's: %w", id, containerName(id), ErrNotFound)
	}
	return info, nil
}

// Adopt takes back a container that still runs after a daemon restart.
func (d *Docker) Adopt(ctx context.Context, spec Spec) error {
	info, err := d.inspect(ctx, spec.ID)
	if err != nil {
		return err
	}
	if info.State == nil || !info.State.Running {
		return fmt.Errorf("workload %s has stopped: %w", spec.ID, ErrNotFound)
	}
	return nil
}

// Status reports whether the workload's container runs, and its exit code
// once it stopped.
func (d *Docker) Status(ctx context.Context, id string) (State, error) {
	info, err := d.inspect(ctx, id)
	if err != nil {
		return State{}, err
	}
	if info.State == nil {
		return State{ExitCode: -1}, nil
	}
	if info.State.Running {
		return State{Running: true, ExitCode: -1}, nil
	}
	return State{ExitCode: info.State.ExitCode}, nil
}

// Logs returns the container's stdout and stderr, interleaved as written.
func (d *Docker) Logs(ctx context.Context, id string, tail int, follow bool) (io.ReadCloser, error) {
	if _, err := d.inspect(ctx, id); err != nil {
		return nil, err
	}
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Tail: "all"}
	if tail > 0 {
		opts.Tail = strconv.Itoa(tail)
	}
	rc, err := d.cli.ContainerLogs(ctx, containerName(id), opts)
	if err != nil {
		return nil, fmt.Errorf("workload %s: %w", id, err)
	}
	// Without a TTY the engine multiplexes both streams in frames.
	pr, pw := io.Pipe()
	go func() {
		defer func() { _ = rc.Close() }()
		_, err := stdcopy.StdCopy(pw, pw, rc)
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		_ = pw.CloseWithError(err)
	}()
	return pr, nil
}

// Stop stops the container (SIGTERM, SIGKILL after the grace), removes it,
// and removes the lease's network once no container is left on it.
func (d *Docker) Stop(ctx context.Context, id string) error {
	info, err := d.inspect(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	grace := int(d.stopGrace / time.Second)
	if err := d.cli.ContainerStop(ctx, info.ID, container.StopOptions{Timeout: &grace}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("workload %s: stopping: %w", id, err)
	}
	if err := d.cli.ContainerRemove(ctx, info.ID, container.RemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("workload %s: removing: %w", id, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pruneNetwork(ctx, string(info.HostConfig.NetworkMode))
}

// pruneNetwork removes a lease network that no container uses any more;
// d.mu is held.
func (d *Docker) pruneNetwork(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	left, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("network", name))})
	if err != nil {
		return fmt.Errorf("network %s: %w", name, err)
	}
	if len(left) > 0 {
		return nil
	}
	nw, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if cerrdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if nw.Labels[labelManaged] != "true" {
		return nil
	}
	if err := d.cli.NetworkRemove(ctx, nw.ID); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("removing network %s: %w", name, err)
	}
	return nil
}

// Managed lists the workload IDs of every container this runtime made on
// the engine (running or not), sorted: what an operator can compare with
// the workload table.
func (d *Docker) Managed(ctx context.Context) ([]string, error) {
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labelManaged+"=true"))})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range list {
		if id := c.Labels[labelWorkload]; id != "" {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out, nil
}
