package simulation

import (
	"context"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/daitchain/daitchain/internal/simcheck"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// The oracle predicts what the messages that move money must do:
// create-deployment, deposit, create-bid, create-lease, close-lease,
// close-deployment and withdraw. It reads the stored objects (the keeper's
// getters, as stored, never the keeper's "now" views) and applies the rules
// of SPEC sections 4 and 5 with its own arithmetic: which registered error
// refuses the message, or, when it succeeds, by how much the module
// account's balance changes and what state the touched objects are in. The
// keeper's code is never run to make a prediction. The other messages are
// compared with a dry run (expect).
//
// Time. A transaction at height h sees the market after the EndBlock of
// h-1. The oracle applies the per-block rule to every lease it reads, from
// the height the lease is stored as of (settled_height) to h-1. A lease the
// rule closed before h is closed in the oracle's view even while the keeper
// has its close carried over (the per-block item limit): the transaction
// must see it closed, and that close moves money (the provider's earnings
// and its bid deposit) in the transaction that touches it.
//
// A group whose auction end is past but carried over is matched in the
// view as section 4 has it, as of its auction end (the best eligible OPEN
// bid becomes a lease created then, the others are LOST, none makes the
// group ORDERED); the lease then pays by the per-block rule, and the take
// of the blocks it paid reaches the pool in the transaction that catches
// the group up.
//
// One check is not predicted: the provider's staking tier (the oracle does
// not read x/staking). A bid past every other check may be refused with
// ErrProviderTierTooLow instead; that outcome is counted apart.

// prediction is what the oracle expects of one delivered message.
type prediction struct {
	// refuse is the error the delivery must fail with (its ABCI codespace
	// and code); nil for a success.
	refuse error
	// tierUnknown: a success may instead be refused for the provider tier.
	tierUnknown bool
	// moduleDelta is the change of the module account's balance on success.
	moduleDelta math.Int
	// after checks the touched objects once the message has succeeded.
	after []func(context.Context) error
	// failed: the oracle could not read what it needs (fails the run).
	failed error
}

func refused(err error) prediction { return prediction{refuse: err} }

func succeeds(delta math.Int, after ...func(context.Context) error) prediction {
	return prediction{moduleDelta: delta, after: after}
}

// statelessRefusal is the error of a message's stateless checks, which run
// before the keeper (types' ValidateBasic, fuzzed on its own).
func statelessRefusal(msg sdk.Msg) (error, bool) {
	v, ok := msg.(sdk.HasValidateBasic)
	if !ok {
		return nil, false
	}
	err := v.ValidateBasic()
	return err, err != nil
}

// abciCode is what a client sees of an error: codespace/code.
func abciCode(err error) string {
	space, code, _ := errorsmod.ABCIInfo(err, false)
	return fmt.Sprintf("%s/%d", space, code)
}

// sameError reports whether got answers with want's ABCI code.
func sameError(got, want error) bool { return abciCode(got) == abciCode(want) }

// predicted is the result handler of a message the oracle predicts.
func predicted(f Factories, ctx context.Context, msg sdk.Msg, predict func(oracleView) prediction) simsx.SimDeliveryResultHandler {
	o, err := f.view(ctx)
	if err != nil {
		return f.expectPredicted(ctx, msg, oracleFailed(err))
	}
	return f.expectPredicted(ctx, msg, predict(o))
}

// expectPredicted checks a delivery against the oracle's prediction.
func (f Factories) expectPredicted(ctx context.Context, msg sdk.Msg, p prediction) simsx.SimDeliveryResultHandler {
	name := sdk.MsgTypeURL(msg)
	if p.failed != nil {
		return func(error) error { return fmt.Errorf("%s: the oracle cannot read the market: %w", name, p.failed) }
	}
	before := f.k.ModuleBalance(ctx).Amount
	return func(got error) error {
		if errors.Is(got, sdkerrors.ErrPanic) {
			return fmt.Errorf("%s reached baseapp's panic recovery: %w", name, got)
		}
		if got != nil && p.tierUnknown && sameError(got, types.ErrProviderTierTooLow) {
			simcheck.Record(name, "refused for the tier (not predicted)")
			return nil
		}
		if p.refuse != nil {
			if got == nil {
				return fmt.Errorf("%s: the oracle predicts a refusal with %s (%v), the delivered tx succeeded", name, abciCode(p.refuse), p.refuse)
			}
			if !sameError(got, p.refuse) {
				return fmt.Errorf("%s: the oracle predicts a refusal with %s (%v), the delivered tx failed with %s: %v", name, abciCode(p.refuse), p.refuse, abciCode(got), got)
			}
			simcheck.Record(name, "refused as predicted: "+simcheck.RootCause(got))
			return nil
		}
		if got != nil {
			return fmt.Errorf("%s: the oracle predicts success, the delivered tx failed with %v", name, got)
		}
		if delta := f.k.ModuleBalance(ctx).Amount.Sub(before); !delta.Equal(p.moduleDelta) {
			return fmt.Errorf("%s: the module account changed by %s udait, the oracle predicts %s", name, delta, p.moduleDelta)
		}
		for _, check := range p.after {
			if err := check(ctx); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		simcheck.Record(name, "ok as predicted")
		return nil
	}
}

// leaseView is a stored live lease after the per-block rule has run to last.
type leaseView struct {
	stored  types.Lease
	closed  bool             // the rule closed it at or before last
	state   types.LeaseState // while not closed: ACTIVE or INSUFFICIENT_FUNDS
	balance math.Int         // its group's escrow
	// withdrawable is what it earned and the provider has not collected;
	// payout is what closing it pays the provider: that and the bid deposit.
	withdrawable, payout math.Int
}

// viewLease applies SPEC section 5 to a lease stored as of its
// settled_height s, with its group's escrow balance B and price p: at each
// EndBlock from s+1 to last, it pays p while B >= p (rule 1); at the
// EndBlock after the first that leaves B < p it closes (rules 2 and 3).
// An INSUFFICIENT_FUNDS lease closes at the EndBlock of s+1.
func viewLease(l types.Lease, e types.Escrow, bidDeposit math.Int, last int64) (leaseView, error) {
	v := leaseView{stored: l, state: l.State, balance: e.Balance.Amount}
	if !l.IsLive() {
		return v, fmt.Errorf("lease %d is %s, not live", l.Id, l.State)
	}
	if e.SettledHeight != l.SettledHeight {
		return v, fmt.Errorf("lease %d is settled to %d, its escrow to %d", l.Id, l.SettledHeight, e.SettledHeight)
	}
	p, s := l.Price.Amount, l.SettledHeight
	spent := l.Spent.Amount
	switch l.State {
	case types.LeaseInsufficientFunds:
		v.closed = s+1 <= last
	case types.LeaseActive:
		if s > last || !p.IsPositive() {
			break // created in this block, or it never pays
		}
		due := math.NewInt(last - s)
		affordable := v.balance.Quo(p)
		paid := math.MinInt(due, affordable)
		v.balance = v.balance.Sub(paid.Mul(p))
		spent = spent.Add(paid.Mul(p))
		switch {
		case affordable.LT(due): // ran dry at s+affordable, closed at the next EndBlock
			v.closed = true
		case v.balance.LT(p):
			v.state = types.LeaseInsufficientFunds
		}
	}
	earned := math.ZeroInt()
	if p.IsPositive() {
		earned = spent.Quo(p).Mul(p.Sub(l.Take.Amount))
	}
	v.withdrawable = earned.Sub(l.Withdrawn.Amount)
	v.payout = v.withdrawable.Add(bidDeposit)
	return v, nil
}

// oracleView reads the objects a prediction needs, as stored.
type oracleView struct {
	f      Factories
	ctx    context.Context
	h      int64 // the transaction's height
	params types.Params
}

func (f Factories) view(ctx context.Context) (oracleView, error) {
	p, err := f.k.GetParams(ctx)
	return oracleView{f: f, ctx: ctx, h: sdk.UnwrapSDKContext(ctx).BlockHeight(), params: p}, err
}

// groupView is a stored group as the per-block rule has it at last.
type groupView struct {
	stored  types.Group
	state   types.GroupState
	balance math.Int   // its escrow
	lease   *leaseView // its live (or, closed, just-closed) lease
	// bidStates: the OPEN bids' states once a carried-over auction ran.
	bidStates map[uint64]types.BidState
	// pending is what the catch-up of the group's overdue items pays out of
	// the module account in the transaction that touches the group: a
	// carried-over auction's losing deposits and the past blocks' take of
	// the lease it makes; a lease the rule has closed, its payout.
	pending math.Int
}

// group reads a group and, when its auction end is past but carried over,
// runs the auction of section 4 as of that height: the best eligible OPEN
// bid (lowest price, then earliest height, then provider address) becomes a
// lease created at the auction end, every other OPEN bid is LOST; with no
// eligible bid the group is ORDERED.
func (o oracleView) group(id uint64) (groupView, error) {
	g, err := o.f.k.GetGroup(o.ctx, id)
	if err != nil {
		return groupView{}, err
	}
	v := groupView{stored: g, state: g.State, pending: math.ZeroInt(), bidStates: map[uint64]types.BidState{}}
	e, err := o.f.k.GetEscrow(o.ctx, id)
	if err != nil {
		return v, err
	}
	v.balance = e.Balance.Amount
	switch {
	case g.State == types.GroupOpen && g.AuctionEnd < o.h:
		return v, o.auctionAsOf(&v, e)
	case g.State != types.GroupMatched:
		return v, nil
	}
	lv, err := o.lease(g.LeaseId)
	if err != nil {
		return v, err
	}
	o.withLease(&v, lv)
	return v, nil
}

// bidState is a bid's state in the view: as a carried-over auction left
// it, or as stored.
func (v groupView) bidState(b types.Bid) types.BidState {
	if st, ok := v.bidStates[b.Id]; ok {
		return st
	}
	return b.State
}

// leaseOfGroup is the group's newest lease, after a delivery.
func (o oracleView) leaseOfGroup(ctx context.Context, groupID uint64) (types.Lease, error) {
	g, err := o.f.k.GetGroup(ctx, groupID)
	if err != nil {
		return types.Lease{}, err
	}
	return o.f.k.GetLease(ctx, g.LeaseId)
}

func (o oracleView) withLease(v *groupView, lv leaseView) {
	v.lease, v.balance, v.state = &lv, lv.balance, types.GroupMatched
	if lv.closed {
		v.state, v.pending = types.GroupPaused, v.pending.Add(lv.payout)
	}
}

// auctionAsOf runs a carried-over auction into v.
func (o oracleView) auctionAsOf(v *groupView, e types.Escrow) error {
	due := v.stored.AuctionEnd
	var winner *types.Bid
	bids := o.openBids(v.stored.Id)
	for i, b := range bids {
		ok, err := o.eligible(b.Provider, v.stored)
		if err != nil {
			return err
		}
		if ok && (winner == nil || beats(b, *winner)) {
			winner = &bids[i]
		}
	}
	for _, b := range bids {
		if winner == nil || b.Id != winner.Id {
			v.bidStates[b.Id] = types.BidLost
			v.pending = v.pending.Add(b.Deposit.Amount)
		}
	}
	if winner == nil {
		v.state = types.GroupOrdered
		return nil
	}
	v.bidStates[winner.Id] = types.BidActive
	p := winner.Price.Amount
	zero := sdk.NewCoin(types.Denom, math.ZeroInt())
	l := types.Lease{
		BidId: winner.Id, GroupId: v.stored.Id, DeploymentId: v.stored.DeploymentId,
		Tenant: v.stored.Owner, Provider: winner.Provider, Price: winner.Price,
		Take:  sdk.NewCoin(types.Denom, takeOf(p, o.params.TakeRateBps)),
		State: types.LeaseActive, Spent: zero, Withdrawn: zero, CreatedHeight: due, SettledHeight: due,
	}
	e.SettledHeight = due
	lv, err := viewLease(l, e, winner.Deposit.Amount, o.h-1)
	if err != nil {
		return err
	}
	// The take of the blocks it paid before now reaches the pool only now:
	// no EndBlock knew of the lease.
	if p.IsPositive() {
		paid := e.Balance.Amount.Sub(lv.balance).Quo(p)
		v.pending = v.pending.Add(paid.Mul(l.Take.Amount))
	}
	o.withLease(v, lv)
	return nil
}

// beats is section 4's order: the lower price, then the earlier height,
// then the provider address in bech32 string order.
func beats(a, b types.Bid) bool {
	if c := a.Price.Amount.BigInt().Cmp(b.Price.Amount.BigInt()); c != 0 {
		return c < 0
	}
	if a.CreatedHeight != b.CreatedHeight {
		return a.CreatedHeight < b.CreatedHeight
	}
	return a.Provider < b.Provider
}

// takeOf is the protocol's share of one payment: floor(p * bps / 10000).
func takeOf(p math.Int, bps uint32) math.Int {
	return p.MulRaw(int64(bps)).QuoRaw(10_000)
}

func (o oracleView) lease(id uint64) (leaseView, error) {
	l, err := o.f.k.GetLease(o.ctx, id)
	if err != nil {
		return leaseView{}, err
	}
	e, err := o.f.k.GetEscrow(o.ctx, l.GroupId)
	if err != nil {
		return leaseView{}, err
	}
	b, err := o.f.k.GetBid(o.ctx, l.BidId)
	if err != nil {
		return leaseView{}, err
	}
	return viewLease(l, e, b.Deposit.Amount, o.h-1)
}

// openBids are a group's OPEN bids, as stored.
func (o oracleView) openBids(groupID uint64) []types.Bid {
	var out []types.Bid
	for _, b := range o.f.bids(o.ctx, types.QueryBidsRequest{GroupId: groupID}) {
		if b.GroupId == groupID && b.State == types.BidOpen {
			out = append(out, b)
		}
	}
	return out
}

// eligible applies the group's requirements to the provider's audited
// attributes (the whitelisted auditors, narrowed to the group's own list).
func (o oracleView) eligible(provider string, g types.Group) (bool, error) {
	res, err := o.f.q.ProviderAttributes(o.ctx, &types.QueryProviderAttributesRequest{Provider: provider})
	if err != nil {
		return false, err
	}
	_, unmet := types.NewAuditedAttributes(res.Records, o.params.AuditorWhitelist, g.Spec.Auditors).Unmet(g.Spec.Requirements)
	return !unmet, nil
}

// oracleFailed turns a read the oracle could not make into a prediction
// the run fails on: the objects the factory picked must be readable.
func oracleFailed(err error) prediction { return prediction{failed: err} }

// predictCreateDeployment: the deposits are pulled in one transfer; each
// group is OPEN with its escrow and an auction to h + bid_duration_blocks.
func (o oracleView) predictCreateDeployment(msg *types.MsgCreateDeployment, funds math.Int) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	total := math.ZeroInt()
	for _, g := range msg.Groups {
		if g.Order == types.OrderLimit && g.ExpiresAt <= o.h {
			return refused(types.ErrInvalidGroupSpec)
		}
		if g.Deposit.Amount.LT(o.params.LeaseMinDeposit.Amount) {
			return refused(types.ErrDepositTooLow)
		}
		for _, a := range g.Auditors {
			if !o.params.IsAuditor(a) {
				return refused(types.ErrAuditorNotWhitelisted)
			}
		}
		total = total.Add(g.Deposit.Amount)
	}
	if total.GT(funds) {
		return refused(sdkerrors.ErrInsufficientFunds)
	}
	owner, version, n, end := msg.Owner, msg.Version, len(msg.Groups), o.h+int64(o.params.BidDurationBlocks)
	return succeeds(total, func(ctx context.Context) error {
		res, err := o.f.q.Deployments(ctx, &types.QueryDeploymentsRequest{Owner: owner, Pagination: page()})
		if err != nil || len(res.Deployments) == 0 {
			return fmt.Errorf("no deployment of %s after create-deployment (%v)", owner, err)
		}
		d := res.Deployments[len(res.Deployments)-1]
		for _, x := range res.Deployments {
			if x.Id > d.Id {
				d = x
			}
		}
		if d.State != types.DeploymentActive || d.CreatedHeight != o.h || string(d.Version) != string(version) {
			return fmt.Errorf("deployment %d is %s, created at %d with version %x; want ACTIVE at %d with %x", d.Id, d.State, d.CreatedHeight, d.Version, o.h, version)
		}
		gs, err := o.f.q.Groups(ctx, &types.QueryGroupsRequest{DeploymentId: d.Id, Pagination: page()})
		if err != nil || len(gs.Groups) != n {
			return fmt.Errorf("deployment %d has %d groups, want %d (%v)", d.Id, len(gs.Groups), n, err)
		}
		for i, g := range gs.Groups {
			e, err := o.f.k.GetEscrow(ctx, g.Id)
			if err != nil {
				return err
			}
			spec := msg.Groups[i]
			if !e.Deposited.Amount.Equal(spec.Deposit.Amount) {
				return fmt.Errorf("group %d: escrow deposited %s, want %s", g.Id, e.Deposited, spec.Deposit)
			}
			// A limit or market buy an offer served at once is MATCHED.
			if g.State == types.GroupMatched && spec.Order != types.OrderAuction {
				if err := o.checkOfferLease(ctx, g); err != nil {
					return err
				}
				continue
			}
			state, until := types.GroupOpen, end
			if spec.Order == types.OrderLimit {
				state, until = types.GroupOrdered, o.h
			}
			if g.State != state || g.AuctionEnd != until || !e.Balance.Amount.Equal(spec.Deposit.Amount) {
				return fmt.Errorf("group %d (%s) is %s to %d with escrow %s; want %s to %d with %s", g.Id, spec.Order, g.State, g.AuctionEnd, e.Balance, state, until, spec.Deposit)
			}
		}
		return nil
	})
}

// predictDeposit: the owner's top-up of a live group; a lease that ran
// short and can pay again is ACTIVE.
func (o oracleView) predictDeposit(msg *types.MsgDepositDeployment, funds math.Int) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	gv, err := o.group(msg.GroupId)
	switch {
	case err != nil:
		return oracleFailed(err)
	case msg.Owner != gv.stored.Owner:
		return refused(types.ErrUnauthorized)
	case gv.state == types.GroupClosed:
		return refused(types.ErrInvalidGroupState)
	}
	e, err := o.f.k.GetEscrow(o.ctx, msg.GroupId)
	if err != nil {
		return oracleFailed(err)
	}
	deposited := e.Deposited.Amount.Add(msg.Amount.Amount)
	if deposited.GT(types.MaxAmount) {
		return refused(types.ErrAmountTooLarge)
	}
	if msg.Amount.Amount.GT(funds) {
		return refused(sdkerrors.ErrInsufficientFunds)
	}
	wantBalance := gv.balance.Add(msg.Amount.Amount)
	var revived *leaseView
	if l := gv.lease; l != nil && !l.closed && l.state == types.LeaseInsufficientFunds && wantBalance.GTE(l.stored.Price.Amount) {
		revived = l
	}
	return succeeds(msg.Amount.Amount.Sub(gv.pending), func(ctx context.Context) error {
		after, err := o.f.k.GetEscrow(ctx, msg.GroupId)
		if err != nil {
			return err
		}
		if !after.Deposited.Amount.Equal(deposited) {
			return fmt.Errorf("group %d's escrow has deposited %s, want %s", msg.GroupId, after.Deposited, deposited)
		}
		if revived != nil {
			l, err := o.leaseOfGroup(ctx, msg.GroupId)
			if err != nil {
				return err
			}
			if l.State != types.LeaseActive {
				return fmt.Errorf("lease %d is %s after a top-up to %s at price %s, want ACTIVE", l.Id, l.State, wantBalance, l.Price)
			}
		}
		return nil
	})
}

