package e2e

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/internal/dockertest"
	"github.com/daitchain/daitchain/provider/gateway"
	"github.com/daitchain/daitchain/provider/runtime"
	tenantpkg "github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// dockerHelloFile is a deployment of the sample service as an image with
// two replicas (one container each, on the lease's own network).
func dockerHelloFile(image string) []byte {
	return []byte(fmt.Sprintf(`groups:
  - name: web
    resources:
      gpu: { count: 2, memory_gb: 80, class: hopper }
      cpu_millis: 1500
      memory_mb: 256
      storage_gb: 10
      replicas: 2
    requirements:
      - { key: region, op: "=", value: na-east }
    max_price: 9000udait
    deposit: 90000000udait
    services:
      - name: web
        image: %s
        ports: [ { port: 8080, proto: http } ]
        health: { http: /healthz, every: 1s, fail_after: 3 }
`, image))
}

// TestServingDocker is TestServingLease with the docker runtime on a real
// Docker engine: the daemon runs each replica as a container with the
// group's CPU and memory limits on a network of the lease's own, the tenant
// reaches them through the gateway, the daemon restarts and re-adopts the
// same containers, and when the lease closes the containers and the
// network are gone within two blocks.
func TestServingDocker(t *testing.T) {
	engine := dockertest.Engine(t)
	dockertest.ImportBinary(t, engine, "dait-hello:e2e", dockertest.BuildStatic(t, "github.com/daitchain/daitchain/examples/hello"))
	cli := dockertest.Client(t, engine)
	c, tenant, prov := providerChain(t)
	cfg := servingConfig(t, time.Hour)
	cfg.Runtime.Kind = "docker"
	cfg.Runtime.Docker = runtime.DockerConfig{Host: engine, Pull: "never"}
	d := startDaemon(t, c, prov, cfg)
	ctx := context.Background()

	file := dockerHelloFile("dait-hello:e2e")
	lease, deploymentID := deployFile(t, c, tenant, prov, file)
	gw := tenantGateway(t, c, prov, "tenant", tenant)
	tc := tenantpkg.New(tenant.String(), c.Market, nil, nil)
	tc.Poll = 200 * time.Millisecond
	_, groups, err := tc.Status(ctx, deploymentID)
	require.NoError(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	served, err := tc.SendManifests(wctx, file, groups, keyringSigner(c, "tenant"), nil)
	wcancel()
	require.NoError(t, err)
	st := *served[0].Status
	require.True(t, st.Ready)
	require.Equal(t, 2, st.Services[0].Ready)
	url := st.Services[0].Ports[0].URL
	require.Equal(t, gateway.IngressURL(d.eps.GatewayURL, lease.Id, "web", 8080), url)

	// The ingress balances over both replicas' containers.
	seen := map[string]bool{}
	for range 6 {
		seen[get(t, gw.HTTPClient(), url)[:len(fmt.Sprintf("hello from lease %d, service web, replica 0", lease.Id))]] = true
	}
	for r := range 2 {
		require.True(t, seen[fmt.Sprintf("hello from lease %d, service web, replica %d", lease.Id, r)], "replica %d answered: %v", r, seen)
	}
	pub, err := gw.ProviderStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, "docker", pub.Runtime)

	ids := map[string]string{}
	netName := fmt.Sprintf("dait-lease-%d", lease.Id)
	for r := range 2 {
		name := fmt.Sprintf("dait-l%d-web-%d", lease.Id, r)
		info, err := cli.ContainerInspect(ctx, name)
		require.NoError(t, err)
		require.True(t, info.State.Running)
		require.Equal(t, int64(1_500_000_000), info.HostConfig.NanoCPUs, "the group's cpu_millis")
		require.Equal(t, int64(256)<<20, info.HostConfig.Memory, "the group's memory_mb")
		require.Contains(t, info.NetworkSettings.Networks, netName)
		ids[name] = info.ID
	}
	logs, err := gw.Logs(ctx, lease.Id, "web", 1, 50, false)
	require.NoError(t, err)
	out, err := io.ReadAll(logs)
	require.NoError(t, err)
	require.NoError(t, logs.Close())
	require.Contains(t, string(out), "GET /healthz")

	// A restart adopts the same containers; the lease stays live.
	d.stop()
	startDaemon(t, c, prov, cfg)
	c.Eventually(func() bool {
		st, err = gw.Status(ctx, lease.Id)
		return err == nil && st.Ready
	}, 20)
	for name, id := range ids {
		info, err := cli.ContainerInspect(ctx, name)
		require.NoError(t, err)
		require.Equal(t, id, info.ID, "%s re-adopted, not restarted", name)
	}
	require.Contains(t, get(t, gw.HTTPClient(), url), "hello from lease")

	// Closed on chain: containers and network gone within two blocks.
	hostPorts := st.Services[0].Ports[0].HostPorts
	res := c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: deploymentID})
	for {
		gone := true
		for name := range ids {
			if _, err := cli.ContainerInspect(ctx, name); !cerrdefs.IsNotFound(err) {
				gone = false
			}
		}
		for _, p := range hostPorts {
			gone = gone && portClosed(p)
		}
		if gone {
			break
		}
		require.LessOrEqual(t, c.Height(), res.Height+2, "the containers still run two blocks after the lease closed")
		time.Sleep(100 * time.Millisecond)
	}
	c.Eventually(func() bool {
		_, err := cli.NetworkInspect(ctx, netName, network.InspectOptions{})
		return cerrdefs.IsNotFound(err)
	}, 5)
}
