package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	clitestutil "github.com/cosmos/cosmos-sdk/testutil/cli"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	daitcmd "github.com/daitchain/daitchain/cmd/daitd/cmd"
	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const tenantFile = `
groups:
  - name: trainer
    resources:
      gpu: { count: 1, memory_gb: 80, class: hopper }
      cpu_millis: 8000
      memory_mb: 64000
      storage_gb: 100
    requirements:
      - { key: region, op: in, values: [na-east, eu-west] }
    max_price: 5000udait
    deposit: 60000000udait
`

// TestTenantClient drives `daitd tenant deploy --wait`, `status` and
// `top-up` against a real node while a provider bids.
func TestTenantClient(t *testing.T) {
	auditor := auditorAddress(t)
	c := chain.Start(t, func(p *types.Params) {
		p.AuditorWhitelist = []string{auditor}
		p.BidDurationBlocks = 8
		p.ProviderMinBond = udait(0)
	})
	tenant := c.NewAccount("tenant", "", sdk.Coin{})
	provider := c.NewAccount("provider", "", sdk.Coin{})
	c.NewAccount("auditor", auditorMnemonic, sdk.Coin{})
	c.MustDeliver(c.Val.Moniker,
		banktypes.NewMsgSend(c.Val.Address, tenant, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, provider, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, c.AddressOf("auditor"), sdk.NewCoins(chain.DAIT(10))))
	c.MustDeliver("provider", &types.MsgCreateProvider{Owner: provider.String(), HostUri: "https://p.example.com"})
	c.MustDeliver("auditor", &types.MsgAuditAttribute{Auditor: auditor, Provider: provider.String(), Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}})

	file := filepath.Join(t.TempDir(), "deployment.yaml")
	require.NoError(t, os.WriteFile(file, []byte(tenantFile), 0o600))
	txFlags := []string{"--from", "tenant", "--chain-id", c.Ctx().ChainID, "--gas", "auto", "--gas-adjustment", "1.5"}

	// The provider bids as soon as the group exists; deploy --wait returns
	// when the auction has ended.
	bidDone := make(chan error, 1)
	go func() {
		for range 40 {
			if err := c.Net.WaitForNextBlock(); err != nil {
				bidDone <- err
				return
			}
			g, err := c.Market.Groups(t.Context(), &types.QueryGroupsRequest{State: types.GroupOpen})
			if err == nil && len(g.Groups) == 1 {
				_, err := c.Deliver("provider", &types.MsgCreateBid{Provider: provider.String(), GroupId: g.Groups[0].Id, Price: udait(3000)})
				bidDone <- err
				return
			}
		}
		bidDone <- fmt.Errorf("no open group appeared")
	}()
	out, err := clitestutil.ExecTestCLICmd(c.Ctx(), tenantCmd(), append([]string{"deploy", file, "--wait"}, txFlags...))
	require.NoError(t, err, out.String())
	require.NoError(t, <-bidDone)
	text := out.String()
	require.Contains(t, text, "deployment 1 created with groups [1]")
	require.Contains(t, text, "GROUP_STATE_MATCHED")
	require.Contains(t, text, provider.String())
	require.Contains(t, text, "3000udait")

	out, err = clitestutil.ExecTestCLICmd(c.Ctx(), tenantCmd(), append([]string{"top-up", "1", "5000000udait"}, txFlags...))
	require.NoError(t, err, out.String())
	g, err := c.Market.Group(t.Context(), &types.QueryGroupRequest{Id: 1})
	require.NoError(t, err)
	require.Equal(t, chain.DAIT(65).Amount, g.Escrow.Deposited.Amount)

	out, err = clitestutil.ExecTestCLICmd(c.Ctx(), tenantCmd(), []string{"status", "1"})
	require.NoError(t, err)
	require.Contains(t, out.String(), "LEASE_STATE_ACTIVE")
	require.True(t, strings.Contains(out.String(), "dry at"), out.String())

	// A refusal is a clear, typed error.
	_, err = clitestutil.ExecTestCLICmd(c.Ctx(), tenantCmd(), append([]string{"top-up", "99", "1udait"}, txFlags...))
	require.ErrorContains(t, err, "group not found")
}

func tenantCmd() *cobra.Command { return daitcmd.TenantCommand() }