// predictCreateBid follows the order of section 4's checks: a registered
// provider, a group taking bids, a price at most the max, the deposit
// floor, one live bid per provider and group, audited eligibility, the
// open-bid cap, then the funds. On an ORDERED group the bid is the lease.
func (o oracleView) predictCreateBid(msg *types.MsgCreateBid, funds math.Int) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	addr, err := sdk.AccAddressFromBech32(msg.Provider)
	if err != nil {
		return oracleFailed(err)
	}
	if _, err := o.f.k.GetProvider(o.ctx, addr); err != nil {
		if errors.Is(err, types.ErrProviderNotFound) {
			return refused(types.ErrProviderNotFound)
		}
		return oracleFailed(err)
	}
	gv, err := o.group(msg.GroupId)
	switch {
	case err != nil:
		return oracleFailed(err)
	case gv.state != types.GroupOpen && gv.state != types.GroupOrdered:
		return refused(types.ErrInvalidGroupState)
	case msg.Price.Amount.GT(gv.stored.Spec.MaxPrice.Amount):
		return refused(types.ErrBidPriceTooHigh)
	}
	deposit := msg.Deposit.Amount
	if deposit.IsNil() || deposit.IsZero() {
		deposit = o.params.BidMinDeposit.Amount
	}
	if deposit.LT(o.params.BidMinDeposit.Amount) {
		return refused(types.ErrDepositTooLow)
	}
	for _, b := range o.f.bids(o.ctx, types.QueryBidsRequest{GroupId: msg.GroupId}) {
		if st := gv.bidState(b); b.GroupId == msg.GroupId && b.Provider == msg.Provider && (st == types.BidOpen || st == types.BidActive) {
			return refused(types.ErrBidExists)
		}
	}
	ok, err := o.eligible(msg.Provider, gv.stored)
	if err != nil {
		return oracleFailed(err)
	}
	if !ok {
		return refused(types.ErrRequirementsNotMet)
	}
	if gv.state == types.GroupOpen && uint32(len(o.openBids(msg.GroupId))) >= o.params.MaxBidsPerGroup {
		return refused(types.ErrTooManyBids)
	}
	if deposit.GT(funds) {
		p := refused(sdkerrors.ErrInsufficientFunds)
		p.tierUnknown = true // the tier is checked before the funds move
		return p
	}
	ordered := gv.state == types.GroupOrdered
	p := succeeds(deposit.Sub(gv.pending), func(ctx context.Context) error {
		bids := o.f.bids(ctx, types.QueryBidsRequest{GroupId: msg.GroupId})
		var mine *types.Bid
		for i := range bids {
			if b := bids[i]; b.Provider == msg.Provider && b.CreatedHeight == o.h && (mine == nil || b.Id > mine.Id) {
				mine = &bids[i]
			}
		}
		want := types.BidOpen
		if ordered {
			want = types.BidActive
		}
		if mine == nil || mine.State != want || !mine.Price.Amount.Equal(msg.Price.Amount) || !mine.Deposit.Amount.Equal(deposit) {
			return fmt.Errorf("group %d has no %s bid of %s at %s with deposit %s (found %v)", msg.GroupId, want, msg.Provider, msg.Price, deposit, mine)
		}
		if ordered {
			return o.checkMatched(ctx, msg.GroupId, *mine)
		}
		return nil
	})
	p.tierUnknown = true
	return p
}

