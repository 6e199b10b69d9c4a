package types_test

import (
	"math"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cosmos/gogoproto/proto"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// fuzzAmountDomain is {0, 1, small, 2^53, 2^63, 2^64, 2^128-1 (the
// maximum), 2^128 (max+1), 2^255, 2^256-1}.
func fuzzAmountDomain() []*big.Int {
	pow := func(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }
	dec := func(b *big.Int) *big.Int { return new(big.Int).Sub(b, big.NewInt(1)) }
	return []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(7), pow(53), pow(63), pow(64), dec(pow(128)), pow(128), pow(255), dec(pow(256))}
}

// fuzzMsg is what every generated message of tx.proto offers.
type fuzzMsg interface {
	proto.Message
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
	ValidateBasic() error
}

// fuzzMsgs lists every message with a valid example; the fuzz input's
// selector byte picks one (modulo the length).
var fuzzMsgs = []struct {
	new   func() fuzzMsg
	valid fuzzMsg
}{
	{func() fuzzMsg { return &types.MsgUpdateParams{} }, &types.MsgUpdateParams{Authority: addr(1), Params: types.DefaultParams()}},
	{func() fuzzMsg { return &types.MsgCreateProvider{} }, &types.MsgCreateProvider{Owner: addr(1), HostUri: "https://p.example.com", Attributes: attrs(2), Info: types.ProviderInfo{Email: "a@b.c"}}},
	{func() fuzzMsg { return &types.MsgUpdateProvider{} }, &types.MsgUpdateProvider{Owner: addr(1), HostUri: "http://10.0.0.1:8443/x"}},
	{func() fuzzMsg { return &types.MsgAuditAttribute{} }, &types.MsgAuditAttribute{Auditor: addr(2), Provider: addr(1), Attributes: attrs(1)}},
	{func() fuzzMsg { return &types.MsgRevokeAttribute{} }, &types.MsgRevokeAttribute{Auditor: addr(2), Provider: addr(1), Keys: keys(2)}},
	{func() fuzzMsg { return &types.MsgCreateDeployment{} }, &types.MsgCreateDeployment{Owner: addr(1), Version: version(), Groups: groups(2)}},
	{func() fuzzMsg { return &types.MsgUpdateDeployment{} }, &types.MsgUpdateDeployment{Owner: addr(1), DeploymentId: 1, Version: version()}},
	{func() fuzzMsg { return &types.MsgCloseDeployment{} }, &types.MsgCloseDeployment{Owner: addr(1), DeploymentId: 1}},
	{func() fuzzMsg { return &types.MsgDepositDeployment{} }, &types.MsgDepositDeployment{Owner: addr(1), GroupId: 1, Amount: udait(5)}},
	{func() fuzzMsg { return &types.MsgCreateGroup{} }, &types.MsgCreateGroup{Owner: addr(1), DeploymentId: 1, Group: validGroupSpec("g")}},
	{func() fuzzMsg { return &types.MsgPauseGroup{} }, &types.MsgPauseGroup{Owner: addr(1), GroupId: 1}},
	{func() fuzzMsg { return &types.MsgUnpauseGroup{} }, &types.MsgUnpauseGroup{Owner: addr(1), GroupId: 1}},
	{func() fuzzMsg { return &types.MsgCloseGroup{} }, &types.MsgCloseGroup{Owner: addr(1), GroupId: 1}},
	{func() fuzzMsg { return &types.MsgCreateLease{} }, &types.MsgCreateLease{Owner: addr(1), BidId: 1}},
	{func() fuzzMsg { return &types.MsgCloseLease{} }, &types.MsgCloseLease{Owner: addr(1), LeaseId: 1}},
	{func() fuzzMsg { return &types.MsgCreateBid{} }, &types.MsgCreateBid{Provider: addr(1), GroupId: 1, Price: udait(7), Deposit: udait(100 * types.OneDait)}},
	{func() fuzzMsg { return &types.MsgCloseBid{} }, &types.MsgCloseBid{Provider: addr(1), BidId: 1}},
	{func() fuzzMsg { return &types.MsgWithdraw{} }, &types.MsgWithdraw{Provider: addr(1)}},
}

