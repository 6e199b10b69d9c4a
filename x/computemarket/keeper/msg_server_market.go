package keeper

import (
	"context"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// The market messages (deployments, groups, bids, leases, escrow) land
// with the market lifecycle; until then they are refused with a typed error.

func notYet(name string) error {
	return types.ErrNotImplemented.Wrapf("%s is not enabled on this chain version yet", name)
}

func (m msgServer) CreateBid(context.Context, *types.MsgCreateBid) (*types.MsgCreateBidResponse, error) {
	return nil, notYet("MsgCreateBid")
}

func (m msgServer) CloseBid(context.Context, *types.MsgCloseBid) (*types.MsgCloseBidResponse, error) {
	return nil, notYet("MsgCloseBid")
}

func (m msgServer) Withdraw(context.Context, *types.MsgWithdraw) (*types.MsgWithdrawResponse, error) {
	return nil, notYet("MsgWithdraw")
}

func (m msgServer) CreateDeployment(context.Context, *types.MsgCreateDeployment) (*types.MsgCreateDeploymentResponse, error) {
	return nil, notYet("MsgCreateDeployment")
}

func (m msgServer) UpdateDeployment(context.Context, *types.MsgUpdateDeployment) (*types.MsgUpdateDeploymentResponse, error) {
	return nil, notYet("MsgUpdateDeployment")
}

func (m msgServer) CloseDeployment(context.Context, *types.MsgCloseDeployment) (*types.MsgCloseDeploymentResponse, error) {
	return nil, notYet("MsgCloseDeployment")
}

func (m msgServer) DepositDeployment(context.Context, *types.MsgDepositDeployment) (*types.MsgDepositDeploymentResponse, error) {
	return nil, notYet("MsgDepositDeployment")
}

func (m msgServer) CreateGroup(context.Context, *types.MsgCreateGroup) (*types.MsgCreateGroupResponse, error) {
	return nil, notYet("MsgCreateGroup")
}

func (m msgServer) PauseGroup(context.Context, *types.MsgPauseGroup) (*types.MsgPauseGroupResponse, error) {
	return nil, notYet("MsgPauseGroup")
}

func (m msgServer) UnpauseGroup(context.Context, *types.MsgUnpauseGroup) (*types.MsgUnpauseGroupResponse, error) {
	return nil, notYet("MsgUnpauseGroup")
}

func (m msgServer) CloseGroup(context.Context, *types.MsgCloseGroup) (*types.MsgCloseGroupResponse, error) {
	return nil, notYet("MsgCloseGroup")
}

func (m msgServer) CreateLease(context.Context, *types.MsgCreateLease) (*types.MsgCreateLeaseResponse, error) {
	return nil, notYet("MsgCreateLease")
}

func (m msgServer) CloseLease(context.Context, *types.MsgCloseLease) (*types.MsgCloseLeaseResponse, error) {
	return nil, notYet("MsgCloseLease")
}