// checkMatched: the group is MATCHED to a new ACTIVE lease of the bid, at
// its price, with the take floor(price * take_rate_bps / 10000).
func (o oracleView) checkMatched(ctx context.Context, groupID uint64, bid types.Bid) error {
	g, err := o.f.k.GetGroup(ctx, groupID)
	if err != nil {
		return err
	}
	if g.State != types.GroupMatched {
		return fmt.Errorf("group %d is %s, want MATCHED to bid %d", groupID, g.State, bid.Id)
	}
	l, err := o.f.k.GetLease(ctx, g.LeaseId)
	if err != nil {
		return err
	}
	take := bid.Price.Amount.MulRaw(int64(o.params.TakeRateBps)).QuoRaw(10_000)
	if l.BidId != bid.Id || l.State != types.LeaseActive || !l.Price.Amount.Equal(bid.Price.Amount) || !l.Take.Amount.Equal(take) || l.CreatedHeight != o.h {
		return fmt.Errorf("lease %d (bid %d, %s, price %s, take %s, created %d); want bid %d ACTIVE at %s, take %s, created %d",
			l.Id, l.BidId, l.State, l.Price, l.Take, l.CreatedHeight, bid.Id, bid.Price, take, o.h)
	}
	return nil
}

// predictCreateLease: the owner accepts an OPEN bid of an OPEN group; the
// other OPEN bids are LOST and their deposits return.
func (o oracleView) predictCreateLease(msg *types.MsgCreateLease) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	bid, err := o.f.k.GetBid(o.ctx, msg.BidId)
	if err != nil {
		return oracleFailed(err)
	}
	gv, err := o.group(bid.GroupId)
	switch {
	case err != nil:
		return oracleFailed(err)
	case msg.Owner != gv.stored.Owner:
		return refused(types.ErrUnauthorized)
	case gv.bidState(bid) != types.BidOpen:
		return refused(types.ErrInvalidBidState)
	case gv.state != types.GroupOpen:
		return refused(types.ErrInvalidGroupState)
	}
	ok, err := o.eligible(bid.Provider, gv.stored)
	if err != nil {
		return oracleFailed(err)
	}
	if !ok {
		return refused(types.ErrRequirementsNotMet)
	}
	returned := math.ZeroInt()
	var losers []uint64
	for _, b := range o.openBids(bid.GroupId) {
		if b.Id != bid.Id {
			returned = returned.Add(b.Deposit.Amount)
			losers = append(losers, b.Id)
		}
	}
	bid.State = types.BidActive
	return succeeds(returned.Neg(), func(ctx context.Context) error {
		for _, id := range losers {
			b, err := o.f.k.GetBid(ctx, id)
			if err != nil {
				return err
			}
			if b.State != types.BidLost {
				return fmt.Errorf("bid %d is %s after bid %d won, want LOST", id, b.State, msg.BidId)
			}
		}
		return o.checkMatched(ctx, bid.GroupId, bid)
	})
}

