package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/orderbook/types"
)

// CreateOffer posts an offer for a registered provider with the tier,
// holding the params' deposit from it.
func (k Keeper) CreateOffer(ctx context.Context, msg *types.MsgCreateOffer) (uint64, error) {
	if err := msg.ValidateBasic(); err != nil {
		return 0, err
	}
	provider, err := k.addressCodec.StringToBytes(msg.Provider)
	if err != nil {
		return 0, errorsmod.Wrapf(types.ErrInvalidAddress, "provider: %v", err)
	}
	if err := k.matcher.RequireActiveProvider(ctx, provider); err != nil {
		return 0, errorsmod.Wrapf(types.ErrNotProvider, "%s: %v", msg.Provider, err)
	}
	params, err := k.params.Get(ctx)
	if err != nil {
		return 0, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := checkTerms(params, msg.Capacity, msg.ExpiresAt, height); err != nil {
		return 0, err
	}
	live, err := k.countLive(ctx, provider, params.MaxOffersPerProvider)
	if err != nil {
		return 0, err
	}
	if live >= params.MaxOffersPerProvider {
		return 0, errorsmod.Wrapf(types.ErrTooManyOffers, "%s has %d live offers (max_offers_per_provider %d): close one first", msg.Provider, live, params.MaxOffersPerProvider)
	}
	if params.OfferDeposit.IsPositive() {
		if err := k.bank.SendCoinsFromAccountToModule(ctx, provider, types.ModuleName, sdk.NewCoins(params.OfferDeposit)); err != nil {
			return 0, errorsmod.Wrapf(err, "offer deposit %s", params.OfferDeposit)
		}
	}
	id, err := k.offerSeq.Next(ctx)
	if err != nil {
		return 0, err
	}
	id++ // ids start at 1
	o := types.Offer{
		Id: id, Provider: msg.Provider, Unit: msg.Unit, Price: msg.Price,
		Capacity: msg.Capacity, Available: msg.Capacity, ExpiresAt: msg.ExpiresAt,
		State: types.OfferOpen, CreatedHeight: height, PricedHeight: height, Deposit: params.OfferDeposit,
	}
	if err := k.putOpen(ctx, provider, o); err != nil {
		return 0, err
	}
	if err := k.matcher.OfferPriced(ctx, id); err != nil {
		return 0, err
	}
	return id, emit(ctx, &types.EventOfferCreated{OfferId: id, Provider: o.Provider, Class: o.Unit.Class(), Price: o.Price, Capacity: o.Capacity})
}

// putOpen stores an OPEN offer with every index an open offer has: the
// book (with open interest), the provider's list and the expiry queue.
// CreateOffer and InitGenesis share it; close undoes it.
func (k Keeper) putOpen(ctx context.Context, provider sdk.AccAddress, o types.Offer) error {
	if err := k.offers.Set(ctx, o.Id, o); err != nil {
		return err
	}
	if err := k.index(ctx, o); err != nil {
		return err
	}
	if err := k.byProvider.Set(ctx, collectionsPair(provider, o.Id)); err != nil {
		return err
	}
	if o.ExpiresAt > 0 {
		return k.expiry.Set(ctx, collectionsPairHeight(o.ExpiresAt, o.Id))
	}
	return nil
}

// checkTerms applies the params to capacity and expiry.
func checkTerms(p types.Params, capacity uint32, expiresAt, height int64) error {
	if capacity > p.MaxOfferCapacity {
		return errorsmod.Wrapf(types.ErrInvalidCapacity, "capacity %d: at most max_offer_capacity (%d)", capacity, p.MaxOfferCapacity)
	}
	if expiresAt != 0 && expiresAt <= height {
		return errorsmod.Wrapf(types.ErrInvalidExpiry, "expires_at %d is not after the current height %d", expiresAt, height)
	}
	return nil
}

// countLive counts a provider's OPEN offers, reading at most limit+1.
func (k Keeper) countLive(ctx context.Context, provider sdk.AccAddress, limit uint32) (uint32, error) {
	it, err := k.byProvider.Iterate(ctx, prefixProvider(provider))
	if err != nil {
		return 0, err
	}
	defer func() { _ = it.Close() }()
	var n uint32
	for ; it.Valid() && n <= limit; it.Next() {
		n++
	}
	return n, nil
}

// ownOpen loads an OPEN offer of signer.
func (k Keeper) ownOpen(ctx context.Context, id uint64, signer string) (types.Offer, error) {
	o, err := k.GetOffer(ctx, id)
	if err != nil {
		return o, err
	}
	if o.Provider != signer {
		return o, errorsmod.Wrapf(types.ErrUnauthorized, "offer %d is %s's", id, o.Provider)
	}
	if o.State != types.OfferOpen {
		return o, errorsmod.Wrapf(types.ErrOfferClosed, "offer %d", id)
	}
	return o, nil
}

// UpdateOffer sets an open offer's price, capacity and expiry. A new price
// restarts the offer's time priority; capacity cannot go below what leases
// hold.
func (k Keeper) UpdateOffer(ctx context.Context, msg *types.MsgUpdateOffer) (types.Offer, error) {
	if err := msg.ValidateBasic(); err != nil {
		return types.Offer{}, err
	}
	old, err := k.ownOpen(ctx, msg.OfferId, msg.Provider)
	if err != nil {
		return old, err
	}
	params, err := k.params.Get(ctx)
	if err != nil {
		return old, err
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := checkTerms(params, msg.Capacity, msg.ExpiresAt, height); err != nil {
		return old, err
	}
	taken := old.Capacity - old.Available
	if msg.Capacity < taken {
		return old, errorsmod.Wrapf(types.ErrCapacityBelowTaken, "offer %d: leases hold %d units, capacity %d", old.Id, taken, msg.Capacity)
	}
	o := old
	if !o.Price.Equal(msg.Price) {
		o.Price, o.PricedHeight = msg.Price, height
	}
	o.Capacity, o.Available = msg.Capacity, msg.Capacity-taken
	if o.ExpiresAt != msg.ExpiresAt {
		if o.ExpiresAt > 0 {
			if err := k.expiry.Remove(ctx, collectionsPairHeight(o.ExpiresAt, o.Id)); err != nil {
				return old, err
			}
		}
		o.ExpiresAt = msg.ExpiresAt
		if o.ExpiresAt > 0 {
			if err := k.expiry.Set(ctx, collectionsPairHeight(o.ExpiresAt, o.Id)); err != nil {
				return old, err
			}
		}
	}
	if err := k.replace(ctx, old, o); err != nil {
		return old, err
	}
	// Resting limit buys can only newly fit an offer that got cheaper or
	// gained units.
	if o.Unit.NormPrice(o.Price.Amount) < o.Unit.NormPrice(old.Price.Amount) || o.Available > old.Available {
		if err := k.matcher.OfferPriced(ctx, o.Id); err != nil {
			return old, err
		}
	}
	return o, emit(ctx, &types.EventOfferUpdated{OfferId: o.Id, Price: o.Price, Capacity: o.Capacity, Available: o.Available, ExpiresAt: o.ExpiresAt})
}

// CloseOffer closes an open offer of the signer.
func (k Keeper) CloseOffer(ctx context.Context, msg *types.MsgCloseOffer) error {
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	o, err := k.ownOpen(ctx, msg.OfferId, msg.Provider)
	if err != nil {
		return err
	}
	return k.close(ctx, o, "provider")
}

// close ends an OPEN offer: out of every index, deposit back. Units leases
// hold stay counted as taken (Release of a closed offer only adds them
// back to a closed offer's tally).
func (k Keeper) close(ctx context.Context, o types.Offer, reason string) error {
	provider, err := k.addressCodec.StringToBytes(o.Provider)
	if err != nil {
		return errorsmod.Wrapf(types.ErrInvalidAddress, "offer %d provider: %v", o.Id, err)
	}
	if err := k.unindex(ctx, o); err != nil {
		return err
	}
	if err := k.byProvider.Remove(ctx, collectionsPair(provider, o.Id)); err != nil {
		return err
	}
	if o.ExpiresAt > 0 {
		if err := k.expiry.Remove(ctx, collectionsPairHeight(o.ExpiresAt, o.Id)); err != nil {
			return err
		}
	}
	if o.Deposit.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, provider, sdk.NewCoins(o.Deposit)); err != nil {
			return err
		}
	}
	o.State = types.OfferClosed
	if err := k.offers.Set(ctx, o.Id, o); err != nil {
		return err
	}
	return emit(ctx, &types.EventOfferClosed{OfferId: o.Id, Reason: reason})
}
