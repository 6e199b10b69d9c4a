package types_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// validGenesis is a small consistent market: two providers, one audit, two
// deployments with three groups, their escrows, three bids and one lease.
func validGenesis() types.GenesisState {
	tenant, provA, provB, auditor := addr(1), addr(2), addr(3), addr(4)
	params := types.DefaultParams()
	params.AuditorWhitelist = []string{auditor}
	return types.GenesisState{
		Params: params,
		Providers: []types.Provider{
			{Owner: provA, HostUri: "https://a.example.com", Attributes: []types.Attribute{{Key: "region", Value: "eu"}}},
			{Owner: provB, HostUri: "https://b.example.com"},
		},
		AuditRecords: []types.AuditRecord{
			{Provider: provA, Auditor: auditor, Attributes: []types.Attribute{{Key: "region", Value: "eu"}}},
		},
		Deployments: []types.Deployment{
			{Id: 1, Owner: tenant, Version: version(), State: types.DeploymentActive},
			{Id: 2, Owner: tenant, Version: version(), State: types.DeploymentClosed, ClosedHeight: 3},
		},
		Groups: []types.Group{
			{Id: 1, DeploymentId: 1, Owner: tenant, Spec: validGroupSpec("web"), State: types.GroupOpen, AuctionEnd: 40},
			{Id: 2, DeploymentId: 1, Owner: tenant, Spec: validGroupSpec("db"), State: types.GroupMatched, LeaseId: 1},
			{Id: 3, DeploymentId: 2, Owner: tenant, Spec: validGroupSpec("web"), State: types.GroupClosed, ClosedHeight: 3},
		},
		Escrows: []types.Escrow{
			{GroupId: 1, Owner: tenant, Balance: udait(100), Deposited: udait(100)},
			{GroupId: 2, Owner: tenant, Balance: udait(0), Deposited: udait(100)},
			{GroupId: 3, Owner: tenant, Balance: udait(0), Deposited: udait(100)},
		},
		Bids: []types.Bid{
			{Id: 1, GroupId: 1, Provider: provA, Price: udait(2), Deposit: udait(5), State: types.BidOpen},
			{Id: 2, GroupId: 2, Provider: provA, Price: udait(2), Deposit: udait(5), State: types.BidActive},
			{Id: 3, GroupId: 2, Provider: provB, Price: udait(3), Deposit: udait(5), State: types.BidLost, ClosedHeight: 2},
		},
		Leases: []types.Lease{
			{Id: 1, BidId: 2, GroupId: 2, DeploymentId: 1, Tenant: tenant, Provider: provA,
				Price: udait(2), Take: udait(0), State: types.LeaseActive, Spent: udait(0), Withdrawn: udait(0)},
		},
		NextDeploymentId: 3,
		NextGroupId:      4,
		NextBidId:        4,
		NextLeaseId:      2,
	}
}

// closeLease turns validGenesis's lease into one the tenant closed at 5.
func closeLease(gs *types.GenesisState) {
	gs.Leases[0].State, gs.Leases[0].CloseReason, gs.Leases[0].ClosedHeight = types.LeaseClosed, types.CloseReasonTenant, 5
	gs.Groups[1].State = types.GroupPaused
	gs.Bids[1].State, gs.Bids[1].ClosedHeight = types.BidClosed, 5
}

// pastMax is MaxAmount+1 udait.
func pastMax() sdk.Coin { return sdk.Coin{Denom: types.Denom, Amount: types.MaxAmount.AddRaw(1)} }

func TestDefaultGenesisValidates(t *testing.T) {
	gs := types.DefaultGenesis()
	require.NoError(t, gs.Validate())
	require.Equal(t, types.DefaultParams(), gs.Params)
	require.Empty(t, gs.Providers)
	require.Empty(t, gs.Deployments)
}

func TestGenesisValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*types.GenesisState)
		err    error
	}{
		{"valid", func(*types.GenesisState) {}, nil},
		{"next ids above the highest ids", func(gs *types.GenesisState) {
			gs.NextDeploymentId, gs.NextGroupId, gs.NextBidId, gs.NextLeaseId = 100, 100, 100, 100
		}, nil},
		{"closed lease", closeLease, nil},
		{"lease with insufficient funds", func(gs *types.GenesisState) { gs.Leases[0].State = types.LeaseInsufficientFunds }, nil},
		{"zero escrow balance", func(gs *types.GenesisState) { gs.Escrows[0].Balance = udait(0) }, nil},

		// params are checked with their own error
		{"invalid params", func(gs *types.GenesisState) { gs.Params.BidDurationBlocks = 0 }, types.ErrInvalidParams},

		// providers and audits
		{"provider with a bad owner", func(gs *types.GenesisState) { gs.Providers[0].Owner = "x" }, types.ErrInvalidGenesis},
		{"provider with a bad host", func(gs *types.GenesisState) { gs.Providers[0].HostUri = "a.example.com" }, types.ErrInvalidGenesis},
		{"provider with a bad attribute", func(gs *types.GenesisState) { gs.Providers[0].Attributes[0].Key = "Region" }, types.ErrInvalidGenesis},
		{"provider with bad info", func(gs *types.GenesisState) {
			gs.Providers[0].Info.Email = string(make([]byte, types.MaxEmailLen+1))
		}, types.ErrInvalidGenesis},
		{"duplicate provider", func(gs *types.GenesisState) {
			gs.Providers = append(gs.Providers, gs.Providers[0])
		}, types.ErrInvalidGenesis},
		{"audit record with a bad auditor", func(gs *types.GenesisState) { gs.AuditRecords[0].Auditor = "" }, types.ErrInvalidGenesis},
		{"audit record with a bad provider", func(gs *types.GenesisState) { gs.AuditRecords[0].Provider = "p" }, types.ErrInvalidGenesis},
		{"audit record without attributes", func(gs *types.GenesisState) { gs.AuditRecords[0].Attributes = nil }, types.ErrInvalidGenesis},
		{"audit record with duplicate keys", func(gs *types.GenesisState) {
			gs.AuditRecords[0].Attributes = []types.Attribute{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}
		}, types.ErrInvalidGenesis},
		{"duplicate audit record", func(gs *types.GenesisState) {
			gs.AuditRecords = append(gs.AuditRecords, gs.AuditRecords[0])
		}, types.ErrInvalidGenesis},

		// deployments
		{"deployment id 0", func(gs *types.GenesisState) { gs.Deployments[0].Id = 0 }, types.ErrInvalidGenesis},
		{"deployment id equal to next id", func(gs *types.GenesisState) { gs.Deployments[1].Id = 3 }, types.ErrInvalidGenesis},
		{"deployments but next id unset", func(gs *types.GenesisState) { gs.NextDeploymentId = 0 }, types.ErrInvalidGenesis},
		{"duplicate deployment id", func(gs *types.GenesisState) { gs.Deployments[1].Id = 1 }, types.ErrInvalidGenesis},
		{"deployment with a bad owner", func(gs *types.GenesisState) { gs.Deployments[0].Owner = "" }, types.ErrInvalidGenesis},
		{"deployment in unspecified state", func(gs *types.GenesisState) { gs.Deployments[0].State = types.DeploymentStateUnspecified }, types.ErrInvalidGenesis},
		{"deployment in unknown state", func(gs *types.GenesisState) { gs.Deployments[0].State = 3 }, types.ErrInvalidGenesis},

		// groups and escrows
		{"group id 0", func(gs *types.GenesisState) { gs.Groups[0].Id = 0 }, types.ErrInvalidGenesis},
		{"group id above next id", func(gs *types.GenesisState) { gs.Groups[2].Id = 9 }, types.ErrInvalidGenesis},
		{"duplicate group id", func(gs *types.GenesisState) { gs.Groups[2].Id = 2 }, types.ErrInvalidGenesis},
		{"group of unknown deployment", func(gs *types.GenesisState) { gs.Groups[0].DeploymentId = 7 }, types.ErrInvalidGenesis},
		{"group in unspecified state", func(gs *types.GenesisState) { gs.Groups[0].State = types.GroupStateUnspecified }, types.ErrInvalidGenesis},
		{"group in unknown state", func(gs *types.GenesisState) { gs.Groups[0].State = 6 }, types.ErrInvalidGenesis},
		{"escrow of unknown group", func(gs *types.GenesisState) { gs.Escrows[0].GroupId = 9 }, types.ErrInvalidGenesis},
		{"duplicate escrow", func(gs *types.GenesisState) { gs.Escrows[1].GroupId = 1 }, types.ErrInvalidGenesis},
		{"escrow in another denom", func(gs *types.GenesisState) { gs.Escrows[0].Balance = coin("stake", 1) }, types.ErrInvalidGenesis},
		{"escrow with a negative balance", func(gs *types.GenesisState) { gs.Escrows[0].Balance = coin("udait", -1) }, types.ErrInvalidGenesis},

		// bids
		{"bid id 0", func(gs *types.GenesisState) { gs.Bids[0].Id = 0 }, types.ErrInvalidGenesis},
		{"bid id equal to next id", func(gs *types.GenesisState) { gs.Bids[2].Id = 4 }, types.ErrInvalidGenesis},
		{"duplicate bid id", func(gs *types.GenesisState) { gs.Bids[2].Id = 1 }, types.ErrInvalidGenesis},
		{"bid of unknown group", func(gs *types.GenesisState) { gs.Bids[0].GroupId = 5 }, types.ErrInvalidGenesis},
		{"bid in unspecified state", func(gs *types.GenesisState) { gs.Bids[0].State = types.BidStateUnspecified }, types.ErrInvalidGenesis},
		{"bid in unknown state", func(gs *types.GenesisState) { gs.Bids[0].State = 5 }, types.ErrInvalidGenesis},

		// leases
		{"lease id 0", func(gs *types.GenesisState) { gs.Leases[0].Id = 0 }, types.ErrInvalidGenesis},
		{"lease id equal to next id", func(gs *types.GenesisState) { gs.Leases[0].Id = 2 }, types.ErrInvalidGenesis},
		{"duplicate lease id", func(gs *types.GenesisState) {
			gs.Leases = append(gs.Leases, gs.Leases[0])
		}, types.ErrInvalidGenesis},
		{"lease of unknown bid", func(gs *types.GenesisState) { gs.Leases[0].BidId = 3000 }, types.ErrInvalidGenesis},
		{"lease in unspecified state", func(gs *types.GenesisState) { gs.Leases[0].State = types.LeaseStateUnspecified }, types.ErrInvalidGenesis},
		{"lease in unknown state", func(gs *types.GenesisState) { gs.Leases[0].State = 4 }, types.ErrInvalidGenesis},

		// what the keeper could not run (issue 12): amounts, takes, links
		{"lease without take", func(gs *types.GenesisState) { gs.Leases[0].Take = sdk.Coin{} }, types.ErrInvalidGenesis},
		{"take above price", func(gs *types.GenesisState) { gs.Leases[0].Take = udait(3) }, types.ErrInvalidGenesis},
		{"zero lease price", func(gs *types.GenesisState) { gs.Leases[0].Price = udait(0) }, types.ErrInvalidGenesis},
		{"lease price past the maximum", func(gs *types.GenesisState) { gs.Leases[0].Price = pastMax() }, types.ErrInvalidGenesis},
		{"withdrawn above spent", func(gs *types.GenesisState) { gs.Leases[0].Withdrawn = udait(1) }, types.ErrInvalidGenesis},
		{"lease settled before its creation", func(gs *types.GenesisState) { gs.Leases[0].CreatedHeight = 5 }, types.ErrInvalidGenesis},
		{"live lease with a close reason", func(gs *types.GenesisState) {
			gs.Leases[0].CloseReason = types.CloseReasonTenant
		}, types.ErrInvalidGenesis},
		{"closed lease without a reason", func(gs *types.GenesisState) {
			closeLease(gs)
			gs.Leases[0].CloseReason = types.CloseReasonUnspecified
		}, types.ErrInvalidGenesis},
		{"bid price past the maximum", func(gs *types.GenesisState) { gs.Bids[0].Price = pastMax() }, types.ErrInvalidGenesis},
		{"zero bid price", func(gs *types.GenesisState) { gs.Bids[0].Price = udait(0) }, types.ErrInvalidGenesis},
		{"bid deposit past the maximum", func(gs *types.GenesisState) { gs.Bids[0].Deposit = pastMax() }, types.ErrInvalidGenesis},
		{"escrow past the maximum", func(gs *types.GenesisState) { gs.Escrows[0].Balance = pastMax() }, types.ErrInvalidGenesis},
		{"group max price past the maximum", func(gs *types.GenesisState) { gs.Groups[0].Spec.MaxPrice = pastMax() }, types.ErrInvalidGenesis},
		{"group with a bad spec", func(gs *types.GenesisState) { gs.Groups[0].Spec.Name = "" }, types.ErrInvalidGenesis},
		{"deployment with a short version", func(gs *types.GenesisState) { gs.Deployments[0].Version = []byte{1} }, types.ErrInvalidGenesis},
		{"deployment with version_hex in state", func(gs *types.GenesisState) { gs.Deployments[0].VersionHex = "07" }, types.ErrInvalidGenesis},
		{"negative height", func(gs *types.GenesisState) { gs.Groups[0].CreatedHeight = -1 }, types.ErrInvalidGenesis},
		{"height past 2^60", func(gs *types.GenesisState) { gs.Groups[0].AuctionEnd = types.MaxGenesisHeight + 1 }, types.ErrInvalidGenesis},
		{"auction ending before it opened", func(gs *types.GenesisState) { gs.Groups[0].OpenedAt = 41 }, types.ErrInvalidGenesis},
		{"open group in a closed deployment", func(gs *types.GenesisState) { gs.Groups[2].State = types.GroupOpen }, types.ErrInvalidGenesis},
		{"MATCHED group without lease_id", func(gs *types.GenesisState) { gs.Groups[1].LeaseId = 0 }, types.ErrInvalidGenesis},
		{"MATCHED group without a live lease", func(gs *types.GenesisState) {
			gs.Leases[0].State = types.LeaseClosed
			gs.Leases[0].CloseReason = types.CloseReasonTenant
		}, types.ErrInvalidGenesis},
		{"live lease on a paused group", func(gs *types.GenesisState) { gs.Groups[1].State = types.GroupPaused }, types.ErrInvalidGenesis},
		{"lease_id past next_lease_id", func(gs *types.GenesisState) { gs.Groups[0].LeaseId = 9 }, types.ErrInvalidGenesis},
		{"live lease of a lost bid", func(gs *types.GenesisState) { gs.Bids[1].State = types.BidLost }, types.ErrInvalidGenesis},
		{"ACTIVE bid without a lease", func(gs *types.GenesisState) {
			gs.Bids = append(gs.Bids, types.Bid{Id: 4, GroupId: 1, Provider: gs.Bids[0].Provider, Price: udait(1), Deposit: udait(5), State: types.BidActive})
			gs.NextBidId = 5
		}, types.ErrInvalidGenesis},
		{"OPEN bid on a MATCHED group", func(gs *types.GenesisState) { gs.Bids[2].State, gs.Bids[2].ClosedHeight = types.BidOpen, 0 }, types.ErrInvalidGenesis},
		{"live bid with a closed height", func(gs *types.GenesisState) { gs.Bids[0].ClosedHeight = 3 }, types.ErrInvalidGenesis},
		{"closed group holding escrow", func(gs *types.GenesisState) { gs.Escrows[2].Balance = udait(1) }, types.ErrInvalidGenesis},
		{"two leases of one bid", func(gs *types.GenesisState) {
			l := gs.Leases[0]
			l.Id, l.State, l.CloseReason = 2, types.LeaseClosed, types.CloseReasonTenant
			gs.Leases = append(gs.Leases, l)
			gs.NextLeaseId = 3
		}, types.ErrInvalidGenesis},
		{"failed item", func(gs *types.GenesisState) {
			gs.FailedItems = []types.FailedItem{{Queue: types.QueueAuction, Id: 1, DueHeight: 40, FailedHeight: 40, Error: "e"}}
		}, nil},
		{"failed item twice", func(gs *types.GenesisState) {
			f := types.FailedItem{Queue: types.QueueAuction, Id: 1, DueHeight: 40, FailedHeight: 40, Error: "e"}
			gs.FailedItems = []types.FailedItem{f, f}
		}, types.ErrInvalidGenesis},
		{"failed item of no queue", func(gs *types.GenesisState) {
			gs.FailedItems = []types.FailedItem{{Queue: types.QueueUnspecified, Id: 1}}
		}, types.ErrInvalidGenesis},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := validGenesis()
			tc.mutate(&gs)
			err := gs.Validate()
			if tc.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.err)
		})
	}
}

