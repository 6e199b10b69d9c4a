package types

import (
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis is SPEC's defaults and an empty market.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the params, every object, that ids are unique and below
// the next ids, and that references point at existing objects.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return err
	}
	providers := make(map[string]struct{}, len(gs.Providers))
	for _, p := range gs.Providers {
		if err := validateProviderFields(p.Owner, p.HostUri, p.Attributes, p.Info); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "provider %s: %s", p.Owner, err.Error())
		}
		if _, dup := providers[p.Owner]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "provider %s appears twice", p.Owner)
		}
		providers[p.Owner] = struct{}{}
	}
	audits := make(map[[2]string]struct{}, len(gs.AuditRecords))
	for _, r := range gs.AuditRecords {
		if err := ValidateAddress("auditor", r.Auditor); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit record: %s", err.Error())
		}
		if err := ValidateAddress("provider", r.Provider); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit record: %s", err.Error())
		}
		if err := ValidateAttributes(r.Attributes, false); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit record %s/%s: %s", r.Provider, r.Auditor, err.Error())
		}
		key := [2]string{r.Provider, r.Auditor}
		if _, dup := audits[key]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit record %s/%s appears twice", r.Provider, r.Auditor)
		}
		audits[key] = struct{}{}
	}

	for _, r := range gs.AuditRecords {
		if _, ok := providers[r.Provider]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "audit record of unregistered provider %s", r.Provider)
		}
	}

	deployments := make(map[uint64]Deployment, len(gs.Deployments))
	seen := make(map[uint64]struct{}, len(gs.Deployments))
	for _, d := range gs.Deployments {
		if err := checkID("deployment", d.Id, gs.NextDeploymentId, seen); err != nil {
			return err
		}
		if err := ValidateAddress("owner", d.Owner); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "deployment %d: %s", d.Id, err.Error())
		}
		if d.State != DeploymentActive && d.State != DeploymentClosed {
			return errorsmod.Wrapf(ErrInvalidGenesis, "deployment %d: illegal state %s", d.Id, d.State)
		}
		deployments[d.Id] = d
	}
	groups := make(map[uint64]Group, len(gs.Groups))
	seen = make(map[uint64]struct{}, len(gs.Groups))
	for _, g := range gs.Groups {
		if err := checkID("group", g.Id, gs.NextGroupId, seen); err != nil {
			return err
		}
		d, ok := deployments[g.DeploymentId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d: unknown deployment %d", g.Id, g.DeploymentId)
		}
		if g.Owner != d.Owner {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d: owner %q is not its deployment's owner", g.Id, g.Owner)
		}
		if g.State < GroupOpen || g.State > GroupClosed {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d: illegal state %s", g.Id, g.State)
		}
		groups[g.Id] = g
	}
	escrows := make(map[uint64]struct{}, len(gs.Escrows))
	for _, e := range gs.Escrows {
		g, ok := groups[e.GroupId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of unknown group %d", e.GroupId)
		}
		if _, dup := escrows[e.GroupId]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of group %d appears twice", e.GroupId)
		}
		if e.Owner != g.Owner {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of group %d: owner %q is not the group's owner", e.GroupId, e.Owner)
		}
		if e.Balance.Denom != Denom || e.Balance.Amount.IsNil() || e.Balance.Amount.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of group %d: bad balance %s", e.GroupId, e.Balance)
		}
		escrows[e.GroupId] = struct{}{}
	}
	for id := range groups {
		if _, ok := escrows[id]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d has no escrow", id)
		}
	}
	bids := make(map[uint64]Bid, len(gs.Bids))
	seen = make(map[uint64]struct{}, len(gs.Bids))
	for _, b := range gs.Bids {
		if err := checkID("bid", b.Id, gs.NextBidId, seen); err != nil {
			return err
		}
		if _, ok := groups[b.GroupId]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d: unknown group %d", b.Id, b.GroupId)
		}
		if _, ok := providers[b.Provider]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d: unregistered provider %q", b.Id, b.Provider)
		}
		if b.State < BidOpen || b.State > BidClosed {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d: illegal state %s", b.Id, b.State)
		}
		bids[b.Id] = b
	}
	seen = make(map[uint64]struct{}, len(gs.Leases))
	for _, l := range gs.Leases {
		if err := checkID("lease", l.Id, gs.NextLeaseId, seen); err != nil {
			return err
		}
		b, ok := bids[l.BidId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease %d: unknown bid %d", l.Id, l.BidId)
		}
		g := groups[b.GroupId]
		if l.GroupId != b.GroupId || l.Provider != b.Provider || l.Tenant != g.Owner || l.DeploymentId != g.DeploymentId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease %d disagrees with its bid %d or group %d", l.Id, b.Id, g.Id)
		}
		if l.State < LeaseActive || l.State > LeaseClosed {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease %d: illegal state %s", l.Id, l.State)
		}
		if l.Price.Denom != Denom || l.Price.Amount.IsNil() || !l.Price.Amount.IsPositive() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease %d: bad price %s", l.Id, l.Price)
		}
	}
	return nil
}

func checkID(kind string, id, next uint64, seen map[uint64]struct{}) error {
	if id == 0 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "%s id 0 is not allowed", kind)
	}
	if id >= next {
		return errorsmod.Wrapf(ErrInvalidGenesis, "%s id %d is not below next_%s_id %d", kind, id, kind, next)
	}
	if _, dup := seen[id]; dup {
		return errorsmod.Wrapf(ErrInvalidGenesis, "%s id %d appears twice", kind, id)
	}
	seen[id] = struct{}{}
	return nil
}
