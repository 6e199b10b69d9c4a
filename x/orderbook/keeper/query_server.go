package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

type queryServer struct{ k Keeper }

// NewQueryServerImpl is the module's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

// Depth bounds of the order-book query.
const (
	DefaultDepth = 20
	MaxDepth     = 100
	// maxBookScan bounds the offers one order-book query reads.
	maxBookScan = 10_000
)

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Offer(ctx context.Context, req *types.QueryOfferRequest) (*types.QueryOfferResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	o, err := q.k.GetOffer(ctx, req.Id)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	return &types.QueryOfferResponse{Offer: o}, nil
}

func (q queryServer) Offers(ctx context.Context, req *types.QueryOffersRequest) (*types.QueryOffersResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Provider == "" {
		offers, page, err := query.CollectionPaginate(ctx, q.k.offers, req.Pagination,
			func(_ uint64, o types.Offer) (types.Offer, error) { return o, nil })
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return &types.QueryOffersResponse{Offers: offers, Pagination: page}, nil
	}
	addr, err := sdk.AccAddressFromBech32(req.Provider)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	offers, page, err := query.CollectionPaginate(ctx, q.k.byProvider, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, uint64], _ collections.NoValue) (types.Offer, error) {
			return q.k.GetOffer(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[sdk.AccAddress, uint64](addr))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryOffersResponse{Offers: offers, Pagination: page}, nil
}

func (q queryServer) OrderBook(ctx context.Context, req *types.QueryOrderBookRequest) (*types.QueryOrderBookResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, _, err := types.ParseClass(req.Class); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	depth := int(req.Depth)
	if depth == 0 {
		depth = DefaultDepth
	}
	if depth > MaxDepth {
		return nil, status.Errorf(codes.InvalidArgument, "depth %d: at most %d", depth, MaxDepth)
	}
	out := &types.QueryOrderBookResponse{Class: req.Class}
	err := q.k.WalkOffers(ctx, req.Class, ^uint64(0), maxBookScan, func(o types.Offer) (bool, error) {
		price := sdk.NewCoin(types.Denom, math.NewIntFromUint64(o.Unit.NormPrice(o.Price.Amount)))
		quantity, _ := o.Unit.Quantity(uint64(o.Available))
		if n := len(out.Asks); n > 0 && out.Asks[n-1].Price.Equal(price) {
			out.Asks[n-1].Units += uint64(o.Available)
			out.Asks[n-1].Offers++
			out.Asks[n-1].Quantity += quantity
			return false, nil
		}
		if len(out.Asks) == depth {
			return true, nil
		}
		out.Asks = append(out.Asks, types.PriceLevel{Price: price, Units: uint64(o.Available), Offers: 1, Quantity: quantity})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	if out.Bids, _, err = q.k.matcher.RestingBuys(ctx, req.Class, depth); err != nil {
		return nil, err
	}
	return out, nil
}

func (q queryServer) Market(ctx context.Context, req *types.QueryMarketRequest) (*types.QueryMarketResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, _, err := types.ParseClass(req.Class); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	m, err := q.k.fullMarket(ctx, req.Class)
	if err != nil {
		return nil, err
	}
	_, resting, err := q.k.matcher.RestingBuys(ctx, req.Class, 0)
	if err != nil {
		return nil, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	s := m.Summarise(height, p.Window())
	return &types.QueryMarketResponse{RestingBuys: resting,
		Class: req.Class, LastPrice: nonNil(s.Last), LastHeight: s.LastHeight, Vwap: s.VWAP, MinPrice: s.Min, MaxPrice: s.Max,
		WindowTrades: s.Trades, WindowQuantity: s.Quantity, TotalTrades: m.TotalTrades, TotalQuantity: m.TotalUnits,
		OpenOffers: m.OpenOffers, OpenUnits: m.OpenUnits, WindowFrom: max(height-p.Window()+1, 0),
	}, nil
}

func (q queryServer) Classes(ctx context.Context, req *types.QueryClassesRequest) (*types.QueryClassesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	out, page, err := query.CollectionPaginate(ctx, q.k.markets, req.Pagination,
		func(class string, m types.MarketStats) (types.ClassSummary, error) {
			return types.ClassSummary{Class: class, OpenOffers: m.OpenOffers, OpenUnits: m.OpenUnits, LastPrice: nonNil(m.LastPrice), LastHeight: m.LastHeight}, nil
		})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryClassesResponse{Classes: out, Pagination: page}, nil
}

func (q queryServer) PriceHistory(ctx context.Context, req *types.QueryPriceHistoryRequest) (*types.QueryPriceHistoryResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, _, err := types.ParseClass(req.Class); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	m, err := q.k.fullMarket(ctx, req.Class)
	if err != nil {
		return nil, err
	}
	return &types.QueryPriceHistoryResponse{Class: req.Class, BucketBlocks: p.BucketBlocks, Buckets: m.History()}, nil
}

func nonNil(i math.Int) math.Int {
	if i.IsNil() {
		return math.ZeroInt()
	}
	return i
}
