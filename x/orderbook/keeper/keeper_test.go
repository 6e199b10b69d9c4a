package keeper_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/x/orderbook"
	"github.com/daitchain/daitchain/x/orderbook/keeper"
	"github.com/daitchain/daitchain/x/orderbook/types"
)

var (
	moduleAddr = authtypes.NewModuleAddress(types.ModuleName)
	provA      = sdk.AccAddress([]byte("provider-a__________"))
	provB      = sdk.AccAddress([]byte("provider-b__________"))
	stranger   = sdk.AccAddress([]byte("stranger____________"))
	authority  = authtypes.NewModuleAddress("gov")
)

func init() { sdk.GetConfig().SetBech32PrefixForAccount("dait", "daitpub") }

// ledger is an in-memory bank of udait balances.
type ledger map[string]math.Int

func (l ledger) bal(a sdk.AccAddress) math.Int {
	if b, ok := l[string(a)]; ok {
		return b
	}
	return math.ZeroInt()
}

func (l ledger) move(from, to sdk.AccAddress, amt sdk.Coins) error {
	for _, c := range amt {
		if l.bal(from).LT(c.Amount) {
			return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "%s < %s", l.bal(from), c)
		}
		l[string(from)] = l.bal(from).Sub(c.Amount)
		l[string(to)] = l.bal(to).Add(c.Amount)
	}
	return nil
}

func (l ledger) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, _ string, amt sdk.Coins) error {
	return l.move(from, moduleAddr, amt)
}

func (l ledger) SendCoinsFromModuleToAccount(_ context.Context, _ string, to sdk.AccAddress, amt sdk.Coins) error {
	return l.move(moduleAddr, to, amt)
}

func (l ledger) GetBalance(_ context.Context, a sdk.AccAddress, denom string) sdk.Coin {
	return sdk.NewCoin(denom, l.bal(a))
}

// market is x/computemarket as the order book sees it: registered
// providers, and the offers it was told to match (priced).
type market struct {
	providers map[string]bool
	priced    *[]uint64
}

func (p market) RequireActiveProvider(_ context.Context, a sdk.AccAddress) error {
	if !p.providers[string(a)] {
		return fmt.Errorf("%s is not a registered provider", a)
	}
	return nil
}

func (p market) OfferPriced(_ context.Context, id uint64) error {
	*p.priced = append(*p.priced, id)
	return nil
}

func (p market) RestingBuys(context.Context, string, int) ([]types.BuyLevel, uint64, error) {
	return nil, 0, nil
}

type fixture struct {
	t   *testing.T
	ctx sdk.Context
	k   keeper.Keeper
	// priced: the offers the matcher was told about, in order
	priced *[]uint64
	msgs   types.MsgServer
	q      types.QueryServer
	bank   ledger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	enc := moduletestutil.MakeTestEncodingConfig(orderbook.AppModule{})
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tctx := testutil.DefaultContextWithDB(t, key, storetypes.NewTransientStoreKey("t"))
	bank := ledger{string(provA): math.NewInt(10_000 * types.OneDait), string(provB): math.NewInt(10_000 * types.OneDait)}
	priced := &[]uint64{}
	k := keeper.NewKeeper(enc.Codec, addresscodec.NewBech32Codec("dait"), runtime.NewKVStoreService(key), authority.String(),
		bank, market{providers: map[string]bool{string(provA): true, string(provB): true}, priced: priced})
	f := &fixture{t: t, ctx: tctx.Ctx.WithBlockHeight(10), k: k, priced: priced, msgs: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k), bank: bank}
	require.NoError(t, k.InitGenesis(f.ctx, *types.DefaultGenesis()))
	return f
}

// check runs the invariants (with the module's real balance).
func (f *fixture) check() {
	f.t.Helper()
	require.NoError(f.t, f.k.CheckInvariants(f.ctx, f.bank.bal(moduleAddr)))
}

func (f *fixture) export() *types.GenesisState {
	g, err := f.k.ExportGenesis(f.ctx)
	require.NoError(f.t, err)
	return g
}

var hopper = types.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 2, CpuMillis: 16000, MemoryMb: 128000, StorageGb: 500}

func udait(n int64) sdk.Coin { return sdk.NewInt64Coin(types.Denom, n) }

