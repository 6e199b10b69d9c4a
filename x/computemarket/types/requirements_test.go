package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

func req(key string, op types.Operator, values ...string) types.Requirement {
	return types.Requirement{Key: key, Op: op, Values: values}
}

func record(auditor string, kv ...string) types.AuditRecord {
	rec := types.AuditRecord{Provider: addr(1), Auditor: auditor}
	for i := 0; i+1 < len(kv); i += 2 {
		rec.Attributes = append(rec.Attributes, types.Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return rec
}

func TestRequirementMatches(t *testing.T) {
	tests := []struct {
		name  string
		req   types.Requirement
		value string
		want  bool
	}{
		{"eq equal", req("region", types.OpEq, "eu-west"), "eu-west", true},
		{"eq different", req("region", types.OpEq, "eu-west"), "eu-east", false},
		{"eq is case sensitive", req("region", types.OpEq, "eu-west"), "EU-WEST", false},
		{"eq compares strings, not numbers", req("gpu.count", types.OpEq, "8"), "08", false},
		{"eq without value", req("region", types.OpEq), "eu", false},

		{"gte above", req("gpu.count", types.OpGte, "8"), "16", true},
		{"gte equal", req("gpu.count", types.OpGte, "8"), "8", true},
		{"gte below", req("gpu.count", types.OpGte, "8"), "4", false},
		{"gte compares numbers, not strings", req("gpu.count", types.OpGte, "8"), "10", true},
		{"gte negative", req("temp", types.OpGte, "-5"), "-3", true},
		{"gte non-integer attribute", req("gpu.count", types.OpGte, "8"), "eight", false},
		{"gte decimal attribute", req("gpu.count", types.OpGte, "8"), "8.0", false},
		{"gte empty attribute", req("gpu.count", types.OpGte, "8"), "", false},
		{"gte non-integer requirement", req("gpu.count", types.OpGte, "x"), "8", false},
		{"gte with two values", req("gpu.count", types.OpGte, "1", "2"), "8", false},

		{"lte below", req("latency", types.OpLte, "20"), "5", true},
		{"lte equal", req("latency", types.OpLte, "20"), "20", true},
		{"lte above", req("latency", types.OpLte, "20"), "21", false},
		{"lte compares numbers, not strings", req("latency", types.OpLte, "20"), "3", true},
		{"lte non-integer attribute", req("latency", types.OpLte, "20"), "fast", false},

		{"in first", req("region", types.OpIn, "eu", "us"), "eu", true},
		{"in last", req("region", types.OpIn, "eu", "us"), "us", true},
		{"in absent", req("region", types.OpIn, "eu", "us"), "ap", false},
		{"in empty", req("region", types.OpIn), "eu", false},

		{"unspecified operator", req("region", types.OpUnspecified, "eu"), "eu", false},
		{"unknown operator", req("region", types.Operator(7), "eu"), "eu", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.req.Matches(tc.value))
		})
	}
}

func TestNewAuditedAttributes(t *testing.T) {
	x, y, z := addr(10), addr(11), addr(12)
	records := []types.AuditRecord{
		record(x, "region", "eu-west", "gpu.count", "4"),
		record(y, "gpu.count", "8"),
		record(z, "region", "us-east", "tier", "gold"),
	}
	whitelist := []string{x, y}

	tests := []struct {
		name     string
		accepted []string
		want     types.AuditedAttributes
	}{
		{"every whitelisted auditor", nil,
			types.AuditedAttributes{"region": {"eu-west"}, "gpu.count": {"4", "8"}}},
		{"narrowed to one auditor", []string{x},
			types.AuditedAttributes{"region": {"eu-west"}, "gpu.count": {"4"}}},
		{"narrowed to the other auditor", []string{y},
			types.AuditedAttributes{"gpu.count": {"8"}}},
		{"narrowing cannot add a non-whitelisted auditor", []string{z},
			types.AuditedAttributes{}},
		{"narrowing keeps only whitelisted ones", []string{x, z},
			types.AuditedAttributes{"region": {"eu-west"}, "gpu.count": {"4"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, types.NewAuditedAttributes(records, whitelist, tc.accepted))
		})
	}

	require.Empty(t, types.NewAuditedAttributes(records, nil, nil), "no whitelist, nothing counts")
	require.Empty(t, types.NewAuditedAttributes(nil, whitelist, nil))
}

func TestAuditedAttributesSatisfies(t *testing.T) {
	x, y, z := addr(10), addr(11), addr(12)
	whitelist := []string{x, y}
	records := []types.AuditRecord{
		record(x, "region", "eu-west", "gpu.count", "4", "gpu.class", "nvidia-a100"),
		record(y, "gpu.count", "8", "bandwidth", "fast"),
		// z is not whitelisted: what it attests never counts.
		record(z, "tier", "gold", "gpu.count", "64"),
	}
	gpu8 := req("gpu.count", types.OpGte, "8")
	eu := req("region", types.OpEq, "eu-west")

	tests := []struct {
		name     string
		accepted []string
		reqs     []types.Requirement
		unmet    *types.Requirement
	}{
		{"no requirements", nil, nil, nil},
		{"no requirements and nothing audited", []string{z}, nil, nil},
		{"eq", nil, []types.Requirement{eu}, nil},
		{"eq on another value", nil, []types.Requirement{req("region", types.OpEq, "us-east")}, ptr(req("region", types.OpEq, "us-east"))},
		{"in", nil, []types.Requirement{req("gpu.class", types.OpIn, "nvidia-h100", "nvidia-a100")}, nil},
		{"in without a match", nil, []types.Requirement{req("gpu.class", types.OpIn, "nvidia-h100")}, ptr(req("gpu.class", types.OpIn, "nvidia-h100"))},
		{"lte", nil, []types.Requirement{req("gpu.count", types.OpLte, "4")}, nil},
		{"gte met by one of two auditors", nil, []types.Requirement{gpu8}, nil},
		{"gte not met once narrowed to the other auditor", []string{x}, []types.Requirement{gpu8}, &gpu8},
		{"gte on a non-integer attribute", nil, []types.Requirement{req("bandwidth", types.OpGte, "1")}, ptr(req("bandwidth", types.OpGte, "1"))},
		{"attested only by a non-whitelisted auditor", nil, []types.Requirement{req("tier", types.OpEq, "gold")}, ptr(req("tier", types.OpEq, "gold"))},
		{"a non-whitelisted auditor's higher value does not count", nil, []types.Requirement{req("gpu.count", types.OpGte, "16")}, ptr(req("gpu.count", types.OpGte, "16"))},
		{"unknown key", nil, []types.Requirement{req("storage", types.OpEq, "ssd")}, ptr(req("storage", types.OpEq, "ssd"))},
		{"all of several", nil, []types.Requirement{eu, gpu8, req("bandwidth", types.OpEq, "fast")}, nil},
		{"several from two auditors narrowed to one", []string{y}, []types.Requirement{gpu8, eu}, &eu},
		{"first unmet is reported", nil, []types.Requirement{eu, req("tier", types.OpEq, "gold"), req("storage", types.OpEq, "ssd")},
			ptr(req("tier", types.OpEq, "gold"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aa := types.NewAuditedAttributes(records, whitelist, tc.accepted)
			require.Equal(t, tc.unmet == nil, aa.Satisfies(tc.reqs))
			got, unmet := aa.Unmet(tc.reqs)
			if tc.unmet == nil {
				require.False(t, unmet)
				require.Equal(t, types.Requirement{}, got)
				return
			}
			require.True(t, unmet)
			require.Equal(t, *tc.unmet, got)
		})
	}
}

func ptr[T any](v T) *T { return &v }
