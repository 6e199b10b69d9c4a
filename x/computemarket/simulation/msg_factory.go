package simulation

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/internal/simcheck"
	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// How the factories work. Each one reads the market through the module's
// query service, as a client would, and builds a plausible message: a bid
// on an open group at or under its max price, a top-up of a live escrow, a
// lease accepted by the group's owner. One message in ten is signed by a
// stranger instead of the owner, and some amounts come from the value
// domain (0, 1, 2^53, ..., the bound and past it, 2^256-1).
//
// The messages that move money (create-deployment, deposit, create-bid,
// create-lease, close-lease, close-deployment, withdraw) are checked
// against the oracle (oracle.go): its own prediction of the refusal, or of
// the module account's change and the touched objects' states. The others
// are run first on a throw-away branch of the block's state, and the
// delivered transaction must end the same way: succeed, or fail with the
// very same registered error. A refusal with an unregistered error fails
// the run either way.

// Operation is a factory with the weight it runs at by default.
type Operation struct {
	Key     string // key in the simulation params file
	Weight  uint32
	Factory simsx.SimMsgFactoryX
}

// Factories build the module's messages for the simulation.
type Factories struct {
	srv types.MsgServer
	q   types.QueryServer
	k   keeper.Keeper // the oracle reads stored objects through its getters
}

// NewFactories builds the factories on the module's keeper.
func NewFactories(k keeper.Keeper) Factories {
	return Factories{srv: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k), k: k}
}

// Operations lists every message factory with its default weight: bids,
// withdraws, deployments and top-ups dominate, as on a busy market.
func (f Factories) Operations() []Operation {
	return []Operation{
		{"op_weight_msg_create_deployment", 40, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateDeployment())},
		{"op_weight_msg_create_bid", 80, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateBid())},
		{"op_weight_msg_withdraw", 30, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.Withdraw())},
		{"op_weight_msg_deposit_deployment", 30, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.DepositDeployment())},
		{"op_weight_msg_create_lease", 15, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateLease())},
		{"op_weight_msg_audit_attribute", 15, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.AuditAttribute())},
		{"op_weight_msg_close_bid", 10, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CloseBid())},
		{"op_weight_msg_create_provider", 10, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateProvider())},
		{"op_weight_msg_create_group", 8, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateGroup())},
		{"op_weight_msg_unpause_group", 8, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.UnpauseGroup())},
		{"op_weight_msg_close_deployment", 8, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CloseDeployment())},
		{"op_weight_msg_close_lease", 8, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CloseLease())},
		{"op_weight_msg_pause_group", 5, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.PauseGroup())},
		{"op_weight_msg_close_group", 5, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CloseGroup())},
		{"op_weight_msg_update_provider", 5, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.UpdateProvider())},
		{"op_weight_msg_update_deployment", 5, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.UpdateDeployment())},
		{"op_weight_msg_revoke_attribute", 5, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.RevokeAttribute())},
	}
}

// all asks for up to this many objects per query: simulations stay small.
const all = 1_000

func page() *query.PageRequest { return &query.PageRequest{Limit: all} }

func (f Factories) params(ctx context.Context, reporter simsx.SimulationReporter) (types.Params, bool) {
	res, err := f.q.Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		reporter.Skipf("params: %v", err)
		return types.Params{}, false
	}
	return res.Params, true
}

func (f Factories) groups(ctx context.Context, states ...types.GroupState) []types.Group {
	var out []types.Group
	for _, s := range states {
		res, err := f.q.Groups(ctx, &types.QueryGroupsRequest{State: s, Pagination: page()})
		if err == nil {
			out = append(out, res.Groups...)
		}
	}
	return out
}

func (f Factories) bids(ctx context.Context, req types.QueryBidsRequest) []types.Bid {
	req.Pagination = page()
	res, err := f.q.Bids(ctx, &req)
	if err != nil {
		return nil
	}
	return res.Bids
}

func (f Factories) liveLeases(ctx context.Context) []types.Lease {
	var out []types.Lease
	for _, s := range []types.LeaseState{types.LeaseActive, types.LeaseInsufficientFunds} {
		res, err := f.q.Leases(ctx, &types.QueryLeasesRequest{State: s, Pagination: page()})
		if err == nil {
			out = append(out, res.Leases...)
		}
	}
	return out
}

