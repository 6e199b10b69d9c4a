package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	"github.com/cosmos/cosmos-sdk/store/v2"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	dbm "github.com/cosmos/cosmos-db"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"github.com/cosmos/cosmos-sdk/runtime"
	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"

	"github.com/daitchain/daitchain/x/computemarket/keeper"
	"github.com/daitchain/daitchain/x/computemarket/types"
	"github.com/daitchain/daitchain/x/orderbook"
	obkeeper "github.com/daitchain/daitchain/x/orderbook/keeper"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// bookMarket is the market fixture with a real x/orderbook keeper wired as
// the app wires it (offers without deposits, so the ledger's one module
// account stays computemarket's).
type bookMarket struct {
	*market
	ob     obkeeper.Keeper
	obMsgs obtypes.MsgServer
	obQ    obtypes.QueryServer
}

func newBookMarket(t testing.TB) *bookMarket {
	t.Helper()
	db := dbm.NewMemDB()
	cms := store.NewCommitMultiStore(db, log.NewNopLogger())
	key, obKey := storetypes.NewKVStoreKey(types.StoreKey), storetypes.NewKVStoreKey(obtypes.StoreKey)
	cms.MountStoreWithDB(key, storetypes.StoreTypeIAVL, nil)
	cms.MountStoreWithDB(obKey, storetypes.StoreTypeIAVL, nil)
	require.NoError(t, cms.LoadLatestVersion())
	ctx := sdk.NewContext(cms, cmtproto.Header{}, false, log.NewNopLogger())
	bank := newLedger()
	m := &market{fixture: newFixtureOn(t, key, cms, ctx, bank, bank), bank: bank}
	enc := moduletestutil.MakeTestEncodingConfig(orderbook.AppModule{})
	ob := obkeeper.NewKeeper(enc.Codec, addresscodec.NewBech32Codec("dait"), runtime.NewKVStoreService(obKey), str(authority), bank, m.k)
	gs := obtypes.DefaultGenesis()
	gs.Params.OfferDeposit = sdk.NewInt64Coin(obtypes.Denom, 0)
	require.NoError(t, ob.InitGenesis(m.ctx, *gs))
	m.k.SetOfferBook(ob)
	return &bookMarket{market: m, ob: ob, obMsgs: obkeeper.NewMsgServerImpl(ob), obQ: obkeeper.NewQueryServerImpl(ob)}
}

// dep is a group deposit at lease_min_deposit.
var dep = types.DefaultParams().LeaseMinDeposit.Amount.Int64()

// newBookMarketT is newMarketT's market (params, funded tenants, three
// providers with region=eu) with the order book wired.
func newBookMarketT(t *testing.T) *bookMarket {
	t.Helper()
	b := newBookMarket(t)
	b.setParams(t, func(p *types.Params) {})
	b.fund(tenant1, tenantFunds)
	b.fund(tenant2, tenantFunds)
	for _, owner := range []sdk.AccAddress{provA, provB, provC} {
		b.provider(t, owner, "region", "eu")
	}
	return b
}

var hopperUnit = obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 1000, MemoryMb: 1024, StorageGb: 10}

func (b *bookMarket) offer(t *testing.T, p sdk.AccAddress, price int64, capacity uint32) uint64 {
	t.Helper()
	res, err := b.obMsgs.CreateOffer(b.ctx, &obtypes.MsgCreateOffer{Provider: str(p), Unit: hopperUnit, Price: udait(price), Capacity: capacity})
	require.NoError(t, err)
	return res.OfferId
}

func (b *bookMarket) reprice(t *testing.T, p sdk.AccAddress, id uint64, price int64, capacity uint32) {
	t.Helper()
	_, err := b.obMsgs.UpdateOffer(b.ctx, &obtypes.MsgUpdateOffer{Provider: str(p), OfferId: id, Price: udait(price), Capacity: capacity})
	require.NoError(t, err)
}

// limit is a one-GPU hopper limit buy at maxPrice that expires at h.
func limit(name string, maxPrice, deposit, expiresAt int64, reqs ...types.Requirement) types.GroupSpec {
	s := spec(name, maxPrice, deposit, reqs...)
	s.Order, s.ExpiresAt = types.OrderLimit, expiresAt
	return s
}

// checkAll runs, between blocks, the invariants that hold then (endBlock
// runs all of computemarket's after each EndBlock) and the order book's.
func (b *bookMarket) checkAll(t *testing.T) {
	t.Helper()
	for _, inv := range []keeper.Invariant{keeper.RestingInvariant(b.k), keeper.OfferUnitsInvariant(b.k)} {
		msg, broken := inv(b.ctx)
		require.False(t, broken, msg)
	}
	require.NoError(t, b.ob.CheckInvariants(b.ctx, b.bank.balance(moduleAddr)))
}

