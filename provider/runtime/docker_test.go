package runtime_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	gonat "github.com/docker/go-connections/nat"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/internal/dockertest"
	"github.com/daitchain/daitchain/provider/runtime"
)

// The mapping from a workload to the engine's container config, which
// needs no engine: image and command, env with the in-container ports,
// limits, GPUs as a device request, ports published on the host IP, the
// lease's network with the service's name as alias.
func TestDockerContainerConfig(t *testing.T) {
	d := &runtime.Docker{}
	spec := runtime.Spec{
		ID: "l7-web-1", Image: "example/web:1", Command: []string{"/srv"}, Args: []string{"-v"},
		Labels:    map[string]string{"dait.lease": "7", "dait.service": "web"},
		Env:       []runtime.EnvVar{{Name: "MODEL", Value: "llama"}},
		Ports:     []runtime.PortMap{{Port: 8080, HostPort: 31001}, {Port: 9090, HostPort: 31002}},
		GPUs:      []int{2, 5},
		CPUMillis: 1500, MemoryMB: 2048,
	}
	cfg, host, nets := d.ContainerConfig(spec)
	require.Equal(t, "example/web:1", cfg.Image)
	require.Equal(t, []string{"/srv"}, []string(cfg.Entrypoint))
	require.Equal(t, []string{"-v"}, []string(cfg.Cmd))
	require.Equal(t, []string{"MODEL=llama", "PORT_8080=8080", "PORT=8080", "PORT_9090=9090"}, cfg.Env)
	require.Equal(t, "true", cfg.Labels["dait.managed"])
	require.Equal(t, "l7-web-1", cfg.Labels["dait.workload"])
	require.Equal(t, "7", cfg.Labels["dait.lease"])
	require.Contains(t, cfg.ExposedPorts, gonat.Port("8080/tcp"))
	require.Equal(t, "31001", host.PortBindings[gonat.Port("8080/tcp")][0].HostPort)
	require.Equal(t, "31002", host.PortBindings[gonat.Port("9090/tcp")][0].HostPort)
	require.Equal(t, int64(1_500_000_000), host.NanoCPUs)
	require.Equal(t, int64(2048)<<20, host.Memory)
	require.Equal(t, host.Memory, host.MemorySwap, "no swap beyond the limit")
	require.Equal(t, []container.DeviceRequest{{DeviceIDs: []string{"2", "5"}, Capabilities: [][]string{{"gpu"}}}}, host.DeviceRequests)
	require.Equal(t, container.NetworkMode("dait-lease-7"), host.NetworkMode)
	require.Equal(t, []string{"web"}, nets.EndpointsConfig["dait-lease-7"].Aliases)
	require.Equal(t, container.RestartPolicyDisabled, host.RestartPolicy.Name, "the provider, not the engine, decides restarts")

	_, host, _ = d.ContainerConfig(runtime.Spec{ID: "x", Image: "i"})
	require.Empty(t, host.DeviceRequests)
	require.Zero(t, host.NanoCPUs)
}

// A real engine: a lease's two workloads start from a local image on one
// network of their own, answer on their published ports with their env,
// log, are adopted by a second runtime (the daemon restarted), and Stop
// removes the containers and, with the last one, the network.
func TestDockerRuntime(t *testing.T) {
	host := dockertest.Engine(t)
	bin := dockertest.BuildStatic(t, "github.com/daitchain/daitchain/examples/hello")
	dockertest.ImportBinary(t, host, "dait-hello:test", bin)
	ctx := context.Background()
	d, err := runtime.NewDocker(ctx, runtime.DockerConfig{Host: host, Pull: "never"}, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	require.Equal(t, "docker", d.Name())

	ports := freePorts(t, 2)
	specs := make([]runtime.Spec, 2)
	for i := range specs {
		specs[i] = runtime.Spec{
			ID: fmt.Sprintf("l9-web-%d", i), Image: "dait-hello:test",
			Labels: map[string]string{"dait.lease": "9", "dait.service": "web", "dait.replica": fmt.Sprint(i)},
			Env: []runtime.EnvVar{{Name: "DAIT_LEASE_ID", Value: "9"}, {Name: "DAIT_SERVICE", Value: "web"},
				{Name: "DAIT_REPLICA", Value: fmt.Sprint(i)}},
			Ports:     []runtime.PortMap{{Port: 8080, HostPort: ports[i]}},
			CPUMillis: 500, MemoryMB: 64,
		}
		require.NoError(t, d.Start(ctx, specs[i]))
	}
	require.ErrorContains(t, d.Start(ctx, specs[0]), "already running")
	for i, s := range specs {
		page := waitGet(t, fmt.Sprintf("http://127.0.0.1:%d/", s.Ports[0].HostPort))
		require.Contains(t, page, fmt.Sprintf("hello from lease 9, service web, replica %d", i))
		st, err := d.Status(ctx, s.ID)
		require.NoError(t, err)
		require.True(t, st.Running)
	}
	cli := dockertest.Client(t, host)
	nw, err := cli.NetworkInspect(ctx, "dait-lease-9", network.InspectOptions{})
	require.NoError(t, err)
	require.Len(t, nw.Containers, 2, "both workloads of the lease on its network")
	info, err := cli.ContainerInspect(ctx, "dait-l9-web-0")
	require.NoError(t, err)
	require.Equal(t, int64(500_000_000), info.HostConfig.NanoCPUs)
	require.Equal(t, int64(64)<<20, info.HostConfig.Memory)

	r, err := d.Logs(ctx, specs[0].ID, 0, false)
	require.NoError(t, err)
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Contains(t, string(out), "listening on :8080")
	require.Contains(t, string(out), "GET /")
	r, err = d.Logs(ctx, specs[0].ID, 1, false)
	require.NoError(t, err)
	out, err = io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(out), "\n"), "tail 1: %q", out)

	// Follow streams what the workload writes next, until ctx ends.
	fctx, fcancel := context.WithCancel(ctx)
	r, err = d.Logs(fctx, specs[1].ID, 1, true)
	require.NoError(t, err)
	waitGet(t, fmt.Sprintf("http://127.0.0.1:%d/status/200", specs[1].Ports[0].HostPort))
	buf := make([]byte, 0, 4096)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(string(buf), "GET /status/200") && time.Now().Before(deadline) {
		chunk := make([]byte, 512)
		n, err := r.Read(chunk)
		require.NoError(t, err)
		buf = append(buf, chunk[:n]...)
	}
	require.Contains(t, string(buf), "GET /status/200")
	fcancel()
	_, _ = io.ReadAll(r)

	// The daemon restarted: a new runtime adopts what runs.
	second, err := runtime.NewDocker(ctx, runtime.DockerConfig{Host: host}, 2*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = second.Close() })
	require.NoError(t, second.Adopt(ctx, specs[0]))
	require.ErrorIs(t, second.Adopt(ctx, runtime.Spec{ID: "l9-none-0"}), runtime.ErrNotFound)
	managed, err := second.Managed(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"l9-web-0", "l9-web-1"}, managed)

	require.NoError(t, second.Stop(ctx, specs[0].ID))
	_, err = second.Status(ctx, specs[0].ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	_, err = cli.NetworkInspect(ctx, "dait-lease-9", network.InspectOptions{})
	require.NoError(t, err, "the network stays while a workload of the lease is on it")
	require.NoError(t, second.Stop(ctx, specs[1].ID))
	_, err = cli.NetworkInspect(ctx, "dait-lease-9", network.InspectOptions{})
	require.True(t, cerrdefs.IsNotFound(err), "the lease's network goes with its last workload: %v", err)
	require.NoError(t, second.Stop(ctx, specs[1].ID), "stopping a stopped workload is not an error")
	require.True(t, refused(specs[0].Ports[0].HostPort))
}