// FuzzMsgValidateBasic decodes the input as the message the selector picks
// and runs ValidateBasic: it must not panic, and what it accepts must hold
// every bound the keeper relies on and survive a proto round trip.
func FuzzMsgValidateBasic(f *testing.F) {
	for i, m := range fuzzMsgs {
		bz, err := m.valid.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), bz)
		// The valid message cut short, and an unset one.
		f.Add(uint8(i), bz[:len(bz)/2])
		f.Add(uint8(i), []byte{})
	}
	// Near misses: an upper-case address, a bid deposit of zero udait, a
	// negative amount, a stray denom.
	for _, near := range []struct {
		sel int
		msg fuzzMsg
	}{
		{7, &types.MsgCloseDeployment{Owner: strings.ToUpper(addr(1)), DeploymentId: 1}},
		{15, &types.MsgCreateBid{Provider: addr(1), GroupId: 1, Price: udait(1), Deposit: udait(0)}},
		{8, &types.MsgDepositDeployment{Owner: addr(1), GroupId: 1, Amount: coin(types.Denom, -5)}},
		{15, &types.MsgCreateBid{Provider: addr(1), GroupId: 1, Price: udait(1), Deposit: coin("stake", 0)}},
	} {
		bz, err := near.msg.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(near.sel), bz)
	}

	// The value domain of amounts (issue 13): every edge, in every amount
	// field a message has.
	for _, a := range fuzzAmountDomain() {
		c := sdk.Coin{Denom: types.Denom, Amount: sdkmath.NewIntFromBigInt(a)}
		g := validGroupSpec("g")
		g.MaxPrice = c
		d := validGroupSpec("d")
		d.Deposit = c
		for sel, msg := range map[int]fuzzMsg{
			5:  &types.MsgCreateDeployment{Owner: addr(1), Version: version(), Groups: []types.GroupSpec{g, d}},
			8:  &types.MsgDepositDeployment{Owner: addr(1), GroupId: 1, Amount: c},
			9:  &types.MsgCreateGroup{Owner: addr(1), DeploymentId: 1, Group: g},
			15: &types.MsgCreateBid{Provider: addr(1), GroupId: 1, Price: c, Deposit: c},
		} {
			bz, err := msg.Marshal()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(sel), bz)
		}
	}

	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		m := fuzzMsgs[int(sel)%len(fuzzMsgs)].new()
		if err := m.Unmarshal(data); err != nil {
			return
		}
		if err := m.ValidateBasic(); err != nil {
			return
		}
		checkAccepted(t, m)

		bz, err := m.Marshal()
		if err != nil {
			t.Fatalf("%T: accepted but does not marshal: %v", m, err)
		}
		again := fuzzMsgs[int(sel)%len(fuzzMsgs)].new()
		if err := again.Unmarshal(bz); err != nil {
			t.Fatalf("%T: accepted but its encoding does not decode: %v", m, err)
		}
		if err := again.ValidateBasic(); err != nil {
			t.Fatalf("%T: accepted, refused after a round trip: %v", m, err)
		}
	})
}

var (
	attrKeyRE   = regexp.MustCompile(`^[a-z0-9._/-]{1,64}$`)
	attrValueRE = regexp.MustCompile(`^[!-~]{1,128}$`)
)