// predictCloseLease: the tenant ends a live lease: the provider receives
// what it earned to h-1 and its bid deposit; the group is PAUSED.
func (o oracleView) predictCloseLease(msg *types.MsgCloseLease) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	l, err := o.f.k.GetLease(o.ctx, msg.LeaseId)
	if err != nil {
		return oracleFailed(err)
	}
	if msg.Owner != l.Tenant {
		return refused(types.ErrUnauthorized)
	}
	if !l.IsLive() {
		return refused(types.ErrInvalidLeaseState)
	}
	lv, err := o.lease(l.Id)
	if err != nil {
		return oracleFailed(err)
	}
	if lv.closed {
		return refused(types.ErrInvalidLeaseState) // the rule closed it already
	}
	return succeeds(lv.payout.Neg(), func(ctx context.Context) error {
		return o.checkClosed(ctx, l.Id, types.CloseReasonTenant, types.GroupPaused)
	})
}

// checkClosed: the lease is CLOSED at h for reason, its bid CLOSED, its
// group in groupState.
func (o oracleView) checkClosed(ctx context.Context, leaseID uint64, reason types.CloseReason, groupState types.GroupState) error {
	l, err := o.f.k.GetLease(ctx, leaseID)
	if err != nil {
		return err
	}
	b, err := o.f.k.GetBid(ctx, l.BidId)
	if err != nil {
		return err
	}
	g, err := o.f.k.GetGroup(ctx, l.GroupId)
	if err != nil {
		return err
	}
	if l.State != types.LeaseClosed || l.CloseReason != reason || l.ClosedHeight != o.h || b.State != types.BidClosed || g.State != groupState {
		return fmt.Errorf("lease %d is %s (%s at %d), bid %s, group %s; want CLOSED (%s at %d), bid CLOSED, group %s",
			l.Id, l.State, l.CloseReason, l.ClosedHeight, b.State, g.State, reason, o.h, groupState)
	}
	if !Withdrawn(l).Equal(l.Withdrawn.Amount) {
		return fmt.Errorf("lease %d closed with %s withdrawn of %s earned", l.Id, l.Withdrawn, Withdrawn(l))
	}
	return nil
}