func (f *fixture) create(p sdk.AccAddress, price int64, capacity uint32, expires int64) uint64 {
	f.t.Helper()
	res, err := f.msgs.CreateOffer(f.ctx, &types.MsgCreateOffer{Provider: p.String(), Unit: hopper, Price: udait(price), Capacity: capacity, ExpiresAt: expires})
	require.NoError(f.t, err)
	f.check()
	return res.OfferId
}

func (f *fixture) book() []types.PriceLevel {
	f.t.Helper()
	res, err := f.q.OrderBook(f.ctx, &types.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(f.t, err)
	return res.Asks
}

// refused wants err to be the registered error want and the state unchanged.
func (f *fixture) refused(before *types.GenesisState, err, want error) {
	f.t.Helper()
	require.ErrorIs(f.t, err, want)
	require.Equal(f.t, before, f.export(), "a refusal changes nothing")
	f.check()
}

func TestOfferLifecycle(t *testing.T) {
	f := newFixture(t)
	deposit := types.DefaultOfferDeposit().Amount
	a1 := f.create(provA, 2000, 4, 0)
	a2 := f.create(provA, 1500, 2, 0)
	f.ctx = f.ctx.WithBlockHeight(11)
	b1 := f.create(provB, 1500, 3, 0)
	require.Equal(t, math.NewInt(10_000*types.OneDait).Sub(deposit.MulRaw(2)), f.bank.bal(provA), "two deposits held")
	require.Equal(t, deposit.MulRaw(3), f.bank.bal(moduleAddr))

	require.Equal(t, []uint64{a1, a2, b1}, *f.priced, "every new offer goes to the matcher")

	// Levels by ascending price per GPU (2 GPUs a unit), offers at one
	// price aggregated.
	require.Equal(t, []types.PriceLevel{{Price: udait(750), Units: 5, Offers: 2, Quantity: 10}, {Price: udait(1000), Units: 4, Offers: 1, Quantity: 8}}, f.book())
	var order []uint64
	require.NoError(t, f.k.WalkOffers(f.ctx, "gpu:hopper:80", 750, 10, func(o types.Offer) (bool, error) {
		order = append(order, o.Id)
		return false, nil
	}))
	require.Equal(t, []uint64{a2, b1}, order, "at or below 750 a GPU, earliest priced first")
	m, err := f.q.Market(f.ctx, &types.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint32(3), m.OpenOffers)
	require.Equal(t, uint64(9), m.OpenUnits)
	list, err := f.q.Offers(f.ctx, &types.QueryOffersRequest{Provider: provA.String()})
	require.NoError(t, err)
	require.Len(t, list.Offers, 2)

	// Re-pricing restarts time priority: a2 at 1500 again is now after b1.
	f.ctx = f.ctx.WithBlockHeight(12)
	_, err = f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provA.String(), OfferId: a2, Price: udait(1400), Capacity: 2})
	require.NoError(t, err)
	f.check()
	o, err := f.k.GetOffer(f.ctx, a2)
	require.NoError(t, err)
	require.Equal(t, int64(12), o.PricedHeight)
	require.Equal(t, udait(700), f.book()[0].Price)
	require.Equal(t, []uint64{a1, a2, b1, a2}, *f.priced, "a cheaper offer goes to the matcher")
	_, err = f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provA.String(), OfferId: a1, Price: udait(2100), Capacity: 4})
	require.NoError(t, err)
	require.Len(t, *f.priced, 4, "a dearer offer with no more units does not")
	// Same price, new capacity: priority kept.
	_, err = f.msgs.UpdateOffer(f.ctx.WithBlockHeight(13), &types.MsgUpdateOffer{Provider: provA.String(), OfferId: a2, Price: udait(1400), Capacity: 5})
	require.NoError(t, err)
	o, _ = f.k.GetOffer(f.ctx, a2)
	require.Equal(t, int64(12), o.PricedHeight)
	require.Equal(t, uint32(5), o.Available)
	require.Equal(t, []uint64{a1, a2, b1, a2, a2}, *f.priced, "more units go to the matcher")
	f.check()

	// A lease takes 4 units; capacity may not go below them.
	o, err = f.k.Fill(f.ctx, a2, 4, math.NewInt(1400*4))
	require.NoError(t, err)
	require.Equal(t, uint32(1), o.Available)
	f.check()
	before := f.export()
	_, err = f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provA.String(), OfferId: a2, Price: udait(1400), Capacity: 3})
	f.refused(before, err, types.ErrCapacityBelowTaken)
	_, err = f.k.Fill(f.ctx, a2, 2, math.NewInt(1400*2))
	f.refused(before, err, types.ErrInsufficientUnits)
	_, err = f.k.Fill(f.ctx, a2, 1, math.NewInt(1400))
	require.NoError(t, err)
	f.check()
	mk, err := f.q.Market(f.ctx, &types.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(2), mk.TotalTrades, "a fill records its trade; a refused one does not")
	require.Equal(t, uint64(10), mk.TotalQuantity, "5 units of 2 GPUs")
	require.Equal(t, "700", mk.LastPrice.String(), "per GPU")
	for _, l := range f.book() {
		require.NotEqual(t, udait(700), l.Price, "a sold-out offer leaves the book")
	}
	require.NoError(t, f.k.Release(f.ctx, a2, 4))
	f.check()
	require.Equal(t, udait(700), f.book()[0].Price)
	require.Equal(t, uint64(4), f.book()[0].Units)
	before = f.export()
	f.refused(before, f.k.Release(f.ctx, a2, 2), types.ErrInvariantBroken)

	// Close: out of the book, deposit back; a closed offer is final.
	_, err = f.msgs.CloseOffer(f.ctx, &types.MsgCloseOffer{Provider: provA.String(), OfferId: a1})
	require.NoError(t, err)
	f.check()
	require.Equal(t, math.NewInt(10_000*types.OneDait).Sub(deposit), f.bank.bal(provA))
	before = f.export()
	_, err = f.msgs.CloseOffer(f.ctx, &types.MsgCloseOffer{Provider: provA.String(), OfferId: a1})
	f.refused(before, err, types.ErrOfferClosed)
	_, err = f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provA.String(), OfferId: a1, Price: udait(1), Capacity: 1})
	f.refused(before, err, types.ErrOfferClosed)
	_, err = f.k.Fill(f.ctx, a1, 1, math.NewInt(2100))
	f.refused(before, err, types.ErrOfferClosed)
}

