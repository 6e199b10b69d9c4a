package keeper

import (
	"context"
	"encoding/hex"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/indexes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

type queryServer struct {
	k Keeper
}

// NewQueryServerImpl returns the module's Query service. It answers with
// gRPC status codes: InvalidArgument for bad requests, NotFound for missing
// objects.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	owner, err := q.address("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	p, err := q.k.providers.Get(ctx, owner)
	if err != nil {
		return nil, notFoundOr(err, "provider %s", req.Owner)
	}
	return &types.QueryProviderResponse{Provider: p}, nil
}

func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		req = &types.QueryProvidersRequest{}
	}
	ps, page, err := query.CollectionPaginate(ctx, q.k.providers, req.Pagination,
		func(_ sdk.AccAddress, p types.Provider) (types.Provider, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryProvidersResponse{Providers: ps, Pagination: page}, nil
}

func (q queryServer) ProviderAttributes(ctx context.Context, req *types.QueryProviderAttributesRequest) (*types.QueryProviderAttributesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	provider, err := q.address("provider", req.Provider)
	if err != nil {
		return nil, err
	}
	recs, err := q.k.AuditRecords(ctx, provider)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryProviderAttributesResponse{Records: recs}, nil
}

func (q queryServer) Auditors(ctx context.Context, _ *types.QueryAuditorsRequest) (*types.QueryAuditorsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryAuditorsResponse{Auditors: p.AuditorWhitelist}, nil
}

func (q queryServer) Deployment(ctx context.Context, req *types.QueryDeploymentRequest) (*types.QueryDeploymentResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be set")
	}
	d, err := q.k.deployments.Get(ctx, req.Id)
	if err != nil {
		return nil, notFoundOr(err, "deployment %d", req.Id)
	}
	res := &types.QueryDeploymentResponse{Deployment: withHexVersion(d)}
	it, err := q.k.groups.Indexes.Deployment.MatchExact(ctx, req.Id)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	ids, err := it.PrimaryKeys()
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	for _, id := range ids {
		g, err := q.k.groups.Get(ctx, id)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		e, err := q.k.EscrowNow(ctx, id)
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		res.Groups = append(res.Groups, g)
		res.Escrows = append(res.Escrows, e)
	}
	return res, nil
}

