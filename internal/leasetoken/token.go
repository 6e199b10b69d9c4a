// Package leasetoken is the short-lived token a tenant signs with its
// account key (secp256k1) to talk to a provider's gateway about a lease
// (SPEC section 11). The tenant client mints one per request; the gateway
// verifies it against the account's public key on chain and refuses
// expired, replayed, mis-addressed or under-scoped tokens.
//
// Format: "dait1." + base64url(payload) + "." + base64url(signature), where
// payload is the JSON of Claims and signature is the secp256k1 signature of
// the payload bytes (the key signs their sha256), as the keyring signs.
package leasetoken

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Scope is what a token allows.
type Scope string

const (
	ScopeManifest Scope = "manifest"
	ScopeStatus   Scope = "status"
	ScopeLogs     Scope = "logs"
	// ScopeIngress opens a private group's HTTP ports through the
	// gateway's ingress. A token that grants only this scope is a bearer
	// access token: usable for many requests until it expires (at most
	// MaxLifetime), unlike every other token, which is single use.
	ScopeIngress Scope = "ingress"
)

const (
	prefix = "dait1."
	// MaxLifetime bounds exp - iat.
	MaxLifetime = 10 * time.Minute
	// ClockSkew is how far in the future iat may be.
	ClockSkew = 30 * time.Second
)

// Claims is the signed payload.
type Claims struct {
	Tenant   string  `json:"iss"`   // the signer: the lease's tenant
	Provider string  `json:"aud"`   // the gateway's provider
	LeaseID  uint64  `json:"lease"` // the lease it is about
	Scopes   []Scope `json:"scope"`
	IssuedAt int64   `json:"iat"` // unix seconds
	Expires  int64   `json:"exp"` // unix seconds
	Nonce    string  `json:"nonce"`
}

// Signer signs bytes with the tenant's key (a keyring record).
type Signer func(msg []byte) (sig []byte, pub cryptotypes.PubKey, err error)

// Mint makes a token for claims (Nonce and IssuedAt filled in when empty).
func Mint(c Claims, sign Signer, now time.Time) (string, error) {
	if c.Nonce == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		c.Nonce = hex.EncodeToString(b)
	}
	if c.IssuedAt == 0 {
		c.IssuedAt = now.Unix()
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	sig, _, err := sign(payload)
	if err != nil {
		return "", fmt.Errorf("signing the lease token: %w", err)
	}
	enc := base64.RawURLEncoding
	return prefix + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig), nil
}

// Errors of Verify; each wraps one of these.
var (
	ErrMalformed = errors.New("malformed token")
	ErrExpired   = errors.New("token expired or not yet valid")
	ErrReplayed  = errors.New("token already used")
	ErrAudience  = errors.New("token is for another provider")
	ErrScope     = errors.New("token does not grant this scope")
	ErrSignature = errors.New("token signature does not verify")
)

// PubKeys finds an account's public key on chain.
type PubKeys interface {
	PubKey(ctx context.Context, addr sdk.AccAddress) (cryptotypes.PubKey, error)
}

// Verifier checks tokens for one provider and remembers the nonces it
// accepted until they expire (single use). It is safe for concurrent use.
type Verifier struct {
	Provider string
	Keys     PubKeys

	mu   sync.Mutex
	seen map[string]int64 // nonce -> exp
}

// NewVerifier verifies tokens addressed to provider.
func NewVerifier(provider string, keys PubKeys) *Verifier {
	return &Verifier{Provider: provider, Keys: keys, seen: map[string]int64{}}
}

// Verify checks token for scope at now and returns its claims. The caller
// then checks that Claims.Tenant is the tenant of Claims.LeaseID.
func (v *Verifier) Verify(ctx context.Context, token string, scope Scope, now time.Time) (Claims, error) {
	var c Claims
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return c, fmt.Errorf("%w: want %s<payload>.<signature>", ErrMalformed, prefix)
	}
	p64, s64, ok := strings.Cut(rest, ".")
	if !ok {
		return c, fmt.Errorf("%w: no signature", ErrMalformed)
	}
	payload, err := base64.RawURLEncoding.DecodeString(p64)
	if err != nil {
		return c, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(s64)
	if err != nil {
		return c, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if c.LeaseID == 0 || c.Nonce == "" || len(c.Nonce) > 64 {
		return c, fmt.Errorf("%w: lease and nonce are required", ErrMalformed)
	}
	if c.Provider != v.Provider {
		return c, fmt.Errorf("%w: aud %s, this gateway is %s", ErrAudience, c.Provider, v.Provider)
	}
	t := now.Unix()
	switch {
	case c.Expires <= t:
		return c, fmt.Errorf("%w: expired at %d, now %d", ErrExpired, c.Expires, t)
	case c.IssuedAt > t+int64(ClockSkew/time.Second):
		return c, fmt.Errorf("%w: issued at %d, in the future (now %d)", ErrExpired, c.IssuedAt, t)
	case c.Expires-c.IssuedAt > int64(MaxLifetime/time.Second):
		return c, fmt.Errorf("%w: lifetime %d s is above %s", ErrExpired, c.Expires-c.IssuedAt, MaxLifetime)
	}
	if !slices.Contains(c.Scopes, scope) {
		return c, fmt.Errorf("%w: %s", ErrScope, scope)
	}
	tenant, err := sdk.AccAddressFromBech32(c.Tenant)
	if err != nil {
		return c, fmt.Errorf("%w: iss: %v", ErrMalformed, err)
	}
	pub, err := v.Keys.PubKey(ctx, tenant)
	if err != nil {
		return c, fmt.Errorf("%w: the tenant's public key: %v", ErrSignature, err)
	}
	if !sdk.AccAddress(pub.Address()).Equals(tenant) || !pub.VerifySignature(payload, sig) {
		return c, fmt.Errorf("%w: not signed by %s", ErrSignature, c.Tenant)
	}
	if len(c.Scopes) == 1 && c.Scopes[0] == ScopeIngress {
		return c, nil // an access token: reusable until it expires
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for n, exp := range v.seen {
		if exp <= t {
			delete(v.seen, n)
		}
	}
	if _, dup := v.seen[c.Nonce]; dup {
		return c, fmt.Errorf("%w: nonce %s", ErrReplayed, c.Nonce)
	}
	v.seen[c.Nonce] = c.Expires
	return c, nil
}
