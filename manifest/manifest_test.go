package manifest_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// served is a two-group file whose groups carry services.
const served = `groups:
  - name: trainer
    resources: { gpu: { count: 2, memory_gb: 40 }, cpu_millis: 16000, memory_mb: 128000, replicas: 2 }
    max_price: 6000000udait
    deposit: 50000000udait
    services:
      - name: web
        image: registry.example/app:1.2
        command: ["./server", "--port", "8080"]
        args: ["--verbose"]
        env: { MODEL: llama-3-8b, API_KEY: { secret: true }, A_FIRST: "1" }
        ports: [ { port: 8080, proto: http }, { port: 9000, proto: tcp } ]
        health: { http: /healthz, every: 2s, fail_after: 6, start_period: 30s }
        gpus: 1
      - name: worker
        command: [python3, worker.py]
        gpus: 1
        ports: [ { port: 7000, proto: tcp } ]
        health: { tcp: true }
  - name: api
    resources: { cpu_millis: 4000, memory_mb: 8000 }
    max_price: 200000udait
    deposit: 50000000udait
`

func TestParseServices(t *testing.T) {
	f, err := manifest.Parse([]byte(served))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(served))
	require.Equal(t, sum[:], f.Version, "the version is the file's sha256")
	require.True(t, f.HasServices())
	require.Len(t, f.Groups, 2)
	require.Len(t, f.Specs(), 2)
	require.Equal(t, "trainer", f.Specs()[0].Name)
	require.Equal(t, uint32(2), f.Specs()[0].Resources.Replicas)

	trainer, ok := f.Group("trainer")
	require.True(t, ok)
	require.Equal(t, []manifest.Service{
		{
			Name:    "web",
			Image:   "registry.example/app:1.2",
			Command: []string{"./server", "--port", "8080"},
			Args:    []string{"--verbose"},
			Env: []manifest.EnvVar{
				{Name: "API_KEY", Secret: true},
				{Name: "A_FIRST", Value: "1"},
				{Name: "MODEL", Value: "llama-3-8b"},
			},
			Ports:  []manifest.Port{{Port: 8080, Proto: manifest.ProtoHTTP}, {Port: 9000, Proto: manifest.ProtoTCP}},
			Health: &manifest.Health{HTTP: "/healthz", Port: 8080, Every: 2 * time.Second, FailAfter: 6, StartPeriod: 30 * time.Second},
			GPUs:   1,
		},
		{
			Name:    "worker",
			Command: []string{"python3", "worker.py"},
			Ports:   []manifest.Port{{Port: 7000, Proto: manifest.ProtoTCP}},
			Health:  &manifest.Health{Port: 7000, Every: manifest.DefaultHealthEvery, FailAfter: manifest.DefaultHealthFailAfter},
			GPUs:    1,
		},
	}, trainer.Services)
	api, ok := f.Group("api")
	require.True(t, ok)
	require.Empty(t, api.Services)
	_, ok = f.Group("nope")
	require.False(t, ok)
}

// A file without services parses as before (HasServices false) and may
// name its version.
func TestParseWithoutServices(t *testing.T) {
	doc := "version: " + strings.Repeat("ab", 32) + "\ngroups:\n  - {name: a, resources: {cpu_millis: 1, memory_mb: 1}, max_price: 1, deposit: 1}\n"
	f, err := manifest.Parse([]byte(doc))
	require.NoError(t, err)
	require.False(t, f.HasServices())
	require.Len(t, f.Version, types.VersionLen)
}