func TestOfferRefusals(t *testing.T) {
	f := newFixture(t)
	id := f.create(provA, 1000, 2, 0)
	before := f.export()
	create := func(p sdk.AccAddress, edit func(*types.MsgCreateOffer)) error {
		m := &types.MsgCreateOffer{Provider: p.String(), Unit: hopper, Price: udait(1000), Capacity: 2}
		edit(m)
		_, err := f.msgs.CreateOffer(f.ctx, m)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"not a provider", create(stranger, func(*types.MsgCreateOffer) {}), types.ErrNotProvider},
		{"zero price", create(provA, func(m *types.MsgCreateOffer) { m.Price = udait(0) }), types.ErrInvalidPrice},
		{"other denom", create(provA, func(m *types.MsgCreateOffer) { m.Price = sdk.NewInt64Coin("uatom", 5) }), types.ErrInvalidPrice},
		{"price above the bound", create(provA, func(m *types.MsgCreateOffer) { m.Price = sdk.NewCoin(types.Denom, types.MaxPrice.AddRaw(1)) }), types.ErrInvalidPrice},
		{"zero capacity", create(provA, func(m *types.MsgCreateOffer) { m.Capacity = 0 }), types.ErrInvalidCapacity},
		{"capacity above the param", create(provA, func(m *types.MsgCreateOffer) { m.Capacity = types.DefaultMaxOfferCapacity + 1 }), types.ErrInvalidCapacity},
		{"expiry in the past", create(provA, func(m *types.MsgCreateOffer) { m.ExpiresAt = 10 }), types.ErrInvalidExpiry},
		{"negative expiry", create(provA, func(m *types.MsgCreateOffer) { m.ExpiresAt = -1 }), types.ErrInvalidExpiry},
		{"no cpu", create(provA, func(m *types.MsgCreateOffer) { m.Unit.CpuMillis = 0 }), types.ErrInvalidOfferUnit},
		{"gpu without memory", create(provA, func(m *types.MsgCreateOffer) { m.Unit.GpuMemoryGb = 0 }), types.ErrInvalidOfferUnit},
		{"bad class", create(provA, func(m *types.MsgCreateOffer) { m.Unit.GpuClass = "H100!" }), types.ErrInvalidOfferUnit},
		{"cpu unit with a class", create(provA, func(m *types.MsgCreateOffer) { m.Unit.Gpus = 0 }), types.ErrInvalidOfferUnit},
		{"bad address", create(provA, func(m *types.MsgCreateOffer) { m.Provider = "nope" }), types.ErrInvalidAddress},
	} {
		f.refused(before, tc.err, tc.want)
		require.ErrorIs(t, tc.err, tc.want, tc.name)
	}
	_, err := f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provB.String(), OfferId: id, Price: udait(1), Capacity: 2})
	f.refused(before, err, types.ErrUnauthorized)
	_, err = f.msgs.CloseOffer(f.ctx, &types.MsgCloseOffer{Provider: provB.String(), OfferId: id})
	f.refused(before, err, types.ErrUnauthorized)
	_, err = f.msgs.CloseOffer(f.ctx, &types.MsgCloseOffer{Provider: provA.String(), OfferId: 99})
	f.refused(before, err, types.ErrOfferNotFound)
	_, err = f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: provA.String(), Params: types.DefaultParams()})
	f.refused(before, err, types.ErrInvalidAuthority)
	bad := types.DefaultParams()
	bad.VwapWindowBuckets = bad.HistoryBuckets + 1
	_, err = f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: authority.String(), Params: bad})
	f.refused(before, err, types.ErrInvalidParams)

	// A provider without the deposit is refused by the bank; nothing changes.
	f.bank[string(provB)] = math.NewInt(5)
	err = create(provB, func(*types.MsgCreateOffer) {})
	f.refused(before, err, sdkerrors.ErrInsufficientFunds)

	// The per-provider bound.
	p := types.DefaultParams()
	p.MaxOffersPerProvider = 2
	_, err = f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: authority.String(), Params: p})
	require.NoError(t, err)
	f.create(provA, 900, 1, 0)
	before = f.export()
	f.refused(before, create(provA, func(*types.MsgCreateOffer) {}), types.ErrTooManyOffers)

	_, err = f.q.OrderBook(f.ctx, &types.QueryOrderBookRequest{Class: "tpu"})
	require.Error(t, err)
	_, err = f.q.OrderBook(f.ctx, &types.QueryOrderBookRequest{Class: "cpu", Depth: keeper.MaxDepth + 1})
	require.Error(t, err)
}