// Withdrawn is what a closed lease must have paid its provider: p - t for
// each block its spent covers.
func Withdrawn(l types.Lease) math.Int {
	if !l.Price.Amount.IsPositive() {
		return math.ZeroInt()
	}
	return l.Spent.Amount.Quo(l.Price.Amount).Mul(l.Price.Amount.Sub(l.Take.Amount))
}

// predictWithdraw: the provider collects what one lease, or every live
// lease of its, earned to h-1. Leases the rule has closed pay out on their
// own close (earnings and bid deposit) in the same transaction.
func (o oracleView) predictWithdraw(msg *types.MsgWithdraw) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	var ids []uint64
	if msg.LeaseId != 0 {
		l, err := o.f.k.GetLease(o.ctx, msg.LeaseId)
		if err != nil {
			return oracleFailed(err)
		}
		if msg.Provider != l.Provider {
			return refused(types.ErrUnauthorized)
		}
		if !l.IsLive() {
			return refused(types.ErrNothingToWithdraw) // closing paid it out
		}
		ids = []uint64{l.Id}
	} else {
		for _, st := range []types.LeaseState{types.LeaseActive, types.LeaseInsufficientFunds} {
			res, err := o.f.q.Leases(o.ctx, &types.QueryLeasesRequest{Provider: msg.Provider, State: st, Pagination: page()})
			if err != nil {
				return oracleFailed(err)
			}
			for _, l := range res.Leases {
				ids = append(ids, l.Id)
			}
		}
	}
	collected, closing := math.ZeroInt(), math.ZeroInt()
	var live []leaseView
	for _, id := range ids {
		lv, err := o.lease(id)
		if err != nil {
			return oracleFailed(err)
		}
		if lv.closed {
			closing = closing.Add(lv.payout)
			continue
		}
		collected = collected.Add(lv.withdrawable)
		live = append(live, lv)
	}
	if !collected.IsPositive() {
		return refused(types.ErrNothingToWithdraw)
	}
	return succeeds(collected.Add(closing).Neg(), func(ctx context.Context) error {
		for _, lv := range live {
			l, err := o.f.k.GetLease(ctx, lv.stored.Id)
			if err != nil {
				return err
			}
			if want := lv.stored.Withdrawn.Amount.Add(lv.withdrawable); !l.Withdrawn.Amount.Equal(want) {
				return fmt.Errorf("lease %d has withdrawn %s, want %s", l.Id, l.Withdrawn, want)
			}
		}
		return nil
	})
}

