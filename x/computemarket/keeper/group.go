package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// MaxGroupsPerDeployment bounds the groups a deployment ever has, so that
// closing it is bounded work.
const MaxGroupsPerDeployment = 64

// checkGroupSpec applies the stateful rules of a new group: a limit buy's
// expiry after the current height h, the deposit floor and auditors that
// are whitelisted.
func checkGroupSpec(params types.Params, spec types.GroupSpec, h int64) error {
	if spec.Order == types.OrderLimit && spec.ExpiresAt <= h {
		return errorsmod.Wrapf(types.ErrInvalidGroupSpec, "group %q: expires_at %d is not after the current height %d", spec.Name, spec.ExpiresAt, h)
	}
	if spec.Deposit.Amount.LT(params.LeaseMinDeposit.Amount) {
		return errorsmod.Wrapf(types.ErrDepositTooLow, "group %q: deposit %s is below lease_min_deposit %s", spec.Name, spec.Deposit, params.LeaseMinDeposit)
	}
	for _, a := range spec.Auditors {
		if !params.IsAuditor(a) {
			return errorsmod.Wrapf(types.ErrAuditorNotWhitelisted, "group %q accepts %s", spec.Name, a)
		}
	}
	return nil
}

// openGroup stores a new group and its escrow funded with the spec's
// deposit (already in the module account). An auction group is OPEN with
// a window from now. A market or limit buy first takes the best eligible
// offer that serves it at or below its max price, in this transaction
// (newBuyMatch): the group is then written once, MATCHED. Otherwise a
// market buy fails with ErrNoMatchingOffer (nothing changes) or, with
// fallback_auction, opens an auction; a limit buy is ORDERED (its window
// is empty: auction_end is now) and rests on the buy side (limit.go).
func (k Keeper) openGroup(ctx context.Context, params types.Params, d types.Deployment, spec types.GroupSpec) (uint64, error) {
	h := height(ctx)
	id, err := nextID(ctx, k.groupSeq)
	if err != nil {
		return 0, err
	}
	g := types.Group{
		Id: id, DeploymentId: d.Id, Owner: d.Owner, Spec: spec, State: types.GroupOpen,
		OpenedAt: h, AuctionEnd: h + int64(params.BidDurationBlocks), CreatedHeight: h,
	}
	if spec.Order == types.OrderLimit {
		g.AuctionEnd = h
	}
	e := types.Escrow{GroupId: id, Owner: d.Owner, Balance: spec.Deposit, Deposited: spec.Deposit, SettledHeight: h}
	if err := k.escrows.Set(ctx, id, e); err != nil {
		return 0, err
	}
	if err := emit(ctx, &types.EventGroupCreated{Id: id, DeploymentId: d.Id, Owner: d.Owner, AuctionEnd: g.AuctionEnd, MaxPrice: spec.MaxPrice}); err != nil {
		return 0, err
	}
	if err := emit(ctx, &types.EventEscrowDeposited{GroupId: id, Owner: d.Owner, Amount: spec.Deposit, Balance: e.Balance}); err != nil {
		return 0, err
	}
	if spec.Order != types.OrderAuction {
		matched, err := k.newBuyMatch(ctx, params, g)
		if err != nil || matched {
			return id, err
		}
		if spec.Order == types.OrderMarket && !spec.FallbackAuction {
			return 0, errorsmod.Wrapf(types.ErrNoMatchingOffer, "group %q: no eligible offer fits it at or below %s (add fallback: auction to open an auction instead)", spec.Name, spec.MaxPrice)
		}
	}
	if spec.Order == types.OrderLimit {
		g.State = types.GroupOrdered
		if err := k.groups.Set(ctx, id, g); err != nil {
			return 0, err
		}
		if err := k.rest(ctx, g); err != nil {
			return 0, err
		}
		return id, emit(ctx, &types.EventGroupOrdered{Id: g.Id, DeploymentId: g.DeploymentId})
	}
	if err := k.groups.Set(ctx, id, g); err != nil {
		return 0, err
	}
	return id, k.enqueue(ctx, k.auctionQueue, g.AuctionEnd, id)
}

// ownedGroup loads a group, checks the signer owns it and runs its overdue
// scheduled items, so the message sees the group as the per-block rule has it.
func (k Keeper) ownedGroup(ctx context.Context, owner string, id uint64) (types.Group, error) {
	g, err := k.GetGroup(ctx, id)
	if err != nil {
		return g, err
	}
	if err := requireSigner(owner, g.Owner, "group", id); err != nil {
		return g, err
	}
	return k.catchUpGroup(ctx, g)
}