// checkAccepted restates, independently of validation.go, the bounds a
// message that passed ValidateBasic must hold.
func checkAccepted(t *testing.T, m fuzzMsg) {
	t.Helper()
	switch m := m.(type) {
	case *types.MsgUpdateParams:
		checkAddr(t, m.Authority)
		p := m.Params
		if p.BidDurationBlocks < 1 || p.TakeRateBps > types.MaxTakeRateBps ||
			p.MaxBidsPerGroup < 1 || p.MaxBidsPerGroup > types.MaxBidsPerGroupLimit ||
			len(p.AuditorWhitelist) > types.MaxAuditors {
			t.Fatalf("params out of bounds: %+v", p)
		}
		checkUdait(t, p.BidMinDeposit)
		checkUdait(t, p.LeaseMinDeposit)
		if p.ProviderMinBond.Denom != types.Denom || p.ProviderMinBond.Amount.IsNil() || p.ProviderMinBond.Amount.IsNegative() {
			t.Fatalf("provider_min_bond %v accepted", p.ProviderMinBond)
		}
		checkUnique(t, p.AuditorWhitelist)
		for _, a := range p.AuditorWhitelist {
			checkAddr(t, a)
		}
	case *types.MsgCreateProvider:
		checkProvider(t, m.Owner, m.HostUri, m.Attributes, m.Info)
	case *types.MsgUpdateProvider:
		checkProvider(t, m.Owner, m.HostUri, m.Attributes, m.Info)
	case *types.MsgAuditAttribute:
		checkAddr(t, m.Auditor)
		checkAddr(t, m.Provider)
		if len(m.Attributes) == 0 {
			t.Fatal("audit without attributes accepted")
		}
		checkAttributes(t, m.Attributes)
	case *types.MsgRevokeAttribute:
		checkAddr(t, m.Auditor)
		checkAddr(t, m.Provider)
		if len(m.Keys) == 0 || len(m.Keys) > types.MaxAttributes {
			t.Fatalf("%d keys accepted", len(m.Keys))
		}
		checkUnique(t, m.Keys)
		for _, k := range m.Keys {
			checkKey(t, k)
		}
	case *types.MsgCreateDeployment:
		checkAddr(t, m.Owner)
		checkVersion(t, m.Version)
		if len(m.Groups) == 0 || len(m.Groups) > types.MaxGroupsPerDeploy {
			t.Fatalf("%d groups accepted", len(m.Groups))
		}
		names := make([]string, 0, len(m.Groups))
		for _, g := range m.Groups {
			checkGroupSpec(t, g)
			names = append(names, g.Name)
		}
		checkUnique(t, names)
	case *types.MsgUpdateDeployment:
		checkOwnerAndID(t, m.Owner, m.DeploymentId)
		checkVersion(t, m.Version)
	case *types.MsgCloseDeployment:
		checkOwnerAndID(t, m.Owner, m.DeploymentId)
	case *types.MsgDepositDeployment:
		checkOwnerAndID(t, m.Owner, m.GroupId)
		checkUdait(t, m.Amount)
	case *types.MsgCreateGroup:
		checkOwnerAndID(t, m.Owner, m.DeploymentId)
		checkGroupSpec(t, m.Group)
	case *types.MsgPauseGroup:
		checkOwnerAndID(t, m.Owner, m.GroupId)
	case *types.MsgUnpauseGroup:
		checkOwnerAndID(t, m.Owner, m.GroupId)
	case *types.MsgCloseGroup:
		checkOwnerAndID(t, m.Owner, m.GroupId)
	case *types.MsgCreateLease:
		checkOwnerAndID(t, m.Owner, m.BidId)
	case *types.MsgCloseLease:
		checkOwnerAndID(t, m.Owner, m.LeaseId)
	case *types.MsgCreateBid:
		checkOwnerAndID(t, m.Provider, m.GroupId)
		checkUdait(t, m.Price)
		// An unset deposit (bid_min_deposit) reaches the keeper as zero.
		d := m.Deposit
		if d.Denom != "" || (!d.Amount.IsNil() && !d.Amount.IsZero()) {
			checkUdait(t, d)
		}
	case *types.MsgCloseBid:
		checkOwnerAndID(t, m.Provider, m.BidId)
	case *types.MsgWithdraw:
		checkAddr(t, m.Provider)
	default:
		t.Fatalf("no checks for %T", m)
	}
}

func checkAddr(t *testing.T, a string) {
	t.Helper()
	acc, err := sdk.AccAddressFromBech32(a)
	if err != nil {
		t.Fatalf("address %q accepted: %v", a, err)
	}
	if acc.String() != a {
		t.Fatalf("address %q accepted, canonical form is %s", a, acc)
	}
}

func checkOwnerAndID(t *testing.T, owner string, id uint64) {
	t.Helper()
	checkAddr(t, owner)
	if id == 0 {
		t.Fatal("id 0 accepted")
	}
}

// maxUdait is the documented bound of every amount (SPEC section 10),
// restated here: 2^128 - 1.
var maxUdait = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

func checkUdait(t *testing.T, c sdk.Coin) {
	t.Helper()
	if c.Denom != types.Denom || c.Amount.IsNil() || c.Amount.Sign() <= 0 {
		t.Fatalf("amount %v accepted", c)
	}
	if c.Amount.BigInt().Cmp(maxUdait) > 0 {
		t.Fatalf("amount %v above 2^128-1 accepted", c)
	}
}

func checkVersion(t *testing.T, v []byte) {
	t.Helper()
	if len(v) != types.VersionLen {
		t.Fatalf("version of %d bytes accepted", len(v))
	}
}

