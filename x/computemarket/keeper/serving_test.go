package keeper_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/x/computemarket/types"
)

// A provider publishes its gateway certificate's fingerprint on create and
// replaces it on update; anything but none or 32 bytes is refused.
func TestProviderCertFingerprint(t *testing.T) {
	f := newFixture(t)
	f.bond(provA, minBond)
	fp := bytes.Repeat([]byte{0xab}, types.CertHashLen)
	create := &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://a.example.com", TlsCertSha256: fp}
	require.NoError(t, create.ValidateBasic())
	_, err := f.msgs.CreateProvider(f.ctx, create)
	require.NoError(t, err)
	got, err := f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, fp, got.TlsCertSha256)

	rotated := bytes.Repeat([]byte{0xcd}, types.CertHashLen)
	_, err = f.msgs.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: str(provA), HostUri: "https://a.example.com", TlsCertSha256: rotated})
	require.NoError(t, err)
	got, err = f.k.GetProvider(f.ctx, provA)
	require.NoError(t, err)
	require.Equal(t, rotated, got.TlsCertSha256)

	for _, n := range []int{1, 31, 33, 64} {
		bad := &types.MsgUpdateProvider{Owner: str(provA), HostUri: "https://a.example.com", TlsCertSha256: make([]byte, n)}
		require.ErrorIs(t, bad.ValidateBasic(), types.ErrInvalidCertHash, "%d bytes", n)
		badCreate := &types.MsgCreateProvider{Owner: str(provA), HostUri: "https://a.example.com", TlsCertSha256: make([]byte, n)}
		require.ErrorIs(t, badCreate.ValidateBasic(), types.ErrInvalidCertHash, "%d bytes", n)
	}
	// The genesis check holds providers to the same rule.
	gs := types.DefaultGenesis()
	gs.Providers = []types.Provider{{Owner: str(provA), HostUri: "https://a.example.com", TlsCertSha256: make([]byte, 7)}}
	err = gs.Validate()
	require.ErrorIs(t, err, types.ErrInvalidGenesis)
	require.ErrorContains(t, err, "tls_cert_sha256 is 7 bytes")
}

// The provider closes its lease with the reason it saw; the lease keeps it
// and the group pauses, as for any provider close.
func TestProviderCloseReasons(t *testing.T) {
	for _, tc := range []struct {
		given, stored types.CloseReason
	}{
		{types.CloseReasonUnspecified, types.CloseReasonProvider},
		{types.CloseReasonProvider, types.CloseReasonProvider},
		{types.CloseReasonManifestTimeout, types.CloseReasonManifestTimeout},
		{types.CloseReasonUnhealthy, types.CloseReasonUnhealthy},
	} {
		t.Run(tc.given.String(), func(t *testing.T) {
			m := newMarketT(t)
			s := m.sceneMatched(t)
			msg := &types.MsgCloseBid{Provider: str(provA), BidId: s.bid, Reason: tc.given}
			m.ok(t, msg)
			m.requireLeaseClosed(t, s.lease, tc.stored, m.ctx.BlockHeight())
			m.requireGroup(t, s.group, types.GroupPaused)
			m.endBlock(t) // and its invariants
		})
	}
}

// Reasons a provider may not give are refused before any state is read;
// an OPEN bid has no lease to give a reason for.
func TestProviderCloseReasonRefused(t *testing.T) {
	for _, r := range []types.CloseReason{
		types.CloseReasonTenant, types.CloseReasonInsufficientFunds, types.CloseReasonDeploymentClosed,
		types.CloseReasonGroupClosed, types.CloseReasonGroupPaused, types.CloseReason(99),
	} {
		err := (&types.MsgCloseBid{Provider: str(provA), BidId: 1, Reason: r}).ValidateBasic()
		require.ErrorIs(t, err, types.ErrInvalidCloseReason, "%s", r)
	}
	m := newMarketT(t)
	s := m.sceneBid(t)
	m.refuse(t, types.ErrInvalidCloseReason, &types.MsgCloseBid{Provider: str(provA), BidId: s.bid, Reason: types.CloseReasonUnhealthy})
	m.requireBid(t, s.bid, types.BidOpen)
}