// CreateGroup is MsgCreateGroup: a new group on an ACTIVE deployment.
func (k Keeper) CreateGroup(ctx context.Context, msg *types.MsgCreateGroup) (uint64, error) {
	d, err := k.ownedDeployment(ctx, msg.Owner, msg.DeploymentId)
	if err != nil {
		return 0, err
	}
	if d.State != types.DeploymentActive {
		return 0, errorsmod.Wrapf(types.ErrDeploymentClosed, "deployment %d", d.Id)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return 0, err
	}
	if err := checkGroupSpec(params, msg.Group, height(ctx)); err != nil {
		return 0, err
	}
	ids, err := idsOf(ctx, k.groups.Indexes.Deployment, d.Id)
	if err != nil {
		return 0, err
	}
	if len(ids) >= MaxGroupsPerDeployment {
		return 0, errorsmod.Wrapf(types.ErrInvalidGroupSpec, "deployment %d already has %d groups", d.Id, len(ids))
	}
	for _, id := range ids {
		g, err := k.GetGroup(ctx, id)
		if err != nil {
			return 0, err
		}
		if g.Spec.Name == msg.Group.Name && g.State != types.GroupClosed {
			return 0, errorsmod.Wrapf(types.ErrInvalidGroupSpec, "deployment %d already has a group named %q", d.Id, g.Spec.Name)
		}
	}
	if err := k.pull(ctx, msg.Owner, msg.Group.Deposit); err != nil {
		return 0, err
	}
	return k.openGroup(ctx, params, d, msg.Group)
}

// PauseGroup is MsgPauseGroup: an OPEN group's bids are LOST, a MATCHED
// group's lease closes; the group waits PAUSED.
func (k Keeper) PauseGroup(ctx context.Context, msg *types.MsgPauseGroup) error {
	g, err := k.ownedGroup(ctx, msg.Owner, msg.GroupId)
	if err != nil {
		return err
	}
	switch g.State {
	case types.GroupMatched:
		leaseID, found := liveLeaseOf(g)
		if !found {
			return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is MATCHED without a live lease", g.Id)
		}
		return k.closeLeaseAndPause(ctx, leaseID, types.CloseReasonGroupPaused, height(ctx))
	case types.GroupOpen, types.GroupOrdered:
		if err := k.stopAuction(ctx, g); err != nil {
			return err
		}
		g.State = types.GroupPaused
		if err := k.groups.Set(ctx, g.Id, g); err != nil {
			return err
		}
		return emit(ctx, &types.EventGroupPaused{Id: g.Id, DeploymentId: g.DeploymentId, Reason: types.CloseReasonGroupPaused})
	default:
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is %s; only OPEN, ORDERED or MATCHED groups pause", g.Id, g.State)
	}
}

// stopAuction removes an OPEN group from the schedule, an ORDERED one from
// the buy side, and loses its bids.
func (k Keeper) stopAuction(ctx context.Context, g types.Group) error {
	switch g.State {
	case types.GroupOpen:
		if err := k.auctionQueue.Remove(ctx, collections.Join(g.AuctionEnd, g.Id)); err != nil {
			return err
		}
	case types.GroupOrdered:
		if err := k.unrest(ctx, g); err != nil {
			return err
		}
	}
	return k.loseOpenBids(ctx, g.Id)
}