func (b *bookMarket) leaseOf(t *testing.T, group uint64) types.Lease {
	t.Helper()
	g := b.group(t, group)
	require.Equal(t, types.GroupMatched, g.State, "group %d", group)
	return b.lease(t, g.LeaseId)
}

// A limit buy rests ORDERED from creation: no auction, counted on the buy
// side of the order book, matched by the first bid at or below its limit;
// another expires at expires_at and its whole escrow returns.
func TestLimitBuyRestsMatchesAndExpires(t *testing.T) {
	b := newBookMarket(t)
	b.provider(t, provA)
	b.fund(tenant1, 1_000*types.OneDait)
	h := b.ctx.BlockHeight()
	res := b.deploy(t, tenant1, limit("a", 3000, dep, h+20), limit("b", 3000, 2*dep, h+20))
	ga, gb := res.GroupIds[0], res.GroupIds[1]
	b.requireGroup(t, ga, types.GroupOrdered)
	b.requireGroup(t, gb, types.GroupOrdered)
	b.checkAll(t)
	m, err := b.obQ.Market(b.ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(2), m.RestingBuys)
	book, err := b.obQ.OrderBook(b.ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, []obtypes.BuyLevel{{Limit: udait(3000), Orders: 2, Quantity: 2}}, book.Bids)
	book, err = b.obQ.OrderBook(b.ctx, &obtypes.QueryOrderBookRequest{Class: "gpu:hopper:40"})
	require.NoError(t, err)
	require.Empty(t, book.Bids, "40 GB GPUs cannot serve an 80 GB buy")

	// Blocks pass; nothing happens before expires_at.
	b.advance(t, h+5)
	b.requireGroup(t, ga, types.GroupOrdered)

	// A bid above the limit is refused; one at it matches at once.
	b.refuse(t, types.ErrBidPriceTooHigh, &types.MsgCreateBid{Provider: str(provA), GroupId: ga, Price: udait(3001)})
	bidRes := b.bid(t, provA, ga, 2900)
	require.NotZero(t, bidRes.LeaseId)
	require.Equal(t, udait(2900), b.leaseOf(t, ga).Price)
	b.checkAll(t)
	m, err = b.obQ.Market(b.ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(1), m.TotalTrades, "a bid's trade is in the market data of the class the group asked for")
	require.Equal(t, "2900", m.LastPrice.String())

	// The other expires at the end of block h+20 and its deposit returns.
	before := b.bank.balance(tenant1)
	b.advance(t, h+20)
	b.requireGroup(t, gb, types.GroupOrdered)
	b.endBlock(t)
	b.requireGroup(t, gb, types.GroupClosed)
	require.Equal(t, before.AddRaw(2*dep), b.bank.balance(tenant1), "the whole escrow returns")
	require.True(t, b.escrow(t, gb).Balance.IsZero())
	m, err = b.obQ.Market(b.ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Zero(t, m.RestingBuys)
	b.checkAll(t)
}

func TestLimitBuyRefusals(t *testing.T) {
	b := newBookMarket(t)
	b.fund(tenant1, 1_000*types.OneDait)
	h := b.ctx.BlockHeight()
	for _, c := range []struct {
		name string
		spec types.GroupSpec
	}{
		{"no expiry", limit("a", 3000, dep, 0)},
		{"expiry now", limit("a", 3000, dep, h)},
		{"expiry past", limit("a", 3000, dep, h-1)},
		{"expiry on an auction", func() types.GroupSpec { s := spec("a", 3000, dep); s.ExpiresAt = h + 5; return s }()},
		{"fallback on a limit", func() types.GroupSpec { s := limit("a", 3000, dep, h+5); s.FallbackAuction = true; return s }()},
	} {
		t.Run(c.name, func(t *testing.T) {
			b.refuse(t, types.ErrInvalidGroupSpec, &types.MsgCreateDeployment{Owner: str(tenant1), Version: make([]byte, 32), Groups: []types.GroupSpec{c.spec}})
		})
	}
}

// Offers fill resting buys in price-time priority: the highest limit
// first, then the earliest; an offer that got cheaper fills those it now
// can; a limit buy created with an offer already below it is filled in its
// own transaction; units a closed lease gives back fill the next buy.
func TestLimitBuysFilledByOffers(t *testing.T) {
	b := newBookMarket(t)
	b.provider(t, provA)
	b.fund(tenant1, 10_000*types.OneDait)
	h := b.ctx.BlockHeight()
	low1 := b.deploy(t, tenant1, limit("low1", 3000, dep, h+100)).GroupIds[0]
	b.endBlock(t)
	low2 := b.deploy(t, tenant1, limit("low2", 3000, dep, h+100)).GroupIds[0]
	high := b.deploy(t, tenant1, limit("high", 5000, dep, h+100)).GroupIds[0]

	// An offer at 4000 serves only the 5000 buy, in EndBlock.
	o := b.offer(t, provA, 4000, 3)
	b.requireGroup(t, high, types.GroupOrdered)
	b.endBlock(t)
	require.Equal(t, udait(4000), b.leaseOf(t, high).Price)
	b.requireGroup(t, low1, types.GroupOrdered)
	b.requireGroup(t, low2, types.GroupOrdered)
	b.checkAll(t)

	// Re-priced to 2500 with one unit left: the earlier 3000 buy gets it.
	b.reprice(t, provA, o, 2500, 2)
	b.endBlock(t)
	require.Equal(t, udait(2500), b.leaseOf(t, low1).Price)
	b.requireGroup(t, low2, types.GroupOrdered)

	// A limit buy made while the offer (sold out) cannot serve it rests;
	// a new offer below its limit fills it in the creating tx.
	o2 := b.offer(t, provA, 1000, 1)
	now := b.deploy(t, tenant1, limit("now", 1500, dep, h+100)).GroupIds[0]
	require.Equal(t, udait(1000), b.leaseOf(t, now).Price, "a marketable limit buy fills at once")
	_ = o2

	// The 3000 lease closes: its unit goes back to the offer and fills
	// low2 at the next EndBlock.
	b.ok(t, &types.MsgCloseLease{Owner: str(tenant1), LeaseId: b.leaseOf(t, low1).Id})
	b.endBlock(t)
	require.Equal(t, udait(2500), b.leaseOf(t, low2).Price)
	b.checkAll(t)

	// The market data has the four trades.
	m, err := b.obQ.Market(b.ctx, &obtypes.QueryMarketRequest{Class: "gpu:hopper:80"})
	require.NoError(t, err)
	require.Equal(t, uint64(4), m.TotalTrades)
	require.Zero(t, m.RestingBuys)
}

// A scan visits at most 32 resting buys per block and resumes where it
// stopped: buys the provider cannot serve (unmet requirements) ahead of
// the book do not stop the buys behind them from filling.
func TestOfferScanCarriesOver(t *testing.T) {
	b := newBookMarket(t)
	b.provider(t, provA)
	b.fund(tenant1, 100_000*types.OneDait)
	h := b.ctx.BlockHeight()
	needsTEE := req("tee", types.OpEq, "intel-tdx")
	var blocked []types.GroupSpec
	for i := range 40 {
		blocked = append(blocked, limit("x"+string(rune('a'+i%26))+string(rune('a'+i/26)), 9000, dep, h+100, needsTEE))
	}
	for i := 0; i < len(blocked); i += 10 {
		b.deploy(t, tenant1, blocked[i:i+10]...)
	}
	b.endBlock(t)
	served := b.deploy(t, tenant1, limit("served", 5000, dep, h+100)).GroupIds[0]
	b.offer(t, provA, 4000, 1)
	b.endBlock(t) // visits 32 blocked buys
	b.requireGroup(t, served, types.GroupOrdered)
	// The carried-over scan, cursor and all, survives a genesis round trip.
	gs, err := b.k.ExportGenesis(b.ctx)
	require.NoError(t, err)
	require.Len(t, gs.OfferScans, 1)
	require.True(t, gs.OfferScans[0].Started)
	require.NoError(t, gs.Validate())
	other := newBookMarket(t)
	other.atHeight(b.ctx.BlockHeight())
	require.NoError(t, other.k.InitGenesis(other.ctx, *gs))
	again, err := other.k.ExportGenesis(other.ctx)
	require.NoError(t, err)
	require.Equal(t, gs.OfferScans, again.OfferScans)
	require.Equal(t, gs.Groups, again.Groups)
	dup := *gs
	dup.OfferScans = append(dup.OfferScans, gs.OfferScans[0])
	require.ErrorIs(t, dup.Validate(), types.ErrInvalidGenesis)
	b.endBlock(t) // the last 8, then served
	require.Equal(t, udait(4000), b.leaseOf(t, served).Price)
	b.checkAll(t)
}