func (f Factories) providers(ctx context.Context) []types.Provider {
	res, err := f.q.Providers(ctx, &types.QueryProvidersRequest{Pagination: page()})
	if err != nil {
		return nil
	}
	return res.Providers
}

func (f Factories) activeDeployments(ctx context.Context) []types.Deployment {
	res, err := f.q.Deployments(ctx, &types.QueryDeploymentsRequest{State: types.DeploymentActive, Pagination: page()})
	if err != nil {
		return nil
	}
	return res.Deployments
}

// spec draws a group: max price up to 50,000 udait a block (one time in
// twenty from the value domain) and an escrow of lease_min_deposit plus
// 0-40 blocks at that price, so that leases run dry on their own;
// requirements on the audited region or tier half the time; sometimes a
// list of accepted auditors.
//
// The order type (SPEC section 12): mostly auctions; one in six a limit
// buy expiring within 200 blocks (one in ten of those at the current
// height h, which is refused); one in six a market buy, with fallback:
// auction unless anyMarket (without it the outcome depends on the book,
// which only a dry run predicts).
func spec(r *simsx.XRand, p types.Params, h int64, name string, anyMarket bool) types.GroupSpec {
	maxPrice := math.NewInt(int64(1 + r.Intn(50_000)))
	if r.Intn(20) == 0 {
		maxPrice = domainAmount(r.Rand)
	}
	deposit := saturating(p.LeaseMinDeposit.Amount, maxPrice, int64(r.Intn(41)))
	res := types.Resources{
		CpuMillis: uint64(500 + r.Intn(64_000)),
		MemoryMb:  uint64(512 + r.Intn(512_000)),
		StorageGb: uint64(r.Intn(2_000)),
		Replicas:  uint32(1 + r.Intn(4)),
	}
	if r.Intn(3) > 0 {
		res.GPU = types.GPU{Count: uint32(1 + r.Intn(8)), MemoryGb: uint32(16 + r.Intn(65)), Class: oneOf(r.Rand, classes)}
	}
	s := types.GroupSpec{
		Name:      name,
		Resources: res,
		MaxPrice:  sdk.NewCoin(types.Denom, maxPrice),
		Deposit:   sdk.NewCoin(types.Denom, deposit),
	}
	switch r.Intn(6) {
	case 0:
		s.Requirements = []types.Requirement{{Key: "region", Op: types.OpEq, Values: []string{oneOf(r.Rand, regions)}}}
	case 1:
		s.Requirements = []types.Requirement{{Key: "region", Op: types.OpIn, Values: []string{"us-east", "eu-west"}}}
	case 2:
		s.Requirements = []types.Requirement{{Key: "tier", Op: types.OpGte, Values: []string{oneOf(r.Rand, tiers)}}}
	}
	if len(p.AuditorWhitelist) > 0 && r.Intn(5) == 0 {
		s.Auditors = []string{oneOf(r.Rand, p.AuditorWhitelist)}
	}
	switch r.Intn(6) {
	case 0:
		s.Order, s.ExpiresAt = types.OrderLimit, h+1+int64(r.Intn(200))
		if r.Intn(10) == 0 {
			s.ExpiresAt = h
		}
	case 1:
		s.Order, s.FallbackAuction = types.OrderMarket, !anyMarket || r.Intn(2) == 0
	}
	return s
}

// valueDomain holds the amounts where arithmetic goes wrong: zero, one,
// small, the edges of float and int64 precision, the documented bound
// (types.MaxAmount = 2^128-1) and past it, up to math.Int's own limit.
var valueDomain = func() []math.Int {
	pow := func(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }
	minus1 := func(n uint) math.Int { return math.NewIntFromBigInt(new(big.Int).Sub(pow(n), big.NewInt(1))) }
	at := func(n uint) math.Int { return math.NewIntFromBigInt(pow(n)) }
	return []math.Int{
		math.ZeroInt(), math.OneInt(), math.NewInt(7),
		at(53), minus1(63), at(63), at(64),
		types.MaxAmount.SubRaw(1), types.MaxAmount, types.MaxAmount.AddRaw(1),
		at(255), minus1(256),
	}
}()

