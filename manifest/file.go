package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// File is a parsed deployment file: what the chain needs (the version and
// each group's spec) and what a provider runs (each group's services). The
// file's bytes are the manifest a tenant sends to its providers.
type File struct {
	// Version is the sha256 of the file's bytes, or the version it names.
	Version []byte
	Groups  []Group
}

// Group is one group of the file: its on-chain spec and its services.
type Group struct {
	Spec     types.GroupSpec
	Services []Service
	// Privacy is the group's privacy level (public when the file says
	// nothing).
	Privacy Privacy
}

// Privacy is a group's privacy level (SPEC section 11).
type Privacy string

// Privacy levels. Every level keeps the manifest off chain (only its
// sha256 is there), sends it only over the provider's pinned TLS gateway,
// and seals secret values to the provider's key. private also closes the
// group's HTTP ports to anyone but the tenant (the ingress wants the
// tenant's ingress token); confidential is private on a provider whose
// audited attributes attest a trusted execution environment: the parser
// adds the requirement TEERequirement to the group's on-chain spec, so
// the auction matches only such providers.
const (
	Public       Privacy = "public"
	Private      Privacy = "private"
	Confidential Privacy = "confidential"
)

// TEEKey is the audited attribute that attests a provider's trusted
// execution environment; TEEKinds are the values it may take.
const TEEKey = "tee"

// TEEKinds are the TEEs the chain knows: AMD SEV-SNP, Intel TDX and
// NVIDIA's confidential-computing mode (H100 and later), sorted.
var TEEKinds = []string{"amd-sev-snp", "intel-tdx", "nvidia-cc"}

// TEERequirement is what privacy: confidential adds to a group: the
// provider's audited tee attribute is one of TEEKinds.
func TEERequirement() types.Requirement {
	return types.Requirement{Key: TEEKey, Op: types.OpIn, Values: append([]string(nil), TEEKinds...)}
}

// Restricted says whether the group's ingress is for its tenant only.
func (p Privacy) Restricted() bool { return p == Private || p == Confidential }

// Specs are the groups' specs, in file order, as MsgCreateDeployment
// carries them.
func (f *File) Specs() []types.GroupSpec {
	out := make([]types.GroupSpec, len(f.Groups))
	for i, g := range f.Groups {
		out[i] = g.Spec
	}
	return out
}

