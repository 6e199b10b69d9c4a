package keeper_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// bookOf loads n open offers of one class (from 100 providers, prices
// spread over 2000..2999) into the order book through its genesis, and
// registers their providers.
func (b *bookMarket) bookOf(t testing.TB, n int) {
	t.Helper()
	h := b.ctx.BlockHeight()
	for i := range 100 {
		p := benchAddr(0xd0, i)
		b.bond(p, minBond)
		_, err := b.msgs.CreateProvider(b.ctx, &types.MsgCreateProvider{Owner: str(p), HostUri: "https://p.example.com"})
		require.NoError(t, err)
	}
	gs := obtypes.DefaultGenesis()
	gs.Params.OfferDeposit = udait(0)
	zero := udait(0)
	for i := 1; i <= n; i++ {
		gs.Offers = append(gs.Offers, obtypes.Offer{
			Id: uint64(i), Provider: str(benchAddr(0xd0, i%100)), Unit: hopperUnit, Price: udait(int64(2000 + (i*7919)%1000)),
			Capacity: 8, Available: 8, State: obtypes.OfferOpen, CreatedHeight: h, PricedHeight: h, Deposit: zero,
		})
	}
	gs.NextOfferId = uint64(n + 1)
	require.NoError(t, b.ob.InitGenesis(b.ctx, *gs))
	b.commit(t)
}

// BenchmarkMarketBuy measures the transaction that creates a market-buy
// group against a book of 100 and of 10,000 offers: the matcher reads the
// cheapest offers of the fitting classes only (bounded), so the cost may
// grow at most with log(book) (the store's tree depth). Each round's
// deployment is closed untimed, so the book stays the same.
func BenchmarkMarketBuy(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("offers=%d", n), func(b *testing.B) {
			m := newBookMarket(b)
			m.bookOf(b, n)
			m.fund(tenant1, 1_000_000_000*types.OneDait)
			s := spec("g", 1_000_000, dep)
			s.Order = types.OrderMarket
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := m.msgs.CreateDeployment(m.ctx, &types.MsgCreateDeployment{Owner: str(tenant1), Version: make([]byte, 32), Groups: []types.GroupSpec{s}})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_, err = m.msgs.CloseDeployment(m.ctx, &types.MsgCloseDeployment{Owner: str(tenant1), DeploymentId: res.DeploymentId})
				require.NoError(b, err)
				m.commit(b)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkEndBlockRestingBuys measures EndBlock with 100 and with 10,000
// resting limit buys and no offer priced: the buy side is read only when
// an offer asks, so the cost must not grow with the resting buys.
func BenchmarkEndBlockRestingBuys(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("resting=%d", n), func(b *testing.B) {
			m := newBookMarket(b)
			h := m.ctx.BlockHeight()
			require.NoError(b, m.k.InitGenesis(m.ctx, restingGenesis(n, h)))
			m.fund(moduleAddr, int64(n)*dep)
			m.bookOf(b, 100)
			m.commit(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.k.EndBlocker(m.ctx.WithBlockHeight(h + 1 + int64(i%1000))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// restingGenesis is a genesis with n ORDERED limit buys (1000 udait a
// block, under every offer of bookOf) expiring in a million blocks.
func restingGenesis(n int, h int64) types.GenesisState {
	gs := *types.DefaultGenesis()
	gs.Params.AuditorWhitelist = []string{str(auditorX)}
	tenant := str(tenant1)
	gs.Deployments = []types.Deployment{{Id: 1, Owner: tenant, Version: make([]byte, 32), State: types.DeploymentActive, CreatedHeight: h}}
	for i := 1; i <= n; i++ {
		id := uint64(i)
		s := limit(fmt.Sprintf("g%d", i), 1000, dep, h+1_000_000)
		gs.Groups = append(gs.Groups, types.Group{Id: id, DeploymentId: 1, Owner: tenant, Spec: s, State: types.GroupOrdered, OpenedAt: h, AuctionEnd: h, CreatedHeight: h})
		gs.Escrows = append(gs.Escrows, types.Escrow{GroupId: id, Owner: tenant, Balance: udait(dep), Deposited: udait(dep), SettledHeight: h})
	}
	gs.NextDeploymentId, gs.NextGroupId, gs.NextBidId, gs.NextLeaseId = 2, uint64(n+1), 1, 1
	return gs
}
