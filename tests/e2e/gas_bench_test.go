package e2e

import (
	"crypto/sha256"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
	obtypes "github.com/daitchain/daitchain/x/orderbook/types"
)

// BenchmarkGas reports the gas a real node charges for MsgCreateBid,
// MsgCreateLease and MsgWithdraw, and the order book's MsgCreateOffer and
// MsgUpdateOffer (gas is deterministic: run with -benchtime 1x). Goals: a
// bid below 60k, a withdraw below 100k; issue 15: an offer re-pricing at
// most a bank send (ratio <= 1.0), a market-buy create-deployment <= 1.8x.
func BenchmarkGas(b *testing.B) {
	c := chain.Start(b, func(p *types.Params) { p.BidDurationBlocks = 100 }, chain.NoInflation())
	tenant := c.NewAccount("tenant", "", sdk.Coin{})
	provider := c.NewAccount("provider", "", sdk.Coin{})
	c.MustDeliver(c.Val.Moniker,
		banktypes.NewMsgSend(c.Val.Address, tenant, sdk.NewCoins(chain.DAIT(100_000))),
		banktypes.NewMsgSend(c.Val.Address, provider, sdk.NewCoins(chain.DAIT(100_000))))
	// A real provider: bonded above the tier, which every bid re-checks.
	c.MustDeliver("provider", stakingtypes.NewMsgDelegate(provider.String(), c.Val.ValAddress.String(), chain.DAIT(2_000)))
	c.MustDeliver("provider", &types.MsgCreateProvider{Owner: provider.String(), HostUri: "https://p.example.com"})
	version := sha256.Sum256([]byte("gas"))
	unit := obtypes.ResourceUnit{GpuClass: "hopper", GpuMemoryGb: 80, Gpus: 1, CpuMillis: 8000, MemoryMb: 64000, StorageGb: 100}
	res := c.MustDeliver("provider", &obtypes.MsgCreateOffer{Provider: provider.String(), Unit: unit, Price: udait(2_000), Capacity: 64})
	createOffer := res.GasUsed
	var offer obtypes.MsgCreateOfferResponse
	if err := unpackResponse(c, res, &offer); err != nil {
		b.Fatal(err)
	}

	var bid, lease, withdraw, deploy, send, updateOffer, marketBuy int64
	for i := 0; i < b.N; i++ {
		// A plain transfer, for scale: the tx overhead every message pays.
		res = c.MustDeliver("tenant", banktypes.NewMsgSend(tenant, provider, sdk.NewCoins(udait(1))))
		send += res.GasUsed
		res = c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{group("g", 5_000)}})
		deploy += res.GasUsed
		var created types.MsgCreateDeploymentResponse
		if err := unpackResponse(c, res, &created); err != nil {
			b.Fatal(err)
		}
		res = c.MustDeliver("provider", &types.MsgCreateBid{Provider: provider.String(), GroupId: created.GroupIds[0], Price: udait(4_000)})
		bid += res.GasUsed
		var placed types.MsgCreateBidResponse
		if err := unpackResponse(c, res, &placed); err != nil {
			b.Fatal(err)
		}
		res = c.MustDeliver("tenant", &types.MsgCreateLease{Owner: tenant.String(), BidId: placed.BidId})
		lease += res.GasUsed
		var leased types.MsgCreateLeaseResponse
		if err := unpackResponse(c, res, &leased); err != nil {
			b.Fatal(err)
		}
		c.WaitForHeight(res.Height + 2)
		res = c.MustDeliver("provider", &types.MsgWithdraw{Provider: provider.String(), LeaseId: leased.LeaseId})
		withdraw += res.GasUsed
		c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: created.DeploymentId})
		// A re-pricing, as the daemon's dynamic pricing sends it.
		res = c.MustDeliver("provider", &obtypes.MsgUpdateOffer{Provider: provider.String(), OfferId: offer.OfferId, Price: udait(int64(2_001 + i)), Capacity: 8})
		updateOffer += res.GasUsed
		// A market buy: the group is matched against the offer in the tx.
		mg := group("m", 5_000)
		mg.Order = types.OrderMarket
		res = c.MustDeliver("tenant", &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{mg}})
		marketBuy += res.GasUsed
		var bought types.MsgCreateDeploymentResponse
		if err := unpackResponse(c, res, &bought); err != nil {
			b.Fatal(err)
		}
		c.MustDeliver("tenant", &types.MsgCloseDeployment{Owner: tenant.String(), DeploymentId: bought.DeploymentId})
	}
	n := float64(b.N)
	b.ReportMetric(float64(bid)/n, "gas/bid")
	b.ReportMetric(float64(lease)/n, "gas/create-lease")
	b.ReportMetric(float64(withdraw)/n, "gas/withdraw")
	b.ReportMetric(float64(deploy)/n, "gas/create-deployment")
	b.ReportMetric(float64(send)/n, "gas/bank-send")
	b.ReportMetric(float64(createOffer), "gas/create-offer")
	b.ReportMetric(float64(updateOffer)/n, "gas/update-offer")
	b.ReportMetric(float64(updateOffer)/float64(send), "update-offer/bank-send")
	b.ReportMetric(float64(marketBuy)/n, "gas/market-buy-deployment")
	b.ReportMetric(float64(marketBuy)/float64(send), "market-buy/bank-send")
}
