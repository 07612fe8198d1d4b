// Command secureapi is the tutorial's "secure web API", done the way a careful team would ship
// it, with every rampart package in its place:
//
//   - tlsutil: HTTPS with Mozilla's intermediate profile on a hardened http.Server, security
//     headers on every response, and a development CA when no certificate is given;
//   - auth: argon2id password hashes upgraded on login, NIST password policy, signed session
//     tokens (Bearer or cookie) with logout and logout-everywhere, an admin role;
//   - ratelimit: a per-IP limit on the whole API, and login throttling that counts failures per
//     user name and per IP;
//   - sanitize: strict JSON decoding (400, 413, 415), field validation, HTML sanitizing;
//   - secretbox: users and data in an encrypted, crash-safe file;
//   - logredact: JSON security-event and access logs that never show a password or token.
//
// Run it with
//
//	go run ./examples/secureapi
//
// and follow what it prints: the URL, the development CA to pass to curl --cacert, and, on the
// first start, the one-time password of the "admin" user.
//
// # API
//
//	POST /api/register   {"username","password"}       201, 400 (field errors), 409, 429, 507
//	POST /api/login      {"username","password"}       200 {"message","token"}; with ?cookie=1 or
//	                                                   a form post, 200 {"message"} and the cookie;
//	                                                   401, 429
//	GET  /api/profile    Bearer or cookie              200 {"username","role","message"}, 401
//	GET  /api/admin/users  admin                       200 {"users":[...]}, 401, 403
//	POST /api/data       {"title","content"}           201 {"message","data"}, 400, 401, 413, 415, 507
//	                                                   (title at most 100, content at most 1000
//	                                                   code points, and 4 KiB once sanitized)
//	POST /api/logout     Bearer or cookie              204 (this session revoked), 401
//	POST /api/logout-all Bearer or cookie              204 (every session revoked), 401
//	GET  /healthz                                      200
//
// Any /api route may also answer 429 (the per-IP rate limit, with Retry-After) and 403 (a
// cross-origin browser POST). Errors are JSON: {"error":"..."}, plus
// "errors":[{"field","message"}] for invalid fields.
//
// A cookie login leaves the token out of the body: the cookie is HttpOnly so that no script
// can read the token, which a copy in the body would defeat. A JSON login without ?cookie=1
// gets the token in the body, for an Authorization: Bearer header.
//
// # Sessions
//
// A session ends after 30 minutes without a request (-session-idle) and 12 hours after login
// in any case. Only cookie sessions are renewed as they are used: a Bearer token is never
// replaced, so a Bearer session ends 30 minutes after login however active it is; log in again
// for a new token.
//
// A logout puts the session on a denylist until its 12-hour deadline. The denylist is bounded
// (20,000 entries in all, 50 per user): when a logout would exceed either cap, it logs the
// user out everywhere instead (which takes no entry and frees the user's), so a logout never
// fails and never leaves the token valid. The session cookie is cleared in every case.
//
// # Limits and abuse
//
//   - Per client IP: -rate requests a minute on /api; 5 registrations an hour (429 with
//     Retry-After; charged before the name is looked up and the password hashed, so that one
//     for a taken name counts too and an address past its limit learns nothing of which names
//     exist); 20 failed logins in 15 minutes; at most 2 logins in flight at once (the excess
//     gets 429 with Retry-After: 1, which bounds how far parallel guesses can overrun the
//     failure count).
//   - Per account: 5 failed logins in 15 minutes, then 429 until the window passes. This is
//     the specified trade-off between guessing and lockout: anyone who knows a user name can
//     lock that account for 15 minutes with 5 wrong passwords, from any address. A service that
//     cannot accept that adds a second factor, or a CAPTCHA after the first failures, instead
//     of a harder lock.
//   - Storage: 10,000 users; 10,000 items and 4 MiB of them in all, 200 items and 128 KiB per
//     user (sizes as stored, after HTML escaping); beyond, 507 (the status WebDAV uses for a
//     quota) with "Storage is full" or "Item quota reached". The store file stays under 11 MB,
//     so that rewriting it on each change stays fast.
//   - Connections: at most 1024 at once, further ones waiting in the kernel's accept queue;
//     at most 32 at once from one client address (an IPv6 /64), further ones closed as soon as
//     they are accepted, so that one client cannot hold every slot (trusted proxies are
//     exempt: they carry many clients). A keep-alive connection idle for 15 seconds is closed.
//
// # Flags and environment
//
//	-addr           listen address (default 127.0.0.1:8443)
//	-cert, -key     PEM certificate chain and key, reloaded when they change; without them an
//	                in-memory development certificate is made and its CA written under -data
//	-data           data directory (default ./secureapi-data): the encrypted store, the key
//	                file when the keys are not in the environment, the development CA
//	-rate           requests per minute per client IP on /api (default 60)
//	-trusted-proxy  comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed
//	                (and whose connections are not capped per address); default none
//	-http           serve plain HTTP (loopback addresses only), behind a local TLS proxy or for tests;
//	                the session cookie keeps Secure and its "__Host-" prefix, and HSTS is sent, as
//	                the proxy's clients see https (browsers and curl accept Secure cookies from
//	                http://localhost and http://127.0.0.1); requests whose Host is not localhost
//	                or a loopback address get 421 (a defence against DNS rebinding); behind an
//	                HTTP proxy that sets X-Forwarded-For, add -trusted-proxy 127.0.0.1/32 so that
//	                each client keeps its own per-address limits (without it every client counts
//	                as the proxy, and the banner says so); never with a TCP-level proxy (stunnel,
//	                socat), which passes on whatever X-Forwarded-For its clients send
//	-session-idle   session idle timeout (default 30m); sessions end 12h after login regardless
//
//	SECUREAPI_STORE_KEYS      secretbox keys of the store (sbk1_...), newest first
//	SECUREAPI_TOKEN_KEY       session-token key, 32+ random bytes in unpadded base64url
//
// Set both key variables or neither; without them the keys are generated into -data/keys.json
// (mode 0600, with a warning), which also shows their format. To rotate the store key, put a
// new key first in SECUREAPI_STORE_KEYS: the store is re-encrypted under it on the next start.
//
//	SECUREAPI_ADMIN_PASSWORD  password of the "admin" user created on first start; random if unset
//
// SECUREAPI_ADMIN_PASSWORD is read only when the store has no users (the first start); later
// starts ignore it. It is removed from the process environment once read.
//
// The data directory must be a real directory (not a symbolic link), owned by the user that
// runs secureapi and not writable by group or others; one process at a time may use it (it
// holds a lock on -data/lock, and a second process is refused).
//
// The development certificate is valid for 24 hours, and a new CA is made on every start,
// so dev-ca.pem changes each time: restart daily, and give curl the new file. The start
// banner prints when the certificate expires.
//
// SIGINT or SIGTERM shuts the server down gracefully: in-flight requests finish, then the
// store is closed. Every change was written to disk before it was answered. (Should only the
// directory sync after the rename fail, the change is kept, as the file holds it, and
// answered; the log records a store_not_durable event, since a crash before the next write
// could undo it.)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], takeEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "secureapi:", err)
		os.Exit(1)
	}
}

