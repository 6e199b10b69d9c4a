package cli_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"

	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

func attrs(kv ...string) []types.Attribute {
	var out []types.Attribute
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestParseAttributes(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []types.Attribute
	}{
		{"empty", "", nil},
		{"only commas and spaces", " , ,", nil},
		{"one pair", "region=na-east", attrs("region", "na-east")},
		{"order is kept", "tier=dc,region=na-east", attrs("tier", "dc", "region", "na-east")},
		{"spaces around", " region = na-east , tier=dc ", attrs("region", "na-east", "tier", "dc")},
		{"empty items skipped", "a=1,,b=2,", attrs("a", "1", "b", "2")},
		{"value with =", "expr=a=b", attrs("expr", "a=b")},
		{"quoted value with commas", `regions="na-east,eu-west",tier=dc`, attrs("regions", "na-east,eu-west", "tier", "dc")},
		{"quoted value last", `tier=dc,regions="na-east,eu-west"`, attrs("tier", "dc", "regions", "na-east,eu-west")},
		{"quoted value without commas", `tier="dc"`, attrs("tier", "dc")},
		{"doubled quote inside quotes", `note="say ""hi"", ok"`, attrs("note", `say "hi", ok`)},
		{"space before the quote", `regions= "a,b" ,tier=dc`, attrs("regions", "a,b", "tier", "dc")},
		{"quote inside an unquoted value is literal", `note=a"b`, attrs("note", `a"b`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cli.ParseAttributes(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseAttributesErrors(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"no =", "region", `attribute "region": want key=value`},
		{"no = before a comma", "region,tier=dc", `attribute "region": want key=value`},
		{"empty key", "=na-east", `attribute "=na-east": want key=value`},
		{"empty value", "region=,tier=dc", `attribute "region=": want key=value`},
		{"empty quoted value", `region=""`, `attribute "region=\"\"": want key=value`},
		{"unquoted comma splits the value", "regions=na-east,eu-west", `attribute "eu-west": want key=value`},
		{"no closing quote", `regions="na-east,eu-west`, `attribute "regions": no closing quote`},
		{"text after the closing quote", `regions="a,b"c,tier=dc`, `attribute "regions": want a comma after the closing quote, got "c,tier=dc"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cli.ParseAttributes(tc.in)
			require.ErrorContains(t, err, tc.wantErr)
			require.Nil(t, got)
		})
	}
}

func TestParseAttribute(t *testing.T) {
	cases := []struct {
		in      string
		want    types.Attribute
		wantErr string
	}{
		{in: "region=na-east", want: types.Attribute{Key: "region", Value: "na-east"}},
		{in: "regions=na-east,eu-west", want: types.Attribute{Key: "regions", Value: "na-east,eu-west"}},
		{in: `note="a,b"`, want: types.Attribute{Key: "note", Value: `"a,b"`}},
		{in: "expr=a=b", want: types.Attribute{Key: "expr", Value: "a=b"}},
		{in: "region", wantErr: `attribute "region": want key=value`},
		{in: "=x", wantErr: `attribute "=x": want key=value`},
		{in: "region=", wantErr: `attribute "region=": want key=value`},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := cli.ParseAttribute(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// The commands put the list's pairs first, then each --attribute, into the
// message they generate.
func TestAttributeCommands(t *testing.T) {
	clientCtx, txConfig := testClientCtx()
	from := auditor(7)
	provider := auditor(8)
	generate := []string{"--from", from, "--generate-only", "--output", "json"}

	cases := []struct {
		name    string
		args    []string
		want    any
		wantErr string
	}{
		{
			"create-provider with a quoted list and --attribute",
			[]string{"create-provider", "https://gpu.example.com", "--attributes", `regions="na-east,eu-west",tier=dc`, "--attribute", "zones=a,b", "--email", "ops@example.com"},
			&types.MsgCreateProvider{
				Owner: from, HostUri: "https://gpu.example.com",
				Attributes: attrs("regions", "na-east,eu-west", "tier", "dc", "zones", "a,b"),
				Info:       types.ProviderInfo{Email: "ops@example.com"},
			},
			"",
		},
		{
			"update-provider with --attribute only",
			[]string{"update-provider", "https://gpu.example.com", "--attribute", "regions=na-east,eu-west", "--attribute", "tier=dc"},
			&types.MsgUpdateProvider{Owner: from, HostUri: "https://gpu.example.com", Attributes: attrs("regions", "na-east,eu-west", "tier", "dc")},
			"",
		},
		{
			"audit-attribute with a list argument",
			[]string{"audit-attribute", provider, `regions="na-east,eu-west",gpu_memory_gb=80`},
			&types.MsgAuditAttribute{Auditor: from, Provider: provider, Attributes: attrs("regions", "na-east,eu-west", "gpu_memory_gb", "80")},
			"",
		},
		{
			"audit-attribute with --attribute only",
			[]string{"audit-attribute", provider, "--attribute", "regions=na-east,eu-west"},
			&types.MsgAuditAttribute{Auditor: from, Provider: provider, Attributes: attrs("regions", "na-east,eu-west")},
			"",
		},
		{"audit-attribute without attributes", []string{"audit-attribute", provider}, nil, "give at least one attribute to attest"},
		{"a bad --attribute", []string{"audit-attribute", provider, "--attribute", "regions"}, nil, `--attribute: attribute "regions": want key=value`},
		{"an unquoted comma in the list", []string{"create-provider", "https://gpu.example.com", "--attributes", "regions=na-east,eu-west"}, nil, `attribute "eu-west": want key=value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := clitestutil.ExecTestCLICmd(clientCtx, cli.NewTxCmd(), append(tc.args, generate...))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			txJSON, err := txConfig.TxJSONDecoder()(out.Bytes())
			require.NoError(t, err, out.String())
			msgs := txJSON.GetMsgs()
			require.Len(t, msgs, 1)
			require.Equal(t, tc.want, msgs[0])
		})
	}
}
