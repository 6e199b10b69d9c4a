package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/internal/leasetoken"
	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/serving"
	"github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/x/computemarket/client/cli"
	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

const (
	flagWait        = "wait"
	flagWaitTimeout = "wait-timeout"
	flagSecret      = "secret"
	flagTTL         = "ttl"
	flagService     = "service"
	flagReplica     = "replica"
	flagTail        = "tail"
	flagFollow      = "follow"
)

// keyringSigner signs lease tokens with the --from key.
func keyringSigner(clientCtx client.Context) leasetoken.Signer {
	return func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
		return clientCtx.Keyring.Sign(clientCtx.FromName, msg, signing.SignMode_SIGN_MODE_DIRECT)
	}
}

// parseSecrets reads --secret service.NAME=value flags.
func parseSecrets(values []string) (serving.Secrets, error) {
	out := serving.Secrets{}
	for _, v := range values {
		key, val, ok := strings.Cut(v, "=")
		svc, name, ok2 := strings.Cut(key, ".")
		if !ok || !ok2 || svc == "" || name == "" {
			return nil, fmt.Errorf("--secret %q: want <service>.<NAME>=<value>", strings.SplitN(v, "=", 2)[0])
		}
		if out[svc] == nil {
			out[svc] = map[string]string{}
		}
		out[svc][name] = val
	}
	return out, nil
}

// TenantCommand is `daitd tenant`: deploy from a file, follow, top up.
func TenantCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Tenant client: deploy from a file, watch the auctions, top up",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(tenantDeployCmd(), tenantQuoteCmd(), tenantStatusCmd(), tenantLogsCmd(), tenantIngressTokenCmd(), tenantTopUpCmd())
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
		Short:   "Create a deployment from a file; with --wait, wait for the auctions, send the manifest to the winners and wait until the services are ready",
		Example: `daitd tenant deploy docs/examples/deployment.yaml --wait --secret train.HF_TOKEN=hf_xxx --from tenant --gas auto --gas-adjustment 1.5 --gas-prices 0.025udait`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, groups, err := cli.LoadDeploymentFile(args[0])
			if err != nil {
				return err
			}
			file, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			rawSecrets, _ := cmd.Flags().GetStringArray(flagSecret)
			secrets, err := parseSecrets(rawSecrets)
			if err != nil {
				return err
			}
			c, clientCtx, err := tenantClient(cmd)
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
			if err := tenant.Print(cmd.OutOrStdout(), dep, statuses); err != nil {
				return err
			}
			if !bytesHaveServices(file) {
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), "sending the manifest to the winning providers and waiting for the services...")
			served, err := c.SendManifests(wctx, file, statuses, keyringSigner(clientCtx), secrets)
			if perr := tenant.PrintServed(cmd.OutOrStdout(), served); perr != nil {
				return perr
			}
			return err
		},
	}
	cmd.Flags().Bool(flagWait, false, "wait until every group's auction has ended, then send the manifest to each winner and wait until its services are ready")
	cmd.Flags().StringArray(flagSecret, nil, "a secret env value, <service>.<NAME>=<value> (repeatable); sent only to the provider over its pinned TLS gateway")
	cmd.Flags().Duration(flagWaitTimeout, 5*time.Minute, "how long --wait waits")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func tenantStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status <deployment-id>",
		Short: "Each group of a deployment: state, provider, price, escrow and blocks left; with --from, each service's URL and health from its provider",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("deployment id %q: %w", args[0], err)
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			c := tenant.New(clientCtx.GetFromAddress().String(), types.NewQueryClient(clientCtx), nil, nil)
			dep, groups, err := c.Status(cmd.Context(), id)
			if err != nil {
				return err
			}
			var served []tenant.Served
			if clientCtx.FromName != "" {
				served = c.ServedStatus(cmd.Context(), groups, keyringSigner(clientCtx))
			}
			if clientCtx.OutputFormat == flags.OutputFormatJSON {
				return tenant.WriteJSON(cmd.OutOrStdout(), dep, groups, served)
			}
			if err := tenant.Print(cmd.OutOrStdout(), dep, groups); err != nil {
				return err
			}
			return tenant.PrintServed(cmd.OutOrStdout(), served)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	addKeyFlags(cmd)
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

