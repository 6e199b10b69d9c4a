package types_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

var otherPrefixAddr = sdk.MustBech32ifyAddressBytes("cosmos", bytes.Repeat([]byte{1}, 20))

func version() []byte { return bytes.Repeat([]byte{0xab}, types.VersionLen) }

func validGroupSpec(name string) types.GroupSpec {
	return types.GroupSpec{
		Name:      name,
		Resources: types.Resources{CpuMillis: 1000, MemoryMb: 512, StorageGb: 10, Replicas: 1},
		Requirements: []types.Requirement{
			{Key: "region", Op: types.OpEq, Values: []string{"eu-west"}},
			{Key: "gpu.count", Op: types.OpGte, Values: []string{"1"}},
		},
		Auditors: []string{addr(9)},
		MaxPrice: udait(10),
		Deposit:  udait(50 * types.OneDait),
	}
}

func attrs(n int) []types.Attribute {
	out := make([]types.Attribute, n)
	for i := range out {
		out[i] = types.Attribute{Key: fmt.Sprintf("key-%d", i), Value: "v"}
	}
	return out
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("key-%d", i)
	}
	return out
}

func groups(n int) []types.GroupSpec {
	out := make([]types.GroupSpec, n)
	for i := range out {
		out[i] = validGroupSpec(fmt.Sprintf("g%d", i))
	}
	return out
}

type basicValidator interface{ ValidateBasic() error }

