// Package cli holds the hand-written transaction commands of the module:
// those whose arguments are friendlier than the proto fields (k=v lists,
// deployment files). autocli generates the others.
package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	flagAttributes = "attributes"
	flagEmail      = "email"
	flagWebsite    = "website"
)

// NewTxCmd is the root of the module's transaction commands.
func NewTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        types.ModuleName,
		Short:                      "Compute market transactions",
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		newProviderCmd("create-provider", "Register as a provider (needs the staking tier)", false),
		newProviderCmd("update-provider", "Replace your provider's host, attributes and contact info", true),
		newAuditAttributeCmd(),
		newRevokeAttributeCmd(),
		newCreateDeploymentCmd(),
	)
	return cmd
}

func newProviderCmd(use, short string, update bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:     use + " <host-uri>",
		Short:   short,
		Example: fmt.Sprintf("daitd tx computemarket %s https://provider.example.com:8443 --attributes region=na-east,gpu_class=hopper --from provider1", use),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			raw, _ := cmd.Flags().GetString(flagAttributes)
			attrs, err := ParseAttributes(raw)
			if err != nil {
				return err
			}
			email, _ := cmd.Flags().GetString(flagEmail)
			website, _ := cmd.Flags().GetString(flagWebsite)
			owner := clientCtx.GetFromAddress().String()
			info := types.ProviderInfo{Email: email, Website: website}
			var msg sdk.Msg = &types.MsgCreateProvider{Owner: owner, HostUri: args[0], Attributes: attrs, Info: info}
			if update {
				msg = &types.MsgUpdateProvider{Owner: owner, HostUri: args[0], Attributes: attrs, Info: info}
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	cmd.Flags().String(flagAttributes, "", "self-declared attributes as k=v,k=v (only audited ones count in matching)")
	cmd.Flags().String(flagEmail, "", "contact e-mail")
	cmd.Flags().String(flagWebsite, "", "website")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func newAuditAttributeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "audit-attribute <provider> <k=v,...>",
		Short:   "Attest attributes of a provider (whitelisted auditors only)",
		Example: "daitd tx computemarket audit-attribute dait1... region=na-east,gpu_memory_gb=80 --from auditor",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			attrs, err := ParseAttributes(args[1])
			if err != nil {
				return err
			}
			msg := &types.MsgAuditAttribute{Auditor: clientCtx.GetFromAddress().String(), Provider: args[0], Attributes: attrs}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func newRevokeAttributeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "revoke-attribute <provider> <key,...>",
		Short:   "Revoke your own attestations of the given keys",
		Example: "daitd tx computemarket revoke-attribute dait1... region,tier --from auditor",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			keys := splitList(args[1])
			if len(keys) == 0 {
				return fmt.Errorf("give at least one key to revoke")
			}
			msg := &types.MsgRevokeAttribute{Auditor: clientCtx.GetFromAddress().String(), Provider: args[0], Keys: keys}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// ParseAttributes reads "k=v,k=v" into attributes, in the given order.
func ParseAttributes(s string) ([]types.Attribute, error) {
	var out []types.Attribute
	for _, pair := range splitList(s) {
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("attribute %q: want key=value", pair)
		}
		out = append(out, types.Attribute{Key: k, Value: v})
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
