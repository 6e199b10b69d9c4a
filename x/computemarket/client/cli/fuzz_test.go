package cli_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// FuzzParseDeploymentFile feeds arbitrary bytes to the deployment file
// parser: it must not panic, and a file it accepts must make a deployment
// that passes the chain's stateless checks.
func FuzzParseDeploymentFile(f *testing.F) {
	example, err := os.ReadFile("../../../../docs/examples/deployment.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(specFile))
	f.Add([]byte(specFile + apiGroup))
	f.Add([]byte("groups:\n  - &g {name: a, resources: {cpu_millis: 1, memory_mb: 1}, max_price: 1, deposit: 1}\n  - *g\n"))
	f.Add([]byte("groups: [{name: a, resources: {cpu_millis: 1, memory_mb: 1, gpu: {count: 1024}}, max_price: 1, deposit: 1}]\n"))
	f.Add([]byte("groups: []\n"))
	f.Add([]byte("---\n---\n"))

	owner := auditor(0x01)
	f.Fuzz(func(t *testing.T, data []byte) {
		version, groups, err := cli.ParseDeploymentFile(data)
		if err != nil {
			if version != nil || groups != nil {
				t.Fatalf("an error with results: %v", err)
			}
			return
		}
		for i, g := range groups {
			if err := g.Validate(); err != nil {
				t.Fatalf("groups[%d] accepted by the parser, refused by GroupSpec.Validate: %v", i, err)
			}
		}
		msg := types.MsgCreateDeployment{Owner: owner, Version: version, Groups: groups}
		if err := msg.ValidateBasic(); err != nil {
			t.Fatalf("file accepted, message refused: %v", err)
		}

		// The same bytes parse the same way.
		version2, groups2, err := cli.ParseDeploymentFile(data)
		require.NoError(t, err, "a second parse")
		require.Equal(t, version, version2, "a second parse")
		require.Equal(t, groups, groups2, "a second parse")
	})
}