// saturating is a + b*n, or math.Int's largest value (2^256-1) past it: the
// factories build amounts from amounts of the whole domain.
func saturating(a, b math.Int, n int64) math.Int {
	v := new(big.Int).Mul(b.BigInt(), big.NewInt(n))
	v.Add(v, a.BigInt())
	if top := valueDomain[len(valueDomain)-1].BigInt(); v.Cmp(top) > 0 {
		v = top
	}
	return math.NewIntFromBigInt(v)
}

func domainAmount(r *rand.Rand) math.Int { return oneOf(r, valueDomain) }

// below draws a price in [1, limit] (limit >= 1), spread over the
// magnitudes of a wide limit.
func below(r *rand.Rand, limit math.Int) math.Int {
	if limit.IsInt64() {
		return math.NewInt(1 + r.Int63n(limit.Int64()))
	}
	shift := uint(r.Intn(limit.BigInt().BitLen()))
	return math.NewIntFromBigInt(new(big.Int).Rsh(limit.BigInt(), shift))
}

// funds is what an account can pay now, before fees.
func funds(acc *simsx.SimAccount) math.Int {
	return acc.LiquidBalance().AmountOf(types.Denom)
}

// payable reserves amount out of the random fees when the account can pay
// it; an amount it cannot pay is sent anyway, for the oracle to refuse.
func payable(acc *simsx.SimAccount, amount math.Int) {
	if amount.IsPositive() && amount.LTE(funds(acc)) {
		acc.LiquidBalance().BlockAmount(sdk.NewCoin(types.Denom, amount))
	}
}

// version is a manifest hash.
func version(r *simsx.XRand) []byte {
	h := sha256.Sum256([]byte(r.StringN(16)))
	return h[:]
}

// CreateDeployment: a tenant posts one to three groups and funds them.
func (f Factories) CreateDeployment() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateDeployment] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateDeployment, simsx.SimDeliveryResultHandler) {
		o, err := f.view(ctx)
		if err != nil {
			reporter.Skipf("params: %v", err)
			return nil, nil, nil
		}
		r := data.Rand()
		msg := &types.MsgCreateDeployment{Version: version(r)}
		total := math.ZeroInt()
		for i := range 1 + r.Intn(3) {
			g := spec(r, o.params, o.h, fmt.Sprintf("group-%d", i), false)
			msg.Groups = append(msg.Groups, g)
			total = saturating(total, g.Deposit.Amount, 1)
		}
		owner := data.AnyAccount(reporter, simsx.WithSpendableBalance())
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg.Owner = owner.AddressBech32
		p := o.predictCreateDeployment(msg, funds(&owner))
		payable(&owner, total)
		return []simsx.SimAccount{owner}, msg, f.expectPredicted(ctx, msg, p)
	}
}

// CreateGroup: the owner adds a group to an active deployment.
func (f Factories) CreateGroup() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateGroup] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateGroup, simsx.SimDeliveryResultHandler) {
		p, ok := f.params(ctx, reporter)
		if !ok {
			return nil, nil, nil
		}
		d, ok := simcheck.Pick(data, reporter, f.activeDeployments(ctx), "active deployment")
		if !ok {
			return nil, nil, nil
		}
		r := data.Rand()
		msg := &types.MsgCreateGroup{DeploymentId: d.Id, Group: spec(r, p, sdk.UnwrapSDKContext(ctx).BlockHeight(), fmt.Sprintf("added-%d", r.Intn(1_000)), true)}
		from := simcheck.Signer(data, reporter, d.Owner)
		if reporter.IsSkipped() || !simcheck.Reserve(&from, reporter, msg.Group.Deposit) {
			return nil, nil, nil
		}
		msg.Owner = from.AddressBech32
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.CreateGroup, msg)
	}
}

// UpdateDeployment: the owner publishes a new manifest version.
func (f Factories) UpdateDeployment() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgUpdateDeployment] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateDeployment, simsx.SimDeliveryResultHandler) {
		d, ok := simcheck.Pick(data, reporter, f.activeDeployments(ctx), "active deployment")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, d.Owner)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgUpdateDeployment{Owner: from.AddressBech32, DeploymentId: d.Id, Version: version(data.Rand())}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.UpdateDeployment, msg)
	}
}