// Expiry closes offers at their height, refunding the deposit, at most
// MaxExpiriesPerBlock per block with the rest carried to the next.
func TestOfferExpiry(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.MaxOffersPerProvider = types.MaxOffersCap
	p.OfferDeposit = udait(10)
	require.NoError(t, f.k.SetParams(f.ctx, p))
	n := keeper.MaxExpiriesPerBlock + 20
	for i := 0; i < n/2; i++ {
		f.create(provA, int64(100+i), 1, 12)
		f.create(provB, int64(100+i), 1, 12)
	}
	keep := f.create(provA, 5, 1, 0)
	moved := f.create(provA, 5, 1, 12)
	_, err := f.msgs.UpdateOffer(f.ctx, &types.MsgUpdateOffer{Provider: provA.String(), OfferId: moved, Price: udait(5), Capacity: 1, ExpiresAt: 40})
	require.NoError(t, err)
	f.check()

	f.ctx = f.ctx.WithBlockHeight(11)
	require.NoError(t, f.k.EndBlock(f.ctx))
	require.Len(t, f.export().Offers, n+2)
	open := func() int {
		c := 0
		for _, o := range f.export().Offers {
			if o.State == types.OfferOpen {
				c++
			}
		}
		return c
	}
	require.Equal(t, n+2, open())
	f.ctx = f.ctx.WithBlockHeight(12)
	require.NoError(t, f.k.EndBlock(f.ctx))
	f.check()
	require.Equal(t, n+2-keeper.MaxExpiriesPerBlock, open(), "bounded per block")
	f.ctx = f.ctx.WithBlockHeight(13)
	require.NoError(t, f.k.EndBlock(f.ctx))
	f.check()
	require.Equal(t, 2, open(), "the rest at the next block")
	for _, id := range []uint64{keep, moved} {
		o, err := f.k.GetOffer(f.ctx, id)
		require.NoError(t, err)
		require.Equal(t, types.OfferOpen, o.State)
	}
	require.Equal(t, math.NewInt(20), f.bank.bal(moduleAddr), "only the two open offers' deposits are held")
}

