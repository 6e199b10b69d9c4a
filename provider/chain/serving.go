package chain

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/daitchain/daitchain/provider/serving"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

var _ serving.Chain = (*Chain)(nil)

// Lease returns one lease.
func (c *Chain) Lease(ctx context.Context, id uint64) (types.Lease, error) {
	res, err := c.market.Lease(ctx, &types.QueryLeaseRequest{Id: id})
	if err != nil {
		return types.Lease{}, notOnChain(err, "lease", id)
	}
	return res.Lease, nil
}

// Deployment returns one deployment.
func (c *Chain) Deployment(ctx context.Context, id uint64) (types.Deployment, error) {
	res, err := c.market.Deployment(ctx, &types.QueryDeploymentRequest{Id: id})
	if err != nil {
		return types.Deployment{}, notOnChain(err, "deployment", id)
	}
	return res.Deployment, nil
}

// CloseLease closes the lease won by bidID, giving the chain reason.
func (c *Chain) CloseLease(ctx context.Context, bidID uint64, reason types.CloseReason) error {
	_, err := c.submit.Submit(ctx, &types.MsgCloseBid{Provider: c.provider, BidId: bidID, Reason: reason})
	return err
}

// Provider returns this provider's record; found is false when it is not
// registered.
func (c *Chain) Provider(ctx context.Context) (p types.Provider, found bool, err error) {
	res, err := c.market.Provider(ctx, &types.QueryProviderRequest{Owner: c.provider})
	if status.Code(err) == codes.NotFound {
		return types.Provider{}, false, nil
	}
	if err != nil {
		return types.Provider{}, false, err
	}
	return res.Provider, true, nil
}

// PublishGateway sets the provider record's host URI and certificate
// fingerprint, keeping its attributes and info.
func (c *Chain) PublishGateway(ctx context.Context, p types.Provider, hostURI string, certSHA256 []byte) error {
	_, err := c.submit.Submit(ctx, &types.MsgUpdateProvider{
		Owner: c.provider, HostUri: hostURI, Attributes: p.Attributes, Info: p.Info, TlsCertSha256: certSHA256,
	})
	return err
}

// PubKey is an account's public key as the chain holds it (set by the
// account's first signed tx).
func (c *Chain) PubKey(ctx context.Context, addr sdk.AccAddress) (cryptotypes.PubKey, error) {
	res, err := authtypes.NewQueryClient(c.clientCtx).Account(ctx, &authtypes.QueryAccountRequest{Address: addr.String()})
	if status.Code(err) == codes.NotFound {
		return nil, fmt.Errorf("account %s: %w", addr, serving.ErrNotOnChain)
	}
	if err != nil {
		return nil, err
	}
	var acc sdk.AccountI
	if err := c.clientCtx.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil {
		return nil, err
	}
	pk := acc.GetPubKey()
	if pk == nil {
		return nil, fmt.Errorf("account %s has signed nothing yet, so the chain has no public key for it: %w", addr, serving.ErrNotOnChain)
	}
	return pk, nil
}

// notOnChain wraps a query's NotFound as serving.ErrNotOnChain.
func notOnChain(err error, what string, id uint64) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%s %d: %w", what, id, serving.ErrNotOnChain)
	}
	return err
}
