// Package gateway is the provider's HTTPS face (SPEC section 11): the
// versioned JSON API a tenant uses to send a lease's manifest, read its
// status and follow its logs, authenticated by lease tokens signed with the
// tenant's account key; a public provider status; and the per-lease
// ingress that proxies each service's HTTP ports. The server is in
// server.go, the client (tenant side, pinning the certificate published on
// chain) in client.go; both share the types below.
package gateway

import (
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/serving"
)

// API paths (all under https://<host_uri>).
const (
	PathStatus = "/v1/status"
	// PathLeases is followed by <lease id>/manifest, /status or /logs.
	PathLeases = "/v1/leases/"
	// PathIngress is followed by <lease id>/<service>/<port>/<path...>.
	PathIngress = "/lease/"
	// MaxManifestBody bounds a manifest request.
	MaxManifestBody = 1 << 20
)

// ManifestRequest is the body of PUT /v1/leases/<id>/manifest.
type ManifestRequest struct {
	// Manifest is the deployment file's exact bytes (base64 in JSON): its
	// sha256 must be the deployment's on-chain version.
	Manifest []byte `json:"manifest"`
	// Secrets are the values of the manifest's secret env vars, each
	// sealed to the gateway's key (internal/sealed); clear values are
	// refused.
	Secrets serving.Secrets `json:"secrets,omitempty"`
}

// ProviderStatus is GET /v1/status (public).
type ProviderStatus struct {
	Provider   string         `json:"provider"`
	Version    string         `json:"version"`
	HostURI    string         `json:"host_uri"`
	Runtime    string         `json:"runtime"`
	LiveLeases int            `json:"live_leases"`
	Free       inventory.Free `json:"free"`
}

// Error is every refusal's body.
type Error struct {
	// Code is stable (see the provider README); Error is for people.
	Code  string `json:"code"`
	Error string `json:"error"`
}
