package chain

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// An EndBlock event carries "mode": EndBlock, which is not JSON; the
// auction's EventLeaseCreated must still reach the engine.
func TestEndBlockEventParses(t *testing.T) {
	ev, err := sdk.TypedEventToEvent(&types.EventLeaseCreated{Id: 7, BidId: 3, GroupId: 2, Provider: "dait1p"})
	require.NoError(t, err)
	raw := abci.Event(ev)
	raw.Attributes = append(raw.Attributes, abci.EventAttribute{Key: "mode", Value: "EndBlock"})
	_, err = sdk.ParseTypedEvent(raw)
	require.Error(t, err, "the SDK's parser refuses the mode attribute")

	msg, err := sdk.ParseTypedEvent(typedOnly(raw))
	require.NoError(t, err)
	got, ok := engine.EventFromProto(msg)
	require.True(t, ok)
	require.Equal(t, engine.LeaseCreated{LeaseID: 7, BidID: 3, GroupID: 2, Provider: "dait1p"}, got)
}
