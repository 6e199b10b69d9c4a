package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

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

// LoadDeploymentFile reads and parses a deployment file; errors start with
// the file's path. See ParseDeploymentFile.
func LoadDeploymentFile(path string) (version []byte, groups []types.GroupSpec, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	version, groups, err = ParseDeploymentFile(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return version, groups, nil
}

// ParseDeploymentFile parses the deployment file of SPEC section 9 and
// validates each group with types.GroupSpec.Validate.
//
// The file is strict: unknown or repeated keys, a value of the wrong kind,
// a missing required field and more than one YAML document are errors, and
// every error names its field path and line, e.g.
// "line 14: groups[1].requirements[2].op: unknown operator ...".
//
// Choices beyond the SPEC:
//   - version omitted: the sha256 of data, byte for byte (so any edit,
//     comments included, changes it). Given: exactly 64 hex characters.
//   - max_price and deposit: a positive whole amount with denom udait
//     ("5000udait"); a bare integer ("5000") means udait too. Other denoms
//     and fractions are errors.
//   - resources.replicas omitted means 1; an explicit 0 is an error.
//     resources.gpu omitted means no GPU; when given, gpu.count is required.
//     storage_gb may be omitted (0); cpu_millis and memory_mb are required.
//   - requirements: {key, op, value} for =, >=, <= and {key, op: in,
//     values: [...]} for in; value and values never mix. Operators are
//     those of types.ParseOperator; >= and <= must be quoted in YAML, or
//     written gte and lte. A scalar value is taken as written, so
//     value: 80 and value: "80" are the same.
//   - requirements and auditors may be omitted or []; null (a bare key) is
//     an error like any other value of the wrong kind.
//   - group names are unique within the file.
func ParseDeploymentFile(data []byte) (version []byte, groups []types.GroupSpec, err error) {
	root, err := decodeSingleDocument(data)
	if err != nil {
		return nil, nil, err
	}
	top, err := mapping(root, "", "version", "groups")
	if err != nil {
		return nil, nil, err
	}

	if n, ok := top["version"]; ok {
		if version, err = parseVersion(n, "version"); err != nil {
			return nil, nil, err
		}
	} else {
		sum := sha256.Sum256(data)
		version = sum[:]
	}

	if err := need(top, "", root, "groups"); err != nil {
		return nil, nil, err
	}
	items, err := sequence(top["groups"], "groups", types.MaxGroupsPerDeploy)
	if err != nil {
		return nil, nil, err
	}
	if len(items) == 0 {
		return nil, nil, fieldErr("groups", top["groups"], "at least one group is required")
	}
	firstUse := make(map[string]int, len(items))
	for i, item := range items {
		p := fieldPath("groups").index(i)
		g, err := parseGroup(item, p)
		if err != nil {
			return nil, nil, err
		}
		if j, dup := firstUse[g.Name]; dup {
			return nil, nil, fieldErr(p.key("name"), item, "%q is already the name of groups[%d]", g.Name, j)
		}
		firstUse[g.Name] = i
		// The parser checks fields where it can name them precisely; this
		// catches whatever GroupSpec.Validate adds beyond them.
		if err := g.Validate(); err != nil {
			return nil, nil, wrapField(p, item, err)
		}
		groups = append(groups, g)
	}
	return version, groups, nil
}

// The file is walked as a yaml.Node tree rather than decoded into structs
// with KnownFields(true), whose errors ("field x not found in type y") give a
// line but no path. A Node keeps repeated keys, so mapping rejects them.
func decodeSingleDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the deployment file is empty")
		}
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("the deployment file is empty")
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, errors.New("the deployment file must hold a single YAML document")
	}
	return doc.Content[0], nil
}

func parseVersion(n *yaml.Node, p fieldPath) ([]byte, error) {
	s, err := scalar(n, p)
	if err != nil {
		return nil, err
	}
	if len(s) != 2*types.VersionLen {
		return nil, fieldErr(p, n, "want %d hex characters (a sha256), got %d; omit version to hash the file", 2*types.VersionLen, len(s))
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return nil, fieldErr(p, n, "not hex: %v", err)
	}
	return v, nil
}

