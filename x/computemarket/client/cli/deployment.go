package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const createDeploymentExample = `daitd tx computemarket create-deployment deployment.yaml --from tenant

where deployment.yaml is, for instance:

  groups:
    - name: trainer
      resources:
        gpu: { count: 8, memory_gb: 80, class: hopper }
        cpu_millis: 64000
        memory_mb: 512000
        storage_gb: 2000
      requirements:
        - { key: region, op: in, values: [na-east, eu-west] }
        - { key: gpu_memory_gb, op: ">=", value: "80" }
        - { key: tier, op: "=", value: datacenter }
      max_price: 5000udait
      deposit: 60000000udait

version (64 hex characters) is omitted here, so it is the sha256 of the file.`

func newCreateDeploymentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create-deployment <deployment.yaml>",
		Short: "Create a deployment from a deployment file",
		Long: `Create a deployment from a YAML deployment file: a version (the manifest's
sha256, or omitted to hash the file) and its groups, each with resources,
requirements on audited attributes, optional auditors, a max price per block
and a deposit in udait. Unknown keys are errors. Operators: "=" (eq), ">="
(gte), "<=" (lte) on integers, and in (with values: [...]); quote ">=" and
"<=" in YAML.`,
		Example: createDeploymentExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The file first: its errors need no keyring or node.
			version, groups, err := LoadDeploymentFile(args[0])
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgCreateDeployment{Owner: clientCtx.GetFromAddress().String(), Version: version, Groups: groups}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

const updateDeploymentLong = `Set a deployment's version (the manifest hash) to that of a deployment file,
computed as create-deployment computes it: the file's version field, or the
sha256 of the file when it has none. The whole file is read and checked as
create-deployment would, but only its version is used: groups are changed with
create-group, pause-group and close-group. An argument of exactly 64 hex
characters is the version itself (write ./<name> for a file named that way).`

func newUpdateDeploymentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update-deployment <deployment-id> <deployment.yaml | version-hex>",
		Short: "Set a deployment's version from a deployment file (or a 64-hex-character version)",
		Long:  updateDeploymentLong,
		Example: `daitd tx computemarket update-deployment 7 deployment.yaml --from tenant
daitd tx computemarket update-deployment 7 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --from tenant`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			// The arguments first: their errors need no keyring or node.
			id, err := parseDeploymentID(args[0])
			if err != nil {
				return err
			}
			version, err := ParseVersionArg(args[1])
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgUpdateDeployment{Owner: clientCtx.GetFromAddress().String(), DeploymentId: id, Version: version}
			if err := msg.ValidateBasic(); err != nil {
				return err
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// parseDeploymentID reads a deployment id argument (ids start at 1).
func parseDeploymentID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("deployment id %q: want a positive whole number", s)
	}
	return id, nil
}

// ParseVersionArg reads the version argument of update-deployment: exactly
// 64 hex characters are the version; anything else is the path of a
// deployment file whose version is the one LoadDeploymentFile gives, as for
// create-deployment.
func ParseVersionArg(arg string) ([]byte, error) {
	if len(arg) == 2*types.VersionLen {
		if v, err := hex.DecodeString(arg); err == nil {
			return v, nil
		}
	}
	version, _, err := LoadDeploymentFile(arg)
	if errors.Is(err, fs.ErrNotExist) {
		if isHex(arg) {
			return nil, fmt.Errorf("version %q: want %d hex characters (a sha256), got %d; or give a deployment file", arg, 2*types.VersionLen, len(arg))
		}
		return nil, fmt.Errorf("%q is neither a version (%d hex characters) nor a deployment file: %w", arg, 2*types.VersionLen, err)
	}
	if err != nil {
		return nil, err
	}
	return version, nil
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// LoadDeploymentFile reads and parses a deployment file (manifest.Load):
// the version and the groups' specs; errors start with the file's path.
func LoadDeploymentFile(path string) (version []byte, groups []types.GroupSpec, err error) {
	f, err := manifest.Load(path)
	if err != nil {
		return nil, nil, err
	}
	return f.Version, f.Specs(), nil
}

// ParseDeploymentFile parses a deployment file (manifest.Parse): the
// version and the groups' specs.
func ParseDeploymentFile(data []byte) (version []byte, groups []types.GroupSpec, err error) {
	f, err := manifest.Parse(data)
	if err != nil {
		return nil, nil, err
	}
	return f.Version, f.Specs(), nil
}
