package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/daitchain/daitchain/manifest"
	"github.com/daitchain/daitchain/provider/gateway"
	tenantpkg "github.com/daitchain/daitchain/tenant"
	"github.com/daitchain/daitchain/x/computemarket/types"
)

// TestServingConfidential: a confidential group goes on chain with the TEE
// requirement and is leased by a provider an auditor attests a TEE for;
// its service URL answers only the tenant's ingress token (reusable until
// it expires), and once the auditor revokes the TEE attestation the tenant
// client refuses to send the manifest there again.
func TestServingConfidential(t *testing.T) {
	hello := buildHello(t)
	c, tenant, prov := providerChain(t)
	auditor := c.AddressOf("auditor")
	c.MustDeliver("auditor", &types.MsgAuditAttribute{Auditor: auditor.String(), Provider: prov.String(),
		Attributes: []types.Attribute{{Key: "region", Value: "na-east"}, {Key: manifest.TEEKey, Value: "nvidia-cc"}}})
	startDaemon(t, c, prov, servingConfig(t, time.Hour))
	ctx := context.Background()

	file := []byte(strings.Replace(string(helloFile(hello, "vault", "{ http: /healthz, every: 1s }", "")),
		"    max_price:", "    privacy: confidential\n    max_price:", 1))
	lease, deploymentID := deployFile(t, c, tenant, prov, file)
	g, err := c.Market.Group(ctx, &types.QueryGroupRequest{Id: lease.GroupId})
	require.NoError(t, err)
	require.Contains(t, g.Group.Spec.Requirements, manifest.TEERequirement(), "the TEE requirement is on chain")

	tc := tenantpkg.New(tenant.String(), c.Market, nil, nil)
	tc.Poll = 200 * time.Millisecond
	_, groups, err := tc.Status(ctx, deploymentID)
	require.NoError(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	served, err := tc.SendManifests(wctx, file, groups, keyringSigner(c, "tenant"), nil)
	wcancel()
	require.NoError(t, err)
	url := served[0].Status.Services[0].Ports[0].URL
	gw := tenantGateway(t, c, prov, "tenant", tenant)

	// No token, or another account's: refused. The tenant's: reusable.
	status := func(token string) int {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := gw.HTTPClient().Do(req)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		return res.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, status(""))
	token, err := tc.IngressToken(ctx, lease.Id, keyringSigner(c, "tenant"), time.Minute)
	require.NoError(t, err)
	for range 3 {
		require.Equal(t, http.StatusOK, status(token))
	}
	stranger, err := gateway.KeyringTokens(auditor.String(), prov.String(), keyringSigner(c, "auditor"), time.Minute)(ctx, lease.Id, "ingress")
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, status(stranger))
	statusToken, err := gateway.KeyringTokens(tenant.String(), prov.String(), keyringSigner(c, "tenant"), time.Minute)(ctx, lease.Id, "status")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, status(statusToken), "a status token does not open the ingress")
	_, err = tenantpkg.New(auditor.String(), c.Market, nil, nil).IngressToken(ctx, lease.Id, keyringSigner(c, "auditor"), time.Minute)
	require.ErrorContains(t, err, "not "+auditor.String())

	// The attestation is revoked: the client no longer sends there.
	c.MustDeliver("auditor", &types.MsgRevokeAttribute{Auditor: auditor.String(), Provider: prov.String(), Keys: []string{manifest.TEEKey}})
	_, err = tc.SendManifests(ctx, file, groups, keyringSigner(c, "tenant"), nil)
	require.ErrorIs(t, err, tenantpkg.ErrNotConfidential)
	require.ErrorContains(t, err, "tee in")
}
