package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// GetProvider returns the provider owned by owner.
func (k Keeper) GetProvider(ctx context.Context, owner sdk.AccAddress) (types.Provider, error) {
	p, err := k.providers.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return p, errorsmod.Wrapf(types.ErrProviderNotFound, "%s", owner)
	}
	return p, err
}

// CreateProvider registers a provider once its owner has the staking tier.
func (k Keeper) CreateProvider(ctx context.Context, msg *types.MsgCreateProvider) error {
	owner, err := k.addressCodec.StringToBytes(msg.Owner)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "owner: %v", err)
	}
	has, err := k.providers.Has(ctx, owner)
	if err != nil {
		return err
	}
	if has {
		return errorsmod.Wrapf(types.ErrProviderExists, "%s (use update-provider to change it)", msg.Owner)
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if err := k.checkProviderTier(ctx, params, owner); err != nil {
		return err
	}
	h := height(ctx)
	p := types.Provider{
		Owner:         msg.Owner,
		HostUri:       msg.HostUri,
		Attributes:    msg.Attributes,
		Info:          msg.Info,
		TlsCertSha256: msg.TlsCertSha256,
		CreatedHeight: h,
		UpdatedHeight: h,
	}
	if err := k.providers.Set(ctx, owner, p); err != nil {
		return err
	}
	return emit(ctx, &types.EventProviderCreated{Owner: p.Owner, HostUri: p.HostUri})
}

// UpdateProvider replaces a provider's host, attributes, info and gateway
// certificate fingerprint. The tier
// is checked again: a provider that unbonded cannot keep changing its offer.
func (k Keeper) UpdateProvider(ctx context.Context, msg *types.MsgUpdateProvider) error {
	owner, err := k.addressCodec.StringToBytes(msg.Owner)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "owner: %v", err)
	}
	p, err := k.GetProvider(ctx, owner)
	if err != nil {
		return err
	}
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if err := k.checkProviderTier(ctx, params, owner); err != nil {
		return err
	}
	p.HostUri = msg.HostUri
	p.Attributes = msg.Attributes
	p.Info = msg.Info
	p.TlsCertSha256 = msg.TlsCertSha256
	p.UpdatedHeight = height(ctx)
	if err := k.providers.Set(ctx, owner, p); err != nil {
		return err
	}
	return emit(ctx, &types.EventProviderUpdated{Owner: p.Owner, HostUri: p.HostUri})
}

// checkProviderTier refuses an owner whose bonded stake is below provider_min_bond.
func (k Keeper) checkProviderTier(ctx context.Context, params types.Params, owner sdk.AccAddress) error {
	ok, bonded, err := k.tiers.HasTierForProvider(ctx, owner, params.ProviderMinBond.Amount)
	if err != nil {
		return err
	}
	if !ok {
		return errorsmod.Wrapf(types.ErrProviderTierTooLow, "%s has %s%s bonded, the provider tier needs %s: delegate to a bonded validator first",
			owner, bonded, params.ProviderMinBond.Denom, params.ProviderMinBond)
	}
	return nil
}

// RequireActiveProvider is what x/orderbook asks before it takes an offer
// (ADR 0007): owner is a registered provider whose bonded stake still
// meets the provider tier. The errors are this module's.
func (k Keeper) RequireActiveProvider(ctx context.Context, owner sdk.AccAddress) error {
	registered, err := k.providers.Has(ctx, owner)
	if err != nil {
		return err
	}
	if !registered {
		return errorsmod.Wrapf(types.ErrProviderNotFound, "%s: register with create-provider first", owner)
	}
	params, err := k.params.Get(ctx)
	if err != nil {
		return err
	}
	return k.checkProviderTier(ctx, params, owner)
}
