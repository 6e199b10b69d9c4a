// Package sealed encrypts a lease's secret values to the provider's
// gateway key (SPEC section 11, privacy): the tenant seals each value with
// the public key of the certificate whose sha256 the provider published on
// chain, and only the daemon holding that certificate's private key opens
// it. The provider stores sealed values, never clear ones.
//
// Scheme (ECIES on P-256): an ephemeral P-256 key E; Z = ECDH(E, P) with
// the provider's key P; K = HKDF-SHA256(Z, salt = E || P, info =
// "daitchain sealed secret v1") of 32 bytes; AES-256-GCM under K with a
// random 12-byte nonce and, as additional data, the binding (lease id,
// service, variable name), so a sealed value opens only for the variable
// it was sealed for. Encoding: "dait-sealed-v1." + base64url(E (65 bytes,
// uncompressed) || nonce || ciphertext and tag).
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Prefix starts every sealed value.
const Prefix = "dait-sealed-v1."

const (
	info      = "daitchain sealed secret v1"
	pointLen  = 65
	nonceLen  = 12
	maxSealed = 64 << 10 // a sealed value is at most 64 KiB
)

// Binding is where a sealed value may be used.
type Binding struct {
	LeaseID uint64
	Service string
	Name    string
}

func (b Binding) aad() []byte {
	return []byte("lease=" + strconv.FormatUint(b.LeaseID, 10) + "\nservice=" + b.Service + "\nname=" + b.Name)
}

// Errors.
var (
	ErrNotSealed = errors.New("not a sealed value (want " + Prefix + "...)")
	ErrOpen      = errors.New("does not open with this provider's key for this lease, service and variable")
)

// IsSealed says whether s has the sealed encoding's prefix.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

func key(z, e, p []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, z, append(append([]byte{}, e...), p...), info, 32)
}

func gcm(k []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts value to pub for binding b, with randomness from rnd.
func Seal(pub *ecdsa.PublicKey, b Binding, value []byte, rnd io.Reader) (string, error) {
	p, err := pub.ECDH()
	if err != nil {
		return "", fmt.Errorf("sealing: the provider's key: %w", err)
	}
	if p.Curve() != ecdh.P256() {
		return "", errors.New("sealing: the provider's key is not P-256")
	}
	e, err := ecdh.P256().GenerateKey(rnd)
	if err != nil {
		return "", err
	}
	z, err := e.ECDH(p)
	if err != nil {
		return "", err
	}
	k, err := key(z, e.PublicKey().Bytes(), p.Bytes())
	if err != nil {
		return "", err
	}
	aead, err := gcm(k)
	if err != nil {
		return "", err
	}
	out := make([]byte, 0, pointLen+nonceLen+len(value)+aead.Overhead())
	out = append(out, e.PublicKey().Bytes()...)
	nonce := make([]byte, nonceLen)
	if _, err := io.ReadFull(rnd, nonce); err != nil {
		return "", err
	}
	out = append(out, nonce...)
	out = aead.Seal(out, nonce, value, b.aad())
	return Prefix + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a sealed value with the provider's private key, for
// binding b.
func Open(priv *ecdsa.PrivateKey, b Binding, s string) ([]byte, error) {
	if !IsSealed(s) {
		return nil, ErrNotSealed
	}
	if len(s) > maxSealed {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrOpen, maxSealed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(Prefix):])
	if err != nil || len(raw) < pointLen+nonceLen+16 {
		return nil, fmt.Errorf("%w: malformed", ErrOpen)
	}
	d, err := priv.ECDH()
	if err != nil {
		return nil, fmt.Errorf("opening: the provider's key: %w", err)
	}
	e, err := ecdh.P256().NewPublicKey(raw[:pointLen])
	if err != nil {
		return nil, fmt.Errorf("%w: bad ephemeral key", ErrOpen)
	}
	z, err := d.ECDH(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOpen, err)
	}
	k, err := key(z, raw[:pointLen], d.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	aead, err := gcm(k)
	if err != nil {
		return nil, err
	}
	nonce := raw[pointLen : pointLen+nonceLen]
	value, err := aead.Open(nil, nonce, raw[pointLen+nonceLen:], b.aad())
	if err != nil {
		return nil, ErrOpen
	}
	return value, nil
}
