package types

import (
	"net/url"
	"strconv"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Bounds on user input; they keep state and per-message work small.
const (
	MaxHostURILen        = 256
	MaxAttributes        = 64
	MaxAttrKeyLen        = 64
	MaxAttrValueLen      = 128
	MaxEmailLen          = 128
	MaxWebsiteLen        = 256
	MaxRequirements      = 32
	MaxRequirementValues = 32
	MaxGroupAuditors     = 16
	MaxGroupsPerDeploy   = 16
	MaxGroupNameLen      = 64
	MaxGPUClassLen       = 64
	MaxGPUCount          = 1024
	VersionLen           = 32
)

// ValidateAddress checks a bech32 account address and names the field. Only
// the canonical (lower-case) spelling is accepted, so that addresses stored
// and compared as strings have one form.
func ValidateAddress(field, addr string) error {
	acc, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s: %q: %s", field, addr, err.Error())
	}
	if acc.String() != addr {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s: %q is not in canonical form %s", field, addr, acc)
	}
	return nil
}

// ValidateUdait checks that c is a positive udait amount of at most
// MaxAmount.
func ValidateUdait(field string, c sdk.Coin) error {
	if c.Denom != Denom {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s must be in %s, got %q", field, Denom, c.Denom)
	}
	if c.Amount.IsNil() || !c.Amount.IsPositive() {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s must be positive, got %s", field, c)
	}
	return CheckAmountBound(field, c.Amount)
}

// ValidateHostURI requires an absolute http(s) URI with a host.
func ValidateHostURI(uri string) error {
	if uri == "" || len(uri) > MaxHostURILen {
		return errorsmod.Wrapf(ErrInvalidHostURI, "host_uri must be 1..%d characters", MaxHostURILen)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return errorsmod.Wrapf(ErrInvalidHostURI, "host_uri %q: %s", uri, err.Error())
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errorsmod.Wrapf(ErrInvalidHostURI, "host_uri %q must be an http(s) URI with a host", uri)
	}
	return nil
}

// ValidateAttributeKey allows lower-case letters, digits and . _ - /.
func ValidateAttributeKey(key string) error {
	if key == "" || len(key) > MaxAttrKeyLen {
		return errorsmod.Wrapf(ErrInvalidAttribute, "key %q must be 1..%d characters", key, MaxAttrKeyLen)
	}
	for _, r := range key {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' || r == '_' || r == '-' || r == '/'
		if !ok {
			return errorsmod.Wrapf(ErrInvalidAttribute, "key %q: only a-z 0-9 . _ - / are allowed", key)
		}
	}
	return nil
}

// ValidateAttributeValue allows printable ASCII without spaces.
func ValidateAttributeValue(key, value string) error {
	if value == "" || len(value) > MaxAttrValueLen {
		return errorsmod.Wrapf(ErrInvalidAttribute, "value of %q must be 1..%d characters", key, MaxAttrValueLen)
	}
	for _, r := range value {
		if r < 0x21 || r > 0x7e {
			return errorsmod.Wrapf(ErrInvalidAttribute, "value of %q: only printable ASCII without spaces is allowed", key)
		}
	}
	return nil
}

// ValidateAttributes checks each pair, the count and that keys are unique.
func ValidateAttributes(attrs []Attribute, allowEmpty bool) error {
	if len(attrs) == 0 && !allowEmpty {
		return errorsmod.Wrap(ErrInvalidAttribute, "at least one attribute is required")
	}
	if len(attrs) > MaxAttributes {
		return errorsmod.Wrapf(ErrInvalidAttribute, "%d attributes, at most %d", len(attrs), MaxAttributes)
	}
	seen := make(map[string]struct{}, len(attrs))
	for _, a := range attrs {
		if err := ValidateAttributeKey(a.Key); err != nil {
			return err
		}
		if err := ValidateAttributeValue(a.Key, a.Value); err != nil {
			return err
		}
		if _, dup := seen[a.Key]; dup {
			return errorsmod.Wrapf(ErrInvalidAttribute, "key %q appears twice", a.Key)
		}
		seen[a.Key] = struct{}{}
	}
	return nil
}

// Validate checks the contact information lengths.
func (i ProviderInfo) Validate() error {
	if len(i.Email) > MaxEmailLen {
		return errorsmod.Wrapf(ErrInvalidProviderInfo, "email is longer than %d characters", MaxEmailLen)
	}
	if len(i.Website) > MaxWebsiteLen {
		return errorsmod.Wrapf(ErrInvalidProviderInfo, "website is longer than %d characters", MaxWebsiteLen)
	}
	return nil
}

// Validate checks one requirement: a valid key, a known operator and the
// right number and kind of values.
func (r Requirement) Validate() error {
	if err := ValidateAttributeKey(r.Key); err != nil {
		return errorsmod.Wrapf(ErrInvalidRequirement, "%s", err.Error())
	}
	switch r.Op {
	case OpEq, OpGte, OpLte:
		if len(r.Values) != 1 {
			return errorsmod.Wrapf(ErrInvalidRequirement, "%s %s takes exactly one value, got %d", r.Key, r.Op.Symbol(), len(r.Values))
		}
		if r.Op != OpEq {
			if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
				return errorsmod.Wrapf(ErrInvalidRequirement, "%s %s needs an integer, got %q", r.Key, r.Op.Symbol(), r.Values[0])
			}
		}
	case OpIn:
		if len(r.Values) == 0 || len(r.Values) > MaxRequirementValues {
			return errorsmod.Wrapf(ErrInvalidRequirement, "%s in takes 1..%d values, got %d", r.Key, MaxRequirementValues, len(r.Values))
		}
	default:
		return errorsmod.Wrapf(ErrInvalidRequirement, "%s: unknown operator %d", r.Key, r.Op)
	}
	seen := make(map[string]struct{}, len(r.Values))
	for _, v := range r.Values {
		if err := ValidateAttributeValue(r.Key, v); err != nil {
			return errorsmod.Wrapf(ErrInvalidRequirement, "%s", err.Error())
		}
		if _, dup := seen[v]; dup {
			return errorsmod.Wrapf(ErrInvalidRequirement, "%s: value %q appears twice", r.Key, v)
		}
		seen[v] = struct{}{}
	}
	return nil
}