// predictCloseDeployment: every group closes: its lease closes (earnings
// and bid deposit to the provider), its OPEN bids are LOST (deposits
// returned), its escrow returns to the owner.
func (o oracleView) predictCloseDeployment(msg *types.MsgCloseDeployment) prediction {
	if err, bad := statelessRefusal(msg); bad {
		return refused(err)
	}
	d, err := o.f.k.GetDeployment(o.ctx, msg.DeploymentId)
	switch {
	case err != nil:
		return oracleFailed(err)
	case msg.Owner != d.Owner:
		return refused(types.ErrUnauthorized)
	case d.State != types.DeploymentActive:
		return refused(types.ErrDeploymentClosed)
	}
	res, err := o.f.q.Groups(o.ctx, &types.QueryGroupsRequest{DeploymentId: d.Id, Pagination: page()})
	if err != nil {
		return oracleFailed(err)
	}
	out := math.ZeroInt()
	var groups, matched []uint64
	for _, g := range res.Groups {
		if g.State == types.GroupClosed {
			continue
		}
		gv, err := o.group(g.Id)
		if err != nil {
			return oracleFailed(err)
		}
		out = out.Add(gv.balance).Add(gv.pending)
		switch gv.state {
		case types.GroupMatched:
			out = out.Add(gv.lease.payout)
			matched = append(matched, g.Id)
		case types.GroupOpen, types.GroupOrdered:
			for _, b := range o.openBids(g.Id) {
				if gv.bidState(b) == types.BidOpen {
					out = out.Add(b.Deposit.Amount)
				}
			}
		}
		groups = append(groups, g.Id)
	}
	return succeeds(out.Neg(), func(ctx context.Context) error {
		after, err := o.f.k.GetDeployment(ctx, d.Id)
		if err != nil {
			return err
		}
		if after.State != types.DeploymentClosed {
			return fmt.Errorf("deployment %d is %s, want CLOSED", d.Id, after.State)
		}
		for _, id := range groups {
			g, err := o.f.k.GetGroup(ctx, id)
			if err != nil {
				return err
			}
			e, err := o.f.k.GetEscrow(ctx, id)
			if err != nil {
				return err
			}
			if g.State != types.GroupClosed || !e.Balance.IsZero() {
				return fmt.Errorf("group %d is %s with escrow %s, want CLOSED and empty", id, g.State, e.Balance)
			}
		}
		for _, id := range matched {
			l, err := o.leaseOfGroup(ctx, id)
			if err != nil {
				return err
			}
			if err := o.checkClosed(ctx, l.Id, types.CloseReasonDeploymentClosed, types.GroupClosed); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkOfferLease: a group matched in its creating transaction has a lease
// from an offer, made now, at no more than its max price.
func (o oracleView) checkOfferLease(ctx context.Context, g types.Group) error {
	l, err := o.f.k.GetLease(ctx, g.LeaseId)
	if err != nil {
		return fmt.Errorf("group %d is MATCHED: %w", g.Id, err)
	}
	b, err := o.f.k.GetBid(ctx, l.BidId)
	if err != nil {
		return fmt.Errorf("lease %d: %w", l.Id, err)
	}
	if b.OfferId == 0 || b.OfferUnits == 0 || l.CreatedHeight != o.h || l.Price.Amount.GT(g.Spec.MaxPrice.Amount) {
		return fmt.Errorf("group %d matched at creation by lease %d (bid %d, offer %d x %d units) at %s, created %d; want an offer's lease made at %d within %s",
			g.Id, l.Id, b.Id, b.OfferId, b.OfferUnits, l.Price, l.CreatedHeight, o.h, g.Spec.MaxPrice)
	}
	return nil
}