// Validate passes genesis states that InitGenesis cannot load: the bid and
// lease indexes decode these addresses, so the chain fails to start after
// ValidateGenesis said yes; an escrow balance without amount panics Validate.
func TestGenesisValidateLoadable(t *testing.T) {

	checkGenesisRefused(t, []genesisCase{
		{"bid with a bad provider", func(gs *types.GenesisState) { gs.Bids[0].Provider = "" }},
		{"lease with a bad tenant", func(gs *types.GenesisState) { gs.Leases[0].Tenant = "t" }},
		{"lease with a bad provider", func(gs *types.GenesisState) { gs.Leases[0].Provider = "p" }},
		{"escrow balance without amount", func(gs *types.GenesisState) { gs.Escrows[0].Balance = sdk.Coin{Denom: types.Denom} }},
		// InitGenesis reads the escrow of every live lease's group.
		{"live lease of a group without escrow", func(gs *types.GenesisState) { gs.Escrows = gs.Escrows[:1] }},
		{"live lease of an unknown group", func(gs *types.GenesisState) { gs.Leases[0].GroupId = 99 }},
	})
}

// Validate promises that "references point at existing objects", but it
// accepts objects the keeper can never produce.
func TestGenesisValidateReferences(t *testing.T) {

	checkGenesisRefused(t, []genesisCase{
		{"group with a bad owner", func(gs *types.GenesisState) { gs.Groups[0].Owner = "o" }},
		{"escrow with a bad owner", func(gs *types.GenesisState) { gs.Escrows[0].Owner = "o" }},
		{"audit record of an unregistered provider", func(gs *types.GenesisState) { gs.AuditRecords[0].Provider = addr(77) }},
		{"bid of an unregistered provider", func(gs *types.GenesisState) { gs.Bids[0].Provider = addr(77) }},
		{"lease whose group is not its bid's group", func(gs *types.GenesisState) { gs.Leases[0].GroupId = 1 }},
		{"lease whose provider is not its bid's provider", func(gs *types.GenesisState) { gs.Leases[0].Provider = addr(3) }},
	})
}

type genesisCase struct {
	name   string
	mutate func(*types.GenesisState)
}

func checkGenesisRefused(t *testing.T, cases []genesisCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gs := validGenesis()
			tc.mutate(&gs)
			var err error
			require.NotPanics(t, func() { err = gs.Validate() })
			require.ErrorIs(t, err, types.ErrInvalidGenesis)
		})
	}
}