// Symbol is the operator as written in a deployment file.
func (o Operator) Symbol() string {
	switch o {
	case OpEq:
		return "="
	case OpGte:
		return ">="
	case OpLte:
		return "<="
	case OpIn:
		return "in"
	default:
		return "?"
	}
}

// ParseOperator reads an operator as written in a deployment file.
func ParseOperator(s string) (Operator, error) {
	switch s {
	case "=", "eq", "==":
		return OpEq, nil
	case ">=", "gte":
		return OpGte, nil
	case "<=", "lte":
		return OpLte, nil
	case "in":
		return OpIn, nil
	}
	return OpUnspecified, errorsmod.Wrapf(ErrInvalidRequirement, "unknown operator %q (use =, >=, <= or in)", s)
}

// Validate checks the resources a group asks for.
func (r Resources) Validate() error {
	if r.Replicas < 1 {
		return errorsmod.Wrap(ErrInvalidResources, "replicas must be at least 1")
	}
	if r.CpuMillis == 0 {
		return errorsmod.Wrap(ErrInvalidResources, "cpu_millis must be positive")
	}
	if r.MemoryMb == 0 {
		return errorsmod.Wrap(ErrInvalidResources, "memory_mb must be positive")
	}
	g := r.GPU
	if g.Count > MaxGPUCount {
		return errorsmod.Wrapf(ErrInvalidResources, "gpu.count %d is above %d", g.Count, MaxGPUCount)
	}
	if g.Count == 0 && (g.MemoryGb != 0 || g.Class != "") {
		return errorsmod.Wrap(ErrInvalidResources, "gpu.memory_gb and gpu.class need gpu.count > 0")
	}
	if len(g.Class) > MaxGPUClassLen {
		return errorsmod.Wrapf(ErrInvalidResources, "gpu.class is longer than %d characters", MaxGPUClassLen)
	}
	if g.Class != "" {
		if err := ValidateAttributeKey(g.Class); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu.class: %s", err.Error())
		}
	}
	return nil
}

// Validate checks a group spec without state (the deposit floor is a param
// and is checked by the keeper).
func (s GroupSpec) Validate() error {
	if s.Name == "" || len(s.Name) > MaxGroupNameLen {
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "name must be 1..%d characters", MaxGroupNameLen)
	}
	if err := ValidateAttributeKey(s.Name); err != nil {
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: name: %s", s.Name, err.Error())
	}
	if err := s.Resources.Validate(); err != nil {
		return errorsmod.Wrapf(err, "group %q", s.Name)
	}
	if len(s.Requirements) > MaxRequirements {
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q has %d requirements, at most %d", s.Name, len(s.Requirements), MaxRequirements)
	}
	for _, r := range s.Requirements {
		if err := r.Validate(); err != nil {
			return errorsmod.Wrapf(err, "group %q", s.Name)
		}
	}
	if len(s.Auditors) > MaxGroupAuditors {
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q lists %d auditors, at most %d", s.Name, len(s.Auditors), MaxGroupAuditors)
	}
	seen := make(map[string]struct{}, len(s.Auditors))
	for _, a := range s.Auditors {
		if err := ValidateAddress("auditors", a); err != nil {
			return errorsmod.Wrapf(err, "group %q", s.Name)
		}
		if _, dup := seen[a]; dup {
			return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q lists auditor %s twice", s.Name, a)
		}
		seen[a] = struct{}{}
	}
	if err := ValidateUdait("max_price", s.MaxPrice); err != nil {
		return errorsmod.Wrapf(err, "group %q", s.Name)
	}
	if err := ValidateUdait("deposit", s.Deposit); err != nil {
		return errorsmod.Wrapf(err, "group %q", s.Name)
	}
	switch s.Order {
	case OrderAuction:
		if s.FallbackAuction {
			return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: fallback_auction is for market orders", s.Name)
		}
	case OrderMarket:
	case OrderLimit:
		if s.FallbackAuction {
			return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: fallback_auction is for market orders", s.Name)
		}
		if s.ExpiresAt <= 0 || s.ExpiresAt > MaxGenesisHeight {
			return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: a limit buy needs expires_at, a height in 1..%d", s.Name, MaxGenesisHeight)
		}
		return nil
	default:
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: unknown order type %d", s.Name, s.Order)
	}
	if s.ExpiresAt != 0 {
		return errorsmod.Wrapf(ErrInvalidGroupSpec, "group %q: expires_at is for limit orders", s.Name)
	}
	return nil
}

// ValidateVersion requires a 32-byte manifest hash.
func ValidateVersion(v []byte) error {
	if len(v) != VersionLen {
		return errorsmod.Wrapf(ErrInvalidVersion, "version must be %d bytes (a sha256), got %d", VersionLen, len(v))
	}
	return nil
}