func checkUnique(t *testing.T, xs []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			t.Fatalf("%q accepted twice", x)
		}
		seen[x] = true
	}
}

func checkKey(t *testing.T, k string) {
	t.Helper()
	if !attrKeyRE.MatchString(k) {
		t.Fatalf("key %q accepted", k)
	}
}

func checkAttributes(t *testing.T, as []types.Attribute) {
	t.Helper()
	if len(as) > types.MaxAttributes {
		t.Fatalf("%d attributes accepted", len(as))
	}
	ks := make([]string, 0, len(as))
	for _, a := range as {
		checkKey(t, a.Key)
		if !attrValueRE.MatchString(a.Value) {
			t.Fatalf("value %q accepted", a.Value)
		}
		ks = append(ks, a.Key)
	}
	checkUnique(t, ks)
}

func checkProvider(t *testing.T, owner, hostURI string, as []types.Attribute, info types.ProviderInfo) {
	t.Helper()
	checkAddr(t, owner)
	if len(hostURI) == 0 || len(hostURI) > types.MaxHostURILen {
		t.Fatalf("host_uri of %d bytes accepted", len(hostURI))
	}
	u, err := url.Parse(hostURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("host_uri %q accepted", hostURI)
	}
	checkAttributes(t, as)
	if len(info.Email) > types.MaxEmailLen || len(info.Website) > types.MaxWebsiteLen {
		t.Fatalf("provider info %+v accepted", info)
	}
}

func checkGroupSpec(t *testing.T, g types.GroupSpec) {
	t.Helper()
	if !attrKeyRE.MatchString(g.Name) {
		t.Fatalf("group name %q accepted", g.Name)
	}
	r := g.Resources
	if r.Replicas < 1 || r.CpuMillis == 0 || r.MemoryMb == 0 || r.GPU.Count > types.MaxGPUCount {
		t.Fatalf("resources %+v accepted", r)
	}
	if r.GPU.Count == 0 && (r.GPU.MemoryGb != 0 || r.GPU.Class != "") {
		t.Fatalf("gpu details without gpus accepted: %+v", r.GPU)
	}
	if r.GPU.Class != "" && !attrKeyRE.MatchString(r.GPU.Class) {
		t.Fatalf("gpu class %q accepted", r.GPU.Class)
	}
	if len(g.Requirements) > types.MaxRequirements {
		t.Fatalf("%d requirements accepted", len(g.Requirements))
	}
	for _, req := range g.Requirements {
		checkRequirement(t, req)
	}
	if len(g.Auditors) > types.MaxGroupAuditors {
		t.Fatalf("%d auditors accepted", len(g.Auditors))
	}
	checkUnique(t, g.Auditors)
	for _, a := range g.Auditors {
		checkAddr(t, a)
	}
	checkUdait(t, g.MaxPrice)
	checkUdait(t, g.Deposit)
}

func checkRequirement(t *testing.T, r types.Requirement) {
	t.Helper()
	checkKey(t, r.Key)
	switch r.Op {
	case types.OpEq, types.OpGte, types.OpLte:
		if len(r.Values) != 1 {
			t.Fatalf("%v with %d values accepted", r.Op, len(r.Values))
		}
		if r.Op != types.OpEq {
			if _, ok := int64Of(r.Values[0]); !ok {
				t.Fatalf("%v %q accepted", r.Op, r.Values[0])
			}
		}
	case types.OpIn:
		if len(r.Values) == 0 || len(r.Values) > types.MaxRequirementValues {
			t.Fatalf("in with %d values accepted", len(r.Values))
		}
	default:
		t.Fatalf("operator %d accepted", r.Op)
	}
	for _, v := range r.Values {
		if !attrValueRE.MatchString(v) {
			t.Fatalf("requirement value %q accepted", v)
		}
	}
	checkUnique(t, r.Values)
}

var decimalRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

// int64Of is the reference reading of an integer attribute: a decimal
// string, read with math/big, that fits in an int64.
func int64Of(s string) (*big.Int, bool) {
	if !decimalRE.MatchString(s) {
		return nil, false
	}
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Cmp(big.NewInt(math.MinInt64)) < 0 || n.Cmp(big.NewInt(math.MaxInt64)) > 0 {
		return nil, false
	}
	return n, true
}

