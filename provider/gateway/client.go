package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/daitchain/daitchain/internal/leasetoken"
	"github.com/daitchain/daitchain/internal/sealed"
	"github.com/daitchain/daitchain/provider/serving"
)

// TokenSource mints a fresh lease token (tokens are single use).
type TokenSource func(ctx context.Context, leaseID uint64, scope leasetoken.Scope) (string, error)

// Client talks to one provider's gateway, trusting only the certificate
// whose fingerprint the provider published on chain.
type Client struct {
	base  string
	http  *http.Client
	token TokenSource
}

// APIError is a refusal from the gateway.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("gateway refused (%d %s): %s", e.Status, e.Code, e.Message)
}

// NewClient is a client for the gateway at hostURI pinned to pin.
func NewClient(hostURI string, pin []byte, token TokenSource) *Client {
	return &Client{
		base:  strings.TrimRight(hostURI, "/"),
		http:  &http.Client{Transport: &http.Transport{TLSClientConfig: PinnedTLS(pin), ForceAttemptHTTP2: true}},
		token: token,
	}
}

// HTTPClient is the pinned HTTP client (for fetching ingress URLs).
func (c *Client) HTTPClient() *http.Client { return c.http }

// SendManifest sends the deployment file's bytes for a lease, with the
// secret env values (clear here) sealed to the provider's gateway key.
func (c *Client) SendManifest(ctx context.Context, leaseID uint64, file []byte, secrets serving.Secrets) (serving.LeaseStatus, error) {
	if len(secrets) > 0 {
		var err error
		if secrets, err = c.Seal(ctx, leaseID, secrets); err != nil {
			return serving.LeaseStatus{}, err
		}
	}
	return c.SendSealedManifest(ctx, leaseID, file, secrets)
}

// SendSealedManifest sends the file with secrets as given (already
// sealed, by Seal).
func (c *Client) SendSealedManifest(ctx context.Context, leaseID uint64, file []byte, secrets serving.Secrets) (serving.LeaseStatus, error) {
	body, err := json.Marshal(ManifestRequest{Manifest: file, Secrets: secrets})
	if err != nil {
		return serving.LeaseStatus{}, err
	}
	var st serving.LeaseStatus
	err = c.do(ctx, http.MethodPut, leaseID, "manifest", nil, bytes.NewReader(body), leasetoken.ScopeManifest, &st)
	return st, err
}

// Status reads a lease's status.
func (c *Client) Status(ctx context.Context, leaseID uint64) (serving.LeaseStatus, error) {
	var st serving.LeaseStatus
	err := c.do(ctx, http.MethodGet, leaseID, "status", nil, nil, leasetoken.ScopeStatus, &st)
	return st, err
}

// Logs opens a workload's output (the first replica of service, or of the
// first service when it is empty); the caller closes it.
func (c *Client) Logs(ctx context.Context, leaseID uint64, service string, replica, tail int, follow bool) (io.ReadCloser, error) {
	q := url.Values{}
	if service != "" {
		q.Set("service", service)
	}
	q.Set("replica", strconv.Itoa(replica))
	q.Set("tail", strconv.Itoa(tail))
	if follow {
		q.Set("follow", "1")
	}
	res, err := c.request(ctx, http.MethodGet, leaseID, "logs", q, nil, leasetoken.ScopeLogs)
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// ProviderKey is the public key of the gateway's certificate, read from
// the pinned TLS connection: the certificate whose sha256 the provider
// published on chain, so the key is the provider's.
func (c *Client) ProviderKey(ctx context.Context) (*ecdsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathStatus, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	_ = res.Body.Close()
	if res.TLS == nil || len(res.TLS.PeerCertificates) == 0 {
		return nil, errors.New("the gateway's certificate was not seen (not HTTPS?)")
	}
	pub, ok := res.TLS.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("the gateway's certificate key is not ECDSA P-256: secrets cannot be sealed to it")
	}
	return pub, nil
}

// Seal seals clear secret values to the provider's gateway key for lease
// leaseID (internal/sealed): only that daemon opens them, only for that
// lease, service and variable.
func (c *Client) Seal(ctx context.Context, leaseID uint64, clear serving.Secrets) (serving.Secrets, error) {
	pub, err := c.ProviderKey(ctx)
	if err != nil {
		return nil, err
	}
	out := serving.Secrets{}
	for svc, vars := range clear {
		out[svc] = map[string]string{}
		for name, v := range vars {
			s, err := sealed.Seal(pub, sealed.Binding{LeaseID: leaseID, Service: svc, Name: name}, []byte(v), rand.Reader)
			if err != nil {
				return nil, err
			}
			out[svc][name] = s
		}
	}
	return out, nil
}

// ProviderStatus reads the public status.
func (c *Client) ProviderStatus(ctx context.Context) (ProviderStatus, error) {
	var st ProviderStatus
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+PathStatus, nil)
	if err != nil {
		return st, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return st, err
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return st, apiError(res)
	}
	return st, json.NewDecoder(res.Body).Decode(&st)
}

func (c *Client) do(ctx context.Context, method string, leaseID uint64, what string, q url.Values, body io.Reader, scope leasetoken.Scope, out any) error {
	res, err := c.request(ctx, method, leaseID, what, q, body, scope)
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	return json.NewDecoder(res.Body).Decode(out)
}

func (c *Client) request(ctx context.Context, method string, leaseID uint64, what string, q url.Values, body io.Reader, scope leasetoken.Scope) (*http.Response, error) {
	tok, err := c.token(ctx, leaseID, scope)
	if err != nil {
		return nil, err
	}
	u := fmt.Sprintf("%s%s%d/%s", c.base, PathLeases, leaseID, what)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		defer func() { _ = res.Body.Close() }()
		return nil, apiError(res)
	}
	return res, nil
}

func apiError(res *http.Response) error {
	var e Error
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err := json.Unmarshal(raw, &e); err != nil || e.Code == "" {
		return &APIError{Status: res.StatusCode, Code: "http", Message: strings.TrimSpace(string(raw))}
	}
	return &APIError{Status: res.StatusCode, Code: e.Code, Message: e.Error}
}

// Retryable says whether a refusal may pass when tried again shortly (the
// provider has not yet seen its lease, or is busy).
func Retryable(err error) bool {
	e, ok := err.(*APIError) //nolint:errorlint // APIError is never wrapped by this package
	return ok && (e.Code == "unknown_lease" || e.Code == "busy" || e.Code == "chain_unavailable")
}

// KeyringTokens mints tokens as tenant for provider with sign (a keyring
// signer), each valid for lifetime.
func KeyringTokens(tenant, provider string, sign leasetoken.Signer, lifetime time.Duration) TokenSource {
	return func(_ context.Context, leaseID uint64, scope leasetoken.Scope) (string, error) {
		now := time.Now()
		return leasetoken.Mint(leasetoken.Claims{
			Tenant: tenant, Provider: provider, LeaseID: leaseID, Scopes: []leasetoken.Scope{scope},
			Expires: now.Add(lifetime).Unix(),
		}, sign, now)
	}
}
