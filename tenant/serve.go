package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/daitchain/daitchain/internal/leasetoken"
	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/gateway"
	"github.com/daitchain/daitchain/provider/serving"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TokenLifetime is how long the lease tokens the client mints live.
const TokenLifetime = time.Minute

// Gateway is a client of provider's gateway, pinned to the certificate
// the provider published on chain, minting tokens signed by sign as this
// client's account.
func (c *Client) Gateway(ctx context.Context, provider string, sign leasetoken.Signer) (*gateway.Client, error) {
	res, err := c.market.Provider(ctx, &types.QueryProviderRequest{Owner: provider})
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", provider, err)
	}
	if len(res.Provider.TlsCertSha256) == 0 {
		return nil, fmt.Errorf("provider %s has published no gateway certificate: it serves no leases", provider)
	}
	return gateway.NewClient(res.Provider.HostUri, res.Provider.TlsCertSha256,
		gateway.KeyringTokens(c.owner, provider, sign, TokenLifetime)), nil
}

// Served is one group's lease as its provider serves it.
type Served struct {
	GroupID uint64
	Group   string
	LeaseID uint64
	// Status is the gateway's; Err is set when it could not be read.
	Status *serving.LeaseStatus
	Err    error
}

// SendManifests sends file (the deployment file's bytes) to the provider
// of each group with an active lease whose group has services, retrying
// while a provider has not yet seen its lease, then waits (until ctx ends)
// for every one of them to be ready.
func (c *Client) SendManifests(ctx context.Context, file []byte, groups []GroupStatus, sign leasetoken.Signer, secrets serving.Secrets) ([]Served, error) {
	f, err := manifest.Parse(file)
	if err != nil {
		return nil, err
	}
	var out []Served
	clients := map[uint64]*gateway.Client{}
	for _, g := range groups {
		mg, ok := f.Group(g.Group.Spec.Name)
		if !ok || len(mg.Services) == 0 || g.Lease == nil || g.Lease.State != types.LeaseActive {
			continue
		}
		if mg.Privacy == manifest.Confidential {
			if err := c.CheckConfidential(ctx, g.Lease.Provider, g.Group.Spec); err != nil {
				return out, fmt.Errorf("group %q, lease %d: %w", g.Group.Spec.Name, g.Lease.Id, err)
			}
		}
		gw, err := c.Gateway(ctx, g.Lease.Provider, sign)
		if err != nil {
			return out, err
		}
		clients[g.Lease.Id] = gw
		var st serving.LeaseStatus
		err = retry(ctx, c.Poll, func() error {
			var err error
			st, err = gw.SendManifest(ctx, g.Lease.Id, file, secrets)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("group %q, lease %d: %w", g.Group.Spec.Name, g.Lease.Id, err)
		}
		out = append(out, Served{GroupID: g.Group.Id, Group: g.Group.Spec.Name, LeaseID: g.Lease.Id, Status: &st})
	}
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	for {
		ready := true
		for i := range out {
			st, err := clients[out[i].LeaseID].Status(ctx, out[i].LeaseID)
			if err != nil {
				return out, fmt.Errorf("lease %d: %w", out[i].LeaseID, err)
			}
			out[i].Status = &st
			ready = ready && st.Ready
		}
		if ready {
			return out, nil
		}
		select {
		case <-ctx.Done():
			return out, fmt.Errorf("services not ready yet: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// ErrNotConfidential: the provider's audited attributes do not (or no
// longer) attest a trusted execution environment.
var ErrNotConfidential = errors.New("refusing to send a confidential manifest")

// CheckConfidential is the client's own check, made just before sending a
// confidential group's manifest: the provider's attestations by the
// chain's auditors (those the group accepts) meet the group's requirements,
// the TEE one included. The auction checked this at matching; an auditor
// may have revoked it since.
func (c *Client) CheckConfidential(ctx context.Context, provider string, spec types.GroupSpec) error {
	recs, err := c.market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: provider})
	if err != nil {
		return fmt.Errorf("provider %s's attributes: %w", provider, err)
	}
	auditors, err := c.market.Auditors(ctx, &types.QueryAuditorsRequest{})
	if err != nil {
		return fmt.Errorf("auditors: %w", err)
	}
	aa := types.NewAuditedAttributes(recs.Records, auditors.Auditors, spec.Auditors)
	if r, unmet := aa.Unmet(spec.Requirements); unmet {
		return fmt.Errorf("%w to %s: its audited attributes do not meet %s", ErrNotConfidential, provider, r.Describe())
	}
	if len(aa[manifest.TEEKey]) == 0 {
		return fmt.Errorf("%w to %s: no auditor attests its %s attribute", ErrNotConfidential, provider, manifest.TEEKey)
	}
	return nil
}

// IngressToken is an access token for a private or confidential lease's
// ingress URLs, valid for ttl (at most leasetoken.MaxLifetime): sent as
// Authorization: Bearer <token>, reusable until it expires.
func (c *Client) IngressToken(ctx context.Context, leaseID uint64, sign leasetoken.Signer, ttl time.Duration) (string, error) {
	l, err := c.market.Lease(ctx, &types.QueryLeaseRequest{Id: leaseID})
	if err != nil {
		return "", fmt.Errorf("lease %d: %w", leaseID, err)
	}
	if l.Lease.Tenant != c.owner {
		return "", fmt.Errorf("lease %d is %s's, not %s's", leaseID, l.Lease.Tenant, c.owner)
	}
	return gateway.KeyringTokens(c.owner, l.Lease.Provider, sign, ttl)(ctx, leaseID, leasetoken.ScopeIngress)
}

// ServedStatus asks each active lease's provider for its status.
func (c *Client) ServedStatus(ctx context.Context, groups []GroupStatus, sign leasetoken.Signer) []Served {
	var out []Served
	for _, g := range groups {
		if g.Lease == nil || g.Lease.State == types.LeaseClosed {
			continue
		}
		s := Served{GroupID: g.Group.Id, Group: g.Group.Spec.Name, LeaseID: g.Lease.Id}
		gw, err := c.Gateway(ctx, g.Lease.Provider, sign)
		if err == nil {
			var st serving.LeaseStatus
			st, err = gw.Status(ctx, g.Lease.Id)
			s.Status = &st
		}
		s.Err = err
		out = append(out, s)
	}
	return out
}

// retry calls f until it succeeds, fails for good, or ctx ends.
func retry(ctx context.Context, every time.Duration, f func() error) error {
	for {
		err := f()
		if !gateway.Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(every):
		}
	}
}

// PrintServed writes one line per service port: its URL and health.
func PrintServed(w io.Writer, served []Served) error {
	if len(served) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LEASE\tGROUP\tPHASE\tSERVICE\tREADY\tURL\tHEALTH")
	for _, s := range served {
		if s.Err != nil {
			fmt.Fprintf(tw, "%d\t%s\t-\t-\t-\t-\t%v\n", s.LeaseID, s.Group, s.Err)
			continue
		}
		st := s.Status
		if len(st.Services) == 0 {
			fmt.Fprintf(tw, "%d\t%s\t%s\t-\t-\t-\t%s\n", s.LeaseID, s.Group, st.Phase, st.Reason)
			continue
		}
		for _, svc := range st.Services {
			url, health := "-", "-"
			if len(svc.Ports) > 0 {
				url = svc.Ports[0].URL
			}
			if len(svc.Workload) > 0 {
				health = svc.Workload[0].Detail
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", s.LeaseID, s.Group, st.Phase, svc.Name, svc.Ready, svc.Replicas, url, health)
			for _, p := range svc.Ports[min(1, len(svc.Ports)):] {
				fmt.Fprintf(tw, "\t\t\t\t\t%s\t\n", p.URL)
			}
		}
	}
	return tw.Flush()
}

// ServedJSON is the -o json form of a deployment's status.
type ServedJSON struct {
	Deployment types.Deployment `json:"deployment"`
	Groups     []GroupJSON      `json:"groups"`
}

// GroupJSON is one group with its lease and what its provider serves.
type GroupJSON struct {
	Group  types.Group          `json:"group"`
	Escrow types.Escrow         `json:"escrow"`
	Lease  *types.Lease         `json:"lease,omitempty"`
	Served *serving.LeaseStatus `json:"served,omitempty"`
	Error  string               `json:"served_error,omitempty"`
}

// WriteJSON writes the deployment's status as JSON.
func WriteJSON(w io.Writer, dep types.Deployment, groups []GroupStatus, served []Served) error {
	out := ServedJSON{Deployment: dep}
	for _, g := range groups {
		gj := GroupJSON{Group: g.Group, Escrow: g.Escrow, Lease: g.Lease}
		for _, s := range served {
			if s.GroupID == g.Group.Id {
				gj.Served = s.Status
				if s.Err != nil {
					gj.Served, gj.Error = nil, s.Err.Error()
				}
			}
		}
		out.Groups = append(out.Groups, gj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
