package manifest_test

import (
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/manifest"
)

// FuzzParse feeds arbitrary bytes to the manifest parser: it must not
// panic, and a file it accepts must hold what its services promise: specs
// the chain validates, GPUs within the group's, something to run, unique
// ports, and a health check on one of the service's ports.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../docs/examples/deployment.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(served))
	f.Add([]byte("groups: [{name: a, resources: {cpu_millis: 1, memory_mb: 1, gpu: {count: 1}}, max_price: 1, deposit: 1, services: [{name: s, command: [x], gpus: 1, ports: [{port: 1}], health: {http: /}}]}]\n"))
	f.Add([]byte("groups: [{name: a, resources: {cpu_millis: 1, memory_mb: 1}, max_price: 1, deposit: 1, services: [{name: s, image: i, env: {A: {secret: true}, B: b}, ports: [{port: 65535, proto: tcp}], health: {tcp: true, every: 1s, fail_after: 1000}}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := manifest.Parse(data)
		if err != nil {
			require.Nil(t, file)
			return
		}
		for _, g := range file.Groups {
			require.NoError(t, g.Spec.Validate())
			var gpus uint64
			for _, s := range g.Services {
				gpus += uint64(s.GPUs)
				require.True(t, s.Image != "" || len(s.Command) > 0, "service %s runs nothing", s.Name)
				var ports []uint32
				for _, p := range s.Ports {
					require.NotZero(t, p.Port)
					require.NotContains(t, ports, p.Port, "service %s port %d twice", s.Name, p.Port)
					ports = append(ports, p.Port)
				}
				if s.Health != nil {
					require.Contains(t, ports, s.Health.Port)
					require.GreaterOrEqual(t, s.Health.Every, manifest.MinHealthEvery)
					require.NotZero(t, s.Health.FailAfter)
				}
				require.True(t, slices.IsSortedFunc(s.Env, func(a, b manifest.EnvVar) int {
					if a.Name < b.Name {
						return -1
					}
					return 1
				}), "env of %s not sorted", s.Name)
				for _, e := range s.Env {
					require.False(t, e.Secret && e.Value != "", "secret %s has a value", e.Name)
				}
			}
			require.LessOrEqual(t, gpus, uint64(g.Spec.Resources.GPU.Count))
		}
		again, err := manifest.Parse(data)
		require.NoError(t, err, "a second parse")
		require.Equal(t, file, again, "a second parse")
	})
}
