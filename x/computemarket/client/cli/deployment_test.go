package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	sdkmath "cosmossdk.io/math"

	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const exampleVersion = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// specFile is the example of SPEC section 9 with a real version.
const specFile = `version: "` + exampleVersion + `"
groups:
  - name: trainer
    resources:
      gpu: { count: 8, memory_gb: 80, class: hopper }
      cpu_millis: 64000
      memory_mb: 512000
      storage_gb: 2000
      replicas: 1
    requirements:            # on audited attributes only
      - { key: region, op: in, values: [na-east, eu-west] }
      - { key: gpu_memory_gb, op: ">=", value: "80" }
      - { key: tier, op: "=", value: datacenter }
    auditors: []             # optional: accept only these auditors' attestations
    max_price: 5000udait     # per block
    deposit: 60000000udait   # this group's escrow, >= lease_min_deposit
`

// apiGroup is a second, CPU-only group to append to specFile.
const apiGroup = `  - name: api
    resources:
      cpu_millis: 2000
      memory_mb: 4096
    requirements:
      - { key: region, op: eq, value: na-east }
      - { key: cpu_cores, op: lte, value: 64 }
    max_price: 50
    deposit: 50000000udait
`

func udait(n int64) sdk.Coin { return sdk.NewCoin(types.Denom, sdkmath.NewInt(n)) }

func auditor(b byte) string { return sdk.AccAddress(bytes.Repeat([]byte{b}, 20)).String() }

func trainerSpec() types.GroupSpec {
	return types.GroupSpec{
		Name: "trainer",
		Resources: types.Resources{
			GPU:       types.GPU{Count: 8, MemoryGb: 80, Class: "hopper"},
			CpuMillis: 64000, MemoryMb: 512000, StorageGb: 2000, Replicas: 1,
		},
		Requirements: []types.Requirement{
			{Key: "region", Op: types.OpIn, Values: []string{"na-east", "eu-west"}},
			{Key: "gpu_memory_gb", Op: types.OpGte, Values: []string{"80"}},
			{Key: "tier", Op: types.OpEq, Values: []string{"datacenter"}},
		},
		MaxPrice: udait(5000),
		Deposit:  udait(60_000_000),
	}
}

func apiSpec() types.GroupSpec {
	return types.GroupSpec{
		Name:      "api",
		Resources: types.Resources{CpuMillis: 2000, MemoryMb: 4096, Replicas: 1},
		Requirements: []types.Requirement{
			{Key: "region", Op: types.OpEq, Values: []string{"na-east"}},
			{Key: "cpu_cores", Op: types.OpLte, Values: []string{"64"}},
		},
		MaxPrice: udait(50),
		Deposit:  udait(50_000_000),
	}
}