// A workload that exits reports its exit code; a container of the same
// name not made by the runtime is never adopted; images not present are
// refused under pull: never, and a missing image with no registry fails
// with the pull's error.
func TestDockerRuntimeRefusals(t *testing.T) {
	host := dockertest.Engine(t)
	bin := dockertest.BuildStatic(t, "github.com/daitchain/daitchain/examples/hello")
	dockertest.ImportBinary(t, host, "dait-hello:test", bin)
	ctx := context.Background()
	d, err := runtime.NewDocker(ctx, runtime.DockerConfig{Host: host, Pull: "never"}, time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })

	require.ErrorContains(t, d.Start(ctx, runtime.Spec{ID: "cmd-only", Command: []string{"/bin/true"}}), "runs an image")
	require.ErrorContains(t, d.Start(ctx, runtime.Spec{ID: "absent", Image: "no/such:image"}), "pull policy is never")

	// hello exits 1 when it cannot listen.
	exits := runtime.Spec{ID: "l3-exit-0", Image: "dait-hello:test", Env: []runtime.EnvVar{{Name: "PORT", Value: "bad"}}, Labels: map[string]string{"dait.lease": "3"}}
	require.NoError(t, d.Start(ctx, exits))
	var st runtime.State
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err = d.Status(ctx, exits.ID)
		require.NoError(t, err)
		if !st.Running || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.False(t, st.Running)
	require.Equal(t, 1, st.ExitCode)
	require.ErrorIs(t, d.Adopt(ctx, exits), runtime.ErrNotFound, "a stopped container is not adopted")
	require.NoError(t, d.Start(ctx, exits), "a dead container of the workload is replaced")
	require.NoError(t, d.Stop(ctx, exits.ID))

	cli := dockertest.Client(t, host)
	_, err = cli.ContainerCreate(ctx, &container.Config{Image: "dait-hello:test"}, nil, nil, nil, "dait-l4-foreign-0")
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cli.ContainerRemove(context.Background(), "dait-l4-foreign-0", container.RemoveOptions{Force: true})
	})
	require.ErrorIs(t, d.Adopt(ctx, runtime.Spec{ID: "l4-foreign-0"}), runtime.ErrNotFound)
	require.NoError(t, d.Stop(ctx, "l4-foreign-0"), "Stop leaves a container it did not make alone")
	_, err = cli.ContainerInspect(ctx, "dait-l4-foreign-0")
	require.NoError(t, err)

	pulling, err := runtime.NewDocker(ctx, runtime.DockerConfig{Host: host}, time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pulling.Close() })
	require.ErrorContains(t, pulling.Start(ctx, runtime.Spec{ID: "l5-pull-0", Image: "127.0.0.1:1/none:1"}), "pulling image")

	_, err = runtime.NewDocker(ctx, runtime.DockerConfig{Host: host, Pull: "sometimes"}, time.Second)
	require.ErrorContains(t, err, "pull")
	_, err = runtime.NewDocker(ctx, runtime.DockerConfig{Host: "unix:///nonexistent/docker.sock"}, time.Second)
	require.ErrorContains(t, err, "does not answer")
}

func freePorts(t *testing.T, n int) []uint32 {
	t.Helper()
	var out []uint32
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		out = append(out, uint32(ln.Addr().(*net.TCPAddr).Port)) //nolint:gosec // a port
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return out
}

// waitGet fetches url once the workload listens.
func waitGet(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url) //nolint:gosec,noctx // a test URL
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			require.NoError(t, rerr)
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within 20 s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func refused(port uint32) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return true
	}
	_ = c.Close()
	return false
}
