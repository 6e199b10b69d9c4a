package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl is the module's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != m.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", m.authority, msg.Authority)
	}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, m.SetParams(ctx, msg.Params)
}

func (m msgServer) CreateOffer(ctx context.Context, msg *types.MsgCreateOffer) (*types.MsgCreateOfferResponse, error) {
	id, err := m.Keeper.CreateOffer(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateOfferResponse{OfferId: id}, nil
}

func (m msgServer) UpdateOffer(ctx context.Context, msg *types.MsgUpdateOffer) (*types.MsgUpdateOfferResponse, error) {
	if _, err := m.Keeper.UpdateOffer(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgUpdateOfferResponse{}, nil
}

func (m msgServer) CloseOffer(ctx context.Context, msg *types.MsgCloseOffer) (*types.MsgCloseOfferResponse, error) {
	if err := m.Keeper.CloseOffer(ctx, msg); err != nil {
		return nil, err
	}
	return &types.MsgCloseOfferResponse{}, nil
}