// Every refusal names the field and its line.
func TestParseServicesRefusals(t *testing.T) {
	group := func(gpus int, services string) string {
		g := "groups:\n  - name: g\n    resources: { cpu_millis: 1, memory_mb: 1"
		if gpus > 0 {
			g += ", gpu: { count: " + string(rune('0'+gpus)) + " }"
		}
		return g + " }\n    max_price: 1\n    deposit: 1\n    services:\n" + services
	}
	svc := func(extra string) string { return group(2, "      - name: web\n        command: [./s]\n"+extra) }
	cases := []struct {
		name, doc, want string
	}{
		{"null services", group(0, "")[:len(group(0, ""))-len("    services:\n")] + "    services:\n", "line 6: groups[0].services: want a list, got null"},
		{"no name", group(0, "      - command: [./s]\n"), "line 7: groups[0].services[0].name: required"},
		{"bad name", group(0, "      - name: Web_1\n        command: [./s]\n"), `groups[0].services[0].name: want a DNS label`},
		{"long name", group(0, "      - name: "+strings.Repeat("a", 64)+"\n        command: [./s]\n"), `groups[0].services[0].name: want a DNS label`},
		{"duplicate name", group(0, "      - {name: web, command: [./s]}\n      - {name: web, command: [./t]}\n"), `line 8: groups[0].services[1].name: "web" is already the name of groups[0].services[0]`},
		{"nothing to run", group(0, "      - name: web\n"), "groups[0].services[0].image: required: an image (docker runtime), a command (process runtime), or both"},
		{"empty command", group(0, "      - {name: web, command: []}\n"), "groups[0].services[0].command: want a program"},
		{"empty image", group(0, "      - {name: web, image: \"\"}\n"), "groups[0].services[0].image: want an image reference"},
		{"unknown field", svc("        replicas: 2\n"), "line 9: groups[0].services[0].replicas: unknown field"},
		{"too many gpus", group(2, "      - {name: a, command: [./s], gpus: 2}\n      - {name: b, command: [./s], gpus: 1}\n"), "line 8: groups[0].services[1].gpus: the services ask for 3 GPUs, the group's resources have 2 per replica"},
		{"gpus without gpu", group(0, "      - {name: a, command: [./s], gpus: 1}\n"), "the services ask for 1 GPUs, the group's resources have 0 per replica"},
		{"port zero", svc("        ports: [ { port: 0 } ]\n"), "line 9: groups[0].services[0].ports[0].port: want a port from 1 to 65535"},
		{"port too large", svc("        ports: [ { port: 65536 } ]\n"), "groups[0].services[0].ports[0].port: 65536 is above the limit of 65535"},
		{"duplicate port", svc("        ports: [ { port: 80 }, { port: 80, proto: tcp } ]\n"), "groups[0].services[0].ports[1].port: port 80 is already groups[0].services[0].ports[0]"},
		{"bad proto", svc("        ports: [ { port: 80, proto: udp } ]\n"), `groups[0].services[0].ports[0].proto: want http or tcp, got "udp"`},
		{"bad env name", svc("        env: { 1X: a }\n"), "groups[0].services[0].env.1X: want a variable name"},
		{"env list", svc("        env: [ A ]\n"), "groups[0].services[0].env: want a mapping of NAME: value, got a list"},
		{"env null", svc("        env: { A: }\n"), "groups[0].services[0].env.A: want a value, got null"},
		{"duplicate env", svc("        env: { A: x, A: y }\n"), "groups[0].services[0].env.A: given twice"},
		{"secret false", svc("        env: { A: { secret: false } }\n"), "groups[0].services[0].env.A.secret: want true"},
		{"secret with value", svc("        env: { A: { secret: true, value: x } }\n"), "groups[0].services[0].env.A.value: unknown field"},
		{"health without kind", svc("        ports: [ { port: 80 } ]\n        health: { every: 5s }\n"), "groups[0].services[0].health.http: required: http (a path such as /healthz) or tcp: true"},
		{"health both", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, tcp: true }\n"), "groups[0].services[0].health: give http (a path) or tcp: true, not both"},
		{"health path", svc("        ports: [ { port: 80 } ]\n        health: { http: healthz }\n"), `groups[0].services[0].health.http: want a path starting with /`},
		{"health no port", svc("        health: { tcp: true }\n"), "groups[0].services[0].health: the service has no tcp port to check"},
		{"http health on tcp port", svc("        ports: [ { port: 80, proto: tcp } ]\n        health: { http: /h }\n"), "groups[0].services[0].health: the service has no http port to check"},
		{"health other port", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, port: 81 }\n"), "groups[0].services[0].health.port: port 81 is not one of the service's http ports"},
		{"health every too short", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, every: 100ms }\n"), "groups[0].services[0].health.every: 100ms is outside 1s to 10m0s"},
		{"health every not a duration", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, every: 5 }\n"), `groups[0].services[0].health.every: want a duration such as 5s or 1m, got "5"`},
		{"fail_after zero", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, fail_after: 0 }\n"), "groups[0].services[0].health.fail_after: want at least 1"},
		{"start_period too long", svc("        ports: [ { port: 80 } ]\n        health: { http: /h, start_period: 2h }\n"), "groups[0].services[0].health.start_period: 2h0m0s is outside 0s to 1h0m0s"},
		{"too many services", group(0, strings.Repeat("      - {name: x, command: [./s]}\n", manifest.MaxServicesPerGroup+1)), "groups[0].services: at most 16 items, got 17"},
		{"long arg", svc("        args: [ " + strings.Repeat("a", manifest.MaxArgLen+1) + " ]\n"), "groups[0].services[0].args[0]: longer than 4096 bytes"},
		{"version with services", "version: " + strings.Repeat("ab", 32) + "\n" + svc(""), "line 1: version: a file with services is its own version (its sha256): omit version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := manifest.Parse([]byte(tc.doc))
			require.Error(t, err, tc.doc)
			require.Nil(t, f)
			require.Contains(t, err.Error(), tc.want, tc.doc)
		})
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.yaml")
	require.NoError(t, os.WriteFile(path, []byte(served), 0o600))
	f, err := manifest.Load(path)
	require.NoError(t, err)
	require.True(t, f.HasServices())

	require.NoError(t, os.WriteFile(path, []byte("groups: []\n"), 0o600))
	_, err = manifest.Load(path)
	require.ErrorContains(t, err, path+": line 1: groups: at least one group is required")
}

