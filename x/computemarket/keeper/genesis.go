package keeper

import (
	"context"
	"maps"
	"slices"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// InitGenesis loads a validated genesis state. Indexes are filled by the
// indexed maps; the auction schedule is rebuilt from the OPEN groups.
func (k Keeper) InitGenesis(ctx context.Context, gs types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.SetParams(ctx, gs.Params); err != nil {
		return err
	}
	for _, seq := range []struct {
		s    collections.Sequence
		next uint64
	}{
		{k.deploymentSeq, gs.NextDeploymentId},
		{k.groupSeq, gs.NextGroupId},
		{k.bidSeq, gs.NextBidId},
		{k.leaseSeq, gs.NextLeaseId},
	} {
		if err := seq.s.Set(ctx, max(seq.next, 1)); err != nil {
			return err
		}
	}
	for _, p := range gs.Providers {
		owner, err := k.addressCodec.StringToBytes(p.Owner)
		if err != nil {
			return err
		}
		if err := k.providers.Set(ctx, owner, p); err != nil {
			return err
		}
	}
	for _, r := range gs.AuditRecords {
		provider, auditor, err := k.auditKey(r.Provider, r.Auditor)
		if err != nil {
			return err
		}
		if err := k.auditRecords.Set(ctx, collections.Join(provider, auditor), r); err != nil {
			return err
		}
	}
	for _, d := range gs.Deployments {
		if err := k.deployments.Set(ctx, d.Id, d); err != nil {
			return err
		}
	}
	for _, g := range gs.Groups {
		if err := k.groups.Set(ctx, g.Id, g); err != nil {
			return err
		}
		if g.State == types.GroupOpen {
			if err := k.enqueue(ctx, k.auctionQueue, g.AuctionEnd, g.Id); err != nil {
				return err
			}
		}
	}
	for _, e := range gs.Escrows {
		if err := k.escrows.Set(ctx, e.GroupId, e); err != nil {
			return err
		}
	}
	for _, b := range gs.Bids {
		if err := k.bids.Set(ctx, b.Id, b); err != nil {
			return err
		}
	}
	// The take of an ACTIVE lease joins take_per_block from its first paid
	// height c+1. The first EndBlock after the import runs at the initial
	// height i (the context's): a lease created at c >= i-1 waits in
	// take_starts[c] as it did before the export, the others pay at once.
	first := height(ctx)
	take := math.ZeroInt()
	starts := map[int64]math.Int{}
	for _, l := range gs.Leases {
		if err := k.leases.Set(ctx, l.Id, l); err != nil {
			return err
		}
		if l.State == types.LeaseClosed {
			continue
		}
		e, err := k.GetEscrow(ctx, l.GroupId)
		if err != nil {
			return err
		}
		if err := k.scheduleLease(ctx, l, e); err != nil {
			return err
		}
		switch {
		case l.State != types.LeaseActive:
		case l.CreatedHeight >= first-1:
			if cur, ok := starts[l.CreatedHeight]; ok {
				starts[l.CreatedHeight] = cur.Add(l.Take.Amount)
			} else {
				starts[l.CreatedHeight] = l.Take.Amount
			}
		default:
			take = take.Add(l.Take.Amount)
		}
	}
	for _, c := range slices.Sorted(maps.Keys(starts)) {
		if starts[c].IsZero() {
			continue
		}
		if err := k.takeStarts.Set(ctx, c, starts[c]); err != nil {
			return err
		}
		if err := k.noteDue(ctx, c+1); err != nil {
			return err
		}
	}
	return k.setTakePerBlock(ctx, take)
}

// ExportGenesis writes the whole state, every list in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	gs := &types.GenesisState{}
	var err error
	if gs.Params, err = k.GetParams(ctx); err != nil {
		return nil, err
	}
	if gs.NextDeploymentId, err = k.deploymentSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextGroupId, err = k.groupSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextBidId, err = k.bidSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.NextLeaseId, err = k.leaseSeq.Peek(ctx); err != nil {
		return nil, err
	}
	if gs.Providers, err = values(ctx, k.providers); err != nil {
		return nil, err
	}
	if gs.AuditRecords, err = values(ctx, k.auditRecords); err != nil {
		return nil, err
	}
	if gs.Deployments, err = values(ctx, k.deployments); err != nil {
		return nil, err
	}
	if gs.Groups, err = values(ctx, k.groups); err != nil {
		return nil, err
	}
	if gs.Escrows, err = values(ctx, k.escrows); err != nil {
		return nil, err
	}
	if gs.Bids, err = values(ctx, k.bids); err != nil {
		return nil, err
	}
	if gs.Leases, err = values(ctx, k.leases); err != nil {
		return nil, err
	}
	return gs, nil
}

type iterable[K, V any] interface {
	Iterate(context.Context, collections.Ranger[K]) (collections.Iterator[K, V], error)
}

func values[K, V any](ctx context.Context, c iterable[K, V]) ([]V, error) {
	it, err := c.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return it.Values()
}