func parseGroup(n *yaml.Node, p fieldPath) (types.GroupSpec, error) {
	var g types.GroupSpec
	f, err := mapping(n, p, "name", "resources", "requirements", "auditors", "max_price", "deposit")
	if err != nil {
		return g, err
	}
	if err := need(f, p, n, "name", "resources", "max_price", "deposit"); err != nil {
		return g, err
	}
	if g.Name, err = scalar(f["name"], p.key("name")); err != nil {
		return g, err
	}
	if len(g.Name) > types.MaxGroupNameLen {
		return g, fieldErr(p.key("name"), f["name"], "longer than %d characters", types.MaxGroupNameLen)
	}
	if err := types.ValidateAttributeKey(g.Name); err != nil {
		return g, wrapField(p.key("name"), f["name"], err)
	}
	if g.Resources, err = parseResources(f["resources"], p.key("resources")); err != nil {
		return g, err
	}
	if rn, ok := f["requirements"]; ok {
		items, err := sequence(rn, p.key("requirements"), types.MaxRequirements)
		if err != nil {
			return g, err
		}
		for i, item := range items {
			r, err := parseRequirement(item, p.key("requirements").index(i))
			if err != nil {
				return g, err
			}
			g.Requirements = append(g.Requirements, r)
		}
	}
	if an, ok := f["auditors"]; ok {
		if g.Auditors, err = parseAuditors(an, p.key("auditors")); err != nil {
			return g, err
		}
	}
	if g.MaxPrice, err = parseUdait(f["max_price"], p.key("max_price")); err != nil {
		return g, err
	}
	if g.Deposit, err = parseUdait(f["deposit"], p.key("deposit")); err != nil {
		return g, err
	}
	return g, nil
}

func parseResources(n *yaml.Node, p fieldPath) (types.Resources, error) {
	r := types.Resources{Replicas: 1}
	f, err := mapping(n, p, "gpu", "cpu_millis", "memory_mb", "storage_gb", "replicas")
	if err != nil {
		return r, err
	}
	if err := need(f, p, n, "cpu_millis", "memory_mb"); err != nil {
		return r, err
	}
	if gn, ok := f["gpu"]; ok {
		if r.GPU, err = parseGPU(gn, p.key("gpu")); err != nil {
			return r, err
		}
	}
	if r.CpuMillis, err = unsigned(f["cpu_millis"], p.key("cpu_millis"), math.MaxUint64); err != nil {
		return r, err
	}
	if r.MemoryMb, err = unsigned(f["memory_mb"], p.key("memory_mb"), math.MaxUint64); err != nil {
		return r, err
	}
	if sn, ok := f["storage_gb"]; ok {
		if r.StorageGb, err = unsigned(sn, p.key("storage_gb"), math.MaxUint64); err != nil {
			return r, err
		}
	}
	if rn, ok := f["replicas"]; ok {
		replicas, err := unsigned(rn, p.key("replicas"), math.MaxUint32)
		if err != nil {
			return r, err
		}
		r.Replicas = uint32(replicas)
	}
	if err := r.Validate(); err != nil {
		return r, wrapField(p, n, err)
	}
	return r, nil
}

func parseGPU(n *yaml.Node, p fieldPath) (types.GPU, error) {
	var g types.GPU
	f, err := mapping(n, p, "count", "memory_gb", "class")
	if err != nil {
		return g, err
	}
	if err := need(f, p, n, "count"); err != nil {
		return g, err
	}
	count, err := unsigned(f["count"], p.key("count"), types.MaxGPUCount)
	if err != nil {
		return g, err
	}
	g.Count = uint32(count)
	if mn, ok := f["memory_gb"]; ok {
		mem, err := unsigned(mn, p.key("memory_gb"), math.MaxUint32)
		if err != nil {
			return g, err
		}
		g.MemoryGb = uint32(mem)
	}
	if cn, ok := f["class"]; ok {
		if g.Class, err = scalar(cn, p.key("class")); err != nil {
			return g, err
		}
		if err := types.ValidateAttributeKey(g.Class); err != nil {
			return g, wrapField(p.key("class"), cn, err)
		}
	}
	return g, nil
}

