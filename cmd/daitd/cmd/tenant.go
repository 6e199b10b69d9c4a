package cmd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	flagWait        = "wait"
	flagWaitTimeout = "wait-timeout"
)

// TenantCommand is `daitd tenant`: deploy from a file, follow, top up.
func TenantCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Tenant client: deploy from a file, watch the auctions, top up",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(tenantDeployCmd(), tenantStatusCmd(), tenantTopUpCmd())
	return cmd
}

// tenantClient builds the client for the --from account.
func tenantClient(cmd *cobra.Command) (*tenant.Client, client.Context, error) {
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return nil, clientCtx, err
	}
	txf, err := tx.NewFactoryCLI(clientCtx, cmd.Flags())
	if err != nil {
		return nil, clientCtx, err
	}
	sub := chainclient.NewSubmitter(clientCtx, txf)
	decode := func(res *sdk.TxResponse, i int, out interface{ Unmarshal([]byte) error }) error {
		return chainclient.MsgResponse(clientCtx, res, i, out)
	}
	return tenant.New(clientCtx.GetFromAddress().String(), types.NewQueryClient(clientCtx), sub, decode), clientCtx, nil
}

func tenantDeployCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "deploy <deployment.yaml>",
		Short:   "Create a deployment from a file; with --wait, wait for the auctions and print the result",
		Example: `daitd tenant deploy docs/examples/deployment.yaml --wait --from tenant --gas auto --gas-adjustment 1.5 --gas-prices 0.025udait`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, groups, err := cli.LoadDeploymentFile(args[0])
			if err != nil {
				return err
			}
			c, _, err := tenantClient(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			created, err := c.Deploy(ctx, version, groups)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployment %d created with groups %v (version %x)\n", created.DeploymentId, created.GroupIds, version)
			if wait, _ := cmd.Flags().GetBool(flagWait); !wait {
				return nil
			}
			timeout, _ := cmd.Flags().GetDuration(flagWaitTimeout)
			wctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			fmt.Fprintln(cmd.OutOrStdout(), "waiting for the auctions...")
			statuses, err := c.WaitForAuctions(wctx, created.DeploymentId)
			if err != nil {
				return err
			}
			dep, _, err := c.Status(ctx, created.DeploymentId)
			if err != nil {
				return err
			}
			return tenant.Print(cmd.OutOrStdout(), dep, statuses)
		},
	}
	cmd.Flags().Bool(flagWait, false, "wait until every group's auction has ended")
	cmd.Flags().Duration(flagWaitTimeout, 5*time.Minute, "how long --wait waits")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func tenantStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status <deployment-id>",
		Short: "Each group of a deployment: state, provider, price, escrow and blocks left",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("deployment id %q: %w", args[0], err)
			}
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			c := tenant.New("", types.NewQueryClient(clientCtx), nil, nil)
			dep, groups, err := c.Status(cmd.Context(), id)
			if err != nil {
				return err
			}
			return tenant.Print(cmd.OutOrStdout(), dep, groups)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func tenantTopUpCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "top-up <group-id> <amount>",
		Short:   "Add udait to a group's escrow (revives a lease in INSUFFICIENT_FUNDS)",
		Example: "daitd tenant top-up 1 10000000udait --from tenant",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("group id %q: %w", args[0], err)
			}
			amount, err := sdk.ParseCoinNormalized(args[1])
			if err != nil {
				return fmt.Errorf("amount %q: %w", args[1], err)
			}
			c, _, err := tenantClient(cmd)
			if err != nil {
				return err
			}
			if err := c.TopUp(cmd.Context(), id, amount); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "group %d topped up with %s\n", id, amount)
			return nil
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
