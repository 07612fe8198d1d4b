package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/safefile"
	"github.com/rampart-go/rampart/logredact"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/tlsutil"
)

// lockFileName is the lock file under -data that one process holds while it runs.
const lockFileName = "lock"

// errDataDirInUse: another process holds the data directory's lock.
var errDataDirInUse = errors.New("the data directory is in use")

const (
	// defaultMaxConns caps the concurrent connections: beyond it, new ones wait in the
	// kernel's accept queue, so that a flood of idle connections cannot exhaust memory or
	// file descriptors. Each client address may hold defaultConnsPerClient of them (conns.go).
	defaultMaxConns = 1024
	// defaultRegistrationsPerIP is the number of accounts one client address may create per
	// hour.
	defaultRegistrationsPerIP = 5
)

// newLogger returns the redactor and the logger that writes JSON lines to w: every record passes
// through the redactor, outermost, before the JSON handler, which lets the redactor's access log
// encode its lines itself.
func newLogger(w io.Writer) (*logredact.Redactor, *slog.Logger) {
	redactor := logredact.MustNew(logredact.Config{})
	return redactor, slog.New(redactor.Handler(logredact.NewJSONHandler(w, nil)))
}

// serve wires the packages together and serves until ctx is done, then shuts down gracefully
// and closes the store.
func serve(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	redactor, logger := newLogger(stderr)

	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return err
	}
	if err := checkDataDir(cfg.dataDir); err != nil {
		return err
	}
	unlock, err := lockDataDir(cfg.dataDir)
	if err != nil {
		return err
	}
	defer unlock() // last: after the store is closed
	k, err := loadKeys(cfg.dataDir, cfg.getenv, logger)
	if err != nil {
		return err
	}
	st, err := openStore(cfg.dataDir, k.store, now, logger)
	if err != nil {
		return err
	}
	defer func() { _ = st.close() }() // on early returns; the normal path closes it below

	a, limiter, err := newApp(cfg, st, k.token, logger, now)
	if err != nil {
		return err
	}
	if err := a.bootstrapAdmin(ctx, cfg.adminPassword, stderr); err != nil {
		return err
	}

	alc := a.accessLogConfig()
	if cfg.now != nil { // else the access log's own time.Now, which also stamps its records
		alc.Now = cfg.now
	}
	accessLog := redactor.AccessLog(logger, alc)
	handler := a.routes(a.newMiddleware(limiter, apiHeaders(), accessLog))
	if cfg.plainHTTP {
		handler = loopbackHostOnly(handler, logger)
	}
	if cfg.onRequest != nil {
		inner := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cfg.onRequest(r)
			inner.ServeHTTP(w, r)
		})
	}

	// TLS: the operator's certificate (reloaded when the files change), or a development CA
	// whose certificate is written where curl --cacert can find it.
	var tlsConfig *tls.Config
	var caPath string
	var devExpiry time.Time
	switch {
	case cfg.plainHTTP:
	case cfg.certFile != "":
		reloader, err := tlsutil.NewReloader(cfg.certFile, cfg.keyFile, tlsutil.ReloadOptions{
			OnReload: func(err error) {
				if err != nil {
					logger.Error("certificate reload failed; the old certificate keeps serving", "error", err.Error())
				}
			},
		})
		if err != nil {
			return err
		}
		defer func() { _ = reloader.Close() }() // always nil
		go func() { _ = reloader.Run(ctx) }()
		tlsConfig = reloader.ServerConfig(tlsutil.Intermediate)
	default:
		dev, err := tlsutil.NewDev()
		if err != nil {
			return err
		}
		if caPath, err = filepath.Abs(filepath.Join(cfg.dataDir, "dev-ca.pem")); err != nil {
			return err
		}
		caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: dev.CA.Raw})
		if err := safefile.Replace(caPath, caPEM, 0o644); err != nil {
			return err
		}
		tlsConfig = tlsutil.ServerConfig(tlsutil.Intermediate)
		tlsConfig.Certificates = []tls.Certificate{dev.Server}
		devExpiry = dev.Server.Leaf.NotAfter
	}

	maxConns := cfg.maxConns
	if maxConns <= 0 {
		maxConns = defaultMaxConns
	}
	perClient := cfg.connsPerClient
	if perClient <= 0 {
		perClient = defaultConnsPerClient
	}
	srv, err := tlsutil.NewServer(handler, tlsutil.ServerOptions{TLS: tlsConfig, Logger: logger,
		MaxConns: maxConns, IdleTimeout: idleTimeout})
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.addr)
	if err != nil {
		return err
	}
	if cfg.plainHTTP && !isLoopback(ln.Addr()) {
		// The name in -addr (localhost) passed checkLoopback, yet resolved elsewhere.
		_ = ln.Close()
		return fmt.Errorf("-http: %s listens on %s, not a loopback address", cfg.addr, ln.Addr())
	}
	// Each client address gets a share of the connections (trusted proxies, which carry many
	// clients, are exempt); tlsutil's MaxConns then caps them all.
	ln = limitPerClient(ln, perClient, cfg.trustedProxies, logger)
	printBanner(stdout, ln.Addr().String(), cfg.plainHTTP, cfg.trustedProxies, caPath, devExpiry)
	logger.Info("listening", "addr", ln.Addr().String(), "tls", !cfg.plainHTTP, "trusted_proxies", proxyList(cfg.trustedProxies))
	if cfg.ready != nil {
		cfg.ready(ln.Addr().String())
	}

	// Serve and ServeTLS return once ctx is done and in-flight requests have finished.
	if cfg.plainHTTP {
		err = srv.Serve(ctx, ln)
	} else {
		err = srv.ServeTLS(ctx, ln)
	}
	if cerr := st.close(); err == nil {
		err = cerr
	}
	if err != nil {
		logger.Error("stopped", "error", err.Error())
	} else {
		logger.Info("shut down cleanly")
	}
	return err
}

