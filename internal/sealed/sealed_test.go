package sealed_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/internal/sealed"
)

func TestSealOpen(t *testing.T) {
	prov, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	b := sealed.Binding{LeaseID: 7, Service: "train", Name: "HF_TOKEN"}

	s, err := sealed.Seal(&prov.PublicKey, b, []byte("hf_secret"), rand.Reader)
	require.NoError(t, err)
	require.True(t, sealed.IsSealed(s))
	require.NotContains(t, s, "hf_secret")
	again, err := sealed.Seal(&prov.PublicKey, b, []byte("hf_secret"), rand.Reader)
	require.NoError(t, err)
	require.NotEqual(t, s, again, "each seal is fresh")

	v, err := sealed.Open(prov, b, s)
	require.NoError(t, err)
	require.Equal(t, "hf_secret", string(v))

	// Only the provider's key, and only for the binding sealed for.
	_, err = sealed.Open(other, b, s)
	require.ErrorIs(t, err, sealed.ErrOpen)
	for _, wrong := range []sealed.Binding{{LeaseID: 8, Service: "train", Name: "HF_TOKEN"}, {LeaseID: 7, Service: "web", Name: "HF_TOKEN"}, {LeaseID: 7, Service: "train", Name: "TOKEN"}} {
		_, err = sealed.Open(prov, wrong, s)
		require.ErrorIs(t, err, sealed.ErrOpen, "%+v", wrong)
	}
	// Tampering, truncation and clear values are refused.
	raw := []byte(s)
	raw[len(raw)-3] ^= 1
	if raw[len(raw)-3] == '-' || raw[len(raw)-3] == '_' {
		raw[len(raw)-3] = 'A'
	}
	_, err = sealed.Open(prov, b, string(raw))
	require.ErrorIs(t, err, sealed.ErrOpen)
	_, err = sealed.Open(prov, b, s[:len(sealed.Prefix)+20])
	require.ErrorIs(t, err, sealed.ErrOpen)
	_, err = sealed.Open(prov, b, "hf_secret")
	require.ErrorIs(t, err, sealed.ErrNotSealed)
	_, err = sealed.Open(prov, b, sealed.Prefix+strings.Repeat("A", 70<<10))
	require.ErrorIs(t, err, sealed.ErrOpen)

	empty, err := sealed.Seal(&prov.PublicKey, b, nil, rand.Reader)
	require.NoError(t, err)
	v, err = sealed.Open(prov, b, empty)
	require.NoError(t, err)
	require.Empty(t, v)
}