func parseRequirement(n *yaml.Node, p fieldPath) (types.Requirement, error) {
	var r types.Requirement
	f, err := mapping(n, p, "key", "op", "value", "values")
	if err != nil {
		return r, err
	}
	if err := need(f, p, n, "key", "op"); err != nil {
		return r, err
	}
	if r.Key, err = scalar(f["key"], p.key("key")); err != nil {
		return r, err
	}
	if err := types.ValidateAttributeKey(r.Key); err != nil {
		return r, wrapField(p.key("key"), f["key"], err)
	}
	op, err := scalar(f["op"], p.key("op"))
	if err != nil {
		return r, err
	}
	if r.Op, err = types.ParseOperator(op); err != nil {
		return r, wrapField(p.key("op"), f["op"], err)
	}

	valueNode, hasValue := f["value"]
	valuesNode, hasValues := f["values"]
	switch {
	case hasValue && hasValues:
		return r, fieldErr(p, n, "give value or values, not both")
	case r.Op == types.OpIn && hasValue:
		return r, fieldErr(p.key("value"), valueNode, "op in takes a list in values, not value")
	case r.Op == types.OpIn && !hasValues:
		return r, fieldErr(p.key("values"), n, "required: op in takes a list of values")
	case r.Op != types.OpIn && hasValues:
		return r, fieldErr(p.key("values"), valuesNode, "op %s takes a single value, not values", r.Op.Symbol())
	case r.Op != types.OpIn && !hasValue:
		return r, fieldErr(p.key("value"), n, "required: op %s takes a single value", r.Op.Symbol())
	}

	// The key and operator are known good, so what Validate rejects is in
	// the value(s).
	valuePath, valueAt := p.key("value"), valueNode
	if hasValues {
		valuePath, valueAt = p.key("values"), valuesNode
		items, err := sequence(valuesNode, valuePath, types.MaxRequirementValues)
		if err != nil {
			return r, err
		}
		for i, item := range items {
			v, err := scalar(item, valuePath.index(i))
			if err != nil {
				return r, err
			}
			r.Values = append(r.Values, v)
		}
	} else {
		v, err := scalar(valueNode, valuePath)
		if err != nil {
			return r, err
		}
		r.Values = []string{v}
	}
	if err := r.Validate(); err != nil {
		return r, wrapField(valuePath, valueAt, err)
	}
	return r, nil
}

func parseAuditors(n *yaml.Node, p fieldPath) ([]string, error) {
	items, err := sequence(n, p, types.MaxGroupAuditors)
	if err != nil {
		return nil, err
	}
	var out []string
	firstUse := make(map[string]int, len(items))
	for i, item := range items {
		a, err := scalar(item, p.index(i))
		if err != nil {
			return nil, err
		}
		if err := types.ValidateAddress("auditor", a); err != nil {
			return nil, wrapField(p.index(i), item, err)
		}
		if j, dup := firstUse[a]; dup {
			return nil, fieldErr(p.index(i), item, "%s is already listed at %s", a, p.index(j))
		}
		firstUse[a] = i
		out = append(out, a)
	}
	return out, nil
}

var (
	udaitAmount = regexp.MustCompile(`^([0-9]+)\s*(` + types.Denom + `)?$`)
	anyCoin     = regexp.MustCompile(`^[0-9.]+\s*([a-zA-Z][a-zA-Z0-9/:._-]{2,127})$`)
)

