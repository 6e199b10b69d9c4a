package keeper

import (
	"context"
	"errors"
	"sort"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// AuditAttribute records (or overwrites) the given pairs as attested by a
// whitelisted auditor for a registered provider.
func (k Keeper) AuditAttribute(ctx context.Context, msg *types.MsgAuditAttribute) error {
	if err := k.requireAuditor(ctx, msg.Auditor); err != nil {
		return err
	}
	provider, auditor, err := k.auditKey(msg.Provider, msg.Auditor)
	if err != nil {
		return err
	}
	if _, err := k.GetProvider(ctx, provider); err != nil {
		return err
	}
	rec, err := k.auditRecords.Get(ctx, collections.Join(provider, auditor))
	switch {
	case errors.Is(err, collections.ErrNotFound):
		rec = types.AuditRecord{Provider: msg.Provider, Auditor: msg.Auditor}
	case err != nil:
		return err
	}
	byKey := make(map[string]string, len(rec.Attributes)+len(msg.Attributes))
	for _, a := range rec.Attributes {
		byKey[a.Key] = a.Value
	}
	for _, a := range msg.Attributes {
		byKey[a.Key] = a.Value
	}
	if len(byKey) > types.MaxAttributes {
		return errorsmod.Wrapf(types.ErrInvalidAttribute, "an auditor may attest at most %d keys per provider", types.MaxAttributes)
	}
	rec.Attributes = sortedAttributes(byKey)
	rec.UpdatedHeight = height(ctx)
	if err := k.auditRecords.Set(ctx, collections.Join(provider, auditor), rec); err != nil {
		return err
	}
	return emit(ctx, &types.EventAttributeAudited{Provider: msg.Provider, Auditor: msg.Auditor, Attributes: msg.Attributes})
}

// RevokeAttribute removes the auditor's own attestations of the given keys.
// Every key must be attested by this auditor, so a typo is an error and not
// a silent no-op. An auditor removed from the whitelist may still revoke.
func (k Keeper) RevokeAttribute(ctx context.Context, msg *types.MsgRevokeAttribute) error {
	provider, auditor, err := k.auditKey(msg.Provider, msg.Auditor)
	if err != nil {
		return err
	}
	key := collections.Join(provider, auditor)
	rec, err := k.auditRecords.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrAttestationNotFound, "%s has attested nothing for %s", msg.Auditor, msg.Provider)
	}
	if err != nil {
		return err
	}
	byKey := make(map[string]string, len(rec.Attributes))
	for _, a := range rec.Attributes {
		byKey[a.Key] = a.Value
	}
	for _, key := range msg.Keys {
		if _, ok := byKey[key]; !ok {
			return errorsmod.Wrapf(types.ErrAttestationNotFound, "%s has not attested %q for %s", msg.Auditor, key, msg.Provider)
		}
		delete(byKey, key)
	}
	if len(byKey) == 0 {
		err = k.auditRecords.Remove(ctx, key)
	} else {
		rec.Attributes = sortedAttributes(byKey)
		rec.UpdatedHeight = height(ctx)
		err = k.auditRecords.Set(ctx, key, rec)
	}
	if err != nil {
		return err
	}
	return emit(ctx, &types.EventAttributeRevoked{Provider: msg.Provider, Auditor: msg.Auditor, Keys: msg.Keys})
}

// AuditRecords returns every auditor's record of a provider, by auditor address.
func (k Keeper) AuditRecords(ctx context.Context, provider sdk.AccAddress) ([]types.AuditRecord, error) {
	it, err := k.auditRecords.Iterate(ctx, collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](provider))
	if err != nil {
		return nil, err
	}
	return it.Values()
}

// AuditedAttributes is the view of a provider that matching uses for a
// group that accepts the given auditors (all whitelisted ones when empty).
func (k Keeper) AuditedAttributes(ctx context.Context, provider sdk.AccAddress, accepted []string) (types.AuditedAttributes, error) {
	params, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return k.auditedAttributes(ctx, params.AuditorWhitelist, provider, accepted)
}

func (k Keeper) auditedAttributes(ctx context.Context, whitelist []string, provider sdk.AccAddress, accepted []string) (types.AuditedAttributes, error) {
	recs, err := k.AuditRecords(ctx, provider)
	if err != nil {
		return nil, err
	}
	return types.NewAuditedAttributes(recs, whitelist, accepted), nil
}

func (k Keeper) requireAuditor(ctx context.Context, auditor string) error {
	params, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if !params.IsAuditor(auditor) {
		return errorsmod.Wrapf(types.ErrAuditorNotWhitelisted, "%s", auditor)
	}
	return nil
}

func (k Keeper) auditKey(provider, auditor string) (sdk.AccAddress, sdk.AccAddress, error) {
	p, err := k.addressCodec.StringToBytes(provider)
	if err != nil {
		return nil, nil, errorsmod.Wrapf(types.ErrInvalidAddress, "provider: %v", err)
	}
	a, err := k.addressCodec.StringToBytes(auditor)
	if err != nil {
		return nil, nil, errorsmod.Wrapf(types.ErrInvalidAddress, "auditor: %v", err)
	}
	return p, a, nil
}

func sortedAttributes(byKey map[string]string) []types.Attribute {
	keys := make([]string, 0, len(byKey))
	for key := range byKey {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	out := make([]types.Attribute, len(keys))
	for i, key := range keys {
		out[i] = types.Attribute{Key: key, Value: byKey[key]}
	}
	return out
}