// CloseDeployment: the owner closes a deployment; leases close, escrows
// and deposits are refunded.
func (f Factories) CloseDeployment() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCloseDeployment] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCloseDeployment, simsx.SimDeliveryResultHandler) {
		d, ok := simcheck.Pick(data, reporter, f.activeDeployments(ctx), "active deployment")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, d.Owner)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgCloseDeployment{Owner: from.AddressBech32, DeploymentId: d.Id}
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictCloseDeployment(msg) })
	}
}

// DepositDeployment: the owner tops up a group's escrow by 1-20 blocks at
// its max price (one time in eight an amount from the value domain); a
// top-up revives a lease that ran dry.
func (f Factories) DepositDeployment() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgDepositDeployment] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgDepositDeployment, simsx.SimDeliveryResultHandler) {
		g, ok := simcheck.Pick(data, reporter, f.groups(ctx, types.GroupOpen, types.GroupOrdered, types.GroupMatched, types.GroupPaused), "live group")
		if !ok {
			return nil, nil, nil
		}
		r := data.Rand()
		amount := saturating(math.OneInt(), g.Spec.MaxPrice.Amount, int64(1+r.Intn(20)))
		if r.Intn(8) == 0 {
			amount = domainAmount(r.Rand)
		}
		from := simcheck.Signer(data, reporter, g.Owner)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgDepositDeployment{Owner: from.AddressBech32, GroupId: g.Id, Amount: sdk.NewCoin(types.Denom, amount)}
		have := funds(&from)
		payable(&from, amount)
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictDeposit(msg, have) })
	}
}

// groupAction builds the pause, unpause and close messages of a group.
func groupAction[T sdk.Msg, R any](f Factories, states []types.GroupState, build func(owner string, id uint64) T,
	run func(context.Context, T) (R, error),
) simsx.FactoryMethodWithDeliveryResultHandler[T] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, T, simsx.SimDeliveryResultHandler) {
		var zero T
		g, ok := simcheck.Pick(data, reporter, f.groups(ctx, states...), "group")
		if !ok {
			return nil, zero, nil
		}
		from := simcheck.Signer(data, reporter, g.Owner)
		if reporter.IsSkipped() {
			return nil, zero, nil
		}
		msg := build(from.AddressBech32, g.Id)
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, run, msg)
	}
}

// PauseGroup: the owner pauses a group; its lease closes.
func (f Factories) PauseGroup() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgPauseGroup] {
	return groupAction(f, []types.GroupState{types.GroupOpen, types.GroupOrdered, types.GroupMatched},
		func(owner string, id uint64) *types.MsgPauseGroup {
			return &types.MsgPauseGroup{Owner: owner, GroupId: id}
		},
		f.srv.PauseGroup)
}

// UnpauseGroup: the owner reopens a paused group for bids.
func (f Factories) UnpauseGroup() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgUnpauseGroup] {
	return groupAction(f, []types.GroupState{types.GroupPaused},
		func(owner string, id uint64) *types.MsgUnpauseGroup {
			return &types.MsgUnpauseGroup{Owner: owner, GroupId: id}
		},
		f.srv.UnpauseGroup)
}

// CloseGroup: the owner closes a group; its escrow is refunded.
func (f Factories) CloseGroup() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCloseGroup] {
	return groupAction(f, []types.GroupState{types.GroupOpen, types.GroupOrdered, types.GroupMatched, types.GroupPaused},
		func(owner string, id uint64) *types.MsgCloseGroup {
			return &types.MsgCloseGroup{Owner: owner, GroupId: id}
		},
		f.srv.CloseGroup)
}