// parseUdait reads "5000udait" or a bare "5000" (udait too).
func parseUdait(n *yaml.Node, p fieldPath) (sdk.Coin, error) {
	s, err := scalar(n, p)
	if err != nil {
		return sdk.Coin{}, err
	}
	s = strings.TrimSpace(s)
	m := udaitAmount.FindStringSubmatch(s)
	if m == nil {
		if c := anyCoin.FindStringSubmatch(s); c != nil && c[1] != types.Denom {
			return sdk.Coin{}, fieldErr(p, n, "denom must be %s, got %q", types.Denom, c[1])
		}
		return sdk.Coin{}, fieldErr(p, n, "want a whole amount of %s like 5000%s, got %q", types.Denom, types.Denom, s)
	}
	amount, ok := sdkmath.NewIntFromString(m[1])
	if !ok {
		return sdk.Coin{}, fieldErr(p, n, "amount %s is too large", m[1])
	}
	if !amount.IsPositive() {
		return sdk.Coin{}, fieldErr(p, n, "must be positive, got %q", s)
	}
	return sdk.NewCoin(types.Denom, amount), nil
}

// fieldPath names a field as a user would point at it: groups[0].resources.gpu.
type fieldPath string

func (p fieldPath) key(k string) fieldPath {
	if p == "" {
		return fieldPath(k)
	}
	return p + "." + fieldPath(k)
}

func (p fieldPath) index(i int) fieldPath {
	return fieldPath(fmt.Sprintf("%s[%d]", p, i))
}

// fieldError ties an error to a field of the file and a line.
type fieldError struct {
	path fieldPath
	line int
	err  error
}

func (e *fieldError) Error() string {
	path := string(e.path)
	if path == "" {
		path = "top level"
	}
	// Error(), not %v: registered errors print their stack under %v.
	if e.line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.line, path, e.err.Error())
	}
	return fmt.Sprintf("%s: %s", path, e.err.Error())
}

func (e *fieldError) Unwrap() error { return e.err }

func fieldErr(p fieldPath, at *yaml.Node, format string, args ...any) error {
	return wrapField(p, at, fmt.Errorf(format, args...))
}

func wrapField(p fieldPath, at *yaml.Node, err error) error {
	line := 0
	if at != nil {
		line = at.Line
	}
	return &fieldError{path: p, line: line, err: err}
}

// resolve follows aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "something else"
	}
}

// mapping checks that n is a mapping whose keys are known and unique, and
// returns its values by key.
func mapping(n *yaml.Node, p fieldPath, known ...string) (map[string]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, fieldErr(p, n, "want a mapping, got %s", kindOf(n))
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, fieldErr(p, k, "want a field name, got %s", kindOf(k))
		}
		if !slices.Contains(known, k.Value) {
			return nil, fieldErr(p.key(k.Value), k, "unknown field (known: %s)", strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fieldErr(p.key(k.Value), k, "given twice")
		}
		out[k.Value] = resolve(n.Content[i+1])
	}
	return out, nil
}

// need reports the first of keys that the mapping at p lacks.
func need(fields map[string]*yaml.Node, p fieldPath, at *yaml.Node, keys ...string) error {
	for _, k := range keys {
		if _, ok := fields[k]; !ok {
			return fieldErr(p.key(k), at, "required")
		}
	}
	return nil
}

func sequence(n *yaml.Node, p fieldPath, maxLen int) ([]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, fieldErr(p, n, "want a list, got %s", kindOf(n))
	}
	if len(n.Content) > maxLen {
		return nil, fieldErr(p, n, "at most %d items, got %d", maxLen, len(n.Content))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, item := range n.Content {
		out[i] = resolve(item)
	}
	return out, nil
}

// scalar returns a non-null scalar as written.
func scalar(n *yaml.Node, p fieldPath) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fieldErr(p, n, "want a value, got %s", kindOf(n))
	}
	return n.Value, nil
}

// unsigned reads a decimal integer in [0, maxValue].
func unsigned(n *yaml.Node, p fieldPath, maxValue uint64) (uint64, error) {
	s, err := scalar(n, p)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fieldErr(p, n, "want a non-negative whole number, got %q", s)
	}
	if v > maxValue {
		return 0, fieldErr(p, n, "%d is above the limit of %d", v, maxValue)
	}
	return v, nil
}
