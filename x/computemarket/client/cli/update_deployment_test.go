package cli_test

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/client"
	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// testClientCtx is enough of a client for --generate-only: no node, no
// keyring (--from takes an address).
func testClientCtx() (client.Context, client.TxConfig) {
	enc := moduletestutil.MakeTestEncodingConfig()
	types.RegisterInterfaces(enc.InterfaceRegistry)
	return client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithChainID("daitchain-test"), enc.TxConfig
}

// deploymentFiles writes, in a fresh directory, a deployment file with a
// version field, one without (hashed) and one that does not parse.
func deploymentFiles(t *testing.T) (dir, withVersion, hashed, bad string, hashedSum [32]byte) {
	t.Helper()
	dir = t.TempDir()
	withVersion = filepath.Join(dir, "versioned.yaml")
	require.NoError(t, os.WriteFile(withVersion, []byte(specFile), 0o600))
	noVersion := edit(t, specFile, `version: "`+exampleVersion+`"`+"\n", "")
	hashed = filepath.Join(dir, "hashed.yaml")
	require.NoError(t, os.WriteFile(hashed, []byte(noVersion), 0o600))
	bad = filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(edit(t, specFile, "count: 8", "count: x")), 0o600))
	return dir, withVersion, hashed, bad, sha256.Sum256([]byte(noVersion))
}

func TestParseVersionArg(t *testing.T) {
	dir, withVersion, hashed, bad, hashedSum := deploymentFiles(t)

	// A file named like a version is reached through a path.
	hexName := filepath.Join(dir, strings.Repeat("ab", types.VersionLen))
	require.NoError(t, os.WriteFile(hexName, []byte(specFile), 0o600))

	cases := []struct {
		name    string
		arg     string
		want    []byte
		wantErr string
	}{
		{"hex version", exampleVersion, mustHex(exampleVersion), ""},
		{"upper-case hex version", strings.ToUpper(exampleVersion), mustHex(exampleVersion), ""},
		{"file without a version: its sha256, as create-deployment", hashed, hashedSum[:], ""},
		{"file with a version: that version, as create-deployment", withVersion, mustHex(exampleVersion), ""},
		{"a path to a file named like a version", hexName, mustHex(exampleVersion), ""},

		{"short hex", "abcd", nil, `version "abcd": want 64 hex characters (a sha256), got 4; or give a deployment file`},
		{"long hex", exampleVersion + "00", nil, "want 64 hex characters (a sha256), got 66"},
		{"64 characters, not all hex", strings.Repeat("zz", types.VersionLen), nil, "is neither a version (64 hex characters) nor a deployment file"},
		{"missing file", filepath.Join(dir, "missing.yaml"), nil, "missing.yaml\" is neither a version (64 hex characters) nor a deployment file: open "},
		{"bad file names the file and field", bad, nil, bad + ": line 5: groups[0].resources.gpu.count:"},
		{"a directory", dir, nil, dir},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cli.ParseVersionArg(tc.arg)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// update-deployment and create-deployment agree on a file's version.
func TestUpdateDeploymentCmd(t *testing.T) {
	clientCtx, txConfig := testClientCtx()
	_, withVersion, hashed, bad, hashedSum := deploymentFiles(t)
	owner := auditor(7)

	run := func(args ...string) (types.MsgUpdateDeployment, error) {
		args = append([]string{"update-deployment"}, append(args, "--from", owner, "--generate-only", "--output", "json")...)
		out, err := clitestutil.ExecTestCLICmd(clientCtx, cli.NewTxCmd(), args)
		if err != nil {
			return types.MsgUpdateDeployment{}, err
		}
		txJSON, err := txConfig.TxJSONDecoder()(out.Bytes())
		require.NoError(t, err, out.String())
		msgs := txJSON.GetMsgs()
		require.Len(t, msgs, 1)
		return *msgs[0].(*types.MsgUpdateDeployment), nil
	}
	createVersion := func(path string) []byte {
		out, err := clitestutil.ExecTestCLICmd(clientCtx, cli.NewTxCmd(), []string{"create-deployment", path, "--from", owner, "--generate-only", "--output", "json"})
		require.NoError(t, err)
		txJSON, err := txConfig.TxJSONDecoder()(out.Bytes())
		require.NoError(t, err)
		return txJSON.GetMsgs()[0].(*types.MsgCreateDeployment).Version
	}

	cases := []struct {
		name    string
		args    []string
		want    []byte
		wantErr string
	}{
		{"hashed file", []string{"7", hashed}, hashedSum[:], ""},
		{"file with a version", []string{"7", withVersion}, mustHex(exampleVersion), ""},
		{"hex", []string{"7", exampleVersion}, mustHex(exampleVersion), ""},
		{"id not a number", []string{"seven", exampleVersion}, nil, `deployment id "seven": want a positive whole number`},
		{"id zero", []string{"0", exampleVersion}, nil, `deployment id "0": want a positive whole number`},
		{"bad file", []string{"7", bad}, nil, bad + ": line 5:"},
		{"short hex", []string{"7", "abcd"}, nil, `version "abcd": want 64 hex characters`},
		{"one argument", []string{"7"}, nil, "accepts 2 arg(s), received 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := run(tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, types.MsgUpdateDeployment{Owner: owner, DeploymentId: 7, Version: tc.want}, msg)
		})
	}

	for _, path := range []string{hashed, withVersion} {
		msg, err := run("7", path)
		require.NoError(t, err)
		require.Equal(t, createVersion(path), msg.Version, "update-deployment and create-deployment disagree on %s", path)
	}
}