// CreateBid: a provider bids on an open or ordered group, at or under its
// max price nine times in ten (one time in twelve at a price from the value
// domain), with the minimum deposit. Like a provider daemon, it looks for a
// group it can serve: up to three providers are tried on the branch, and
// the first that the group accepts bids (or the last one tried, to be
// refused).
func (f Factories) CreateBid() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateBid] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateBid, simsx.SimDeliveryResultHandler) {
		p, ok := f.params(ctx, reporter)
		if !ok {
			return nil, nil, nil
		}
		g, ok := simcheck.Pick(data, reporter, f.groups(ctx, types.GroupOpen, types.GroupOrdered), "open group")
		if !ok {
			return nil, nil, nil
		}
		providers := f.providers(ctx)
		r := data.Rand()
		maxPrice := g.Spec.MaxPrice.Amount
		price := below(r.Rand, maxPrice)
		switch r.Intn(12) {
		case 0:
			price = saturating(maxPrice, math.NewInt(1+r.Int63n(100)), 1)
		case 1:
			price = domainAmount(r.Rand)
		}
		msg := &types.MsgCreateBid{GroupId: g.Id, Price: sdk.NewCoin(types.Denom, price), Deposit: p.BidMinDeposit}
		for range 3 {
			prov, ok := simcheck.Pick(data, reporter, providers, "provider")
			if !ok {
				return nil, nil, nil
			}
			msg.Provider = prov.Owner
			if simcheck.DryRun(ctx, f.srv.CreateBid, msg) == nil {
				break
			}
		}
		from := data.GetAccount(reporter, msg.Provider)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		have := funds(&from)
		payable(&from, p.BidMinDeposit.Amount)
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictCreateBid(msg, have) })
	}
}

// CloseBid: a provider withdraws an open bid, or closes the lease of its
// active one.
func (f Factories) CloseBid() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCloseBid] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCloseBid, simsx.SimDeliveryResultHandler) {
		state := types.BidOpen
		if data.Rand().Intn(4) == 0 {
			state = types.BidActive
		}
		b, ok := simcheck.Pick(data, reporter, f.bids(ctx, types.QueryBidsRequest{State: state}), "bid")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, b.Provider)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgCloseBid{Provider: from.AddressBech32, BidId: b.Id}
		if state == types.BidActive {
			// A provider closes a lease it cannot serve with the reason it saw.
			reasons := []types.CloseReason{types.CloseReasonUnspecified, types.CloseReasonProvider, types.CloseReasonManifestTimeout, types.CloseReasonUnhealthy}
			msg.Reason = reasons[data.Rand().Intn(len(reasons))]
		}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.CloseBid, msg)
	}
}

// CreateLease: a group's owner accepts an open bid before the auction ends.
func (f Factories) CreateLease() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateLease] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateLease, simsx.SimDeliveryResultHandler) {
		b, ok := simcheck.Pick(data, reporter, f.bids(ctx, types.QueryBidsRequest{State: types.BidOpen}), "open bid")
		if !ok {
			return nil, nil, nil
		}
		g, err := f.q.Group(ctx, &types.QueryGroupRequest{Id: b.GroupId})
		if err != nil {
			reporter.Skipf("group %d: %v", b.GroupId, err)
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, g.Group.Owner)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgCreateLease{Owner: from.AddressBech32, BidId: b.Id}
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictCreateLease(msg) })
	}
}

// CloseLease: the tenant ends a live lease (a provider ends one by closing
// its bid).
func (f Factories) CloseLease() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCloseLease] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCloseLease, simsx.SimDeliveryResultHandler) {
		l, ok := simcheck.Pick(data, reporter, f.liveLeases(ctx), "live lease")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, l.Tenant)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgCloseLease{Owner: from.AddressBech32, LeaseId: l.Id}
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictCloseLease(msg) })
	}
}

// Withdraw: a provider takes its earnings from one lease, or (one time in
// three) from all of them.
func (f Factories) Withdraw() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgWithdraw] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgWithdraw, simsx.SimDeliveryResultHandler) {
		l, ok := simcheck.Pick(data, reporter, f.liveLeases(ctx), "live lease")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, l.Provider)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgWithdraw{Provider: from.AddressBech32, LeaseId: l.Id}
		if data.Rand().Intn(3) == 0 {
			msg.LeaseId = 0
		}
		return []simsx.SimAccount{from}, msg, predicted(f, ctx, msg, func(o oracleView) prediction { return o.predictWithdraw(msg) })
	}
}