func (q queryServer) Deployments(ctx context.Context, req *types.QueryDeploymentsRequest) (*types.QueryDeploymentsResponse, error) {
	if req == nil {
		req = &types.QueryDeploymentsRequest{}
	}
	stateOK := func(d types.Deployment) bool { return req.State == 0 || d.State == req.State }
	var (
		out  []types.Deployment
		page *query.PageResponse
		err  error
	)
	switch {
	case req.Owner != "":
		owner, aerr := q.address("owner", req.Owner)
		if aerr != nil {
			return nil, aerr
		}
		out, page, err = paginateIndex(ctx, q.k.deployments, q.k.deployments.Indexes.Owner, refIs(owner), req.Pagination, stateOK)
	case req.State != 0:
		out, page, err = paginateIndex(ctx, q.k.deployments, q.k.deployments.Indexes.State, refIs(int32(req.State)), req.Pagination, stateOK)
	default:
		out, page, err = query.CollectionPaginate(ctx, q.k.deployments, req.Pagination,
			func(_ uint64, d types.Deployment) (types.Deployment, error) { return d, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	for i := range out {
		out[i] = withHexVersion(out[i])
	}
	return &types.QueryDeploymentsResponse{Deployments: out, Pagination: page}, nil
}

func (q queryServer) Group(ctx context.Context, req *types.QueryGroupRequest) (*types.QueryGroupResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be set")
	}
	g, err := q.k.groups.Get(ctx, req.Id)
	if err != nil {
		return nil, notFoundOr(err, "group %d", req.Id)
	}
	e, err := q.k.EscrowNow(ctx, req.Id)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryGroupResponse{Group: g, Escrow: e}, nil
}

func (q queryServer) Groups(ctx context.Context, req *types.QueryGroupsRequest) (*types.QueryGroupsResponse, error) {
	if req == nil {
		req = &types.QueryGroupsRequest{}
	}
	stateOK := func(g types.Group) bool { return req.State == 0 || g.State == req.State }
	var (
		out  []types.Group
		page *query.PageResponse
		err  error
	)
	switch {
	case req.DeploymentId != 0:
		out, page, err = paginateIndex(ctx, q.k.groups, q.k.groups.Indexes.Deployment, refIs(req.DeploymentId), req.Pagination, stateOK)
	case req.State != 0:
		out, page, err = paginateIndex(ctx, q.k.groups, q.k.groups.Indexes.State, refIs(int32(req.State)), req.Pagination, stateOK)
	default:
		out, page, err = query.CollectionPaginate(ctx, q.k.groups, req.Pagination,
			func(_ uint64, g types.Group) (types.Group, error) { return g, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryGroupsResponse{Groups: out, Pagination: page}, nil
}

func (q queryServer) Bid(ctx context.Context, req *types.QueryBidRequest) (*types.QueryBidResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be set")
	}
	b, err := q.k.bids.Get(ctx, req.Id)
	if err != nil {
		return nil, notFoundOr(err, "bid %d", req.Id)
	}
	return &types.QueryBidResponse{Bid: b}, nil
}

func (q queryServer) Bids(ctx context.Context, req *types.QueryBidsRequest) (*types.QueryBidsResponse, error) {
	if req == nil {
		req = &types.QueryBidsRequest{}
	}
	var provider sdk.AccAddress
	if req.Provider != "" {
		p, err := q.address("provider", req.Provider)
		if err != nil {
			return nil, err
		}
		provider = p
	}
	keep := func(b types.Bid) bool {
		return (req.State == 0 || b.State == req.State) &&
			(req.GroupId == 0 || b.GroupId == req.GroupId) &&
			(req.Provider == "" || b.Provider == req.Provider)
	}
	var (
		out  []types.Bid
		page *query.PageResponse
		err  error
	)
	switch {
	case req.GroupId != 0 && req.State != 0:
		out, page, err = paginateIndex(ctx, q.k.bids, q.k.bids.Indexes.GroupState, refIs(collections.Join(req.GroupId, int32(req.State))), req.Pagination, keep)
	case req.GroupId != 0:
		out, page, err = paginateIndex(ctx, q.k.bids, q.k.bids.Indexes.GroupState, refStarts[uint64, int32](req.GroupId), req.Pagination, keep)
	case provider != nil && (req.State == types.BidOpen || req.State == types.BidActive):
		prefix := collections.PairPrefix[collections.Triple[sdk.AccAddress, bool, uint64], uint64](collections.TripleSuperPrefix[sdk.AccAddress, bool, uint64](provider, true))
		out, page, err = paginateIndex(ctx, q.k.bids, q.k.bids.Indexes.Provider, prefix, req.Pagination, keep)
	case provider != nil:
		prefix := collections.PairPrefix[collections.Triple[sdk.AccAddress, bool, uint64], uint64](collections.TriplePrefix[sdk.AccAddress, bool, uint64](provider))
		out, page, err = paginateIndex(ctx, q.k.bids, q.k.bids.Indexes.Provider, prefix, req.Pagination, keep)
	default: // all bids, or a state across groups: a filtered scan
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.bids, req.Pagination,
			func(_ uint64, b types.Bid) (bool, error) { return keep(b), nil },
			func(_ uint64, b types.Bid) (types.Bid, error) { return b, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryBidsResponse{Bids: out, Pagination: page}, nil
}

func (q queryServer) Lease(ctx context.Context, req *types.QueryLeaseRequest) (*types.QueryLeaseResponse, error) {
	if req == nil || req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be set")
	}
	stored, err := q.k.leases.Get(ctx, req.Id)
	if err != nil {
		return nil, notFoundOr(err, "lease %d", req.Id)
	}
	l, _, err := q.k.LeaseNow(ctx, stored)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryLeaseResponse{Lease: l}, nil
}

func (q queryServer) Leases(ctx context.Context, req *types.QueryLeasesRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		req = &types.QueryLeasesRequest{}
	}
	keep := func(l types.Lease) bool {
		return (req.State == 0 || l.State == req.State) &&
			(req.Tenant == "" || l.Tenant == req.Tenant) &&
			(req.Provider == "" || l.Provider == req.Provider)
	}
	var (
		out  []types.Lease
		page *query.PageResponse
		err  error
	)
	switch {
	case req.Provider != "":
		p, aerr := q.address("provider", req.Provider)
		if aerr != nil {
			return nil, aerr
		}
		out, page, err = paginateIndex(ctx, q.k.leases, q.k.leases.Indexes.Provider, refStarts[sdk.AccAddress, int32](p), req.Pagination, keep)
	case req.Tenant != "":
		t, aerr := q.address("tenant", req.Tenant)
		if aerr != nil {
			return nil, aerr
		}
		out, page, err = paginateIndex(ctx, q.k.leases, q.k.leases.Indexes.Tenant, refIs(t), req.Pagination, keep)
	case req.State != 0:
		out, page, err = paginateIndex(ctx, q.k.leases, q.k.leases.Indexes.State, refIs(int32(req.State)), req.Pagination, keep)
	default:
		out, page, err = query.CollectionPaginate(ctx, q.k.leases, req.Pagination,
			func(_ uint64, l types.Lease) (types.Lease, error) { return l, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	for i := range out {
		if out[i], _, err = q.k.LeaseNow(ctx, out[i]); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	return &types.QueryLeasesResponse{Leases: out, Pagination: page}, nil
}

func (q queryServer) FailedItems(ctx context.Context, req *types.QueryFailedItemsRequest) (*types.QueryFailedItemsResponse, error) {
	if req == nil {
		req = &types.QueryFailedItemsRequest{}
	}
	items, page, err := query.CollectionPaginate(ctx, q.k.failedItems, req.Pagination,
		func(_ collections.Pair[int32, uint64], v types.FailedItem) (types.FailedItem, error) { return v, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryFailedItemsResponse{Items: items, Pagination: page}, nil
}

// withHexVersion fills the answer-only version_hex field.
func withHexVersion(d types.Deployment) types.Deployment {
	d.VersionHex = hex.EncodeToString(d.Version)
	return d
}

func (q queryServer) address(field, s string) (sdk.AccAddress, error) {
	bz, err := q.k.addressCodec.StringToBytes(s)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", field, err)
	}
	return bz, nil
}

func notFoundOr(err error, format string, args ...any) error {
	if errors.Is(err, collections.ErrNotFound) {
		return status.Errorf(codes.NotFound, format+" not found", args...)
	}
	return status.Error(codes.Internal, err.Error())
}

// paginateIndex pages through the objects whose index entries start with
// prefix (exact or partial reference key), in index order, keeping those
// that pass keep.
func paginateIndex[R, V any](
	ctx context.Context,
	primary interface {
		Get(context.Context, uint64) (V, error)
	},
	idx *indexes.Multi[R, uint64, V],
	prefix collections.Pair[R, uint64],
	page *query.PageRequest,
	keep func(V) bool,
) ([]V, *query.PageResponse, error) {
	// The paginator calls transform right after a true predicate for the
	// same key, so the object read by the predicate is reused.
	var current V
	return query.CollectionFilteredPaginate(ctx, idx, page,
		func(key collections.Pair[R, uint64], _ collections.NoValue) (bool, error) {
			v, err := primary.Get(ctx, key.K2())
			if err != nil {
				return false, err
			}
			current = v
			return keep(v), nil
		},
		func(collections.Pair[R, uint64], collections.NoValue) (V, error) { return current, nil },
		func(o *query.CollectionsPaginateOptions[collections.Pair[R, uint64]]) { o.Prefix = &prefix })
}

// refIs selects the index entries whose reference key is ref.
func refIs[R any](ref R) collections.Pair[R, uint64] { return collections.PairPrefix[R, uint64](ref) }

// refStarts selects the index entries whose pair reference key starts with first.
func refStarts[A, B any](first A) collections.Pair[collections.Pair[A, B], uint64] {
	return collections.PairPrefix[collections.Pair[A, B], uint64](collections.PairPrefix[A, B](first))
}
