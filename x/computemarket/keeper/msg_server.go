package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

type msgServer struct {
	Keeper
}

// NewMsgServerImpl returns the module's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return &msgServer{Keeper: k} }

var _ types.MsgServer = msgServer{}

// validator is implemented by every message of the module.
type validator interface{ ValidateBasic() error }

// check runs a message's stateless checks; baseapp already ran them for
// transactions, keeper callers (tests, simulations) get the same errors.
func check(msg validator) error { return msg.ValidateBasic() }

func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != m.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", m.authority, msg.Authority)
	}
	if err := check(msg); err != nil {
		return nil, err
	}
	if err := m.SetParams(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, emit(ctx, &types.EventParamsUpdated{Params: msg.Params})
}

func (m msgServer) CreateProvider(ctx context.Context, msg *types.MsgCreateProvider) (*types.MsgCreateProviderResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgCreateProviderResponse{}, m.Keeper.CreateProvider(ctx, msg)
}

func (m msgServer) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, m.Keeper.UpdateProvider(ctx, msg)
}

func (m msgServer) AuditAttribute(ctx context.Context, msg *types.MsgAuditAttribute) (*types.MsgAuditAttributeResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgAuditAttributeResponse{}, m.Keeper.AuditAttribute(ctx, msg)
}

func (m msgServer) RevokeAttribute(ctx context.Context, msg *types.MsgRevokeAttribute) (*types.MsgRevokeAttributeResponse, error) {
	if err := check(msg); err != nil {
		return nil, err
	}
	return &types.MsgRevokeAttributeResponse{}, m.Keeper.RevokeAttribute(ctx, msg)
}
