package leasetoken_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/daitchain/daitchain/internal/leasetoken"
)

// keys is a fake chain: the public keys of the accounts it knows.
type keys map[string]cryptotypes.PubKey

func (k keys) PubKey(_ context.Context, a sdk.AccAddress) (cryptotypes.PubKey, error) {
	if pk, ok := k[a.String()]; ok {
		return pk, nil
	}
	return nil, errors.New("account has no public key on chain")
}

func signer(priv *secp256k1.PrivKey) leasetoken.Signer {
	return func(msg []byte) ([]byte, cryptotypes.PubKey, error) {
		sig, err := priv.Sign(msg)
		return sig, priv.PubKey(), err
	}
}

func TestMintVerify(t *testing.T) {
	sdk.GetConfig().SetBech32PrefixForAccount("dait", "daitpub")
	tenantKey, otherKey := secp256k1.GenPrivKey(), secp256k1.GenPrivKey()
	tenant := sdk.AccAddress(tenantKey.PubKey().Address()).String()
	other := sdk.AccAddress(otherKey.PubKey().Address()).String()
	provider := sdk.AccAddress(secp256k1.GenPrivKey().PubKey().Address()).String()
	chain := keys{tenant: tenantKey.PubKey(), other: otherKey.PubKey()}
	now := time.Unix(1_800_000_000, 0)
	claims := func() leasetoken.Claims {
		return leasetoken.Claims{Tenant: tenant, Provider: provider, LeaseID: 7,
			Scopes: []leasetoken.Scope{leasetoken.ScopeManifest, leasetoken.ScopeStatus}, Expires: now.Add(time.Minute).Unix()}
	}
	ctx := context.Background()
	v := leasetoken.NewVerifier(provider, chain)

	tok, err := leasetoken.Mint(claims(), signer(tenantKey), now)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok, "dait1."))
	got, err := v.Verify(ctx, tok, leasetoken.ScopeStatus, now)
	require.NoError(t, err)
	require.Equal(t, tenant, got.Tenant)
	require.Equal(t, uint64(7), got.LeaseID)
	_, err = v.Verify(ctx, tok, leasetoken.ScopeStatus, now)
	require.ErrorIs(t, err, leasetoken.ErrReplayed, "a token is used once")

	// An ingress-only token is an access token: reusable until it expires;
	// one that also grants another scope stays single use.
	access := claims()
	access.Scopes = []leasetoken.Scope{leasetoken.ScopeIngress}
	tok, err = leasetoken.Mint(access, signer(tenantKey), now)
	require.NoError(t, err)
	for range 3 {
		_, err = v.Verify(ctx, tok, leasetoken.ScopeIngress, now)
		require.NoError(t, err)
	}
	_, err = v.Verify(ctx, tok, leasetoken.ScopeStatus, now)
	require.ErrorIs(t, err, leasetoken.ErrScope)
	_, err = v.Verify(ctx, tok, leasetoken.ScopeIngress, now.Add(time.Minute))
	require.ErrorIs(t, err, leasetoken.ErrExpired)
	access.Scopes = append(access.Scopes, leasetoken.ScopeLogs)
	tok, err = leasetoken.Mint(access, signer(tenantKey), now)
	require.NoError(t, err)
	_, err = v.Verify(ctx, tok, leasetoken.ScopeIngress, now)
	require.NoError(t, err)
	_, err = v.Verify(ctx, tok, leasetoken.ScopeIngress, now)
	require.ErrorIs(t, err, leasetoken.ErrReplayed)

	mint := func(edit func(*leasetoken.Claims), key *secp256k1.PrivKey) string {
		c := claims()
		edit(&c)
		tok, err := leasetoken.Mint(c, signer(key), now)
		require.NoError(t, err)
		return tok
	}
	for _, tc := range []struct {
		name  string
		token string
		scope leasetoken.Scope
		at    time.Time
		want  error
	}{
		{"expired", mint(func(*leasetoken.Claims) {}, tenantKey), leasetoken.ScopeStatus, now.Add(time.Minute), leasetoken.ErrExpired},
		{"issued in the future", mint(func(c *leasetoken.Claims) { c.IssuedAt = now.Add(time.Minute).Unix() }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrExpired},
		{"lives too long", mint(func(c *leasetoken.Claims) { c.Expires = now.Add(leasetoken.MaxLifetime + time.Second).Unix() }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrExpired},
		{"another provider", mint(func(c *leasetoken.Claims) { c.Provider = other }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrAudience},
		{"scope not granted", mint(func(*leasetoken.Claims) {}, tenantKey), leasetoken.ScopeLogs, now, leasetoken.ErrScope},
		{"signed by someone else", mint(func(*leasetoken.Claims) {}, otherKey), leasetoken.ScopeStatus, now, leasetoken.ErrSignature},
		{"tenant without a key on chain", mint(func(c *leasetoken.Claims) { c.Tenant = provider }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrSignature},
		{"no lease", mint(func(c *leasetoken.Claims) { c.LeaseID = 0 }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
		{"bad tenant address", mint(func(c *leasetoken.Claims) { c.Tenant = "nobody" }, tenantKey), leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
		{"no prefix", "abc.def", leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
		{"no signature", "dait1." + base64.RawURLEncoding.EncodeToString([]byte("{}")), leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
		{"unknown claim", "dait1." + base64.RawURLEncoding.EncodeToString([]byte(`{"lease":1,"nonce":"n","admin":true}`)) + ".AA", leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
		{"not base64", "dait1.!!!.AA", leasetoken.ScopeStatus, now, leasetoken.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(ctx, tc.token, tc.scope, tc.at)
			require.ErrorIs(t, err, tc.want)
		})
	}

	// A payload altered after signing fails the signature.
	tok = mint(func(*leasetoken.Claims) {}, tenantKey)
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	forged := strings.Replace(string(payload), `"lease":7`, `"lease":8`, 1)
	_, err = v.Verify(ctx, parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(forged))+"."+parts[2], leasetoken.ScopeStatus, now)
	require.ErrorIs(t, err, leasetoken.ErrSignature)
}
