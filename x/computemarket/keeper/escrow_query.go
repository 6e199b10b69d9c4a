package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Queries see the state at the end of the latest block h; stored leases and
// escrows are settled lazily, so the queries settle them to h first.

// LeaseNow returns a lease and its group's escrow as of the context's height.
func (k Keeper) LeaseNow(ctx context.Context, l types.Lease) (types.Lease, types.Escrow, error) {
	e, err := k.GetEscrow(ctx, l.GroupId)
	if err != nil {
		return l, e, err
	}
	settle(&l, &e, height(ctx))
	return l, e, nil
}

// EscrowNow returns a group's escrow as of the context's height.
func (k Keeper) EscrowNow(ctx context.Context, groupID uint64) (types.Escrow, error) {
	id, live, err := k.liveLease(ctx, groupID)
	if err != nil {
		return types.Escrow{}, err
	}
	if !live {
		return k.GetEscrow(ctx, groupID)
	}
	_, e, err := k.settledLease(ctx, id, height(ctx))
	return e, err
}

func (q queryServer) LeaseEscrow(ctx context.Context, req *types.QueryLeaseEscrowRequest) (*types.QueryLeaseEscrowResponse, error) {
	if req == nil || req.LeaseId == 0 {
		return nil, status.Error(codes.InvalidArgument, "lease_id must be set")
	}
	stored, err := q.k.leases.Get(ctx, req.LeaseId)
	if err != nil {
		return nil, notFoundOr(err, "lease %d", req.LeaseId)
	}
	l, e, err := q.k.LeaseNow(ctx, stored)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	if l.State == types.LeaseClosed {
		// A newer lease of the group may be paying from the escrow.
		if e, err = q.k.EscrowNow(ctx, l.GroupId); err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
	}
	res := &types.QueryLeaseEscrowResponse{
		Height:       height(ctx),
		Lease:        l,
		Balance:      e.Balance,
		Withdrawable: sdk.NewCoin(types.Denom, Withdrawable(l)),
	}
	switch l.State {
	case types.LeaseActive:
		res.ExhaustionHeight = exhaustionHeight(l, e)
		res.BlocksLeft = res.ExhaustionHeight - res.Height
		res.CloseHeight = res.ExhaustionHeight + 1
	case types.LeaseInsufficientFunds:
		res.CloseHeight = l.SettledHeight + 1
	}
	return res, nil
}

func (q queryServer) ProviderEarnings(ctx context.Context, req *types.QueryProviderEarningsRequest) (*types.QueryProviderEarningsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	provider, err := q.address("provider", req.Provider)
	if err != nil {
		return nil, err
	}
	total := math.ZeroInt()
	var live uint64
	for _, st := range []types.LeaseState{types.LeaseActive, types.LeaseInsufficientFunds} {
		ids, err := idsOf(ctx, q.k.leases.Indexes.Provider, collections.Join(provider, int32(st)))
		if err != nil {
			return nil, status.Error(codes.Internal, err.Error())
		}
		for _, id := range ids {
			l, _, err := q.k.settledLease(ctx, id, height(ctx))
			if err != nil {
				return nil, status.Error(codes.Internal, err.Error())
			}
			total = total.Add(Withdrawable(l))
			live++
		}
	}
	return &types.QueryProviderEarningsResponse{Height: height(ctx), Withdrawable: sdk.NewCoin(types.Denom, total), LiveLeases: live}, nil
}
