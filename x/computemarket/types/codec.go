package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers every Msg of the module.
func RegisterInterfaces(registrar codectypes.InterfaceRegistry) {
	registrar.RegisterImplementations((*sdk.Msg)(nil),
		&MsgUpdateParams{},
		&MsgCreateProvider{},
		&MsgUpdateProvider{},
		&MsgCreateBid{},
		&MsgCloseBid{},
		&MsgWithdraw{},
		&MsgAuditAttribute{},
		&MsgRevokeAttribute{},
		&MsgCreateDeployment{},
		&MsgUpdateDeployment{},
		&MsgCloseDeployment{},
		&MsgDepositDeployment{},
		&MsgCreateGroup{},
		&MsgPauseGroup{},
		&MsgUnpauseGroup{},
		&MsgCloseGroup{},
		&MsgCreateLease{},
		&MsgCloseLease{},
	)
	msgservice.RegisterMsgServiceDesc(registrar, &_Msg_serviceDesc)
}