// envAdminPassword is the variable that holds the password of the admin user created on the
// first start.
const envAdminPassword = "SECUREAPI_ADMIN_PASSWORD"

// takeEnv is os.Getenv, except that it removes envAdminPassword from the environment once read,
// so that child processes and later os.Getenv calls (a crash reporter's) do not see the
// password. It cannot change /proc/<pid>/environ, which the kernel keeps as the process started:
// processes of the same user can still read it there, so pass the variable only on first start.
func takeEnv(key string) string {
	v := os.Getenv(key)
	if key == envAdminPassword {
		_ = os.Unsetenv(key)
	}
	return v
}

// config is everything secureapi runs with: the flags, the environment, and two hooks that
// tests set.
type config struct {
	addr           string
	certFile       string
	keyFile        string
	dataDir        string
	rate           int
	trustedProxies []netip.Prefix
	plainHTTP      bool
	sessionIdle    time.Duration
	adminPassword  string
	getenv         func(string) string

	// Login throttling: failed logins allowed per user name and per client IP in loginWindow.
	loginFailuresPerUser int
	loginFailuresPerIP   int
	loginWindow          time.Duration
	// registrationsPerIP caps the accounts one client IP may create per hour; zero means
	// defaultRegistrationsPerIP.
	registrationsPerIP int
	// maxConns caps the concurrent connections of the server; zero means defaultMaxConns.
	maxConns int
	// connsPerClient caps the concurrent connections of one client address; zero means
	// defaultConnsPerClient.
	connsPerClient int

	// now is the clock of tokens, rate limits and logs; nil means time.Now. Tests move it.
	now func() time.Time
	// ready, if set, is called with the listening address once the listener is open.
	ready func(addr string)
	// onRequest, if set, is called as each request arrives (tests use it to shut down while a
	// request is in flight).
	onRequest func(r *http.Request)
}

