package orderbook

import (
	autocliv1 "cosmossdk.io/api/cosmos/autocli/v1"
)

// AutoCLIOptions describes the generated CLI of every Msg and Query.
func (AppModule) AutoCLIOptions() *autocliv1.ModuleOptions {
	pos := func(fields ...string) []*autocliv1.PositionalArgDescriptor {
		out := make([]*autocliv1.PositionalArgDescriptor, len(fields))
		for i, f := range fields {
			out[i] = &autocliv1.PositionalArgDescriptor{ProtoField: f}
		}
		return out
	}
	return &autocliv1.ModuleOptions{
		Tx: &autocliv1.ServiceCommandDescriptor{
			Service: "daitchain.orderbook.v1.Msg",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "UpdateParams", Skip: true}, // governance only
				{
					RpcMethod: "CreateOffer", Use: "create-offer <unit-json> <price> <capacity>",
					Short:          "Post a standing offer: capacity units at a price per block per unit",
					Example:        `daitd tx orderbook create-offer '{"gpu_class":"hopper","gpu_memory_gb":80,"gpus":1,"cpu_millis":16000,"memory_mb":128000,"storage_gb":500}' 2400000udait 8 --expires-at 0 --from provider1`,
					PositionalArgs: pos("unit", "price", "capacity"),
					FlagOptions:    map[string]*autocliv1.FlagOptions{"expires_at": {Usage: "height at which the offer closes by itself (0: never)"}},
				},
				{
					RpcMethod: "UpdateOffer", Use: "update-offer <offer-id> <price> <capacity>",
					Short:          "Re-price or resize an open offer (its expiry is --expires-at, 0: never)",
					PositionalArgs: pos("offer_id", "price", "capacity"),
				},
				{RpcMethod: "CloseOffer", Use: "close-offer <offer-id>", Short: "Close an open offer; its deposit comes back, its leases run on", PositionalArgs: pos("offer_id")},
			},
		},
		Query: &autocliv1.ServiceCommandDescriptor{
			Service: "daitchain.orderbook.v1.Query",
			RpcCommandOptions: []*autocliv1.RpcCommandOptions{
				{RpcMethod: "Params", Use: "params", Short: "The order book's params"},
				{RpcMethod: "Offer", Use: "offer <id>", Short: "One offer", PositionalArgs: pos("id")},
				{RpcMethod: "Offers", Use: "offers", Short: "Offers by id (--provider: one provider's open ones)"},
				{RpcMethod: "OrderBook", Use: "order-book <class>", Short: "A class's open offers by price level (class: gpu:<class>:<memory_gb> or cpu)",
					PositionalArgs: pos("class")},
				{RpcMethod: "Market", Use: "market <class>", Short: "A class's market data: last, VWAP, min, max, volume, open interest", PositionalArgs: pos("class")},
				{RpcMethod: "Classes", Use: "classes", Short: "The resource classes with offers or trades, with their open interest"},
				{RpcMethod: "PriceHistory", Use: "price-history <class>", Short: "A class's trade buckets, oldest first", PositionalArgs: pos("class")},
			},
		},
	}
}
