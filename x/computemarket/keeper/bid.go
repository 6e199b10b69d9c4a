package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// CreateBid is MsgCreateBid. On an ORDERED group the bid is matched at once
// (first accept) and the new lease id is returned.
func (k Keeper) CreateBid(ctx context.Context, msg *types.MsgCreateBid) (bidID, leaseID uint64, err error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, 0, err
	}
	provider, err := k.addressCodec.StringToBytes(msg.Provider)
	if err != nil {
		return 0, 0, errorsmod.Wrapf(types.ErrInvalidAddress, "provider: %v", err)
	}
	registered, err := k.providers.Has(ctx, provider)
	if err != nil {
		return 0, 0, err
	}
	if !registered {
		return 0, 0, errorsmod.Wrapf(types.ErrProviderNotFound, "%s: register with create-provider before bidding", msg.Provider)
	}
	g, err := k.GetGroup(ctx, msg.GroupId)
	if err != nil {
		return 0, 0, err
	}
	if g, err = k.catchUpGroup(ctx, g); err != nil {
		return 0, 0, err
	}
	if g.State != types.GroupOpen && g.State != types.GroupOrdered {
		return 0, 0, errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is %s; bids go to OPEN or ORDERED groups", g.Id, g.State)
	}
	if msg.Price.Amount.GT(g.Spec.MaxPrice.Amount) {
		return 0, 0, errorsmod.Wrapf(types.ErrBidPriceTooHigh, "price %s is above the max price %s of group %d", msg.Price, g.Spec.MaxPrice, g.Id)
	}
	deposit := msg.Deposit
	if deposit.Amount.IsNil() || deposit.IsZero() {
		deposit = params.BidMinDeposit
	}
	if deposit.Amount.LT(params.BidMinDeposit.Amount) {
		return 0, 0, errorsmod.Wrapf(types.ErrDepositTooLow, "bid deposit %s is below bid_min_deposit %s", deposit, params.BidMinDeposit)
	}
	if err := k.requireNoLiveBid(ctx, provider, g.Id); err != nil {
		return 0, 0, err
	}
	if err := k.requireEligible(ctx, params.AuditorWhitelist, provider, g); err != nil {
		return 0, 0, err
	}
	if g.State == types.GroupOpen {
		n, err := k.countOpenBids(ctx, g.Id, params.MaxBidsPerGroup)
		if err != nil {
			return 0, 0, err
		}
		if n >= params.MaxBidsPerGroup {
			return 0, 0, errorsmod.Wrapf(types.ErrTooManyBids, "group %d has %d open bids", g.Id, n)
		}
	}
	// The tier is checked again: a provider that unbonded since it
	// registered may keep its leases but not take new work.
	if err := k.checkProviderTier(ctx, params, provider); err != nil {
		return 0, 0, err
	}
	if err := k.pull(ctx, msg.Provider, deposit); err != nil {
		return 0, 0, err
	}
	id, err := nextID(ctx, k.bidSeq)
	if err != nil {
		return 0, 0, err
	}
	bid := types.Bid{
		Id: id, GroupId: g.Id, Provider: msg.Provider, Price: msg.Price, Deposit: deposit,
		State: types.BidOpen, CreatedHeight: height(ctx),
	}
	if err := k.bids.Set(ctx, id, bid); err != nil {
		return 0, 0, err
	}
	if err := emit(ctx, &types.EventBidCreated{Id: id, GroupId: g.Id, Provider: bid.Provider, Price: bid.Price, Deposit: deposit}); err != nil {
		return 0, 0, err
	}
	if g.State == types.GroupOrdered {
		l, err := k.createLease(ctx, g, bid, height(ctx))
		return id, l.Id, err
	}
	return id, 0, nil
}

// requireNoLiveBid enforces one OPEN or ACTIVE bid per provider and group.
// The index is keyed by liveness, so ended bids are never read.
func (k Keeper) requireNoLiveBid(ctx context.Context, provider sdk.AccAddress, groupID uint64) error {
	ids, err := idsOf(ctx, k.bids.Indexes.Provider, collections.Join3(provider, true, groupID))
	if err != nil || len(ids) == 0 {
		return err
	}
	b, err := k.GetBid(ctx, ids[0])
	if err != nil {
		return err
	}
	return errorsmod.Wrapf(types.ErrBidExists, "bid %d of %s on group %d is %s", b.Id, b.Provider, groupID, b.State)
}

