package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// A fixed mnemonic so that the auditor's address can be whitelisted in
// genesis before the chain starts.
const auditorMnemonic = "biology hood dust ice gossip excess evolve muffin bulk cart rhythm chest exile chair cinnamon service claim razor offer vast lobster civil explain anger"

func auditorAddress(t *testing.T) string {
	t.Helper()
	addr, err := chain.AddressFromMnemonic(auditorMnemonic)
	require.NoError(t, err)
	return addr.String()
}

// TestProviderLifecycle runs on a real node: a provider without the bond is
// refused, bonds, registers through the CLI, is audited by the whitelisted
// auditor (an outsider is refused), has an attribute revoked, and the
// queries show each step.
func TestProviderLifecycle(t *testing.T) {
	auditor := auditorAddress(t)
	c := chain.Start(t, func(p *types.Params) { p.AuditorWhitelist = []string{auditor} })
	ctx := context.Background()

	provider := c.NewAccount("provider", "", chain.DAIT(5_000))
	require.Equal(t, auditor, c.NewAccount("auditor", auditorMnemonic, chain.DAIT(10)).String())
	c.NewAccount("outsider", "", chain.DAIT(10))

	register := &types.MsgCreateProvider{
		Owner: provider.String(), HostUri: "https://gpu.example.com:8443",
		Attributes: []types.Attribute{{Key: "region", Value: "na-east"}, {Key: "gpu_class", Value: "hopper"}},
	}

	// No bonded stake: refused with the tier error, nothing stored.
	res, err := c.Deliver("provider", register)
	require.NoError(t, err)
	require.Equal(t, types.ModuleName, res.Codespace)
	require.Equal(t, types.ErrProviderTierTooLow.ABCICode(), res.Code, res.RawLog)
	require.Contains(t, res.RawLog, "provider tier")
	_, err = c.Market.Provider(ctx, &types.QueryProviderRequest{Owner: provider.String()})
	require.Error(t, err)

	// Bond 2,000 DAIT (the tier is 1,000) to the validator.
	c.MustDeliver("provider", stakingtypes.NewMsgDelegate(provider.String(), c.Val.ValAddress.String(), chain.DAIT(2_000)))

	// Register through the CLI, as a provider operator would.
	out, err := clitestutil.ExecTestCLICmd(c.Ctx(), cli.NewTxCmd(), []string{
		"create-provider", "https://gpu.example.com:8443",
		"--attributes", "region=na-east,gpu_class=hopper",
		"--email", "ops@gpu.example.com",
		"--from", "provider", "--yes", "--broadcast-mode", "sync",
		"--gas", "400000", "--chain-id", c.Ctx().ChainID, "--output", "json",
	})
	require.NoError(t, err)
	var sync sdk.TxResponse
	require.NoError(t, c.Ctx().Codec.UnmarshalJSON(out.Bytes(), &sync), out.String())
	require.Zero(t, sync.Code, sync.RawLog)
	delivered, err := c.WaitTx(sync.TxHash)
	require.NoError(t, err)
	require.Zero(t, delivered.Code, delivered.RawLog)

	got, err := c.Market.Provider(ctx, &types.QueryProviderRequest{Owner: provider.String()})
	require.NoError(t, err)
	require.Equal(t, "https://gpu.example.com:8443", got.Provider.HostUri)
	require.Equal(t, "ops@gpu.example.com", got.Provider.Info.Email)
	require.Equal(t, register.Attributes, got.Provider.Attributes)

	list, err := c.Market.Providers(ctx, &types.QueryProvidersRequest{})
	require.NoError(t, err)
	require.Len(t, list.Providers, 1)

	// Self-declared attributes are not audited ones.
	attrs, err := c.Market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: provider.String()})
	require.NoError(t, err)
	require.Empty(t, attrs.Records)

	// An account outside the whitelist cannot audit.
	audit := func(from string) *types.MsgAuditAttribute {
		return &types.MsgAuditAttribute{
			Auditor: c.AddressOf(from).String(), Provider: provider.String(),
			Attributes: []types.Attribute{{Key: "region", Value: "na-east"}, {Key: "gpu_memory_gb", Value: "80"}},
		}
	}
	res, err = c.Deliver("outsider", audit("outsider"))
	require.NoError(t, err)
	require.Equal(t, types.ErrAuditorNotWhitelisted.ABCICode(), res.Code, res.RawLog)

	// The whitelisted auditor attests two attributes.
	c.MustDeliver("auditor", audit("auditor"))
	attrs, err = c.Market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: provider.String()})
	require.NoError(t, err)
	require.Len(t, attrs.Records, 1)
	require.Equal(t, auditor, attrs.Records[0].Auditor)
	require.Equal(t, []types.Attribute{{Key: "gpu_memory_gb", Value: "80"}, {Key: "region", Value: "na-east"}}, attrs.Records[0].Attributes)

	// The auditor revokes one; only the other remains.
	c.MustDeliver("auditor", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider.String(), Keys: []string{"region"}})
	attrs, err = c.Market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: provider.String()})
	require.NoError(t, err)
	require.Len(t, attrs.Records, 1)
	require.Equal(t, []types.Attribute{{Key: "gpu_memory_gb", Value: "80"}}, attrs.Records[0].Attributes)

	// Revoking what is no longer attested is a typed error.
	res, err = c.Deliver("auditor", &types.MsgRevokeAttribute{Auditor: auditor, Provider: provider.String(), Keys: []string{"region"}})
	require.NoError(t, err)
	require.Equal(t, types.ErrAttestationNotFound.ABCICode(), res.Code, res.RawLog)

	// Genesis params are SPEC's defaults (but for the whitelist set here).
	params, err := c.Market.Params(ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	want := types.DefaultParams()
	want.AuditorWhitelist = []string{auditor}
	require.Equal(t, want, params.Params)
	auditors, err := c.Market.Auditors(ctx, &types.QueryAuditorsRequest{})
	require.NoError(t, err)
	require.Equal(t, []string{auditor}, auditors.Auditors)
}