// TestValidateBasic covers every message of msgs.go; err nil means valid.
func TestValidateBasic(t *testing.T) {
	owner, provider, auditor := addr(1), addr(2), addr(3)
	host := "https://provider.example.com:8443"
	good := []types.Attribute{{Key: "region", Value: "eu-west"}, {Key: "gpu.class", Value: "nvidia-a100"}}

	badParams := types.DefaultParams()
	badParams.TakeRateBps = 10_001

	withGroup := func(mutate func(*types.GroupSpec)) types.GroupSpec {
		g := validGroupSpec("web")
		mutate(&g)
		return g
	}

	tests := []struct {
		name string
		msg  basicValidator
		err  error
	}{
		// MsgUpdateParams
		{"update params", &types.MsgUpdateParams{Authority: owner, Params: types.DefaultParams()}, nil},
		{"update params: bad authority", &types.MsgUpdateParams{Authority: "gov", Params: types.DefaultParams()}, types.ErrInvalidAddress},
		{"update params: invalid params", &types.MsgUpdateParams{Authority: owner, Params: badParams}, types.ErrInvalidParams},

		// MsgCreateProvider
		{"create provider", &types.MsgCreateProvider{Owner: owner, HostUri: host, Attributes: good,
			Info: types.ProviderInfo{Email: "ops@example.com", Website: "https://example.com"}}, nil},
		{"create provider: no attributes", &types.MsgCreateProvider{Owner: owner, HostUri: "http://10.0.0.1"}, nil},
		{"create provider: 64 attributes", &types.MsgCreateProvider{Owner: owner, HostUri: host, Attributes: attrs(64)}, nil},
		{"create provider: empty owner", &types.MsgCreateProvider{HostUri: host}, types.ErrInvalidAddress},
		{"create provider: owner with another prefix", &types.MsgCreateProvider{Owner: otherPrefixAddr, HostUri: host}, types.ErrInvalidAddress},
		{"create provider: owner not bech32", &types.MsgCreateProvider{Owner: "dait1xyz", HostUri: host}, types.ErrInvalidAddress},
		{"create provider: empty host", &types.MsgCreateProvider{Owner: owner}, types.ErrInvalidHostURI},
		{"create provider: host without scheme", &types.MsgCreateProvider{Owner: owner, HostUri: "provider.example.com"}, types.ErrInvalidHostURI},
		{"create provider: ftp host", &types.MsgCreateProvider{Owner: owner, HostUri: "ftp://provider.example.com"}, types.ErrInvalidHostURI},
		{"create provider: host without host", &types.MsgCreateProvider{Owner: owner, HostUri: "https://"}, types.ErrInvalidHostURI},
		{"create provider: unparsable host", &types.MsgCreateProvider{Owner: owner, HostUri: "https://exa mple.com"}, types.ErrInvalidHostURI},
		{"create provider: host too long", &types.MsgCreateProvider{Owner: owner,
			HostUri: "https://" + strings.Repeat("a", types.MaxHostURILen-len("https://")+1)}, types.ErrInvalidHostURI},
		{"create provider: 65 attributes", &types.MsgCreateProvider{Owner: owner, HostUri: host, Attributes: attrs(65)}, types.ErrInvalidAttribute},
		{"create provider: duplicate keys", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "region", Value: "a"}, {Key: "region", Value: "b"}}}, types.ErrInvalidAttribute},
		{"create provider: upper-case key", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "Region", Value: "a"}}}, types.ErrInvalidAttribute},
		{"create provider: empty key", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "", Value: "a"}}}, types.ErrInvalidAttribute},
		{"create provider: key too long", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: strings.Repeat("k", types.MaxAttrKeyLen+1), Value: "a"}}}, types.ErrInvalidAttribute},
		{"create provider: empty value", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "region", Value: ""}}}, types.ErrInvalidAttribute},
		{"create provider: value with a space", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "region", Value: "eu west"}}}, types.ErrInvalidAttribute},
		{"create provider: non-ASCII value", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "region", Value: "zürich"}}}, types.ErrInvalidAttribute},
		{"create provider: value too long", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "region", Value: strings.Repeat("v", types.MaxAttrValueLen+1)}}}, types.ErrInvalidAttribute},
		{"create provider: email too long", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Info: types.ProviderInfo{Email: strings.Repeat("e", types.MaxEmailLen+1)}}, types.ErrInvalidProviderInfo},
		{"create provider: website too long", &types.MsgCreateProvider{Owner: owner, HostUri: host,
			Info: types.ProviderInfo{Website: strings.Repeat("w", types.MaxWebsiteLen+1)}}, types.ErrInvalidProviderInfo},

		// MsgUpdateProvider shares the provider checks.
		{"update provider", &types.MsgUpdateProvider{Owner: owner, HostUri: host, Attributes: good}, nil},
		{"update provider: bad owner", &types.MsgUpdateProvider{Owner: "x", HostUri: host}, types.ErrInvalidAddress},
		{"update provider: bad host", &types.MsgUpdateProvider{Owner: owner, HostUri: "tcp://h:1"}, types.ErrInvalidHostURI},
		{"update provider: duplicate keys", &types.MsgUpdateProvider{Owner: owner, HostUri: host,
			Attributes: []types.Attribute{{Key: "a", Value: "1"}, {Key: "a", Value: "1"}}}, types.ErrInvalidAttribute},
		{"update provider: email too long", &types.MsgUpdateProvider{Owner: owner, HostUri: host,
			Info: types.ProviderInfo{Email: strings.Repeat("e", types.MaxEmailLen+1)}}, types.ErrInvalidProviderInfo},

		// MsgAuditAttribute
		{"audit", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider, Attributes: good}, nil},
		{"audit: no attributes", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider}, types.ErrInvalidAttribute},
		{"audit: 65 attributes", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider, Attributes: attrs(65)}, types.ErrInvalidAttribute},
		{"audit: duplicate keys", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider,
			Attributes: []types.Attribute{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}}, types.ErrInvalidAttribute},
		{"audit: bad auditor", &types.MsgAuditAttribute{Auditor: "", Provider: provider, Attributes: good}, types.ErrInvalidAddress},
		{"audit: bad provider", &types.MsgAuditAttribute{Auditor: auditor, Provider: otherPrefixAddr, Attributes: good}, types.ErrInvalidAddress},

		// MsgRevokeAttribute
		{"revoke", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: []string{"region"}}, nil},
		{"revoke: 64 keys", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: keys(64)}, nil},
		{"revoke: no keys", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider}, types.ErrInvalidAttribute},
		{"revoke: 65 keys", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: keys(65)}, types.ErrInvalidAttribute},
		{"revoke: duplicate keys", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: []string{"a", "b", "a"}}, types.ErrInvalidAttribute},
		{"revoke: bad key", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: []string{"GPU"}}, types.ErrInvalidAttribute},
		{"revoke: empty key", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider, Keys: []string{""}}, types.ErrInvalidAttribute},
		{"revoke: bad auditor", &types.MsgRevokeAttribute{Auditor: "x", Provider: provider, Keys: []string{"a"}}, types.ErrInvalidAddress},
		{"revoke: bad provider", &types.MsgRevokeAttribute{Auditor: auditor, Provider: "", Keys: []string{"a"}}, types.ErrInvalidAddress},

		// MsgCreateDeployment
		{"create deployment", &types.MsgCreateDeployment{Owner: owner, Version: version(), Groups: groups(1)}, nil},
		{"create deployment: 16 groups", &types.MsgCreateDeployment{Owner: owner, Version: version(), Groups: groups(16)}, nil},
		{"create deployment: bad owner", &types.MsgCreateDeployment{Owner: "", Version: version(), Groups: groups(1)}, types.ErrInvalidAddress},
		{"create deployment: no version", &types.MsgCreateDeployment{Owner: owner, Groups: groups(1)}, types.ErrInvalidVersion},
		{"create deployment: short version", &types.MsgCreateDeployment{Owner: owner, Version: version()[1:], Groups: groups(1)}, types.ErrInvalidVersion},
		{"create deployment: long version", &types.MsgCreateDeployment{Owner: owner, Version: append(version(), 0), Groups: groups(1)}, types.ErrInvalidVersion},
		{"create deployment: no groups", &types.MsgCreateDeployment{Owner: owner, Version: version()}, types.ErrInvalidDeploymentMsg},
		{"create deployment: 17 groups", &types.MsgCreateDeployment{Owner: owner, Version: version(), Groups: groups(17)}, types.ErrInvalidDeploymentMsg},
		{"create deployment: duplicate group names", &types.MsgCreateDeployment{Owner: owner, Version: version(),
			Groups: []types.GroupSpec{validGroupSpec("web"), validGroupSpec("web")}}, types.ErrInvalidGroupSpec},
		{"create deployment: bad group", &types.MsgCreateDeployment{Owner: owner, Version: version(),
			Groups: []types.GroupSpec{withGroup(func(g *types.GroupSpec) { g.Resources.Replicas = 0 })}}, types.ErrInvalidResources},

		// MsgUpdateDeployment
		{"update deployment", &types.MsgUpdateDeployment{Owner: owner, DeploymentId: 1, Version: version()}, nil},
		{"update deployment: id 0", &types.MsgUpdateDeployment{Owner: owner, Version: version()}, types.ErrInvalidDeploymentMsg},
		{"update deployment: bad owner", &types.MsgUpdateDeployment{Owner: "o", DeploymentId: 1, Version: version()}, types.ErrInvalidAddress},
		{"update deployment: bad version", &types.MsgUpdateDeployment{Owner: owner, DeploymentId: 1, Version: []byte("v2")}, types.ErrInvalidVersion},

		// MsgCloseDeployment
		{"close deployment", &types.MsgCloseDeployment{Owner: owner, DeploymentId: 7}, nil},
		{"close deployment: id 0", &types.MsgCloseDeployment{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"close deployment: bad owner", &types.MsgCloseDeployment{DeploymentId: 7}, types.ErrInvalidAddress},

		// MsgDepositDeployment
		{"deposit", &types.MsgDepositDeployment{Owner: owner, GroupId: 1, Amount: udait(5)}, nil},
		{"deposit: id 0", &types.MsgDepositDeployment{Owner: owner, Amount: udait(5)}, types.ErrInvalidDeploymentMsg},
		{"deposit: bad owner", &types.MsgDepositDeployment{Owner: "x", GroupId: 1, Amount: udait(5)}, types.ErrInvalidAddress},
		{"deposit: zero", &types.MsgDepositDeployment{Owner: owner, GroupId: 1, Amount: udait(0)}, types.ErrInvalidAmount},
		{"deposit: negative", &types.MsgDepositDeployment{Owner: owner, GroupId: 1, Amount: coin("udait", -5)}, types.ErrInvalidAmount},
		{"deposit: wrong denom", &types.MsgDepositDeployment{Owner: owner, GroupId: 1, Amount: coin("stake", 5)}, types.ErrInvalidAmount},
		{"deposit: unset", &types.MsgDepositDeployment{Owner: owner, GroupId: 1}, types.ErrInvalidAmount},

		// MsgCreateGroup
		{"create group", &types.MsgCreateGroup{Owner: owner, DeploymentId: 1, Group: validGroupSpec("db")}, nil},
		{"create group: id 0", &types.MsgCreateGroup{Owner: owner, Group: validGroupSpec("db")}, types.ErrInvalidDeploymentMsg},
		{"create group: bad owner", &types.MsgCreateGroup{Owner: "", DeploymentId: 1, Group: validGroupSpec("db")}, types.ErrInvalidAddress},
		{"create group: bad spec", &types.MsgCreateGroup{Owner: owner, DeploymentId: 1,
			Group: withGroup(func(g *types.GroupSpec) { g.Name = "" })}, types.ErrInvalidGroupSpec},

		// group and lease messages by id
		{"pause group", &types.MsgPauseGroup{Owner: owner, GroupId: 1}, nil},
		{"pause group: id 0", &types.MsgPauseGroup{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"pause group: bad owner", &types.MsgPauseGroup{Owner: "x", GroupId: 1}, types.ErrInvalidAddress},
		{"unpause group", &types.MsgUnpauseGroup{Owner: owner, GroupId: 1}, nil},
		{"unpause group: id 0", &types.MsgUnpauseGroup{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"unpause group: bad owner", &types.MsgUnpauseGroup{GroupId: 1}, types.ErrInvalidAddress},
		{"close group", &types.MsgCloseGroup{Owner: owner, GroupId: 1}, nil},
		{"close group: id 0", &types.MsgCloseGroup{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"close group: bad owner", &types.MsgCloseGroup{Owner: otherPrefixAddr, GroupId: 1}, types.ErrInvalidAddress},
		{"create lease", &types.MsgCreateLease{Owner: owner, BidId: 3}, nil},
		{"create lease: id 0", &types.MsgCreateLease{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"create lease: bad owner", &types.MsgCreateLease{Owner: "x", BidId: 3}, types.ErrInvalidAddress},
		{"close lease", &types.MsgCloseLease{Owner: owner, LeaseId: 3}, nil},
		{"close lease: id 0", &types.MsgCloseLease{Owner: owner}, types.ErrInvalidDeploymentMsg},
		{"close lease: bad owner", &types.MsgCloseLease{LeaseId: 3}, types.ErrInvalidAddress},

		// MsgCreateBid
		{"create bid", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: udait(100 * types.OneDait)}, nil},
		{"create bid: unset deposit", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3)}, nil},
		{"create bid: zero deposit without denom", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: coin("", 0)}, nil},
		{"create bid: bad provider", &types.MsgCreateBid{Provider: "p", GroupId: 1, Price: udait(3)}, types.ErrInvalidAddress},
		{"create bid: group 0", &types.MsgCreateBid{Provider: provider, Price: udait(3)}, types.ErrInvalidDeploymentMsg},
		{"create bid: zero price", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(0)}, types.ErrInvalidAmount},
		{"create bid: unset price", &types.MsgCreateBid{Provider: provider, GroupId: 1}, types.ErrInvalidAmount},
		{"create bid: price in another denom", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: coin("stake", 3)}, types.ErrInvalidAmount},
		{"create bid: deposit in another denom", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: coin("stake", 3)}, types.ErrInvalidAmount},
		{"create bid: deposit without denom", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: coin("", 3)}, types.ErrInvalidAmount},
		{"create bid: zero udait deposit", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: udait(0)}, types.ErrInvalidAmount},
		{"create bid: negative deposit", &types.MsgCreateBid{Provider: provider, GroupId: 1, Price: udait(3), Deposit: coin("udait", -1)}, types.ErrInvalidAmount},

		// MsgCloseBid
		{"close bid", &types.MsgCloseBid{Provider: provider, BidId: 1}, nil},
		{"close bid: id 0", &types.MsgCloseBid{Provider: provider}, types.ErrInvalidDeploymentMsg},
		{"close bid: bad provider", &types.MsgCloseBid{Provider: "p", BidId: 1}, types.ErrInvalidAddress},

		// MsgWithdraw: lease 0 means every lease of the provider.
		{"withdraw one lease", &types.MsgWithdraw{Provider: provider, LeaseId: 4}, nil},
		{"withdraw all leases", &types.MsgWithdraw{Provider: provider}, nil},
		{"withdraw: bad provider", &types.MsgWithdraw{Provider: otherPrefixAddr}, types.ErrInvalidAddress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.ValidateBasic()
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in   string
		want types.Operator
		ok   bool
	}{
		{"=", types.OpEq, true},
		{"==", types.OpEq, true},
		{"eq", types.OpEq, true},
		{">=", types.OpGte, true},
		{"gte", types.OpGte, true},
		{"<=", types.OpLte, true},
		{"lte", types.OpLte, true},
		{"in", types.OpIn, true},
		{"", types.OpUnspecified, false},
		{">", types.OpUnspecified, false},
		{"<", types.OpUnspecified, false},
		{"!=", types.OpUnspecified, false},
		{"=>", types.OpUnspecified, false},
		{"IN", types.OpUnspecified, false},
		{" in", types.OpUnspecified, false},
		{"?", types.OpUnspecified, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%q", tc.in), func(t *testing.T) {
			got, err := types.ParseOperator(tc.in)
			require.Equal(t, tc.want, got)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidRequirement)
		})
	}
}