// addKeyFlags lets a query command sign lease tokens with a keyring key.
func addKeyFlags(cmd *cobra.Command) {
	cmd.Flags().String(flags.FlagFrom, "", "the tenant's key: signs the lease tokens that the provider gateways ask for")
	cmd.Flags().String(flags.FlagKeyringBackend, flags.DefaultKeyringBackend, "keyring backend (os|file|kwallet|pass|test|memory)")
	cmd.Flags().String(flags.FlagKeyringDir, "", "the keyring's directory (default: --home)")
}

func tenantLogsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "logs <lease-id>",
		Short:   "A lease's service output, from its provider's gateway (--follow streams it)",
		Example: "daitd tenant logs 3 --service web --tail 100 --follow --from tenant",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("lease id %q: %w", args[0], err)
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx.FromName == "" {
				return fmt.Errorf("--from is required: the lease's tenant signs the request")
			}
			market := types.NewQueryClient(clientCtx)
			l, err := market.Lease(cmd.Context(), &types.QueryLeaseRequest{Id: id})
			if err != nil {
				return fmt.Errorf("lease %d: %w", id, err)
			}
			c := tenant.New(clientCtx.GetFromAddress().String(), market, nil, nil)
			gw, err := c.Gateway(cmd.Context(), l.Lease.Provider, keyringSigner(clientCtx))
			if err != nil {
				return err
			}
			service, _ := cmd.Flags().GetString(flagService)
			replica, _ := cmd.Flags().GetInt(flagReplica)
			tail, _ := cmd.Flags().GetInt(flagTail)
			follow, _ := cmd.Flags().GetBool(flagFollow)
			rc, err := gw.Logs(cmd.Context(), id, service, replica, tail, follow)
			if err != nil {
				return err
			}
			defer func() { _ = rc.Close() }()
			_, err = io.Copy(cmd.OutOrStdout(), rc)
			return err
		},
	}
	cmd.Flags().String(flagService, "", "the service (default: the group's first)")
	cmd.Flags().Int(flagReplica, 0, "the replica")
	cmd.Flags().Int(flagTail, 100, "the last N lines (0: all)")
	cmd.Flags().Bool(flagFollow, false, "keep streaming what it writes")
	flags.AddQueryFlagsToCmd(cmd)
	addKeyFlags(cmd)
	return cmd
}

func tenantQuoteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quote <deployment.yaml>",
		Short: "What each group of a deployment file would cost now: the cheapest fitting offers on the order book and each class's VWAP",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, groups, err := cli.LoadDeploymentFile(args[0])
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			c := tenant.New("", types.NewQueryClient(clientCtx), nil, nil)
			quotes, err := c.Quote(cmd.Context(), obtypes.NewQueryClient(clientCtx), groups)
			if err != nil {
				return err
			}
			return tenant.PrintQuote(cmd.OutOrStdout(), quotes)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}

func tenantIngressTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingress-token <lease-id>",
		Short: "An access token for a private or confidential lease's service URLs (Authorization: Bearer)",
		Long: `Prints a lease token with scope ingress, signed by the tenant's key: send it as
"Authorization: Bearer <token>" to the lease's service URLs (tenant status shows them).
Unlike the other lease tokens it is reusable until it expires (--ttl, at most 10m).`,
		Example: `curl --cacert <provider cert> -H "Authorization: Bearer $(daitd tenant ingress-token 3 --from tenant)" https://provider.example:8443/lease/3/web/8080/`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("lease id %q: %w", args[0], err)
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx.FromName == "" {
				return fmt.Errorf("--from is required: the lease's tenant signs the token")
			}
			ttl, _ := cmd.Flags().GetDuration(flagTTL)
			if ttl <= 0 || ttl > leasetoken.MaxLifetime {
				return fmt.Errorf("--ttl %s: want more than 0 and at most %s", ttl, leasetoken.MaxLifetime)
			}
			c := tenant.New(clientCtx.GetFromAddress().String(), types.NewQueryClient(clientCtx), nil, nil)
			tok, err := c.IngressToken(cmd.Context(), id, keyringSigner(clientCtx), ttl)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	cmd.Flags().Duration(flagTTL, leasetoken.MaxLifetime, "how long the token is valid (at most 10m)")
	flags.AddQueryFlagsToCmd(cmd)
	addKeyFlags(cmd)
	return cmd
}

func bytesHaveServices(file []byte) bool {
	f, err := manifest.Parse(file)
	return err == nil && f.HasServices()
}