// The example deployment file of the docs parses with its services.
func TestExampleFile(t *testing.T) {
	f, err := manifest.Load("../docs/examples/deployment.yaml")
	require.NoError(t, err)
	require.True(t, f.HasServices(), "docs/examples/deployment.yaml shows services")
}

// privacy: public by default; private restricts the ingress; confidential
// adds the TEE requirement to the on-chain spec (or keeps a tenant's own
// one that admits only TEEs).
func TestParsePrivacy(t *testing.T) {
	file := func(extra string) string {
		return "groups:\n  - name: g\n    resources: { cpu_millis: 1, memory_mb: 1 }\n    max_price: 1\n    deposit: 1\n" + extra
	}
	f, err := manifest.Parse([]byte(file("")))
	require.NoError(t, err)
	require.Equal(t, manifest.Public, f.Groups[0].Privacy)
	require.False(t, f.Groups[0].Privacy.Restricted())

	f, err = manifest.Parse([]byte(file("    privacy: private\n")))
	require.NoError(t, err)
	require.Equal(t, manifest.Private, f.Groups[0].Privacy)
	require.True(t, f.Groups[0].Privacy.Restricted())
	require.Empty(t, f.Groups[0].Spec.Requirements, "private adds no requirement")

	f, err = manifest.Parse([]byte(file("    privacy: confidential\n    requirements: [ { key: region, op: \"=\", value: eu } ]\n")))
	require.NoError(t, err)
	require.Equal(t, manifest.Confidential, f.Groups[0].Privacy)
	require.Equal(t, []types.Requirement{
		{Key: "region", Op: types.OpEq, Values: []string{"eu"}},
		{Key: "tee", Op: types.OpIn, Values: []string{"amd-sev-snp", "intel-tdx", "nvidia-cc"}},
	}, f.Groups[0].Spec.Requirements)
	require.NoError(t, f.Groups[0].Spec.Validate())
	require.Equal(t, f.Groups[0].Spec, f.Specs()[0], "the requirement goes on chain")

	f, err = manifest.Parse([]byte(file("    privacy: confidential\n    requirements: [ { key: tee, op: \"=\", value: intel-tdx } ]\n")))
	require.NoError(t, err)
	require.Equal(t, []types.Requirement{{Key: "tee", Op: types.OpEq, Values: []string{"intel-tdx"}}}, f.Groups[0].Spec.Requirements)

	for doc, want := range map[string]string{
		file("    privacy: secret\n"): `line 6: groups[0].privacy: "secret": want public, private or confidential`,
		file("    privacy: confidential\n    requirements: [ { key: tee, op: in, values: [intel-tdx, none] } ]\n"): "groups[0].requirements: privacy: confidential wants the tee requirement to be = or in over amd-sev-snp, intel-tdx, nvidia-cc",
		file("    privacy: [a]\n"): "line 6: groups[0].privacy: want a value, got a list",
	} {
		_, err := manifest.Parse([]byte(doc))
		require.ErrorContains(t, err, want, doc)
	}
}

// order: auction (default), market (with fallback: auction) or limit
// (with expires_at).
func TestParseOrder(t *testing.T) {
	file := func(extra string) string {
		return "groups:\n  - name: g\n    resources: { cpu_millis: 1, memory_mb: 1 }\n    max_price: 1\n    deposit: 1\n" + extra
	}
	f, err := manifest.Parse([]byte(file("")))
	require.NoError(t, err)
	require.Equal(t, types.OrderAuction, f.Groups[0].Spec.Order)
	f, err = manifest.Parse([]byte(file("    order: market\n")))
	require.NoError(t, err)
	require.Equal(t, types.OrderMarket, f.Groups[0].Spec.Order)
	require.False(t, f.Groups[0].Spec.FallbackAuction)
	f, err = manifest.Parse([]byte(file("    order: market\n    fallback: auction\n")))
	require.NoError(t, err)
	require.True(t, f.Groups[0].Spec.FallbackAuction)
	f, err = manifest.Parse([]byte(file("    order: limit\n    expires_at: 5000\n")))
	require.NoError(t, err)
	require.Equal(t, types.OrderLimit, f.Groups[0].Spec.Order)
	require.Equal(t, int64(5000), f.Groups[0].Spec.ExpiresAt)
	for doc, want := range map[string]string{
		file("    order: limit\n"):                     "line 6: groups[0].order: order: limit needs expires_at",
		file("    order: best\n"):                      `line 6: groups[0].order: "best": want auction, market or limit`,
		file("    expires_at: 9\n"):                    "line 6: groups[0].expires_at: expires_at is for order: limit",
		file("    order: limit\n    expires_at: 0\n"):  "line 7: groups[0].expires_at: want a height of at least 1",
		file("    order: limit\n    expires_at: -3\n"): "line 7: groups[0].expires_at:",
		file("    fallback: auction\n"):                "line 6: groups[0].fallback: fallback is for order: market",
		file("    order: market\n    fallback: x\n"):   `line 7: groups[0].fallback: "x": want auction`,
	} {
		_, err := manifest.Parse([]byte(doc))
		require.ErrorContains(t, err, want, doc)
	}
}
