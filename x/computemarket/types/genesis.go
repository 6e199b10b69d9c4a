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
		if err := validateProviderFields(p.Owner, p.HostUri, p.Attributes, p.Info, p.TlsCertSha256); err != nil {
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
		if err := d.validateGenesis(); err != nil {
			return genesisErr("deployment", d.Id, err)
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
		if err := g.validateGenesis(); err != nil {
			return genesisErr("group", g.Id, err)
		}
		if d.State == DeploymentClosed && g.State != GroupClosed {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d is %s in closed deployment %d", g.Id, g.State, d.Id)
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
		if err := e.validateGenesis(); err != nil {
			return genesisErr("escrow of group", e.GroupId, err)
		}
		if g.State == GroupClosed && !e.Balance.IsZero() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of closed group %d holds %s", e.GroupId, e.Balance)
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
		g, ok := groups[b.GroupId]
		if !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d: unknown group %d", b.Id, b.GroupId)
		}
		if err := b.validateGenesis(); err != nil {
			return genesisErr("bid", b.Id, err)
		}
		if b.State == BidOpen && g.State != GroupOpen {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d is OPEN on group %d in %s", b.Id, g.Id, g.State)
		}
		if _, ok := providers[b.Provider]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d: unregistered provider %q", b.Id, b.Provider)
		}
		bids[b.Id] = b
	}
	liveByGroup := make(map[uint64]uint64, len(gs.Leases))
	leaseOfBid := make(map[uint64]Lease, len(gs.Leases))
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
		if err := l.validateGenesis(); err != nil {
			return genesisErr("lease", l.Id, err)
		}
		if _, dup := leaseOfBid[l.BidId]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease %d: bid %d already has a lease", l.Id, l.BidId)
		}
		leaseOfBid[l.BidId] = l
		if !l.IsLive() {
			continue
		}
		if g.State != GroupMatched || g.LeaseId != l.Id {
			return errorsmod.Wrapf(ErrInvalidGenesis, "live lease %d: its group %d is %s with lease_id %d", l.Id, g.Id, g.State, g.LeaseId)
		}
		if b.State != BidActive {
			return errorsmod.Wrapf(ErrInvalidGenesis, "live lease %d: its bid %d is %s", l.Id, b.Id, b.State)
		}
		liveByGroup[g.Id] = l.Id
	}
	return gs.validateMatches(leaseOfBid, liveByGroup)
}

// validateMatches checks the links the leases did not: every MATCHED group
// has its live lease, every ACTIVE bid is a live lease's, every lease_id is
// an id the chain gave out, and failed items appear once each.
func (gs GenesisState) validateMatches(leaseOfBid map[uint64]Lease, liveByGroup map[uint64]uint64) error {
	for _, g := range gs.Groups {
		if g.LeaseId != 0 && g.LeaseId >= gs.NextLeaseId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d: lease_id %d is not below next_lease_id %d", g.Id, g.LeaseId, gs.NextLeaseId)
		}
		if _, ok := liveByGroup[g.Id]; g.State == GroupMatched && !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "group %d is MATCHED without a live lease", g.Id)
		}
	}
	for _, b := range gs.Bids {
		if l, ok := leaseOfBid[b.Id]; b.State == BidActive && (!ok || !l.IsLive()) {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid %d is ACTIVE without a live lease", b.Id)
		}
	}
	failed := make(map[[2]uint64]struct{}, len(gs.FailedItems))
	for _, f := range gs.FailedItems {
		if err := f.validateGenesis(); err != nil {
			return genesisErr("failed item", f.Id, err)
		}
		key := [2]uint64{uint64(f.Queue), f.Id}
		if _, dup := failed[key]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "failed item %s/%d appears twice", f.Queue, f.Id)
		}
		failed[key] = struct{}{}
	}
	scans := make(map[[2]uint64]struct{}, len(gs.OfferScans))
	for _, s := range gs.OfferScans {
		key := [2]uint64{uint64(s.QueuedHeight), s.OfferId} //nolint:gosec // checked non-negative just below
		if s.OfferId == 0 || s.QueuedHeight < 0 || s.QueuedHeight > MaxGenesisHeight {
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer scan of offer %d queued at %d: want an offer id and a height in 0..%d", s.OfferId, s.QueuedHeight, MaxGenesisHeight)
		}
		if _, dup := scans[key]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "offer scan of offer %d at %d appears twice", s.OfferId, s.QueuedHeight)
		}
		scans[key] = struct{}{}
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