// requireEligible checks the group's requirements against the provider's
// audited attributes, counting only the auditors the group accepts.
func (k Keeper) requireEligible(ctx context.Context, whitelist []string, provider sdk.AccAddress, g types.Group) error {
	aa, err := k.auditedAttributes(ctx, whitelist, provider, g.Spec.Auditors)
	if err != nil {
		return err
	}
	if r, unmet := aa.Unmet(g.Spec.Requirements); unmet {
		return errorsmod.Wrapf(types.ErrRequirementsNotMet, "group %d needs %s (audited)", g.Id, r.Describe())
	}
	return nil
}

// countOpenBids counts a group's OPEN bids, stopping at limit.
func (k Keeper) countOpenBids(ctx context.Context, groupID uint64, limit uint32) (uint32, error) {
	it, err := k.bids.Indexes.GroupState.MatchExact(ctx, collections.Join(groupID, int32(types.BidOpen)))
	if err != nil {
		return 0, err
	}
	defer func() { _ = it.Close() }()
	var n uint32
	for ; it.Valid() && n < limit; it.Next() {
		n++
	}
	return n, nil
}

// CloseBid is MsgCloseBid: an OPEN bid closes and its deposit returns; an
// ACTIVE bid's lease closes (provider's reason) and its group pauses.
func (k Keeper) CloseBid(ctx context.Context, msg *types.MsgCloseBid) error {
	bid, err := k.GetBid(ctx, msg.BidId)
	if err != nil {
		return err
	}
	if err := requireSigner(msg.Provider, bid.Provider, "bid", bid.Id); err != nil {
		return err
	}
	g, err := k.GetGroup(ctx, bid.GroupId)
	if err != nil {
		return err
	}
	if g, err = k.catchUpGroup(ctx, g); err != nil {
		return err
	}
	if bid, err = k.GetBid(ctx, msg.BidId); err != nil {
		return err
	}
	reason := msg.Reason
	if reason == types.CloseReasonUnspecified {
		reason = types.CloseReasonProvider
	}
	switch bid.State {
	case types.BidOpen:
		if msg.Reason != types.CloseReasonUnspecified {
			return errorsmod.Wrapf(types.ErrInvalidCloseReason, "bid %d is OPEN: it has no lease to close with reason %s", bid.Id, msg.Reason)
		}
		return k.endBid(ctx, bid, types.BidClosed, height(ctx))
	case types.BidActive:
		leaseID, found := liveLeaseOf(g)
		if !found {
			return errorsmod.Wrapf(types.ErrInvalidLeaseState, "bid %d is ACTIVE but group %d has no live lease", bid.Id, g.Id)
		}
		return k.closeLeaseAndPause(ctx, leaseID, reason, height(ctx))
	default:
		return errorsmod.Wrapf(types.ErrInvalidBidState, "bid %d is %s", bid.Id, bid.State)
	}
}

// endBid moves a bid to LOST or CLOSED as of height at and returns its
// deposit.
func (k Keeper) endBid(ctx context.Context, bid types.Bid, state types.BidState, at int64) error {
	bid.State = state
	bid.ClosedHeight = at
	if err := k.bids.Set(ctx, bid.Id, bid); err != nil {
		return err
	}
	if err := k.queuePrune(ctx, types.PruneBid, bid.Id, at); err != nil {
		return err
	}
	if err := k.pay(ctx, bid.Provider, bid.Deposit); err != nil {
		return wrapAt(err, "bid", bid.Id, at)
	}
	if state == types.BidClosed {
		if err := k.releaseOffer(ctx, bid); err != nil {
			return wrapAt(err, "bid", bid.Id, at)
		}
	}
	if state == types.BidLost {
		return emit(ctx, &types.EventBidLost{Id: bid.Id, GroupId: bid.GroupId, Provider: bid.Provider})
	}
	return emit(ctx, &types.EventBidClosed{Id: bid.Id, GroupId: bid.GroupId, Provider: bid.Provider})
}

// openBids loads a group's OPEN bids, in id order.
func (k Keeper) openBids(ctx context.Context, groupID uint64) ([]types.Bid, error) {
	ids, err := idsOf(ctx, k.bids.Indexes.GroupState, collections.Join(groupID, int32(types.BidOpen)))
	if err != nil {
		return nil, err
	}
	out := make([]types.Bid, 0, len(ids))
	for _, id := range ids {
		b, err := k.GetBid(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// loseOpenBids makes every OPEN bid of a group LOST, deposits returned.
func (k Keeper) loseOpenBids(ctx context.Context, groupID uint64) error {
	bids, err := k.openBids(ctx, groupID)
	if err != nil {
		return err
	}
	for _, b := range bids {
		if err := k.endBid(ctx, b, types.BidLost, height(ctx)); err != nil {
			return err
		}
	}
	return nil
}