// CreateProvider: an account registers. Up to three accounts are tried on
// the branch; the first that meets the tier registers (or the last one
// tried, to be refused).
func (f Factories) CreateProvider() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateProvider] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateProvider, simsx.SimDeliveryResultHandler) {
		r := data.Rand()
		msg := &types.MsgCreateProvider{
			HostUri:    fmt.Sprintf("https://%s.sim.daitchain.test", r.StringN(8)),
			Attributes: randomAttributes(r.Rand),
			Info:       types.ProviderInfo{Website: "https://sim.daitchain.test"},
		}
		var from simsx.SimAccount
		for range 3 {
			from = data.AnyAccount(reporter)
			if reporter.IsSkipped() {
				return nil, nil, nil
			}
			msg.Owner = from.AddressBech32
			if simcheck.DryRun(ctx, f.srv.CreateProvider, msg) == nil {
				break
			}
		}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.CreateProvider, msg)
	}
}

// UpdateProvider: a provider changes its host and declared attributes.
func (f Factories) UpdateProvider() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgUpdateProvider] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateProvider, simsx.SimDeliveryResultHandler) {
		prov, ok := simcheck.Pick(data, reporter, f.providers(ctx), "provider")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, prov.Owner)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		r := data.Rand()
		msg := &types.MsgUpdateProvider{
			Owner:      from.AddressBech32,
			HostUri:    fmt.Sprintf("https://%s.sim.daitchain.test:8443", r.StringN(8)),
			Attributes: randomAttributes(r.Rand),
			Info:       prov.Info,
		}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.UpdateProvider, msg)
	}
}

// AuditAttribute: a whitelisted auditor (or one time in ten any account)
// attests a provider's region or tier.
func (f Factories) AuditAttribute() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgAuditAttribute] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgAuditAttribute, simsx.SimDeliveryResultHandler) {
		p, ok := f.params(ctx, reporter)
		if !ok {
			return nil, nil, nil
		}
		auditor, ok := simcheck.Pick(data, reporter, p.AuditorWhitelist, "auditor")
		if !ok {
			return nil, nil, nil
		}
		prov, ok := simcheck.Pick(data, reporter, f.providers(ctx), "provider")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, auditor)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgAuditAttribute{Auditor: from.AddressBech32, Provider: prov.Owner, Attributes: randomAttributes(data.Rand().Rand)}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.AuditAttribute, msg)
	}
}

// RevokeAttribute: an auditor withdraws some keys of an attestation.
func (f Factories) RevokeAttribute() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgRevokeAttribute] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgRevokeAttribute, simsx.SimDeliveryResultHandler) {
		prov, ok := simcheck.Pick(data, reporter, f.providers(ctx), "provider")
		if !ok {
			return nil, nil, nil
		}
		res, err := f.q.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: prov.Owner})
		if err != nil {
			reporter.Skipf("attributes of %s: %v", prov.Owner, err)
			return nil, nil, nil
		}
		rec, ok := simcheck.Pick(data, reporter, res.Records, "attestation")
		if !ok {
			return nil, nil, nil
		}
		attr, ok := simcheck.Pick(data, reporter, rec.Attributes, "attribute")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, rec.Auditor)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgRevokeAttribute{Auditor: from.AddressBech32, Provider: prov.Owner, Keys: []string{attr.Key}}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.RevokeAttribute, msg)
	}
}

// UpdateParams is a governance proposal with new random params. The
// whitelist is kept four times in five, so that attestations keep counting.
func (f Factories) UpdateParams() simsx.SimMsgFactoryFn[*types.MsgUpdateParams] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateParams) {
		cur, ok := f.params(ctx, reporter)
		if !ok {
			return nil, nil
		}
		r := data.Rand()
		p := cur
		p.BidDurationBlocks = uint64(1 + r.Intn(12))
		p.BidMinDeposit = udait(1 + r.Int63n(100_000))
		p.LeaseMinDeposit = udait(1 + r.Int63n(1_000_000))
		p.TakeRateBps = uint32(r.Intn(1_001))
		p.MaxBidsPerGroup = uint32(1 + r.Intn(16))
		if r.Intn(5) == 0 {
			p.AuditorWhitelist = randomAuditors(r.Rand, data.AllAccounts())
		}
		return nil, &types.MsgUpdateParams{Authority: data.ModuleAccountAddress(reporter, "gov"), Params: p}
	}
}
