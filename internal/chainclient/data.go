package chainclient

import (
	"encoding/hex"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

func decodeData(clientCtx client.Context, data string) (sdk.TxMsgData, error) {
	var out sdk.TxMsgData
	bz, err := hex.DecodeString(data)
	if err != nil {
		return out, err
	}
	return out, clientCtx.Codec.Unmarshal(bz, &out)
}
