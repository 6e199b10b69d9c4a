package app

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	evidencetypes "github.com/cosmos/cosmos-sdk/x/evidence/types"
)

// disabledMsgs are refused before their handler runs, with a registered
// error. MsgSubmitEvidence: evidence comes from CometBFT only, and the
// evidence keeper has no router for submitted evidence, so its handler
// would reach baseapp's panic recovery (code 111222) instead of refusing.
var disabledMsgs = map[string]string{
	sdk.MsgTypeURL(&evidencetypes.MsgSubmitEvidence{}): "evidence comes from CometBFT only: MsgSubmitEvidence is disabled",
}

// msgCircuit is the baseapp circuit breaker that refuses disabledMsgs.
type msgCircuit struct{}

func (msgCircuit) IsAllowed(_ context.Context, typeURL string) (bool, error) {
	if why, off := disabledMsgs[typeURL]; off {
		return false, errorsmod.Wrap(sdkerrors.ErrUnauthorized, why)
	}
	return true, nil
}
