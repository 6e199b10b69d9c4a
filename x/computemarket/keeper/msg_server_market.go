package keeper

import (
	"context"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Market messages: each runs its stateless checks, then the keeper, which
// checks who sent it before it changes anything.

func (m msgServer) CreateDeployment(ctx context.Context, msg *types.MsgCreateDeployment) (*types.MsgCreateDeploymentResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	id, groups, err := m.Keeper.CreateDeployment(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateDeploymentResponse{DeploymentId: id, GroupIds: groups}, nil
}

func (m msgServer) UpdateDeployment(ctx context.Context, msg *types.MsgUpdateDeployment) (*types.MsgUpdateDeploymentResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgUpdateDeploymentResponse{}, m.Keeper.UpdateDeployment(ctx, msg)
}

func (m msgServer) CloseDeployment(ctx context.Context, msg *types.MsgCloseDeployment) (*types.MsgCloseDeploymentResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgCloseDeploymentResponse{}, m.Keeper.CloseDeployment(ctx, msg)
}

func (m msgServer) DepositDeployment(ctx context.Context, msg *types.MsgDepositDeployment) (*types.MsgDepositDeploymentResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgDepositDeploymentResponse{}, m.Deposit(ctx, msg)
}

func (m msgServer) CreateGroup(ctx context.Context, msg *types.MsgCreateGroup) (*types.MsgCreateGroupResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	id, err := m.Keeper.CreateGroup(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateGroupResponse{GroupId: id}, nil
}

func (m msgServer) PauseGroup(ctx context.Context, msg *types.MsgPauseGroup) (*types.MsgPauseGroupResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgPauseGroupResponse{}, m.Keeper.PauseGroup(ctx, msg)
}

func (m msgServer) UnpauseGroup(ctx context.Context, msg *types.MsgUnpauseGroup) (*types.MsgUnpauseGroupResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgUnpauseGroupResponse{}, m.Keeper.UnpauseGroup(ctx, msg)
}

func (m msgServer) CloseGroup(ctx context.Context, msg *types.MsgCloseGroup) (*types.MsgCloseGroupResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgCloseGroupResponse{}, m.Keeper.CloseGroup(ctx, msg)
}

func (m msgServer) CreateLease(ctx context.Context, msg *types.MsgCreateLease) (*types.MsgCreateLeaseResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	id, err := m.Keeper.CreateLease(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateLeaseResponse{LeaseId: id}, nil
}

func (m msgServer) CloseLease(ctx context.Context, msg *types.MsgCloseLease) (*types.MsgCloseLeaseResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgCloseLeaseResponse{}, m.Keeper.CloseLease(ctx, msg)
}

func (m msgServer) CreateBid(ctx context.Context, msg *types.MsgCreateBid) (*types.MsgCreateBidResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	bidID, leaseID, err := m.Keeper.CreateBid(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateBidResponse{BidId: bidID, LeaseId: leaseID}, nil
}

func (m msgServer) CloseBid(ctx context.Context, msg *types.MsgCloseBid) (*types.MsgCloseBidResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgCloseBidResponse{}, m.Keeper.CloseBid(ctx, msg)
}

func (m msgServer) Withdraw(ctx context.Context, msg *types.MsgWithdraw) (*types.MsgWithdrawResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	amount, err := m.Keeper.Withdraw(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgWithdrawResponse{Amount: amount}, nil
}