// FuzzRequirements checks Requirement.Validate and Matches on arbitrary
// keys, operators and values: no panics, and for a valid requirement
// Matches agrees with a reference (math/big for >= and <=, a linear search
// for in), as does the audited-attribute view built from one attestation.
func FuzzRequirements(f *testing.F) {
	add := func(key string, op uint8, n uint8, v0, v1, v2, attr string) { f.Add(key, op, n, v0, v1, v2, attr) }
	add("gpu_memory_gb", uint8(types.OpGte), 1, "80", "", "", "80")
	add("gpu_memory_gb", uint8(types.OpGte), 1, "80", "", "", "79")
	add("gpu_memory_gb", uint8(types.OpLte), 1, "-9223372036854775808", "", "", "-9223372036854775808")
	add("cpu_cores", uint8(types.OpLte), 1, "9223372036854775807", "", "", "9223372036854775808")
	add("cpu_cores", uint8(types.OpGte), 1, "+007", "", "", "7")
	add("cpu_cores", uint8(types.OpGte), 1, "1", "", "", " 1")
	add("cpu_cores", uint8(types.OpGte), 1, "0x10", "", "", "16")
	add("region", uint8(types.OpIn), 3, "na-east", "eu-west", "ap-south", "eu-west")
	add("region", uint8(types.OpIn), 2, "na-east", "na-east", "", "na-east")
	add("tier", uint8(types.OpEq), 1, "datacenter", "", "", "datacenter")
	add("tier", uint8(types.OpEq), 2, "datacenter", "edge", "", "edge")
	add("Tier", uint8(types.OpUnspecified), 0, "", "", "", "")
	add("x", 9, 1, "1", "", "", "1")

	auditor, stranger := addr(2), addr(3)
	f.Fuzz(func(t *testing.T, key string, op uint8, n uint8, v0, v1, v2, attr string) {
		r := types.Requirement{Key: key, Op: types.Operator(op % 6), Values: []string{v0, v1, v2}[:int(n)%4]}
		_ = r.Describe()
		_ = r.Op.Symbol()
		got := r.Matches(attr)
		if r.Validate() != nil {
			return
		}
		checkRequirement(t, r)

		var want bool
		switch r.Op {
		case types.OpEq:
			want = attr == r.Values[0]
		case types.OpIn:
			for _, v := range r.Values {
				if v == attr {
					want = true
					break
				}
			}
		case types.OpGte, types.OpLte:
			bound, _ := int64Of(r.Values[0])
			if have, ok := int64Of(attr); ok {
				c := have.Cmp(bound)
				want = (r.Op == types.OpGte && c >= 0) || (r.Op == types.OpLte && c <= 0)
			}
		}
		if got != want {
			t.Fatalf("%s matches %q: got %v, want %v", r.Describe(), attr, got, want)
		}

		parsed, err := types.ParseOperator(r.Op.Symbol())
		if err != nil || parsed != r.Op {
			t.Fatalf("operator %v: symbol %q parses as %v, %v", r.Op, r.Op.Symbol(), parsed, err)
		}

		// One attestation of attr by a whitelisted auditor decides alone;
		// one by an auditor outside the whitelist, or outside the group's
		// accepted list, never counts.
		rec := types.AuditRecord{Provider: addr(1), Auditor: auditor, Attributes: []types.Attribute{{Key: r.Key, Value: attr}}}
		reqs := []types.Requirement{r}
		if sat := types.NewAuditedAttributes([]types.AuditRecord{rec}, []string{auditor}, nil).Satisfies(reqs); sat != want {
			t.Fatalf("%s with attestation %q: Satisfies %v, Matches %v", r.Describe(), attr, sat, want)
		}
		if types.NewAuditedAttributes([]types.AuditRecord{rec}, []string{stranger}, nil).Satisfies(reqs) {
			t.Fatalf("%s satisfied by an auditor outside the whitelist", r.Describe())
		}
		if types.NewAuditedAttributes([]types.AuditRecord{rec}, []string{auditor}, []string{stranger}).Satisfies(reqs) {
			t.Fatalf("%s satisfied by an auditor the group does not accept", r.Describe())
		}
		if _, unmet := types.NewAuditedAttributes([]types.AuditRecord{rec}, []string{auditor}, nil).Unmet(reqs); unmet == want {
			t.Fatalf("%s with attestation %q: Unmet disagrees with Matches", r.Describe(), attr)
		}
	})
}
