package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/daitchain/daitchain/internal/leasetoken"
	"github.com/daitchain/daitchain/provider/inventory"
	"github.com/daitchain/daitchain/provider/serving"
)

// Config is the gateway section of the provider config.
type Config struct {
	// Listen is the address the gateway binds (e.g. 0.0.0.0:8443); empty
	// turns serving off (the daemon only bids).
	Listen string `yaml:"listen"`
	// HostURI is the public https URL published on chain as the
	// provider's host_uri; empty: https://<listen> (with 127.0.0.1 for an
	// unspecified host).
	HostURI string `yaml:"host_uri"`
	// Hostnames are extra names (or IPs) for the certificate created on
	// first start; the host of HostURI is always one.
	Hostnames []string `yaml:"hostnames"`
}

// PublicURI is the host URI the gateway publishes.
func (c Config) PublicURI() string {
	if c.HostURI != "" {
		return strings.TrimRight(c.HostURI, "/")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "https://" + c.Listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port)
}

// CertHosts are the names the certificate is made for.
func (c Config) CertHosts() []string {
	hosts := append([]string{"127.0.0.1", "localhost"}, c.Hostnames...)
	if u, err := url.Parse(c.PublicURI()); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	return hosts
}

// Serving is what the gateway asks of the lease manager.
type Serving interface {
	Apply(ctx context.Context, leaseID uint64, tenant string, body []byte, secrets serving.Secrets) error
	Status(ctx context.Context, leaseID uint64, tenant string) (serving.LeaseStatus, error)
	Logs(ctx context.Context, leaseID uint64, tenant, service string, replica, tail int, follow bool) (io.ReadCloser, error)
	Route(leaseID uint64, service string, port uint32) (serving.Route, error)
	Live() int
}

// Deps are the server's collaborators; Logger and Now are optional.
type Deps struct {
	Provider string
	Version  string
	Runtime  string
	Serving  Serving
	Tokens   *leasetoken.Verifier
	Free     func() inventory.Free
	Logger   *slog.Logger
	Now      func() time.Time
}

// Server serves the gateway API and ingress.
type Server struct {
	cfg  Config
	d    Deps
	base string
}

// New builds a server.
func New(cfg Config, d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Server{cfg: cfg, d: d, base: cfg.PublicURI()}
}

// Handler routes the API and the ingress.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathStatus, s.providerStatus)
	mux.HandleFunc("PUT "+PathLeases+"{lease}/manifest", s.manifest)
	mux.HandleFunc("GET "+PathLeases+"{lease}/status", s.leaseStatus)
	mux.HandleFunc("GET "+PathLeases+"{lease}/logs", s.logs)
	mux.HandleFunc(PathIngress+"{lease}/{service}/{port}/", s.ingress)
	mux.HandleFunc(PathIngress+"{lease}/{service}/{port}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
	})
	return mux
}

// Serve serves TLS on ln (bound by the caller, so a bind failure is known
// before the daemon reports ready) until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener, cert tls.Certificate) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ErrorLog:          slog.NewLogLogger(s.d.Logger.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.ServeTLS(ln, "", "")
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) providerStatus(w http.ResponseWriter, _ *http.Request) {
	st := ProviderStatus{
		Provider: s.d.Provider, Version: s.d.Version, HostURI: s.base, Runtime: s.d.Runtime,
		LiveLeases: s.d.Serving.Live(),
	}
	if s.d.Free != nil {
		st.Free = s.d.Free()
	}
	writeJSON(w, http.StatusOK, st)
}

// authorize checks the bearer token for scope and that it is about the
// path's lease; it returns the lease id and the token's signer.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope leasetoken.Scope) (uint64, string, bool) {
	id, err := strconv.ParseUint(r.PathValue("lease"), 10, 64)
	if err != nil || id == 0 {
		writeErr(w, http.StatusBadRequest, "bad_request", "the lease id must be a positive integer")
		return 0, "", false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		writeErr(w, http.StatusUnauthorized, "unauthorized", "an Authorization: Bearer <lease token> header is required")
		return 0, "", false
	}
	claims, err := s.d.Tokens.Verify(r.Context(), strings.TrimSpace(tok), scope, s.d.Now())
	if err != nil {
		code := "unauthorized"
		for _, e := range []struct {
			err  error
			code string
		}{
			{leasetoken.ErrExpired, "token_expired"}, {leasetoken.ErrReplayed, "token_replayed"},
			{leasetoken.ErrAudience, "token_audience"}, {leasetoken.ErrScope, "token_scope"},
			{leasetoken.ErrSignature, "token_signature"}, {leasetoken.ErrMalformed, "token_malformed"},
		} {
			if errors.Is(err, e.err) {
				code = e.code
			}
		}
		writeErr(w, http.StatusUnauthorized, code, err.Error())
		return 0, "", false
	}
	if claims.LeaseID != id {
		writeErr(w, http.StatusUnauthorized, "token_lease", fmt.Sprintf("the token is for lease %d, not %d", claims.LeaseID, id))
		return 0, "", false
	}
	return id, claims.Tenant, true
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request) {
	id, tenant, ok := s.authorize(w, r, leasetoken.ScopeManifest)
	if !ok {
		return
	}
	var req ManifestRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxManifestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", "manifest request: "+err.Error())
		return
	}
	if err := s.d.Serving.Apply(r.Context(), id, tenant, req.Manifest, req.Secrets); err != nil {
		s.refuse(w, err)
		return
	}
	s.d.Logger.Info("manifest accepted", "lease", id, "tenant", tenant)
	st, err := s.d.Serving.Status(r.Context(), id, tenant)
	if err != nil {
		s.refuse(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withURLs(st))
}