// Trades feed the market data; genesis export and import round-trip the
// whole state, indexes and open interest included.
func TestMarketDataAndGenesis(t *testing.T) {
	f := newFixture(t)
	f.create(provA, 3000, 4, 0)
	f.create(provB, 2000, 2, 30)
	// Two trades: 1 unit (2 GPUs) at 3000 and 2 units at 2000 per unit.
	require.NoError(t, f.k.RecordTrade(f.ctx, "gpu:hopper:80", math.NewInt(3000), 2))
	f.ctx = f.ctx.WithBlockHeight(15)
	require.NoError(t, f.k.RecordTrade(f.ctx, "gpu:hopper:80", math.NewInt(4000), 4))
	require.ErrorIs(t, f.k.RecordTrade(f.ctx, "gpu:hopper:80", math.NewInt(1), 0), types.ErrMarketData)
	require.ErrorIs(t, f.k.RecordTrade(f.ctx, "nope", math.NewInt(1), 1), types.ErrInvalidClass)
	m, err := f.q.Market(f.ctx, &types.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, math.NewInt(1000), m.LastPrice, "per GPU")
	require.Equal(t, math.NewInt(7000/6), m.Vwap, "sum notional / sum GPUs")
	require.Equal(t, math.NewInt(1000), m.MinPrice)
	require.Equal(t, math.NewInt(1500), m.MaxPrice)
	require.Equal(t, uint64(2), m.WindowTrades)
	require.Equal(t, uint64(6), m.WindowQuantity)
	h, err := f.q.PriceHistory(f.ctx, &types.QueryPriceHistoryRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Len(t, h.Buckets, 1, "both in the first 100-block bucket")

	g := f.export()
	require.NoError(t, g.Validate())
	f2 := newFixture(t)
	f2.ctx = f2.ctx.WithBlockHeight(f.ctx.BlockHeight())
	require.NoError(t, f2.k.InitGenesis(f2.ctx, *g))
	f2.bank[string(moduleAddr)] = f.bank.bal(moduleAddr)
	f2.check()
	require.Equal(t, g, f2.export())
	require.Equal(t, f.book(), f2.book())

	bad := *g
	bad.Offers = append([]types.Offer(nil), g.Offers...)
	bad.Offers[0].Available = bad.Offers[0].Capacity + 1
	require.ErrorIs(t, bad.Validate(), types.ErrInvalidGenesis)
	bad.Offers = append(append([]types.Offer(nil), g.Offers...), g.Offers[0])
	require.ErrorIs(t, bad.Validate(), types.ErrInvalidGenesis)
}

// The stored ring (one entry per bucket, a trade writing only its own)
// holds exactly what the pure MarketStats.Record gives for the same trades,
// through wrap-arounds of a small ring and a change of history_buckets.
func TestMarketDataStoredRing(t *testing.T) {
	f := newFixture(t)
	setRing := func(n uint32) {
		t.Helper()
		p := types.DefaultParams()
		p.BucketBlocks, p.HistoryBuckets, p.VwapWindowBuckets = 10, n, 1
		_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: authority.String(), Params: p})
		require.NoError(t, err)
	}
	setRing(4)
	model := types.MarketStats{Class: "gpu:hopper:80", LastPrice: math.ZeroInt()}
	ring := uint32(4)
	for i := int64(0); i < 60; i++ {
		if i == 35 {
			ring = 6
			setRing(ring)
		}
		h := 20 + i*3 + i%2
		f.ctx = f.ctx.WithBlockHeight(h)
		notional, gpus := math.NewInt(1000+37*(i%9)), uint64(1+i%3)
		require.NoError(t, f.k.RecordTrade(f.ctx, "gpu:hopper:80", notional, gpus))
		require.NoError(t, model.Record(types.Trade{Height: h, Notional: notional, Quantity: gpus}, 10, ring))
		res, err := f.q.PriceHistory(f.ctx, &types.QueryPriceHistoryRequest{Class: "gpu:hopper:80"})
		require.NoError(t, err)
		require.Equal(t, model.History(), res.Buckets, "after trade %d", i)
		m, err := f.q.Market(f.ctx, &types.QueryMarketRequest{Class: "gpu:hopper:80"})
		require.NoError(t, err)
		s := model.Summarise(h, 10)
		require.Equal(t, s.VWAP, m.Vwap, "after trade %d", i)
		require.Equal(t, s.Last, m.LastPrice)
		require.Equal(t, model.TotalTrades, m.TotalTrades)
	}
	g := f.export()
	require.NoError(t, g.Validate())
	require.Len(t, g.Markets, 1)
	require.Equal(t, model.History(), g.Markets[0].History(), "export carries the ring")
}
