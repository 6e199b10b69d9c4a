// Package tenant is the tenant client: deploy from a deployment file, wait
// for the auctions, report each group's provider, price and escrow, and top
// up. The cobra commands live in cmd/daitd.
package tenant

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Submitter sends a tx and returns it once it is in a block.
type Submitter interface {
	Submit(ctx context.Context, msgs ...sdk.Msg) (*sdk.TxResponse, error)
}

// Client acts for one tenant account.
type Client struct {
	owner  string
	market types.QueryClient
	submit Submitter
	decode func(res *sdk.TxResponse, i int, out interface{ Unmarshal([]byte) error }) error
	// Poll is how often the chain is asked while waiting for auctions.
	Poll time.Duration
}

// New builds a client for owner.
func New(owner string, market types.QueryClient, submit Submitter,
	decode func(res *sdk.TxResponse, i int, out interface{ Unmarshal([]byte) error }) error,
) *Client {
	return &Client{owner: owner, market: market, submit: submit, decode: decode, Poll: time.Second}
}

// Deploy creates a deployment of the given groups.
func (c *Client) Deploy(ctx context.Context, version []byte, groups []types.GroupSpec) (*types.MsgCreateDeploymentResponse, error) {
	msg := &types.MsgCreateDeployment{Owner: c.owner, Version: version, Groups: groups}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	res, err := c.submit.Submit(ctx, msg)
	if err != nil {
		return nil, err
	}
	var out types.MsgCreateDeploymentResponse
	if err := c.decode(res, 0, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TopUp adds amount to a group's escrow.
func (c *Client) TopUp(ctx context.Context, groupID uint64, amount sdk.Coin) error {
	msg := &types.MsgDepositDeployment{Owner: c.owner, GroupId: groupID, Amount: amount}
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	_, err := c.submit.Submit(ctx, msg)
	return err
}

// GroupStatus is what a tenant wants to know about one group.
type GroupStatus struct {
	Group  types.Group
	Escrow types.Escrow
	// Lease is set when the group has (or had) a lease; LeaseEscrow then
	// tells blocks left and when the money runs out.
	Lease       *types.Lease
	LeaseEscrow *types.QueryLeaseEscrowResponse
}

// Status reads a deployment and, for each group, its newest lease.
func (c *Client) Status(ctx context.Context, deploymentID uint64) (types.Deployment, []GroupStatus, error) {
	dep, err := c.market.Deployment(ctx, &types.QueryDeploymentRequest{Id: deploymentID})
	if err != nil {
		return types.Deployment{}, nil, err
	}
	newest := map[uint64]types.Lease{}
	var next []byte
	for {
		leases, err := c.market.Leases(ctx, &types.QueryLeasesRequest{Tenant: dep.Deployment.Owner, Pagination: &query.PageRequest{Key: next}})
		if err != nil {
			return dep.Deployment, nil, err
		}
		for _, l := range leases.Leases {
			if l.DeploymentId == deploymentID && l.Id > newest[l.GroupId].Id {
				newest[l.GroupId] = l
			}
		}
		if leases.Pagination == nil || len(leases.Pagination.NextKey) == 0 {
			break
		}
		next = leases.Pagination.NextKey
	}
	out := make([]GroupStatus, len(dep.Groups))
	for i, g := range dep.Groups {
		out[i] = GroupStatus{Group: g, Escrow: dep.Escrows[i]}
		if l, ok := newest[g.Id]; ok {
			esc, err := c.market.LeaseEscrow(ctx, &types.QueryLeaseEscrowRequest{LeaseId: l.Id})
			if err != nil {
				return dep.Deployment, nil, err
			}
			out[i].Lease, out[i].LeaseEscrow = &esc.Lease, esc
		}
	}
	return dep.Deployment, out, nil
}

// WaitForAuctions polls until no group is OPEN any more (each is MATCHED,
// ORDERED, PAUSED or CLOSED) or the context ends.
func (c *Client) WaitForAuctions(ctx context.Context, deploymentID uint64) ([]GroupStatus, error) {
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	for {
		_, groups, err := c.Status(ctx, deploymentID)
		if err != nil {
			return nil, err
		}
		open := false
		for _, g := range groups {
			open = open || g.Group.State == types.GroupOpen
		}
		if !open {
			return groups, nil
		}
		select {
		case <-ctx.Done():
			return groups, fmt.Errorf("auctions of deployment %d still open: %w", deploymentID, ctx.Err())
		case <-t.C:
		}
	}
}

// Print writes a status table: one line per group.
func Print(w io.Writer, dep types.Deployment, groups []GroupStatus) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "deployment %d (%s), version %x\n", dep.Id, dep.State, dep.Version)
	fmt.Fprintln(tw, "GROUP\tNAME\tSTATE\tPROVIDER\tPRICE/BLOCK\tESCROW\tBLOCKS LEFT\tLEASE")
	for _, g := range groups {
		provider, price, left, lease := "-", "-", "-", "-"
		escrow := g.Escrow.Balance.String()
		if g.Lease != nil {
			provider, price = g.Lease.Provider, g.Lease.Price.String()
			lease = fmt.Sprintf("%d %s", g.Lease.Id, g.Lease.State)
			if g.Lease.State == types.LeaseActive {
				left = fmt.Sprintf("%d (dry at %d)", g.LeaseEscrow.BlocksLeft, g.LeaseEscrow.ExhaustionHeight)
			}
			if g.Lease.State == types.LeaseInsufficientFunds {
				left = fmt.Sprintf("0 (closes at %d: top up)", g.LeaseEscrow.CloseHeight)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Group.Id, g.Group.Spec.Name, g.Group.State, provider, price, escrow, left, lease)
	}
	return tw.Flush()
}