func (s *Server) leaseStatus(w http.ResponseWriter, r *http.Request) {
	id, tenant, ok := s.authorize(w, r, leasetoken.ScopeStatus)
	if !ok {
		return
	}
	st, err := s.d.Serving.Status(r.Context(), id, tenant)
	if err != nil {
		s.refuse(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withURLs(st))
}

// withURLs fills each port's URL: the ingress URL of an http port, or
// tcp://host:<first replica's host port>.
func (s *Server) withURLs(st serving.LeaseStatus) serving.LeaseStatus {
	host := "127.0.0.1"
	if u, err := url.Parse(s.base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	for i := range st.Services {
		svc := &st.Services[i]
		for j := range svc.Ports {
			p := &svc.Ports[j]
			if p.Proto == "tcp" {
				if len(p.HostPorts) > 0 {
					p.URL = "tcp://" + net.JoinHostPort(host, strconv.FormatUint(uint64(p.HostPorts[0]), 10))
				}
				continue
			}
			p.URL = IngressURL(s.base, st.LeaseID, svc.Name, p.Port)
		}
	}
	return st
}

// IngressURL is where a service's HTTP port is reached through a gateway.
func IngressURL(base string, leaseID uint64, service string, port uint32) string {
	return fmt.Sprintf("%s%s%d/%s/%d/", strings.TrimRight(base, "/"), PathIngress, leaseID, service, port)
}

func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	id, tenant, ok := s.authorize(w, r, leasetoken.ScopeLogs)
	if !ok {
		return
	}
	q := r.URL.Query()
	tail, replica := 0, 0
	for _, p := range []struct {
		name string
		to   *int
	}{{"tail", &tail}, {"replica", &replica}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1_000_000 {
				writeErr(w, http.StatusBadRequest, "bad_request", p.name+" must be an integer from 0 to 1000000")
				return
			}
			*p.to = n
		}
	}
	follow := q.Get("follow") == "1" || q.Get("follow") == "true"
	rc, err := s.d.Serving.Logs(r.Context(), id, tenant, q.Get("service"), replica, tail, follow)
	if err != nil {
		s.refuse(w, err)
		return
	}
	defer func() { _ = rc.Close() }()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := rc.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// ingress proxies /lease/<id>/<service>/<port>/<rest> to a replica's host
// port as /<rest>, while the lease is live. A public group's HTTP ports
// need no token, like any web service; a private or confidential group's
// want the tenant's ingress token (Authorization: Bearer, scope ingress),
// which the gateway strips before proxying.
func (s *Server) ingress(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("lease"), 10, 64)
	port, perr := strconv.ParseUint(r.PathValue("port"), 10, 16)
	if err != nil || perr != nil {
		writeErr(w, http.StatusNotFound, "no_such_service", "want /lease/<lease id>/<service>/<port>/")
		return
	}
	service := r.PathValue("service")
	route, err := s.d.Serving.Route(id, service, uint32(port))
	if err != nil {
		s.refuse(w, err)
		return
	}
	if route.Restricted {
		_, tenant, ok := s.authorize(w, r, leasetoken.ScopeIngress)
		if !ok {
			return
		}
		if tenant != route.Tenant {
			writeErr(w, http.StatusForbidden, "not_tenant", fmt.Sprintf("lease %d is private to its tenant", id))
			return
		}
		r.Header.Del("Authorization")
	}
	hp := route.HostPort
	prefix := fmt.Sprintf("%s%d/%s/%d", PathIngress, id, service, port)
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.FormatUint(uint64(hp), 10))}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(pr.In.URL.Path, prefix), "/")
			pr.Out.URL.RawPath = ""
			pr.SetXForwarded()
			pr.Out.Header.Set("X-Forwarded-Prefix", prefix)
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			writeErr(w, http.StatusBadGateway, "upstream", "the service did not answer: "+err.Error())
		},
	}
	proxy.ServeHTTP(w, r)
}

// refuse maps a manager error to its status and code.
func (s *Server) refuse(w http.ResponseWriter, err error) {
	for _, e := range refusals {
		if errors.Is(err, e.err) {
			writeErr(w, e.status, e.code, err.Error())
			return
		}
	}
	s.d.Logger.Warn("gateway request failed", "err", err)
	writeErr(w, http.StatusBadGateway, "chain_unavailable", err.Error())
}

// refusals is the table of the README's error codes.
var refusals = []struct {
	err    error
	status int
	code   string
}{
	{serving.ErrNotTenant, http.StatusForbidden, "not_tenant"},
	{serving.ErrNotYourLease, http.StatusForbidden, "not_your_lease"},
	{serving.ErrLeaseNotLive, http.StatusConflict, "lease_not_live"},
	{serving.ErrUnknownLease, http.StatusServiceUnavailable, "unknown_lease"},
	{serving.ErrNotOnChain, http.StatusNotFound, "not_found"},
	{serving.ErrVersionMismatch, http.StatusUnprocessableEntity, "version_mismatch"},
	{serving.ErrBadManifest, http.StatusUnprocessableEntity, "bad_manifest"},
	{serving.ErrSecrets, http.StatusUnprocessableEntity, "bad_secrets"},
	{serving.ErrNoManifest, http.StatusConflict, "no_manifest"},
	{serving.ErrNoSuchService, http.StatusNotFound, "no_such_service"},
	{serving.ErrNoCapacity, http.StatusServiceUnavailable, "no_capacity"},
	{serving.ErrBusy, http.StatusConflict, "busy"},
	{serving.ErrStart, http.StatusInternalServerError, "start_failed"},
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	writeJSON(w, status, Error{Code: code, Error: msg})
}
