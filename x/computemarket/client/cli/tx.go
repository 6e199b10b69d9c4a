// Package cli holds the hand-written transaction commands of the module:
// those whose arguments are friendlier than the proto fields (k=v lists,
// deployment files). autocli generates the others.
package cli

import (
	"encoding/hex"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

const (
	flagEmail         = "email"
	flagWebsite       = "website"
	flagTLSCertSHA256 = "tls-cert-sha256"
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
		newUpdateDeploymentCmd(),
	)
	return cmd
}

func newProviderCmd(use, short string, update bool) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " <host-uri>",
		Short: short,
		Long:  short + ". Self-declared attributes are for display: only audited ones count in matching.\n\n" + attributeSyntax,
		Example: fmt.Sprintf(`daitd tx computemarket %[1]s https://provider.example.com:8443 --attributes region=na-east,gpu_class=hopper --from provider1
daitd tx computemarket %[1]s https://provider.example.com:8443 --attributes 'regions="na-east,eu-west",gpu_class=hopper' --from provider1
daitd tx computemarket %[1]s https://provider.example.com:8443 --attribute regions=na-east,eu-west --attribute gpu_class=hopper --from provider1`, use),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, _ := cmd.Flags().GetString(flagAttributes)
			attrs, err := attributesFromFlags(cmd, list)
			if err != nil {
				return err
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			email, _ := cmd.Flags().GetString(flagEmail)
			website, _ := cmd.Flags().GetString(flagWebsite)
			owner := clientCtx.GetFromAddress().String()
			info := types.ProviderInfo{Email: email, Website: website}
			certHex, _ := cmd.Flags().GetString(flagTLSCertSHA256)
			cert, err := hex.DecodeString(certHex)
			if err != nil {
				return fmt.Errorf("--%s: not hex: %w", flagTLSCertSHA256, err)
			}
			var msg sdk.Msg = &types.MsgCreateProvider{Owner: owner, HostUri: args[0], Attributes: attrs, Info: info, TlsCertSha256: cert}
			if update {
				msg = &types.MsgUpdateProvider{Owner: owner, HostUri: args[0], Attributes: attrs, Info: info, TlsCertSha256: cert}
			}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addAttributeFlags(cmd, true)
	cmd.Flags().String(flagEmail, "", "contact e-mail")
	cmd.Flags().String(flagWebsite, "", "website")
	cmd.Flags().String(flagTLSCertSHA256, "", "sha256 of the gateway's DER TLS certificate (64 hex characters), which clients pin")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func newAuditAttributeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit-attribute <provider> [k=v,...]",
		Short: "Attest attributes of a provider (whitelisted auditors only)",
		Long: `Attest attributes of a provider (whitelisted auditors only): each pair is added,
or replaces your earlier attestation of its key. Give the pairs as a list
argument, with --attribute, or both; at least one is needed.

` + attributeSyntax,
		Example: `daitd tx computemarket audit-attribute dait1... region=na-east,gpu_memory_gb=80 --from auditor
daitd tx computemarket audit-attribute dait1... 'regions="na-east,eu-west",tier=datacenter' --from auditor
daitd tx computemarket audit-attribute dait1... --attribute regions=na-east,eu-west --from auditor`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var list string
			if len(args) == 2 {
				list = args[1]
			}
			attrs, err := attributesFromFlags(cmd, list)
			if err != nil {
				return err
			}
			if len(attrs) == 0 {
				return fmt.Errorf("give at least one attribute to attest (k=v,... or --%s k=v)", flagAttribute)
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgAuditAttribute{Auditor: clientCtx.GetFromAddress().String(), Provider: args[0], Attributes: attrs}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	addAttributeFlags(cmd, false)
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
			keys := splitList(args[1])
			if len(keys) == 0 {
				return fmt.Errorf("give at least one key to revoke")
			}
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg := &types.MsgRevokeAttribute{Auditor: clientCtx.GetFromAddress().String(), Provider: args[0], Keys: keys}
			return tx.GenerateOrBroadcastTxCLI(clientCtx, cmd.Flags(), msg)
		},
	}
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}