// edit applies old->new replacements to doc, failing if an old is absent so
// that a case cannot silently test the unedited file.
func edit(t *testing.T, doc string, oldNew ...string) string {
	t.Helper()
	for i := 0; i+1 < len(oldNew); i += 2 {
		require.Contains(t, doc, oldNew[i], "test edit does not apply")
		doc = strings.Replace(doc, oldNew[i], oldNew[i+1], 1)
	}
	return doc
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseDeploymentFile(t *testing.T) {
	withAuditors := func(g types.GroupSpec, a ...string) types.GroupSpec {
		g.Auditors = a
		return g
	}
	withReplicas := func(g types.GroupSpec, n uint32) types.GroupSpec {
		g.Resources.Replicas = n
		return g
	}
	noVersion := edit(t, specFile+apiGroup, `version: "`+exampleVersion+`"`+"\n", "")
	noVersionSum := sha256.Sum256([]byte(noVersion))

	cases := []struct {
		name        string
		doc         string
		wantVersion []byte
		wantGroups  []types.GroupSpec
	}{
		{"spec example", specFile, mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"two groups", specFile + apiGroup, mustHex(exampleVersion), []types.GroupSpec{trainerSpec(), apiSpec()}},
		{"omitted version hashes the file", noVersion, noVersionSum[:], []types.GroupSpec{trainerSpec(), apiSpec()}},
		{"upper-case hex version", edit(t, specFile, exampleVersion, strings.ToUpper(exampleVersion)), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"omitted replicas is 1", edit(t, specFile, "      replicas: 1\n", ""), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"replicas 3", edit(t, specFile, "replicas: 1", "replicas: 3"), mustHex(exampleVersion), []types.GroupSpec{withReplicas(trainerSpec(), 3)}},
		{"omitted auditors", edit(t, specFile, "    auditors: []", ""), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{
			"auditors",
			edit(t, specFile, "auditors: []", fmt.Sprintf("auditors: [%s, %s]", auditor(1), auditor(2))),
			mustHex(exampleVersion),
			[]types.GroupSpec{withAuditors(trainerSpec(), auditor(1), auditor(2))},
		},
		{"bare integer amounts are udait", edit(t, specFile, "5000udait", "5000", "60000000udait", "60000000"), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"operator words", edit(t, specFile, `op: ">="`, "op: gte", `op: "="`, "op: eq"), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"unquoted integer value", edit(t, specFile, `value: "80"`, "value: 80"), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{"block style requirement", edit(t, specFile,
			"      - { key: tier, op: \"=\", value: datacenter }\n",
			"      - key: tier\n        op: \"=\"\n        value: datacenter\n"), mustHex(exampleVersion), []types.GroupSpec{trainerSpec()}},
		{
			"anchors and aliases",
			edit(t, specFile+apiGroup,
				"    requirements:            # on audited attributes only", "    requirements: &reqs",
				"    requirements:\n      - { key: region, op: eq, value: na-east }\n      - { key: cpu_cores, op: lte, value: 64 }\n", "    requirements: *reqs\n"),
			mustHex(exampleVersion),
			[]types.GroupSpec{trainerSpec(), func() types.GroupSpec { g := apiSpec(); g.Requirements = trainerSpec().Requirements; return g }()},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version, groups, err := cli.ParseDeploymentFile([]byte(tc.doc))
			require.NoError(t, err)
			require.Equal(t, tc.wantVersion, version)
			require.Equal(t, tc.wantGroups, groups)

			msg := types.MsgCreateDeployment{Owner: auditor(9), Version: version, Groups: groups}
			require.NoError(t, msg.ValidateBasic())
		})
	}
}

func TestParseDeploymentFileErrors(t *testing.T) {
	two := specFile + apiGroup
	tooMany := "groups:\n" + strings.Repeat("  - {}\n", types.MaxGroupsPerDeploy+1)

	cases := []struct {
		name    string
		doc     string
		wantErr string
	}{
		// strictness
		{"unknown key at top level", "extra: 1\n" + specFile, "line 1: extra: unknown field (known: version, groups)"},
		{"unknown key in a group", edit(t, specFile, "max_price:", "maxprice:"), "groups[0].maxprice: unknown field"},
		{"unknown key in resources", edit(t, specFile, "      replicas: 1\n", "      replicas: 1\n      gpus: 8\n"), "groups[0].resources.gpus: unknown field"},
		{"unknown key in gpu", edit(t, specFile, "class: hopper }", "class: hopper, vram: 80 }"), "groups[0].resources.gpu.vram: unknown field"},
		{"unknown key in a requirement", edit(t, two, "value: datacenter }", "value: datacenter, why: x }"), "groups[0].requirements[2].why: unknown field"},
		{"repeated key", edit(t, specFile, "      cpu_millis: 64000\n", "      cpu_millis: 64000\n      cpu_millis: 1000\n"), "line 7: groups[0].resources.cpu_millis: given twice"},
		{"merge key", edit(t, two, "  - name: api\n", "  - name: api\n    <<: {}\n"), "groups[1].<<: unknown field"},
		{"empty file", "", "empty"},
		{"only comments", "# nothing\n", "empty"},
		{"two documents", specFile + "---\n" + specFile, "single YAML document"},
		{"not YAML", "groups: [\n", "not valid YAML"},
		{"top level is a list", "- a\n", "top level: want a mapping, got a list"},

		// version
		{"bad hex version", edit(t, specFile, exampleVersion[:2], "zz"), "version: not hex"},
		{"short version", edit(t, specFile, exampleVersion, "abcd"), "version: want 64 hex characters (a sha256), got 4"},
		{"long version", edit(t, specFile, exampleVersion, exampleVersion+"00"), "version: want 64 hex characters (a sha256), got 66"},
		{"null version", edit(t, specFile, `"`+exampleVersion+`"`, ""), "version: want a value, got null"},

		// groups
		{"missing groups", `version: "` + exampleVersion + `"` + "\n", "groups: required"},
		{"empty groups", "groups: []\n", "groups: at least one group is required"},
		{"too many groups", tooMany, "groups: at most 16 items, got 17"},
		{"group is not a mapping", "groups: [trainer]\n", `groups[0]: want a mapping, got "trainer"`},
		{"duplicate group names", edit(t, two, "- name: api", "- name: trainer"), `groups[1].name: "trainer" is already the name of groups[0]`},
		{"missing name", edit(t, specFile, "  - name: trainer\n    resources:", "  - resources:"), "groups[0].name: required"},
		{"bad group name", edit(t, specFile, "name: trainer", "name: Trainer"), `groups[0].name: key "Trainer": only a-z 0-9 . _ - / are allowed`},
		{"empty group name", edit(t, specFile, "name: trainer", `name: ""`), `groups[0].name: key "" must be 1..64 characters`},
		{"long group name", edit(t, specFile, "name: trainer", "name: "+strings.Repeat("a", 65)), "groups[0].name: longer than 64 characters"},
		{"missing deposit", edit(t, specFile, "    deposit: 60000000udait   # this group's escrow, >= lease_min_deposit\n", ""), "groups[0].deposit: required"},

		// resources
		{"missing resources", edit(t, two, "    resources:\n      cpu_millis: 2000\n      memory_mb: 4096\n", ""), "groups[1].resources: required"},
		{"missing cpu_millis", edit(t, specFile, "      cpu_millis: 64000\n", ""), "groups[0].resources.cpu_millis: required"},
		{"negative memory", edit(t, specFile, "memory_mb: 512000", "memory_mb: -1"), `groups[0].resources.memory_mb: want a non-negative whole number, got "-1"`},
		{"zero replicas", edit(t, specFile, "replicas: 1", "replicas: 0"), "groups[0].resources: replicas must be at least 1"},
		{"zero cpu", edit(t, specFile, "cpu_millis: 64000", "cpu_millis: 0"), "groups[0].resources: cpu_millis must be positive"},
		{"gpu count not a number", edit(t, specFile, "count: 8", "count: eight"), `groups[0].resources.gpu.count: want a non-negative whole number, got "eight"`},
		{"gpu count above the limit", edit(t, specFile, "count: 8", "count: 2000"), "groups[0].resources.gpu.count: 2000 is above the limit of 1024"},
		{"gpu without count", edit(t, specFile, "count: 8, ", ""), "groups[0].resources.gpu.count: required"},
		{"gpu class", edit(t, specFile, "class: hopper", "class: Hopper"), "groups[0].resources.gpu.class: "},
		{"gpu is a list", edit(t, specFile, "gpu: { count: 8, memory_gb: 80, class: hopper }", "gpu: [8]"), "groups[0].resources.gpu: want a mapping, got a list"},

		// requirements
		{"bad operator", edit(t, two, "op: lte", `op: "~"`), `groups[1].requirements[1].op: unknown operator "~"`},
		{"missing op", edit(t, specFile, `key: tier, op: "=", `, "key: tier, "), "groups[0].requirements[2].op: required"},
		{"in without values", edit(t, specFile, "op: in, values: [na-east, eu-west]", "op: in"), "groups[0].requirements[0].values: required: op in takes a list of values"},
		{"in with value", edit(t, specFile, "values: [na-east, eu-west]", "value: na-east"), "groups[0].requirements[0].value: op in takes a list in values, not value"},
		{"in with empty values", edit(t, specFile, "values: [na-east, eu-west]", "values: []"), "groups[0].requirements[0].values: region in takes 1..32 values, got 0"},
		{"in with a repeated value", edit(t, specFile, "values: [na-east, eu-west]", "values: [na-east, na-east]"), `groups[0].requirements[0].values: region: value "na-east" appears twice`},
		{"in with a list value", edit(t, specFile, "values: [na-east, eu-west]", "values: [[na-east]]"), "groups[0].requirements[0].values[0]: want a value, got a list"},
		{"value and values", edit(t, specFile, "values: [na-east, eu-west]", "values: [na-east], value: eu-west"), "groups[0].requirements[0]: give value or values, not both"},
		{"eq with values", edit(t, specFile, "value: datacenter", "values: [datacenter]"), "groups[0].requirements[2].values: op = takes a single value, not values"},
		{"eq without value", edit(t, specFile, `, value: datacenter`, ""), "groups[0].requirements[2].value: required: op = takes a single value"},
		{">= with a non-integer", edit(t, specFile, `value: "80"`, "value: eighty"), `groups[0].requirements[1].value: gpu_memory_gb >= needs an integer, got "eighty"`},
		{"<= with a non-integer", edit(t, two, "value: 64", "value: 6.4"), `groups[1].requirements[1].value: cpu_cores <= needs an integer, got "6.4"`},
		{"bad requirement key", edit(t, specFile, "key: tier", "key: Tier"), `groups[0].requirements[2].key: key "Tier"`},
		{"null value", edit(t, specFile, "value: datacenter", "value: ~"), "groups[0].requirements[2].value: want a value, got null"},
		{"requirements not a list", edit(t, two, "    requirements:\n      - { key: region, op: eq, value: na-east }\n      - { key: cpu_cores, op: lte, value: 64 }\n", "    requirements: region\n"), `groups[1].requirements: want a list, got "region"`},

		// auditors
		{"bad auditor", edit(t, specFile, "auditors: []", "auditors: [nobody]"), `groups[0].auditors[0]: auditor: "nobody"`},
		{"repeated auditor", edit(t, specFile, "auditors: []", fmt.Sprintf("auditors: [%s, %s]", auditor(1), auditor(1))), "groups[0].auditors[1]: " + auditor(1) + " is already listed at groups[0].auditors[0]"},
		{"null auditors", edit(t, specFile, "auditors: []", "auditors:"), "groups[0].auditors: want a list, got null"},

		// amounts
		{"bad coin", edit(t, specFile, "max_price: 5000udait", "max_price: lots"), `groups[0].max_price: want a whole amount of udait like 5000udait, got "lots"`},
		{"wrong denom", edit(t, specFile, "5000udait", "5000uatom"), `groups[0].max_price: denom must be udait, got "uatom"`},
		{"wrong denom on deposit", edit(t, two, "deposit: 50000000udait", "deposit: 50dait"), `groups[1].deposit: denom must be udait, got "dait"`},
		{"fractional amount", edit(t, specFile, "5000udait", "5000.5udait"), `groups[0].max_price: want a whole amount of udait`},
		{"negative amount", edit(t, specFile, "5000udait", "-5000udait"), `groups[0].max_price: want a whole amount of udait`},
		{"zero deposit", edit(t, specFile, "60000000udait", "0udait"), `groups[0].deposit: must be positive, got "0udait"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cli.ParseDeploymentFile([]byte(tc.doc))
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestParseDeploymentFileErrorLine(t *testing.T) {
	doc := edit(t, specFile+apiGroup, "op: lte", `op: "~"`)
	_, _, err := cli.ParseDeploymentFile([]byte(doc))
	require.ErrorContains(t, err, `line 23: groups[1].requirements[1].op: unknown operator "~"`)
	require.ErrorIs(t, err, types.ErrInvalidRequirement)
}

func TestLoadDeploymentFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deployment.yaml")
	require.NoError(t, os.WriteFile(path, []byte(edit(t, specFile, "count: 8", "count: x")), 0o600))
	_, _, err := cli.LoadDeploymentFile(path)
	require.ErrorContains(t, err, path+": line 5: groups[0].resources.gpu.count:")

	_, _, err = cli.LoadDeploymentFile(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// The documented example must stay valid.
func TestExampleDeploymentFile(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "docs", "examples", "deployment.yaml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)

	version, groups, err := cli.LoadDeploymentFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.Equal(t, sum[:], version)

	trainer := trainerSpec()
	api := types.GroupSpec{
		Name:         "api",
		Resources:    types.Resources{CpuMillis: 2000, MemoryMb: 4096, StorageGb: 20, Replicas: 2},
		Requirements: []types.Requirement{{Key: "region", Op: types.OpEq, Values: []string{"na-east"}}},
		MaxPrice:     udait(50),
		Deposit:      udait(50 * types.OneDait),
	}
	require.Equal(t, []types.GroupSpec{trainer, api}, groups)
	for _, g := range groups {
		require.True(t, g.Deposit.IsGTE(types.DefaultLeaseMinDeposit()), "group %s deposit is below the default lease_min_deposit", g.Name)
	}

	msg := types.MsgCreateDeployment{Owner: auditor(9), Version: version, Groups: groups}
	require.NoError(t, msg.ValidateBasic())
}

func TestCreateDeploymentCmd(t *testing.T) {
	clientCtx, txConfig := testClientCtx()

	dir := t.TempDir()
	good := filepath.Join(dir, "deployment.yaml")
	require.NoError(t, os.WriteFile(good, []byte(specFile+apiGroup), 0o600))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(edit(t, specFile, "count: 8", "count: x")), 0o600))

	run := func(file string) (string, error) {
		args := []string{"create-deployment", file, "--from", auditor(7), "--generate-only", "--output", "json"}
		out, err := clitestutil.ExecTestCLICmd(clientCtx, cli.NewTxCmd(), args)
		return out.String(), err
	}

	out, err := run(good)
	require.NoError(t, err)
	txJSON, err := txConfig.TxJSONDecoder()([]byte(out))
	require.NoError(t, err)
	msgs := txJSON.GetMsgs()
	require.Len(t, msgs, 1)
	require.Equal(t, &types.MsgCreateDeployment{
		Owner:   auditor(7),
		Version: mustHex(exampleVersion),
		Groups:  []types.GroupSpec{trainerSpec(), apiSpec()},
	}, msgs[0])

	_, err = run(bad)
	require.ErrorContains(t, err, bad+": line 5: groups[0].resources.gpu.count:")
}
