package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/daitchain/daitchain/testutil/chain"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestHostileAmounts sends, on a real node, the amounts that once halted
// the chain (issue 12): a 2^255 max price, a 2^255 bid inside the auction
// window and on an ORDERED group, a 2^255 top-up, group deposit and bid
// deposit. Each is refused with
// ErrAmountTooLarge and changes nothing; amounts at the documented maximum
// are accepted and matched without a panic; and the chain keeps producing
// blocks past the auction end. (chain.Deliver fails any test whose tx
// reaches baseapp's panic recovery, code 111222.)
func TestHostileAmounts(t *testing.T) {
	const window = 5
	c := chain.Start(t, func(p *types.Params) {
		p.BidDurationBlocks = window
		p.ProviderMinBond = udait(0)
	})
	ctx := context.Background()
	tenant := c.NewAccount("tenant", "", sdk.Coin{})
	prov := c.NewAccount("prov", "", sdk.Coin{})
	c.MustDeliver(c.Val.Moniker,
		banktypes.NewMsgSend(c.Val.Address, tenant, sdk.NewCoins(chain.DAIT(1_000))),
		banktypes.NewMsgSend(c.Val.Address, prov, sdk.NewCoins(chain.DAIT(1_000))))
	c.MustDeliver("prov", &types.MsgCreateProvider{Owner: prov.String(), HostUri: "https://prov.example.com"})

	huge := sdk.Coin{Denom: types.Denom, Amount: math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 255))}
	atMax := sdk.Coin{Denom: types.Denom, Amount: types.MaxAmount}
	refused := func(from string, msg sdk.Msg) {
		t.Helper()
		before := c.Balance(c.AddressOf(from))
		res, err := c.Deliver(from, msg)
		require.NoError(t, err)
		require.Equal(t, types.ModuleName, res.Codespace, res.RawLog)
		require.Equal(t, types.ErrAmountTooLarge.ABCICode(), res.Code, res.RawLog)
		require.Contains(t, res.RawLog, "2^128-1")
		require.Equal(t, before, c.Balance(c.AddressOf(from)), "a refused tx moves nothing but its fee") // CheckTx: no fee
	}
	version := sha256.Sum256([]byte("hostile"))
	deploy := func(maxPrice sdk.Coin) *types.MsgCreateDeployment {
		g := group("g", 1)
		g.MaxPrice = maxPrice
		return &types.MsgCreateDeployment{Owner: tenant.String(), Version: version[:], Groups: []types.GroupSpec{g}}
	}

	refused("tenant", deploy(huge))
	hugeDeposit := deploy(atMax)
	hugeDeposit.Groups[0].Deposit = huge
	refused("tenant", hugeDeposit)

	// A group at the maximum price; a 2^255 bid in its window is refused,
	// a bid at the maximum is accepted.
	res := c.MustDeliver("tenant", deploy(atMax))
	var created types.MsgCreateDeploymentResponse
	require.NoError(t, unpackResponse(c, res, &created))
	gid := created.GroupIds[0]
	refused("prov", &types.MsgCreateBid{Provider: prov.String(), GroupId: gid, Price: huge})
	refused("prov", &types.MsgCreateBid{Provider: prov.String(), GroupId: gid, Price: atMax, Deposit: huge})
	c.MustDeliver("prov", &types.MsgCreateBid{Provider: prov.String(), GroupId: gid, Price: atMax})
	refused("tenant", &types.MsgDepositDeployment{Owner: tenant.String(), GroupId: gid, Amount: huge})

	// A second group nobody bids on becomes ORDERED at its auction end.
	res = c.MustDeliver("tenant", deploy(atMax))
	var ordered types.MsgCreateDeploymentResponse
	require.NoError(t, unpackResponse(c, res, &ordered))
	oid := ordered.GroupIds[0]

	g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: oid})
	require.NoError(t, err)
	c.WaitForHeight(g.Group.AuctionEnd + 1)
	g, err = c.Market.Group(ctx, &types.QueryGroupRequest{Id: oid})
	require.NoError(t, err)
	require.Equal(t, types.GroupOrdered, g.Group.State)
	refused("prov", &types.MsgCreateBid{Provider: prov.String(), GroupId: oid, Price: huge})

	// The bid at the maximum won its auction: the escrow (60 DAIT) cannot
	// pay one block at that price, so the lease runs dry at once and
	// closes; the group pauses. No panic anywhere.
	first, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: gid})
	require.NoError(t, err)
	require.Equal(t, types.GroupPaused, first.Group.State)
	leases, err := c.Market.Leases(ctx, &types.QueryLeasesRequest{Tenant: tenant.String()})
	require.NoError(t, err)
	require.Len(t, leases.Leases, 1)
	require.Equal(t, types.LeaseClosed, leases.Leases[0].State)
	require.Equal(t, types.CloseReasonInsufficientFunds, leases.Leases[0].CloseReason)
	require.True(t, leases.Leases[0].Spent.IsZero())

	// The chain goes on.
	h := c.Height()
	c.WaitForHeight(h + 3)
	failed, err := c.Market.FailedItems(ctx, &types.QueryFailedItemsRequest{})
	require.NoError(t, err)
	require.Empty(t, failed.Items, "no scheduled item failed")

	// The same through REST, as a browser or curl sees it: the failed items
	// and a deployment with its version in hex.
	get := func(path string) map[string]any {
		t.Helper()
		resp, err := http.Get(c.Val.APIAddress + "/daitchain/computemarket/v1" + path)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out), path)
		return out
	}
	require.Empty(t, get("/failed_items")["items"])
	dep := get(fmt.Sprintf("/deployments/%d", created.DeploymentId))["deployment"].(map[string]any)
	require.Equal(t, hex.EncodeToString(version[:]), dep["version_hex"])
	params := get("/params")["params"].(map[string]any)
	require.Equal(t, "1000", fmt.Sprint(params["max_items_per_block"]))
}
