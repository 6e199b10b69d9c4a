package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// better reports whether bid a beats bid b (SPEC section 4): the lower
// price, then the earlier height, then the provider address in bech32
// string order.
func better(a, b types.Bid) bool {
	if c := a.Price.Amount.BigInt().Cmp(b.Price.Amount.BigInt()); c != 0 {
		return c < 0
	}
	if a.CreatedHeight != b.CreatedHeight {
		return a.CreatedHeight < b.CreatedHeight
	}
	return a.Provider < b.Provider
}

// PickWinner returns the best of the eligible bids; ok is false when none is.
func PickWinner(bids []types.Bid, eligible func(types.Bid) (bool, error)) (winner types.Bid, ok bool, err error) {
	for _, b := range bids {
		e, err := eligible(b)
		if err != nil {
			return winner, false, err
		}
		if e && (!ok || better(b, winner)) {
			winner, ok = b, true
		}
	}
	return winner, ok, nil
}

// closeAuction matches a group whose window ended at due: the best of the
// eligible OPEN bids and the eligible offers that fit (x/orderbook, at
// unit price x the units the group needs) wins and becomes a lease
// (created now: it pays from the next height), every other OPEN bid is
// LOST. With neither the group becomes ORDERED and waits for the first
// acceptable bid.
func (k Keeper) closeAuction(ctx context.Context, groupID uint64, due int64) error {
	g, err := k.GetGroup(ctx, groupID)
	if err != nil {
		return err
	}
	if g.State != types.GroupOpen || g.AuctionEnd != due {
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d due for its auction end at %d is %s with auction_end %d", g.Id, due, g.State, g.AuctionEnd)
	}
	bids, err := k.openBids(ctx, g.Id)
	if err != nil {
		return err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	winner, ok, err := PickWinner(bids, func(b types.Bid) (bool, error) { return k.isEligible(ctx, params.AuditorWhitelist, b.Provider, g) })
	if err != nil {
		return err
	}
	// Offers on the order book compete under the same rule (SPEC 12).
	offer, offerOK, err := k.bestOffer(ctx, g, params.AuditorWhitelist)
	if err != nil {
		return err
	}
	if offerOK && (!ok || better(offer.asBid(g.Id), winner)) {
		_, err := k.leaseFromOffer(ctx, g, offer, due)
		return err
	}
	if ok {
		_, err := k.createLease(ctx, g, winner, due)
		return err
	}
	if err := k.loseOpenBids(ctx, g.Id); err != nil {
		return err
	}
	g.State = types.GroupOrdered
	if err := k.groups.Set(ctx, g.Id, g); err != nil {
		return err
	}
	if err := k.rest(ctx, g); err != nil {
		return err
	}
	return emit(ctx, &types.EventGroupOrdered{Id: g.Id, DeploymentId: g.DeploymentId})
}

func (k Keeper) isEligible(ctx context.Context, whitelist []string, provider string, g types.Group) (bool, error) {
	addr, err := k.addressCodec.StringToBytes(provider)
	if err != nil {
		return false, err
	}
	aa, err := k.auditedAttributes(ctx, whitelist, sdk.AccAddress(addr), g.Spec.Auditors)
	if err != nil {
		return false, err
	}
	return aa.Satisfies(g.Spec.Requirements), nil
}

// CreateLease is MsgCreateLease: the tenant accepts an OPEN bid before the
// window ends. The bid must still be eligible.
func (k Keeper) CreateLease(ctx context.Context, msg *types.MsgCreateLease) (uint64, error) {
	bid, err := k.GetBid(ctx, msg.BidId)
	if err != nil {
		return 0, err
	}
	g, err := k.GetGroup(ctx, bid.GroupId)
	if err != nil {
		return 0, err
	}
	if err := requireSigner(msg.Owner, g.Owner, "group", g.Id); err != nil {
		return 0, err
	}
	if g, err = k.catchUpGroup(ctx, g); err != nil {
		return 0, err
	}
	if bid, err = k.GetBid(ctx, msg.BidId); err != nil {
		return 0, err
	}
	if bid.State != types.BidOpen {
		return 0, errorsmod.Wrapf(types.ErrInvalidBidState, "bid %d is %s", bid.Id, bid.State)
	}
	if g.State != types.GroupOpen {
		return 0, errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is %s", g.Id, g.State)
	}
	addr, err := k.addressCodec.StringToBytes(bid.Provider)
	if err != nil {
		return 0, err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if err := k.requireEligible(ctx, params.AuditorWhitelist, addr, g); err != nil {
		return 0, err
	}
	l, err := k.createLease(ctx, g, bid, height(ctx))
	return l.Id, err
}
