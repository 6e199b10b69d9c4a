// Package chain connects the provider engine to a daitchain node: gRPC
// queries, signed transactions and the CometBFT websocket event stream.
package chain

import (
	"context"
	"errors"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/daitchain/daitchain/internal/chainclient"
	"github.com/daitchain/daitchain/provider/engine"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// Chain implements engine.Chain for one provider account.
type Chain struct {
	provider  string
	clientCtx client.Context
	market    types.QueryClient
	submit    *chainclient.Submitter
}

var _ engine.Chain = (*Chain)(nil)

// New builds the adapter; the submitter signs as provider.
func New(provider string, clientCtx client.Context, submit *chainclient.Submitter) *Chain {
	return &Chain{provider: provider, clientCtx: clientCtx, market: types.NewQueryClient(clientCtx), submit: submit}
}

// ListBiddableGroups walks every page of the OPEN and ORDERED groups.
func (c *Chain) ListBiddableGroups(ctx context.Context) ([]types.Group, error) {
	var out []types.Group
	for _, st := range []types.GroupState{types.GroupOpen, types.GroupOrdered} {
		var next []byte
		for {
			res, err := c.market.Groups(ctx, &types.QueryGroupsRequest{State: st, Pagination: &query.PageRequest{Key: next}})
			if err != nil {
				return nil, err
			}
			out = append(out, res.Groups...)
			if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
				break
			}
			next = res.Pagination.NextKey
		}
	}
	return out, nil
}

// Group returns one group.
func (c *Chain) Group(ctx context.Context, id uint64) (types.Group, error) {
	res, err := c.market.Group(ctx, &types.QueryGroupRequest{Id: id})
	if status.Code(err) == codes.NotFound {
		return types.Group{}, fmt.Errorf("group %d: %w", id, engine.ErrGroupNotFound)
	}
	if err != nil {
		return types.Group{}, err
	}
	return res.Group, nil
}

// AuditedAttributes returns this provider's audit records by whitelisted auditors.
func (c *Chain) AuditedAttributes(ctx context.Context) ([]types.AuditRecord, error) {
	recs, err := c.market.ProviderAttributes(ctx, &types.QueryProviderAttributesRequest{Provider: c.provider})
	if err != nil {
		return nil, err
	}
	auditors, err := c.market.Auditors(ctx, &types.QueryAuditorsRequest{})
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool, len(auditors.Auditors))
	for _, a := range auditors.Auditors {
		listed[a] = true
	}
	var out []types.AuditRecord
	for _, r := range recs.Records {
		if listed[r.Auditor] {
			out = append(out, r)
		}
	}
	return out, nil
}

// MyLeases walks every page of this provider's leases.
func (c *Chain) MyLeases(ctx context.Context) ([]types.Lease, error) {
	var out []types.Lease
	var next []byte
	for {
		res, err := c.market.Leases(ctx, &types.QueryLeasesRequest{Provider: c.provider, Pagination: &query.PageRequest{Key: next}})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Leases...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		next = res.Pagination.NextKey
	}
}

// SubmitBid places a bid with the default deposit.
func (c *Chain) SubmitBid(ctx context.Context, groupID uint64, price sdk.Coin) (uint64, uint64, error) {
	res, err := c.submit.Submit(ctx, &types.MsgCreateBid{Provider: c.provider, GroupId: groupID, Price: price})
	if err != nil {
		return 0, 0, err
	}
	var out types.MsgCreateBidResponse
	if err := chainclient.MsgResponse(c.clientCtx, res, 0, &out); err != nil {
		return 0, 0, err
	}
	return out.BidId, out.LeaseId, nil
}

// Withdraw collects the earnings of every live lease; nothing to withdraw
// is not an error. The provider-earnings query says whether there is
// anything first: a withdraw the chain would refuse is never sent, and so
// never estimated (gas estimation returns the chain's refusal as text
// only, without its code).
func (c *Chain) Withdraw(ctx context.Context) (sdk.Coin, error) {
	zero := sdk.NewCoin(types.Denom, math.ZeroInt())
	earnings, err := c.market.ProviderEarnings(ctx, &types.QueryProviderEarningsRequest{Provider: c.provider})
	if err != nil {
		return sdk.Coin{}, err
	}
	if !earnings.Withdrawable.IsPositive() {
		return zero, nil
	}
	res, err := c.submit.Submit(ctx, &types.MsgWithdraw{Provider: c.provider})
	var txErr *chainclient.TxError
	if errors.As(err, &txErr) && txErr.Codespace == types.ModuleName && txErr.Code == types.ErrNothingToWithdraw.ABCICode() {
		return zero, nil // a lease closed (and paid out) since the query
	}
	if err != nil {
		return sdk.Coin{}, err
	}
	var out types.MsgWithdrawResponse
	if err := chainclient.MsgResponse(c.clientCtx, res, 0, &out); err != nil {
		return sdk.Coin{}, err
	}
	return out.Amount, nil
}

// Events follows the node's websocket: market events of delivered txs and
// of EndBlock (auction results, insufficient funds).
type Events struct {
	remote string
}

var _ engine.EventSource = (*Events)(nil)

// NewEvents follows the CometBFT RPC at remote (e.g. tcp://127.0.0.1:26657).
func NewEvents(remote string) *Events { return &Events{remote: remote} }

// Subscribe connects and returns a channel that closes when the connection
// drops or ctx ends.
func (e *Events) Subscribe(ctx context.Context) (<-chan engine.Event, error) {
	cli, err := rpchttp.New(e.remote, "/websocket")
	if err != nil {
		return nil, err
	}
	if err := cli.Start(); err != nil {
		return nil, err
	}
	txs, err := cli.Subscribe(ctx, "provider", cmttypes.EventQueryTx.String(), 256)
	if err != nil {
		_ = cli.Stop()
		return nil, err
	}
	blocks, err := cli.Subscribe(ctx, "provider", cmttypes.EventQueryNewBlockEvents.String(), 256)
	if err != nil {
		_ = cli.Stop()
		return nil, err
	}
	out := make(chan engine.Event, 256)
	go func() {
		defer close(out)
		defer func() { _ = cli.Stop() }()
		for {
			var events []abci.Event
			select {
			case <-ctx.Done():
				return
			case <-cli.Quit():
				return
			case ev, ok := <-txs:
				if !ok {
					return
				}
				if d, ok := ev.Data.(cmttypes.EventDataTx); ok && d.Result.Code == 0 {
					events = d.Result.Events
				}
			case ev, ok := <-blocks:
				if !ok {
					return
				}
				if d, ok := ev.Data.(cmttypes.EventDataNewBlockEvents); ok {
					events = d.Events
				}
			}
			for _, raw := range events {
				if !strings.HasPrefix(raw.Type, "daitchain.computemarket.v1.") {
					continue
				}
				msg, err := sdk.ParseTypedEvent(typedOnly(raw))
				if err != nil {
					continue // an event of a newer version: not ours to act on
				}
				if me, ok := engine.EventFromProto(msg); ok {
					select {
					case out <- me:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return out, nil
}

// typedOnly drops the attributes the SDK adds to every event and that are
// not JSON ("mode": BeginBlock/EndBlock), which ParseTypedEvent rejects.
func typedOnly(ev abci.Event) abci.Event {
	out := abci.Event{Type: ev.Type, Attributes: make([]abci.EventAttribute, 0, len(ev.Attributes))}
	for _, a := range ev.Attributes {
		if a.Key != "mode" {
			out.Attributes = append(out.Attributes, a)
		}
	}
	return out
}