// Group is the group named name.
func (f *File) Group(name string) (Group, bool) {
	for _, g := range f.Groups {
		if g.Spec.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// HasServices says whether any group runs something.
func (f *File) HasServices() bool {
	for _, g := range f.Groups {
		if len(g.Services) > 0 {
			return true
		}
	}
	return false
}

// Load reads and parses a deployment file; errors start with the file's
// path. See Parse.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse parses the deployment file of SPEC sections 9 and 11 and validates
// each group with types.GroupSpec.Validate and each service against its
// group (see parseServices).
//
// The file is strict: unknown or repeated keys, a value of the wrong kind,
// a missing required field and more than one YAML document are errors, and
// every error names its field path and line, e.g.
// "line 14: groups[1].requirements[2].op: unknown operator ...".
//
// Choices beyond the SPEC:
//   - version omitted: the sha256 of data, byte for byte (so any edit,
//     comments included, changes it). Given: exactly 64 hex characters.
//     A file with services must omit it: providers check the manifest they
//     receive against the on-chain version, so it must be the file's hash.
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
//   - requirements, auditors and services may be omitted or []; null (a
//     bare key) is an error like any other value of the wrong kind.
//   - group names are unique within the file.
func Parse(data []byte) (*File, error) {
	root, err := decodeSingleDocument(data)
	if err != nil {
		return nil, err
	}
	top, err := mapping(root, "", "version", "groups")
	if err != nil {
		return nil, err
	}

	f := &File{}
	if n, ok := top["version"]; ok {
		if f.Version, err = parseVersion(n, "version"); err != nil {
			return nil, err
		}
	} else {
		sum := sha256.Sum256(data)
		f.Version = sum[:]
	}

	if err := need(top, "", root, "groups"); err != nil {
		return nil, err
	}
	items, err := sequence(top["groups"], "groups", types.MaxGroupsPerDeploy)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fieldErr("groups", top["groups"], "at least one group is required")
	}
	firstUse := make(map[string]int, len(items))
	for i, item := range items {
		p := fieldPath("groups").index(i)
		g, privacy, services, err := parseGroup(item, p)
		if err != nil {
			return nil, err
		}
		if j, dup := firstUse[g.Name]; dup {
			return nil, fieldErr(p.key("name"), item, "%q is already the name of groups[%d]", g.Name, j)
		}
		firstUse[g.Name] = i
		// The parser checks fields where it can name them precisely; this
		// catches whatever GroupSpec.Validate adds beyond them.
		if err := g.Validate(); err != nil {
			return nil, wrapField(p, item, err)
		}
		group := Group{Spec: g, Privacy: privacy}
		if services != nil {
			if _, given := top["version"]; given {
				return nil, fieldErr("version", top["version"], "a file with services is its own version (its sha256): omit version")
			}
			if group.Services, err = parseServices(services, p.key("services"), g.Resources); err != nil {
				return nil, err
			}
		}
		f.Groups = append(f.Groups, group)
	}
	return f, nil
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

// parseGroup reads a group's spec and privacy; its services node (nil
// when absent) is parsed once the spec is known good.
func parseGroup(n *yaml.Node, p fieldPath) (types.GroupSpec, Privacy, *yaml.Node, error) {
	g, err := parseGroupSpec(n, p)
	if err != nil {
		return g, "", nil, err
	}
	f, _ := mapping(n, p, groupFields...) // checked by parseGroupSpec
	privacy := Public
	if pn, ok := f["privacy"]; ok {
		v, err := scalar(pn, p.key("privacy"))
		if err != nil {
			return g, "", nil, err
		}
		switch privacy = Privacy(v); privacy {
		case Public, Private:
		case Confidential:
			if g, err = requireTEE(g, f["requirements"], p.key("requirements")); err != nil {
				return g, "", nil, err
			}
		default:
			return g, "", nil, fieldErr(p.key("privacy"), pn, "%q: want public, private or confidential", v)
		}
	}
	return g, privacy, f["services"], nil
}

// requireTEE adds TEERequirement to a confidential group, or checks that
// the group's own requirement on the tee attribute only admits TEEs.
func requireTEE(g types.GroupSpec, reqs *yaml.Node, p fieldPath) (types.GroupSpec, error) {
	for _, r := range g.Requirements {
		if r.Key != TEEKey {
			continue
		}
		ok := (r.Op == types.OpEq || r.Op == types.OpIn) && len(r.Values) > 0
		for _, v := range r.Values {
			ok = ok && slices.Contains(TEEKinds, v)
		}
		if !ok {
			return g, fieldErr(p, reqs, "privacy: confidential wants the %s requirement to be = or in over %s", TEEKey, strings.Join(TEEKinds, ", "))
		}
		return g, nil
	}
	if len(g.Requirements) >= types.MaxRequirements {
		return g, fieldErr(p, reqs, "privacy: confidential adds a %s requirement, and the group has the most (%d) already", TEEKey, types.MaxRequirements)
	}
	g.Requirements = append(g.Requirements, TEERequirement())
	return g, nil
}

var groupFields = []string{"name", "resources", "requirements", "auditors", "max_price", "deposit", "services", "privacy", "order", "fallback", "expires_at"}

func parseGroupSpec(n *yaml.Node, p fieldPath) (types.GroupSpec, error) {
	var g types.GroupSpec
	f, err := mapping(n, p, groupFields...)
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
	if on, ok := f["order"]; ok {
		v, err := scalar(on, p.key("order"))
		if err != nil {
			return g, err
		}
		switch v {
		case "auction":
		case "market":
			g.Order = types.OrderMarket
		case "limit":
			g.Order = types.OrderLimit
		default:
			return g, fieldErr(p.key("order"), on, "%q: want auction, market or limit", v)
		}
	}
	en, hasExpiry := f["expires_at"]
	switch {
	case hasExpiry && g.Order != types.OrderLimit:
		return g, fieldErr(p.key("expires_at"), en, "expires_at is for order: limit")
	case hasExpiry:
		h, err := unsigned(en, p.key("expires_at"), uint64(types.MaxGenesisHeight))
		if err != nil {
			return g, err
		}
		if h == 0 {
			return g, fieldErr(p.key("expires_at"), en, "want a height of at least 1")
		}
		g.ExpiresAt = int64(h) //nolint:gosec // bounded by MaxGenesisHeight
	case g.Order == types.OrderLimit:
		return g, fieldErr(p.key("order"), f["order"], "order: limit needs expires_at (the height at which the order closes and its escrow returns)")
	}
	if fn, ok := f["fallback"]; ok {
		v, err := scalar(fn, p.key("fallback"))
		if err != nil {
			return g, err
		}
		if v != "auction" {
			return g, fieldErr(p.key("fallback"), fn, "%q: want auction (what a market buy does when no offer fits)", v)
		}
		if g.Order != types.OrderMarket {
			return g, fieldErr(p.key("fallback"), fn, "fallback is for order: market")
		}
		g.FallbackAuction = true
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