// run parses args and the environment, then serves until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, stderr)
}

// parseConfig reads the flags and environment variables into a config.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{
		getenv:               getenv,
		adminPassword:        getenv(envAdminPassword),
		loginFailuresPerUser: 5,
		loginFailuresPerIP:   20,
		loginWindow:          15 * time.Minute,
	}
	fs := flag.NewFlagSet("secureapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8443", "`address` to listen on")
	fs.StringVar(&cfg.certFile, "cert", "", "PEM certificate chain `file` (default: a development certificate)")
	fs.StringVar(&cfg.keyFile, "key", "", "PEM private key `file` for -cert")
	fs.StringVar(&cfg.dataDir, "data", "./secureapi-data", "data `directory` (encrypted store, key file, development CA)")
	fs.IntVar(&cfg.rate, "rate", 60, "requests per minute per client IP on /api")
	proxies := fs.String("trusted-proxy", "", "comma-separated `CIDRs` of reverse proxies whose X-Forwarded-For is trusted (default under -http: 127.0.0.0/8,::1/128)")
	fs.BoolVar(&cfg.plainHTTP, "http", false, "serve plain HTTP; only on a loopback address (behind a local TLS proxy, or for testing)")
	fs.DurationVar(&cfg.sessionIdle, "session-idle", 30*time.Minute, "session idle `timeout`")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if cfg.rate < 1 {
		return config{}, errors.New("-rate must be at least 1")
	}
	if cfg.sessionIdle < time.Minute {
		return config{}, errors.New("-session-idle must be at least 1m")
	}
	if (cfg.certFile == "") != (cfg.keyFile == "") {
		return config{}, errors.New("-cert and -key go together")
	}
	if cfg.plainHTTP && cfg.certFile != "" {
		return config{}, errors.New("-http serves no TLS: drop -cert and -key")
	}
	for s := range strings.SplitSeq(*proxies, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return config{}, fmt.Errorf("-trusted-proxy: %w", err)
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			// ::ffff:10.0.0.5/128 as written for a dual-stack listener: the IPv4 network it
			// denotes, which is how client addresses are compared (unmapped).
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		cfg.trustedProxies = append(cfg.trustedProxies, p.Masked())
	}
	if cfg.plainHTTP {
		if err := checkLoopback(cfg.addr); err != nil {
			return config{}, err
		}
		// No proxy is trusted unless named: a TCP-level TLS proxy (stunnel, socat), or any
		// local process, would otherwise choose its clients' addresses through
		// X-Forwarded-For, and the per-address limits and connection cap would mean nothing.
		// The banner says what the default costs behind an HTTP proxy.
	}
	return cfg, nil
}

// checkLoopback refuses plain HTTP on anything but a loopback address: tokens and passwords
// must never cross a network in clear text. A name ("localhost") is accepted here, and the
// address it resolved to is checked again once the listener is open (isLoopback).
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("-http is only allowed on a loopback address (127.0.0.1, [::1], localhost), not %q", addr)
	}
	return nil
}