// UnpauseGroup is MsgUnpauseGroup: a PAUSED group opens a new auction
// window. Its escrow must hold at least lease_min_deposit (top up first).
func (k Keeper) UnpauseGroup(ctx context.Context, msg *types.MsgUnpauseGroup) error {
	g, err := k.ownedGroup(ctx, msg.Owner, msg.GroupId)
	if err != nil {
		return err
	}
	if g.State != types.GroupPaused {
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is %s; only PAUSED groups unpause", g.Id, g.State)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	e, err := k.GetEscrow(ctx, g.Id)
	if err != nil {
		return err
	}
	if e.Balance.Amount.LT(params.LeaseMinDeposit.Amount) {
		return errorsmod.Wrapf(types.ErrDepositTooLow, "group %d escrow holds %s, below lease_min_deposit %s: deposit first", g.Id, e.Balance, params.LeaseMinDeposit)
	}
	h := height(ctx)
	g.State = types.GroupOpen
	g.OpenedAt = h
	g.AuctionEnd = h + int64(params.BidDurationBlocks)
	if err := k.groups.Set(ctx, g.Id, g); err != nil {
		return err
	}
	if err := k.enqueue(ctx, k.auctionQueue, g.AuctionEnd, g.Id); err != nil {
		return err
	}
	return emit(ctx, &types.EventGroupUnpaused{Id: g.Id, DeploymentId: g.DeploymentId, AuctionEnd: g.AuctionEnd})
}

// CloseGroup is MsgCloseGroup.
func (k Keeper) CloseGroup(ctx context.Context, msg *types.MsgCloseGroup) error {
	g, err := k.ownedGroup(ctx, msg.Owner, msg.GroupId)
	if err != nil {
		return err
	}
	if g.State == types.GroupClosed {
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is already CLOSED", g.Id)
	}
	return k.closeGroup(ctx, g, types.CloseReasonGroupClosed)
}

// closeGroup ends a group for good: its lease closes, its open bids are
// LOST, and its whole escrow returns to the owner.
func (k Keeper) closeGroup(ctx context.Context, g types.Group, reason types.CloseReason) error {
	switch g.State {
	case types.GroupMatched:
		if leaseID, found := liveLeaseOf(g); found {
			if _, err := k.closeLease(ctx, leaseID, reason, height(ctx)); err != nil {
				return err
			}
		}
	case types.GroupOpen, types.GroupOrdered:
		if err := k.stopAuction(ctx, g); err != nil {
			return err
		}
	}
	e, err := k.GetEscrow(ctx, g.Id)
	if err != nil {
		return err
	}
	refund := e.Balance
	e.Balance = sdk.NewCoin(types.Denom, math.ZeroInt())
	e.SettledHeight = height(ctx)
	if err := k.escrows.Set(ctx, g.Id, e); err != nil {
		return err
	}
	if err := k.pay(ctx, g.Owner, refund); err != nil {
		return err
	}
	g.State = types.GroupClosed
	g.ClosedHeight = height(ctx)
	if err := k.groups.Set(ctx, g.Id, g); err != nil {
		return err
	}
	if err := k.queuePrune(ctx, types.PruneGroup, g.Id, g.ClosedHeight); err != nil {
		return err
	}
	return emit(ctx, &types.EventGroupClosed{Id: g.Id, DeploymentId: g.DeploymentId, Refund: refund})
}

// Deposit is MsgDepositDeployment: a top-up of one group's escrow. A lease
// in INSUFFICIENT_FUNDS that the new balance can pay is ACTIVE again (it
// pays at this height); the exhaustion of a live lease moves later.
func (k Keeper) Deposit(ctx context.Context, msg *types.MsgDepositDeployment) error {
	g, err := k.ownedGroup(ctx, msg.Owner, msg.GroupId)
	if err != nil {
		return err
	}
	if g.State == types.GroupClosed {
		return errorsmod.Wrapf(types.ErrInvalidGroupState, "group %d is CLOSED", g.Id)
	}
	// The bound first, so that a refused top-up moves nothing even outside
	// a transaction (settling does not change what was deposited).
	probe, err := k.GetEscrow(ctx, g.Id)
	if err != nil {
		return err
	}
	if err := addToEscrow(&probe, msg.Amount); err != nil {
		return wrapAt(err, "group", g.Id, height(ctx))
	}
	if err := k.pull(ctx, msg.Owner, msg.Amount); err != nil {
		return err
	}
	leaseID, live := liveLeaseOf(g)
	var e types.Escrow
	if live {
		l, settled, err := k.settledLease(ctx, leaseID, height(ctx)-1)
		if err != nil {
			return err
		}
		if err := k.unscheduleLease(ctx, l, settled); err != nil {
			return err
		}
		if l.State == types.LeaseActive {
			if err := k.stopPaying(ctx, l, settled); err != nil {
				return err
			}
		}
		if err := addToEscrow(&settled, msg.Amount); err != nil {
			return wrapAt(err, "group", g.Id, height(ctx))
		}
		revived := l.State == types.LeaseInsufficientFunds && settled.Balance.Amount.GTE(l.Price.Amount)
		if revived {
			l.State = types.LeaseActive
		}
		if l.State == types.LeaseActive {
			if err := k.startPaying(ctx, l, settled); err != nil {
				return err
			}
		}
		if err := k.saveLeaseAndEscrow(ctx, l, settled); err != nil {
			return err
		}
		if err := k.scheduleLease(ctx, l, settled); err != nil {
			return err
		}
		if revived {
			if err := emit(ctx, &types.EventLeaseFunded{Id: l.Id, GroupId: g.Id}); err != nil {
				return err
			}
		}
		e = settled
	} else {
		if e, err = k.GetEscrow(ctx, g.Id); err != nil {
			return err
		}
		if err := addToEscrow(&e, msg.Amount); err != nil {
			return wrapAt(err, "group", g.Id, height(ctx))
		}
		if err := k.escrows.Set(ctx, g.Id, e); err != nil {
			return err
		}
	}
	return emit(ctx, &types.EventEscrowDeposited{GroupId: g.Id, Owner: g.Owner, Amount: msg.Amount, Balance: e.Balance})
}

// addToEscrow adds a top-up to an escrow's balance and deposited total,
// with checked sums.
func addToEscrow(e *types.Escrow, amount sdk.Coin) error {
	balance, err := types.SafeAdd("escrow balance", e.Balance.Amount, amount.Amount)
	if err != nil {
		return err
	}
	deposited, err := types.SafeAdd("escrow deposited", e.Deposited.Amount, amount.Amount)
	if err != nil {
		return err
	}
	// Every amount of the state stays within types.MaxAmount, as genesis
	// validation requires: an escrow past it could not be exported and
	// imported again. The balance never exceeds what was deposited.
	if err := types.CheckAmountBound("escrow deposited with this top-up", deposited); err != nil {
		return err
	}
	e.Balance.Amount, e.Deposited.Amount = balance, deposited
	return nil
}
