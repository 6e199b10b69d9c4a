package computemarket

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"

	"github.com/spf13/cobra"

	"github.com/daitchain/daitchain/x/computemarket/client/cli"
)

const (
	msgService   = "daitchain.computemarket.v1.Msg"
	queryService = "daitchain.computemarket.v1.Query"
)

// GetTxCmd returns the hand-written commands (those whose arguments are
// not plain proto fields); autocli adds the rest to the same command.
func (AppModule) GetTxCmd() *cobra.Command { return cli.NewTxCmd() }

// GetQueryCmd returns the hand-written queries (the market-data aliases of
// x/orderbook's); autocli adds the module's own.
func (AppModule) GetQueryCmd() *cobra.Command { return cli.NewQueryCmd() }

// AutoCLIOptions describes the generated CLI of every Msg and Query.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	pos := func(fields ...string) []*autocliv1.PositionalArgDescriptor {
		out := make([]*autocliv1.PositionalArgDescriptor, len(fields))
		for i, f := range fields {
			out[i] = &autocliv1.PositionalArgDescriptor{ProtoField: f}
		}
		return out
	}
	return &autocliv1.ModuleOptions{
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service:              msgService,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				// Hand-written in client/cli.
				{RpcMethod: "CreateProvider", Skip: true},
				{RpcMethod: "UpdateProvider", Skip: true},
				{RpcMethod: "AuditAttribute", Skip: true},
				{RpcMethod: "RevokeAttribute", Skip: true},
				{RpcMethod: "CreateDeployment", Skip: true},
				{RpcMethod: "UpdateDeployment", Skip: true},
				// Governance only.
				{RpcMethod: "UpdateParams", Skip: true},

				{RpcMethod: "CreateBid", Use: "create-bid <group-id> <price>", Short: "Bid on a group at a price per block (e.g. 4000udait)",
					PositionalArgs: pos("group_id", "price"),
					FlagOptions:    map[string]*autocliv1.FlagOptions{"deposit": {Usage: "bid deposit (default: the bid_min_deposit param)"}}},
				{RpcMethod: "CloseBid", Use: "close-bid <bid-id>", Short: "Close an OPEN bid, or the lease of an ACTIVE one", PositionalArgs: pos("bid_id")},
				{RpcMethod: "Withdraw", Use: "withdraw [lease-id]", Short: "Collect what one lease (or, without an id, all your leases) earned",
					PositionalArgs: []*autocliv1.PositionalArgDescriptor{{ProtoField: "lease_id", Optional: true}}},
				{RpcMethod: "CloseDeployment", Use: "close-deployment <deployment-id>", Short: "Close a deployment, its groups, bids and leases; refund its escrow",
					PositionalArgs: pos("deployment_id")},
				{RpcMethod: "DepositDeployment", Use: "deposit <group-id> <amount>", Short: "Top up a group's escrow (e.g. 10000000udait)",
					PositionalArgs: pos("group_id", "amount")},
				{RpcMethod: "CreateGroup", Use: "create-group <deployment-id> <group-json>", Short: "Add a group (a GroupSpec as JSON) to a deployment",
					PositionalArgs: pos("deployment_id", "group")},
				{RpcMethod: "PauseGroup", Use: "pause-group <group-id>", Short: "Pause a group (closes its lease or auction)", PositionalArgs: pos("group_id")},
				{RpcMethod: "UnpauseGroup", Use: "unpause-group <group-id>", Short: "Reopen a paused group with a new auction window", PositionalArgs: pos("group_id")},
				{RpcMethod: "CloseGroup", Use: "close-group <group-id>", Short: "Close a group and refund its escrow", PositionalArgs: pos("group_id")},
				{RpcMethod: "CreateLease", Use: "create-lease <bid-id>", Short: "Accept an OPEN bid before the auction window ends", PositionalArgs: pos("bid_id")},
				{RpcMethod: "CloseLease", Use: "close-lease <lease-id>", Short: "Close a lease as its tenant", PositionalArgs: pos("lease_id")},
			},
		},
		Query: &autocliv1.ServiceCommandDescriptor{
			Service:              queryService,
			EnhanceCustomCommand: true,
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "Show the market params"},
				{RpcMethod: "Provider", Use: "provider <address>", Short: "Show a provider", PositionalArgs: pos("owner")},
				{RpcMethod: "Providers", Use: "providers", Short: "List providers"},
				{RpcMethod: "ProviderAttributes", Use: "provider-attributes <address>", Short: "Show a provider's audited attributes, per auditor",
					PositionalArgs: pos("provider")},
				{RpcMethod: "Auditors", Use: "auditors", Short: "List the whitelisted auditors"},
				{RpcMethod: "Deployment", Use: "deployment <id>", Short: "Show a deployment with its groups and escrow", PositionalArgs: pos("id")},
				{RpcMethod: "Deployments", Use: "deployments", Short: "List deployments (--owner, --state)",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"owner": {Usage: "only this owner's deployments (address)"},
						"state": {Usage: "only deployments in this state"},
					}},
				{RpcMethod: "Group", Use: "group <id>", Short: "Show a group and its escrow", PositionalArgs: pos("id")},
				{RpcMethod: "Groups", Use: "groups", Short: "List groups (--deployment-id, --state)",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"deployment_id": {Usage: "only this deployment's groups"},
						"state":         {Usage: "only groups in this state"},
					}},
				{RpcMethod: "Bid", Use: "bid <id>", Short: "Show a bid", PositionalArgs: pos("id")},
				{RpcMethod: "Bids", Use: "bids", Short: "List bids (--group, --provider, --state)",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"group_id": {Name: "group", Usage: "only bids on this group (group id)"},
						"provider": {Usage: "only this provider's bids (address)"},
						"state":    {Usage: "only bids in this state"},
					}},
				{RpcMethod: "Lease", Use: "lease <id>", Short: "Show a lease", PositionalArgs: pos("id")},
				{RpcMethod: "Leases", Use: "leases", Short: "List leases (--tenant, --provider, --state)",
					FlagOptions: map[string]*autocliv1.FlagOptions{
						"tenant":   {Usage: "only this tenant's leases (address)"},
						"provider": {Usage: "only this provider's leases (address)"},
						"state":    {Usage: "only leases in this state"},
					}},
				{RpcMethod: "LeaseEscrow", Use: "lease-escrow <lease-id>", Short: "A lease's escrow now: balance, spent, withdrawable, blocks left, when it runs dry",
					PositionalArgs: pos("lease_id")},
				{RpcMethod: "ProviderEarnings", Use: "provider-earnings <address>", Short: "What a provider can withdraw now", PositionalArgs: pos("provider")},
				{RpcMethod: "FailedItems", Use: "failed-items", Short: "List the EndBlock items that failed and were set aside"},
			},
		},
	}
}
