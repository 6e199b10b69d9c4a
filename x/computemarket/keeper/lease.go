package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// createLease turns a winning bid into a lease as of height at: the bid
// becomes ACTIVE, the group MATCHED, the other OPEN bids of the group LOST.
// The lease first pays at at+1. at is the current height, except for an
// auction end carried over (or caught up by a transaction) from its due
// height: then the blocks already past are paid too (see payPastTake).
func (k Keeper) createLease(ctx context.Context, g types.Group, bid types.Bid, at int64) (types.Lease, error) {
	h := at
	params, err := k.GetParams(ctx)
	if err != nil {
		return types.Lease{}, err
	}
	id, err := nextID(ctx, k.leaseSeq)
	if err != nil {
		return types.Lease{}, err
	}
	e, err := k.GetEscrow(ctx, g.Id)
	if err != nil {
		return types.Lease{}, err
	}
	take, err := TakeOf(bid.Price.Amount, params.TakeRateBps)
	if err != nil {
		return types.Lease{}, wrapAt(err, "bid", bid.Id, h)
	}
	zero := sdk.NewCoin(types.Denom, math.ZeroInt())
	l := types.Lease{
		Id:            id,
		BidId:         bid.Id,
		GroupId:       g.Id,
		DeploymentId:  g.DeploymentId,
		Tenant:        g.Owner,
		Provider:      bid.Provider,
		Price:         bid.Price,
		Take:          sdk.NewCoin(types.Denom, take),
		State:         types.LeaseActive,
		Spent:         zero,
		Withdrawn:     zero,
		CreatedHeight: h,
		SettledHeight: h,
	}
	e.SettledHeight = h
	if err := k.saveLeaseAndEscrow(ctx, l, e); err != nil {
		return l, err
	}
	if err := k.scheduleLease(ctx, l, e); err != nil {
		return l, err
	}
	if err := k.startPaying(ctx, l, e); err != nil {
		return l, err
	}
	if err := k.payPastTake(ctx, l, e); err != nil {
		return l, err
	}

	bid.State = types.BidActive
	if err := k.bids.Set(ctx, bid.Id, bid); err != nil {
		return l, err
	}
	if err := k.loseOpenBids(ctx, g.Id); err != nil {
		return l, err
	}
	switch g.State {
	case types.GroupOpen:
		if err := k.auctionQueue.Remove(ctx, collections.Join(g.AuctionEnd, g.Id)); err != nil {
			return l, err
		}
	case types.GroupOrdered:
		if err := k.unrest(ctx, g); err != nil {
			return l, err
		}
	}
	g.State = types.GroupMatched
	g.LeaseId = l.Id
	if err := k.groups.Set(ctx, g.Id, g); err != nil {
		return l, err
	}
	if bid.OfferId == 0 {
		k.recordBidTrade(ctx, g, bid)
	}
	return l, emit(ctx, &types.EventLeaseCreated{
		Id: l.Id, BidId: l.BidId, GroupId: l.GroupId, DeploymentId: l.DeploymentId,
		Tenant: l.Tenant, Provider: l.Provider, Price: l.Price,
	})
}

// closeLease ends a live lease as of height at (the current height for a
// transaction, the due height for a scheduled close): payments up to at-1
// are settled (a lease closed by a tx does not pay for its height; one
// closed for lack of funds paid nothing after it ran dry), the provider
// receives what the lease earned and its bid deposit, the bid is CLOSED and
// the rest of the escrow stays with the group. The caller sets the group's
// next state.
func (k Keeper) closeLease(ctx context.Context, id uint64, reason types.CloseReason, at int64) (types.Lease, error) {
	l, e, err := k.settledLease(ctx, id, at-1)
	if err != nil {
		return l, err
	}
	if !l.IsLive() {
		return l, errorsmod.Wrapf(types.ErrInvalidLeaseState, "lease %d is %s", id, l.State)
	}
	if err := k.unscheduleLease(ctx, l, e); err != nil {
		return l, wrapAt(err, "lease", id, at)
	}
	if l.State == types.LeaseActive {
		if err := k.stopPaying(ctx, l, e); err != nil {
			return l, wrapAt(err, "lease", id, at)
		}
	}
	earned := Withdrawable(l)
	l.Withdrawn.Amount = l.Withdrawn.Amount.Add(earned)
	l.State = types.LeaseClosed
	l.ClosedHeight = at
	l.CloseReason = reason
	if err := k.saveLeaseAndEscrow(ctx, l, e); err != nil {
		return l, err
	}
	if err := k.queuePrune(ctx, types.PruneLease, l.Id, at); err != nil {
		return l, err
	}
	if err := k.pay(ctx, l.Provider, sdk.NewCoin(types.Denom, earned)); err != nil {
		return l, wrapAt(err, "lease", id, at)
	}
	if earned.IsPositive() {
		if err := emit(ctx, &types.EventLeaseWithdrawn{Id: l.Id, Provider: l.Provider, Amount: sdk.NewCoin(types.Denom, earned)}); err != nil {
			return l, err
		}
	}
	bid, err := k.GetBid(ctx, l.BidId)
	if err != nil {
		return l, wrapAt(err, "lease", id, at)
	}
	if err := k.endBid(ctx, bid, types.BidClosed, at); err != nil {
		return l, err
	}
	return l, emit(ctx, &types.EventLeaseClosed{
		Id: l.Id, GroupId: l.GroupId, Tenant: l.Tenant, Provider: l.Provider, Reason: reason, Spent: l.Spent,
	})
}

