package cmd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"

	"github.com/daitchain/daitchain/cmd/daitd/cmd"
)

// daitd runs the real root command as main does, with a fresh home and no
// node, and returns the error and everything it printed.
func daitd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	root := cmd.NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--home", home))
	err := svrcmd.Execute(root, "DAITD", home)
	return out.String(), err
}

// A command refused for what its input holds prints the error alone; a
// command given the wrong number of arguments still prints its usage.
func TestUsageOnlyForUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badDeployment := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(badDeployment, []byte("groups:\n  - name: x\n    resources: {cpu_millis: 1}\n"), 0o600))
	badProvider := filepath.Join(dir, "provider.yaml")
	require.NoError(t, os.WriteFile(badProvider, []byte("no_such_field: 1\n"), 0o600))
	const from = "dait1jdut2en69myn7dcxmfkw9qryetr78llzr9h7dt"

	cases := []struct {
		name      string
		args      []string
		wantErr   string
		wantUsage bool
	}{
		{"bad deployment file", []string{"tx", "computemarket", "create-deployment", badDeployment, "--from", from}, badDeployment + ": line 2: groups[0]", false},
		{"bad deployment file for update", []string{"tx", "computemarket", "update-deployment", "1", badDeployment, "--from", from}, badDeployment + ": line 2: groups[0]", false},
		{"bad version", []string{"tx", "computemarket", "update-deployment", "1", "abcd", "--from", from}, `version "abcd": want 64 hex characters`, false},
		{"bad attributes", []string{"tx", "computemarket", "create-provider", "https://gpu.example.com", "--attributes", "region", "--from", from}, `attribute "region": want key=value`, false},
		{"bad provider config", []string{"provider", "run", "--config", badProvider}, badProvider, false},
		{"missing provider config", []string{"provider", "run", "--config", filepath.Join(dir, "missing.yaml")}, "missing.yaml", false},
		{"unknown key", []string{"tx", "computemarket", "update-deployment", "1", strings.Repeat("ab", 32), "--from", "nobody", "--keyring-backend", "test"}, "nobody.info: key not found", false},
		{"no node", []string{"query", "computemarket", "params", "--node", "tcp://127.0.0.1:1"}, "connection refused", false},
		{"missing argument", []string{"tx", "computemarket", "create-deployment"}, "accepts 1 arg(s), received 0", true},
		{"unknown flag", []string{"tx", "computemarket", "create-deployment", badDeployment, "--no-such-flag"}, "unknown flag: --no-such-flag", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := daitd(t, tc.args...)
			require.ErrorContains(t, err, tc.wantErr)
			if tc.wantUsage {
				require.Contains(t, out, "Usage:")
				require.Contains(t, out, "Flags:")
			} else {
				require.NotContains(t, out, "Usage:")
				require.NotContains(t, out, "Flags:")
			}
		})
	}
}