// Symbol writes what ParseOperator reads.
func TestOperatorSymbolRoundTrip(t *testing.T) {
	for _, op := range []types.Operator{types.OpEq, types.OpGte, types.OpLte, types.OpIn} {
		got, err := types.ParseOperator(op.Symbol())
		require.NoError(t, err)
		require.Equal(t, op, got)
	}
	require.Equal(t, "?", types.OpUnspecified.Symbol())
	require.Equal(t, "?", types.Operator(42).Symbol())
}

func TestRequirementDescribe(t *testing.T) {
	require.Equal(t, "gpu.count >= 2", types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"2"}}.Describe())
	require.Equal(t, "region = eu", types.Requirement{Key: "region", Op: types.OpEq, Values: []string{"eu"}}.Describe())
	require.Equal(t, "region in {eu, us}", types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"eu", "us"}}.Describe())
}

func TestRequirementValidate(t *testing.T) {
	values := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("v%d", i)
		}
		return out
	}
	tests := []struct {
		name  string
		req   types.Requirement
		valid bool
	}{
		{"eq string", types.Requirement{Key: "region", Op: types.OpEq, Values: []string{"eu-west"}}, true},
		{"gte integer", types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"8"}}, true},
		{"lte negative integer", types.Requirement{Key: "temp", Op: types.OpLte, Values: []string{"-1"}}, true},
		{"in three", types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"eu", "us", "ap"}}, true},
		{"in 32", types.Requirement{Key: "region", Op: types.OpIn, Values: values(32)}, true},
		{"key with every allowed rune", types.Requirement{Key: "a-z_0.9/x", Op: types.OpEq, Values: []string{"1"}}, true},

		{"unspecified operator", types.Requirement{Key: "region", Values: []string{"eu"}}, false},
		{"unknown operator", types.Requirement{Key: "region", Op: types.Operator(9), Values: []string{"eu"}}, false},
		{"empty key", types.Requirement{Key: "", Op: types.OpEq, Values: []string{"eu"}}, false},
		{"upper-case key", types.Requirement{Key: "GPU", Op: types.OpEq, Values: []string{"eu"}}, false},
		{"key too long", types.Requirement{Key: strings.Repeat("k", types.MaxAttrKeyLen+1), Op: types.OpEq, Values: []string{"eu"}}, false},
		{"eq without value", types.Requirement{Key: "region", Op: types.OpEq}, false},
		{"eq with two values", types.Requirement{Key: "region", Op: types.OpEq, Values: []string{"eu", "us"}}, false},
		{"gte with two values", types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"1", "2"}}, false},
		{"gte not an integer", types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"eight"}}, false},
		{"lte a decimal", types.Requirement{Key: "gpu.count", Op: types.OpLte, Values: []string{"1.5"}}, false},
		{"gte overflowing int64", types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"9223372036854775808"}}, false},
		{"in without values", types.Requirement{Key: "region", Op: types.OpIn}, false},
		{"in 33", types.Requirement{Key: "region", Op: types.OpIn, Values: values(33)}, false},
		{"in duplicate values", types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"eu", "us", "eu"}}, false},
		{"empty value", types.Requirement{Key: "region", Op: types.OpEq, Values: []string{""}}, false},
		{"value with a space", types.Requirement{Key: "region", Op: types.OpIn, Values: []string{"eu west"}}, false},
		{"value too long", types.Requirement{Key: "region", Op: types.OpEq, Values: []string{strings.Repeat("v", types.MaxAttrValueLen+1)}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Validate()
			if tc.valid {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidRequirement)
		})
	}
}