// closeLeaseAndPause closes a lease as of height at and pauses its group.
func (k Keeper) closeLeaseAndPause(ctx context.Context, id uint64, reason types.CloseReason, at int64) error {
	l, err := k.closeLease(ctx, id, reason, at)
	if err != nil {
		return err
	}
	g, err := k.GetGroup(ctx, l.GroupId)
	if err != nil {
		return wrapAt(err, "lease", id, at)
	}
	g.State = types.GroupPaused
	if err := k.groups.Set(ctx, g.Id, g); err != nil {
		return err
	}
	return emit(ctx, &types.EventGroupPaused{Id: g.Id, DeploymentId: g.DeploymentId, Reason: reason})
}

// liveLeaseOf returns the group's live lease: a MATCHED group always has
// one, and it is the group's newest.
func liveLeaseOf(g types.Group) (id uint64, live bool) {
	return g.LeaseId, g.State == types.GroupMatched && g.LeaseId != 0
}

// liveLease loads a group and returns its live lease, if any.
func (k Keeper) liveLease(ctx context.Context, groupID uint64) (id uint64, found bool, err error) {
	g, err := k.GetGroup(ctx, groupID)
	if err != nil {
		return 0, false, err
	}
	id, found = liveLeaseOf(g)
	return id, found, nil
}

// CloseLease is MsgCloseLease: the tenant ends a lease; its group pauses.
func (k Keeper) CloseLease(ctx context.Context, msg *types.MsgCloseLease) error {
	l, err := k.GetLease(ctx, msg.LeaseId)
	if err != nil {
		return err
	}
	if err := requireSigner(msg.Owner, l.Tenant, "lease", l.Id); err != nil {
		return err
	}
	if _, err := k.catchUpLease(ctx, l.Id); err != nil {
		return err
	}
	return k.closeLeaseAndPause(ctx, l.Id, types.CloseReasonTenant, height(ctx))
}

// Withdraw is MsgWithdraw: the provider collects what one lease, or all its
// live leases, earned up to the previous height.
func (k Keeper) Withdraw(ctx context.Context, msg *types.MsgWithdraw) (sdk.Coin, error) {
	ids := []uint64{msg.LeaseId}
	if msg.LeaseId == 0 {
		provider, err := k.addressCodec.StringToBytes(msg.Provider)
		if err != nil {
			return sdk.Coin{}, err
		}
		ids = nil
		for _, st := range []types.LeaseState{types.LeaseActive, types.LeaseInsufficientFunds} {
			more, err := idsOf(ctx, k.leases.Indexes.Provider, collections.Join(sdk.AccAddress(provider), int32(st)))
			if err != nil {
				return sdk.Coin{}, err
			}
			ids = append(ids, more...)
		}
	}
	total := math.ZeroInt()
	for _, id := range ids {
		l, err := k.GetLease(ctx, id)
		if err != nil {
			return sdk.Coin{}, err
		}
		if err := requireSigner(msg.Provider, l.Provider, "lease", l.Id); err != nil {
			return sdk.Coin{}, err
		}
		if _, err := k.catchUpLease(ctx, id); err != nil {
			return sdk.Coin{}, err
		}
		l, e, err := k.settledLease(ctx, id, height(ctx)-1)
		if err != nil {
			return sdk.Coin{}, err
		}
		amount := Withdrawable(l)
		if !amount.IsPositive() {
			continue
		}
		l.Withdrawn.Amount = l.Withdrawn.Amount.Add(amount)
		if err := k.saveLeaseAndEscrow(ctx, l, e); err != nil {
			return sdk.Coin{}, err
		}
		if err := emit(ctx, &types.EventLeaseWithdrawn{Id: l.Id, Provider: l.Provider, Amount: sdk.NewCoin(types.Denom, amount)}); err != nil {
			return sdk.Coin{}, err
		}
		total = total.Add(amount) // <= the module account's balance: bounded by the supply
	}
	if !total.IsPositive() {
		return sdk.Coin{}, errorsmod.Wrapf(types.ErrNothingToWithdraw, "%s has no earnings to collect", msg.Provider)
	}
	out := sdk.NewCoin(types.Denom, total)
	return out, k.pay(ctx, msg.Provider, out)
}