// proxyList formats trusted proxy networks as -trusted-proxy takes them.
func proxyList(proxies []netip.Prefix) string {
	s := make([]string, len(proxies))
	for i, p := range proxies {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// isLoopback reports whether a listener's address is a loopback address (an IPv4-mapped IPv6
// loopback address counts).
func isLoopback(addr net.Addr) bool {
	ap, err := netip.ParseAddrPort(addr.String())
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// loopbackHostOnly refuses, with 421 Misdirected Request, requests whose Host is not
// localhost or a loopback address (with or without port). Under -http this defeats DNS
// rebinding: a web page on attacker.example whose name the attacker points at 127.0.0.1 could
// otherwise send same-origin requests to the API through the victim's browser.
func loopbackHostOnly(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			logger.WarnContext(r.Context(), "request for another host refused", "event", "host_refused",
				"host", logValue(r.Host), "path", r.URL.Path)
			writeError(w, http.StatusMisdirectedRequest, "Unknown host")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether the Host header host names localhost or a loopback address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// apiHeaders returns the security headers of the API. Its responses are JSON, never rendered
// as a page, so the Content-Security-Policy forbids everything (OWASP's advice for REST
// services), which also spares a per-request nonce.
//
// HSTS is sent under -http too: -http is meant for running behind a local TLS proxy, whose
// clients see https and must get the header; over a plain http://localhost, browsers ignore it.
func apiHeaders() tlsutil.Headers {
	return tlsutil.Headers{ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'"}
}

// newApp builds the handlers' dependencies and the per-IP API limiter.
func newApp(cfg config, st *store, tokenKey auth.Key, logger *slog.Logger, now func() time.Time) (*app, *ratelimit.Limiter, error) {
	hasher, err := auth.NewHasher(auth.HasherConfig{})
	if err != nil {
		return nil, nil, err
	}
	// NIST SP 800-63B asks for 15 characters when the password is the only factor.
	policy := &auth.PasswordPolicy{MinLength: 15, ContextWords: []string{"secureapi"}}

	// The store doubles as the revocation store, so logouts survive restarts.
	keyring, err := auth.NewKeyring(auth.TokenConfig{Revocation: st, Now: now}, tokenKey)
	if err != nil {
		return nil, nil, err
	}
	sessions, err := auth.NewSessions(keyring, auth.SessionConfig{IdleTimeout: cfg.sessionIdle})
	if err != nil {
		return nil, nil, err
	}
	a := &app{
		store:    st,
		hasher:   hasher,
		policy:   policy,
		sessions: sessions,
		// The secure cookie (Secure, "__Host-" prefix) under -http too: behind a TLS proxy the
		// browser sees https, and browsers and curl accept Secure cookies from http://localhost
		// and http://127.0.0.1.
		cookie:   auth.SessionCookie{},
		clientIP: &ratelimit.ClientIP{TrustedProxies: cfg.trustedProxies},
		log:      logger,
		now:      now,
	}
	cookie := a.cookie
	a.authn, err = auth.NewMiddleware(sessions, auth.MiddlewareConfig{Cookie: &cookie, Bearer: true, ErrorHandler: a.authError})
	if err != nil {
		return nil, nil, err
	}
	// Failed logins: exact sliding logs, per account and per client address.
	a.perUser, err = ratelimit.New(ratelimit.Config{Now: now},
		ratelimit.Policy{Name: "login-user", Algorithm: ratelimit.SlidingLog, Limit: cfg.loginFailuresPerUser, Window: cfg.loginWindow})
	if err != nil {
		return nil, nil, err
	}
	a.perIP, err = ratelimit.New(ratelimit.Config{Now: now},
		ratelimit.Policy{Name: "login-ip", Algorithm: ratelimit.SlidingLog, Limit: cfg.loginFailuresPerIP, Window: cfg.loginWindow})
	if err != nil {
		return nil, nil, err
	}
	// Accounts created per client address, per hour.
	perHour := cfg.registrationsPerIP
	if perHour <= 0 {
		perHour = defaultRegistrationsPerIP
	}
	a.signups, err = ratelimit.New(ratelimit.Config{Now: now},
		ratelimit.Policy{Name: "register-ip", Algorithm: ratelimit.SlidingLog, Limit: perHour, Window: time.Hour})
	if err != nil {
		return nil, nil, err
	}
	// The API limiter keeps its own clock (monotonic, cheaper than time.Now) unless a test
	// injects one.
	limiter, err := ratelimit.New(ratelimit.Config{Now: cfg.now},
		ratelimit.Policy{Name: "api", Limit: cfg.rate, Window: time.Minute})
	if err != nil {
		return nil, nil, err
	}
	return a, limiter, nil
}

// bootstrapAdmin creates the "admin" user when the store has no users: with the password given
// (SECUREAPI_ADMIN_PASSWORD), or with a random one printed once on stderr, outside the logs.
func (a *app) bootstrapAdmin(ctx context.Context, password string, stderr io.Writer) error {
	if len(a.store.users()) > 0 {
		return nil
	}
	generated := password == ""
	if generated {
		var err error
		if password, _, err = auth.GeneratePassword(24, ""); err != nil { // 142 bits
			return err
		}
	} else if err := a.policy.Check(ctx, password, roleAdmin); err != nil {
		return fmt.Errorf("SECUREAPI_ADMIN_PASSWORD: %w", err)
	}
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	if err := a.store.createUser(user{Name: roleAdmin, Hash: hash, Role: roleAdmin, CreatedAt: a.now().UTC().Truncate(time.Second)}); err != nil {
		return err
	}
	a.log.Info("admin user created", "event", "register", "user", roleAdmin, "from_env", !generated)
	if generated {
		fmt.Fprintf(stderr, "\n%s\n\n    %s\n\n", adminPasswordNotice, password)
	}
	return nil
}

// adminPasswordNotice introduces the one-time admin password on stderr, the only output that
// is not a JSON log record.
const adminPasswordNotice = `secureapi: created the user "admin" with this one-time password (it is not stored or shown again):` //nolint:gosec // G101: the notice that introduces the password, not a credential

// printBanner tells the user where the server listens and how to reach it; with a development
// certificate, also where its CA is and when the certificate expires; under -http, whose
// X-Forwarded-For it believes.
func printBanner(w io.Writer, addr string, plainHTTP bool, proxies []netip.Prefix, caPath string, devExpiry time.Time) {
	scheme, cacert := "https", ""
	if plainHTTP {
		scheme = "http"
	}
	url := scheme + "://" + addr
	fmt.Fprintf(w, "secureapi: listening on %s\n", url)
	if plainHTTP {
		if len(proxies) == 0 {
			fmt.Fprintf(w, "secureapi: -http: no trusted proxy: every client counts as the proxy's address for the per-address limits;\n"+
				"secureapi: behind an HTTP proxy that sets X-Forwarded-For, add -trusted-proxy 127.0.0.1/32\n")
		} else {
			fmt.Fprintf(w, "secureapi: -http: client addresses are read from the X-Forwarded-For of the proxy at %s (-trusted-proxy changes this)\n",
				proxyList(proxies))
		}
	}
	if caPath != "" {
		fmt.Fprintf(w, "secureapi: development CA (not for production): %s\n", caPath)
		fmt.Fprintf(w, "secureapi: the development certificate expires at %s; restart to renew it (the CA file changes on every start)\n",
			devExpiry.UTC().Format(time.RFC3339))
		cacert = "--cacert " + caPath + " "
	}
	fmt.Fprintf(w, "secureapi: try: curl %s%s/healthz\n", cacert, url)
	fmt.Fprintf(w, "secureapi: then POST /api/register and /api/login, GET /api/profile: see the README's quick start\n")
}