func TestGroupSpecValidate(t *testing.T) {
	requirements := func(n int) []types.Requirement {
		out := make([]types.Requirement, n)
		for i := range out {
			out[i] = types.Requirement{Key: fmt.Sprintf("k%d", i), Op: types.OpEq, Values: []string{"v"}}
		}
		return out
	}
	auditors := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = addr(byte(100 + i))
		}
		return out
	}
	tests := []struct {
		name   string
		mutate func(*types.GroupSpec)
		err    error
	}{
		{"valid", func(*types.GroupSpec) {}, nil},
		{"gpu", func(g *types.GroupSpec) { g.Resources.GPU = types.GPU{Count: 8, MemoryGb: 80, Class: "nvidia-a100"} }, nil},
		{"gpu count only", func(g *types.GroupSpec) { g.Resources.GPU = types.GPU{Count: 1} }, nil},
		{"gpu count 1024", func(g *types.GroupSpec) { g.Resources.GPU.Count = types.MaxGPUCount }, nil},
		{"no requirements", func(g *types.GroupSpec) { g.Requirements = nil }, nil},
		{"32 requirements", func(g *types.GroupSpec) { g.Requirements = requirements(32) }, nil},
		{"no auditors", func(g *types.GroupSpec) { g.Auditors = nil }, nil},
		{"16 auditors", func(g *types.GroupSpec) { g.Auditors = auditors(16) }, nil},
		{"name of 64", func(g *types.GroupSpec) { g.Name = strings.Repeat("n", types.MaxGroupNameLen) }, nil},

		{"empty name", func(g *types.GroupSpec) { g.Name = "" }, types.ErrInvalidGroupSpec},
		{"name too long", func(g *types.GroupSpec) { g.Name = strings.Repeat("n", types.MaxGroupNameLen+1) }, types.ErrInvalidGroupSpec},
		{"name with upper case", func(g *types.GroupSpec) { g.Name = "Web" }, types.ErrInvalidGroupSpec},
		{"name with a space", func(g *types.GroupSpec) { g.Name = "web 1" }, types.ErrInvalidGroupSpec},
		{"zero replicas", func(g *types.GroupSpec) { g.Resources.Replicas = 0 }, types.ErrInvalidResources},
		{"zero cpu", func(g *types.GroupSpec) { g.Resources.CpuMillis = 0 }, types.ErrInvalidResources},
		{"zero memory", func(g *types.GroupSpec) { g.Resources.MemoryMb = 0 }, types.ErrInvalidResources},
		{"gpu count 1025", func(g *types.GroupSpec) { g.Resources.GPU.Count = types.MaxGPUCount + 1 }, types.ErrInvalidResources},
		{"gpu memory without count", func(g *types.GroupSpec) { g.Resources.GPU = types.GPU{MemoryGb: 80} }, types.ErrInvalidResources},
		{"gpu class without count", func(g *types.GroupSpec) { g.Resources.GPU = types.GPU{Class: "a100"} }, types.ErrInvalidResources},
		{"gpu class upper case", func(g *types.GroupSpec) { g.Resources.GPU = types.GPU{Count: 1, Class: "A100"} }, types.ErrInvalidResources},
		{"gpu class too long", func(g *types.GroupSpec) {
			g.Resources.GPU = types.GPU{Count: 1, Class: strings.Repeat("c", types.MaxGPUClassLen+1)}
		}, types.ErrInvalidResources},
		{"33 requirements", func(g *types.GroupSpec) { g.Requirements = requirements(33) }, types.ErrInvalidGroupSpec},
		{"bad requirement", func(g *types.GroupSpec) {
			g.Requirements = append(g.Requirements, types.Requirement{Key: "gpu.count", Op: types.OpGte, Values: []string{"many"}})
		}, types.ErrInvalidRequirement},
		{"17 auditors", func(g *types.GroupSpec) { g.Auditors = auditors(17) }, types.ErrInvalidGroupSpec},
		{"auditor not an address", func(g *types.GroupSpec) { g.Auditors = []string{"auditor"} }, types.ErrInvalidAddress},
		{"duplicate auditor", func(g *types.GroupSpec) { g.Auditors = []string{addr(5), addr(6), addr(5)} }, types.ErrInvalidGroupSpec},
		{"zero max price", func(g *types.GroupSpec) { g.MaxPrice = udait(0) }, types.ErrInvalidAmount},
		{"max price in another denom", func(g *types.GroupSpec) { g.MaxPrice = coin("stake", 10) }, types.ErrInvalidAmount},
		{"unset max price", func(g *types.GroupSpec) { g.MaxPrice = sdk.Coin{} }, types.ErrInvalidAmount},
		{"zero deposit", func(g *types.GroupSpec) { g.Deposit = udait(0) }, types.ErrInvalidAmount},
		{"negative deposit", func(g *types.GroupSpec) { g.Deposit = coin("udait", -1) }, types.ErrInvalidAmount},
		{"unset deposit amount", func(g *types.GroupSpec) { g.Deposit = sdk.Coin{Denom: "udait"} }, types.ErrInvalidAmount},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := validGroupSpec("web")
			tc.mutate(&g)
			err := g.Validate()
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestValidateHostURI(t *testing.T) {
	tests := []struct {
		uri   string
		valid bool
	}{
		{"https://provider.example.com", true},
		{"http://10.0.0.1:8080/path", true},
		{"https://[::1]:8443", true},
		{"https://" + strings.Repeat("a", types.MaxHostURILen-len("https://")), true},
		{"", false},
		{"provider.example.com", false},
		{"//provider.example.com", false},
		{"ws://provider.example.com", false},
		{"https://", false},
		{"https:///path", false},
		{"https://exa mple.com", false},
		{"https://" + strings.Repeat("a", types.MaxHostURILen-len("https://")+1), false},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			err := types.ValidateHostURI(tc.uri)
			if tc.valid {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, types.ErrInvalidHostURI)
		})
	}
}

func TestValidateUdait(t *testing.T) {
	require.NoError(t, types.ValidateUdait("x", udait(1)))
	for _, c := range []sdk.Coin{udait(0), coin("udait", -1), coin("stake", 1), coin("UDAIT", 1), {}, {Denom: "udait"}} {
		require.ErrorIs(t, types.ValidateUdait("x", c), types.ErrInvalidAmount, "%v", c)
	}
}
