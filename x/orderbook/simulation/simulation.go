// Package simulation drives x/orderbook in the SDK's simulation framework:
// randomized params and a factory for every Msg, each checked by
// internal/simcheck (the delivered tx ends as its dry run did, with a
// registered error when refused, never a panic).
package simulation

import (
	"context"
	"math/rand"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/testutil/simsx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/internal/simcheck"
	"github.com/daitchain/daitchain/x/orderbook/keeper"
	"github.com/daitchain/daitchain/x/orderbook/types"
)

// RandomizedGenState writes random params and an empty book.
func RandomizedGenState(simState *module.SimulationState) {
	r := simState.Rand
	p := types.DefaultParams()
	p.OfferDeposit = sdk.NewCoin(types.Denom, math.NewInt(int64(r.Intn(5))*types.OneDait))
	p.MaxOffersPerProvider = uint32(1 + r.Intn(8))
	p.MaxOfferCapacity = uint32(1 + r.Intn(64))
	p.BucketBlocks = int64(1 + r.Intn(20))
	p.HistoryBuckets = uint32(1 + r.Intn(16))
	p.VwapWindowBuckets = uint32(1 + r.Intn(int(p.HistoryBuckets)))
	g := types.DefaultGenesis()
	g.Params = p
	simState.GenState[types.ModuleName] = simState.Cdc.MustMarshalJSON(g)
}

// Operation is a factory with its default weight.
type Operation struct {
	Key     string
	Weight  uint32
	Factory simsx.SimMsgFactoryX
}

// Factories build the module's messages.
type Factories struct {
	srv types.MsgServer
	q   types.QueryServer
}

// NewFactories builds the factories on the keeper.
func NewFactories(k keeper.Keeper) Factories {
	return Factories{srv: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k)}
}

// Operations lists every factory.
func (f Factories) Operations() []Operation {
	return []Operation{
		{"op_weight_msg_create_offer", 25, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CreateOffer())},
		{"op_weight_msg_update_offer", 25, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.UpdateOffer())},
		{"op_weight_msg_close_offer", 8, simsx.NewSimMsgFactoryWithDeliveryResultHandler(f.CloseOffer())},
	}
}

var classes = []string{"hopper", "ada", "ampere"}

func randomUnit(r *rand.Rand) types.ResourceUnit {
	u := types.ResourceUnit{CpuMillis: uint64(1000 * (1 + r.Intn(32))), MemoryMb: uint64(1024 * (1 + r.Intn(256))), StorageGb: uint64(r.Intn(1000))}
	if r.Intn(4) > 0 {
		u.Gpus = uint32(1 + r.Intn(8))
		u.GpuClass = classes[r.Intn(len(classes))]
		u.GpuMemoryGb = []uint32{24, 48, 80}[r.Intn(3)]
	}
	if r.Intn(20) == 0 {
		u.CpuMillis = 0 // refused: a unit needs CPU
	}
	return u
}

func randomPrice(r *rand.Rand) sdk.Coin {
	switch r.Intn(20) {
	case 0:
		return sdk.NewCoin(types.Denom, math.ZeroInt())
	case 1:
		return sdk.NewCoin(types.Denom, types.MaxPrice.AddRaw(1))
	}
	return sdk.NewInt64Coin(types.Denom, int64(1+r.Intn(5_000_000)))
}

func (f Factories) params(ctx context.Context) (types.Params, bool) {
	res, err := f.q.Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return types.Params{}, false
	}
	return res.Params, true
}

func (f Factories) openOffers(ctx context.Context) []types.Offer {
	res, err := f.q.Offers(ctx, &types.QueryOffersRequest{Pagination: &query.PageRequest{Limit: 1000}})
	if err != nil {
		return nil
	}
	var out []types.Offer
	for _, o := range res.Offers {
		if o.State == types.OfferOpen {
			out = append(out, o)
		}
	}
	return out
}

// CreateOffer: an account (a provider, found by dry-running up to ten
// accounts) posts an offer; its deposit is kept out of the random fees.
func (f Factories) CreateOffer() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCreateOffer] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCreateOffer, simsx.SimDeliveryResultHandler) {
		p, ok := f.params(ctx)
		if !ok {
			reporter.Skip("no params")
			return nil, nil, nil
		}
		r := data.Rand()
		msg := &types.MsgCreateOffer{Unit: randomUnit(r.Rand), Price: randomPrice(r.Rand), Capacity: uint32(r.Intn(int(p.MaxOfferCapacity) + 2))}
		if r.Intn(3) == 0 {
			msg.ExpiresAt = sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(r.Intn(40))
		}
		var from simsx.SimAccount
		for range 10 {
			from = data.AnyAccount(reporter)
			if reporter.IsSkipped() {
				return nil, nil, nil
			}
			msg.Provider = from.AddressBech32
			if simcheck.DryRun(ctx, f.srv.CreateOffer, msg) == nil {
				break
			}
		}
		if !simcheck.Reserve(&from, reporter, p.OfferDeposit) {
			return nil, nil, nil
		}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.CreateOffer, msg)
	}
}

// UpdateOffer: an offer's provider (or, one time in ten, a stranger)
// re-prices or resizes it, sometimes below what leases hold.
func (f Factories) UpdateOffer() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgUpdateOffer] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgUpdateOffer, simsx.SimDeliveryResultHandler) {
		o, ok := simcheck.Pick(data, reporter, f.openOffers(ctx), "open offer")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, o.Provider)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		r := data.Rand()
		msg := &types.MsgUpdateOffer{Provider: from.AddressBech32, OfferId: o.Id, Price: o.Price, Capacity: o.Capacity, ExpiresAt: o.ExpiresAt}
		switch r.Intn(3) {
		case 0:
			msg.Price = randomPrice(r.Rand)
		case 1:
			msg.Capacity = uint32(r.Intn(int(o.Capacity) + 4))
		default:
			msg.ExpiresAt = sdk.UnwrapSDKContext(ctx).BlockHeight() + int64(r.Intn(40)) - 2
		}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.UpdateOffer, msg)
	}
}

// CloseOffer: an offer's provider (or a stranger) closes it.
func (f Factories) CloseOffer() simsx.FactoryMethodWithDeliveryResultHandler[*types.MsgCloseOffer] {
	return func(ctx context.Context, data *simsx.ChainDataSource, reporter simsx.SimulationReporter) ([]simsx.SimAccount, *types.MsgCloseOffer, simsx.SimDeliveryResultHandler) {
		o, ok := simcheck.Pick(data, reporter, f.openOffers(ctx), "open offer")
		if !ok {
			return nil, nil, nil
		}
		from := simcheck.Signer(data, reporter, o.Provider)
		if reporter.IsSkipped() {
			return nil, nil, nil
		}
		msg := &types.MsgCloseOffer{Provider: from.AddressBech32, OfferId: o.Id}
		return []simsx.SimAccount{from}, msg, simcheck.Expect(ctx, f.srv.CloseOffer, msg)
	}
}
