// Package tlsutil hardens the transport of a Go service: TLS configurations for servers and
// clients, certificate reload, mutual TLS, a hardened http.Server and http.Client with an SSRF
// guard, and security response headers.
//
// For most services:
//
//	reloader, err := tlsutil.NewReloader("cert.pem", "key.pem", tlsutil.ReloadOptions{})
//	go reloader.Run(ctx)
//	srv, err := tlsutil.NewServer(tlsutil.Headers{}.Handler(mux), tlsutil.ServerOptions{
//		TLS:    reloader.ServerConfig(tlsutil.Intermediate),
//		Logger: logger,
//	})
//	err = srv.ListenAndServeTLS(ctx, ":443")
//
// and, for outgoing requests to URLs that users can influence, [NewClient].
//
// Go's own defaults depend on the go line of the main module's go.mod: a program declaring
// go 1.21 accepts TLS 1.0 and RSA key exchange and has no post-quantum key exchange, and Go's
// default http.Client follows redirects from https to http and to any port of the same host
// with the Authorization header. Everything here sets those choices explicitly, so the result
// is the same wherever it is built.
//
// # Server profiles
//
// [ServerConfig] follows Mozilla's Server Side TLS guidelines. [Intermediate] (the zero
// [Profile]) accepts TLS 1.2 with the six ECDHE AEAD suites (AES-GCM and ChaCha20-Poly1305,
// for ECDSA and RSA certificates) and TLS 1.3; [Modern] accepts TLS 1.3 only. Both allow the
// key exchanges X25519MLKEM768 (hybrid post-quantum, TLS 1.3), X25519, P-256 and P-384, and
// advertise h2 and http/1.1 over ALPN. Since Go 1.24 crypto/tls ignores the order of
// CurvePreferences and always prefers the post-quantum hybrid, so a Go 1.24+ client negotiates
// X25519MLKEM768. Go's TLS 1.3 suites are not configurable and are all AEAD.
//
// [CheckGODEBUG] reports GODEBUG settings (from the build or the environment) that weaken TLS
// or certificate checks, such as tls10server=1, tlsrsakex=1, tls3des=1, tlsmlkem=0 (which
// removes X25519MLKEM768 even from explicit CurvePreferences), tlssha1=1 and
// tlsunsafeekm=1, so a service can refuse to start.
//
// # Clients, pinning and mutual TLS
//
// [ClientConfig] always verifies the server (there is no option to turn that off; see
// [InsecureTestClientConfig], for tests only), requires TLS 1.2, and can add SPKI pins
// ([Pin], RFC 7469 pin-sha256). Pins are checked in VerifyConnection after the normal chain
// verification, on full and resumed handshakes, and at least two distinct pins are required
// so that a backup key exists. [MutualServerConfig] requires client certificates from a CA
// pool; [ClientIdentity] gives handlers the verified identity, and [RequireClientCert] refuses
// requests without one.
//
// # Certificate reload
//
// [Reloader] serves a key pair (and optionally a client CA pool) from files, polling them
// with [Reloader.Run] or on demand with [Reloader.Reload] and [Reloader.ReloadIfChanged]. A
// new pair must parse, match its key and be within its validity period before it replaces
// the old one; a bad pair is reported and the old one keeps serving. [Reloader.DaysToExpiry]
// feeds monitoring.
//
// # Hardened HTTP server and client
//
// [NewServer] sets ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout,
// MaxHeaderBytes and a request-body cap (see the Default constants), an optional cap on
// concurrent connections,
// routes the server's error log to a *slog.Logger, and shuts down gracefully when the
// context passed to [Server.ServeTLS] is done. [RedirectHTTPS] is the plain-HTTP listener's
// handler; it redirects only to the hosts it was given.
//
// [NewClient] bounds every phase with timeouts, caps redirects and response bodies, never
// follows a redirect from https to http, and drops Authorization, Proxy-Authorization,
// Cookie and the headers named in [ClientOptions.SensitiveHeaders] (your API key headers)
// whenever a redirect changes the origin, to which it sends only the origin as Referer. Its [Guard] refuses loopback, private,
// link-local, CGNAT, multicast, reserved, documentation and cloud metadata addresses, and
// IPv4 addresses hidden in IPv4-mapped, IPv4-compatible, NAT64, 6to4 and ISATAP IPv6 addresses. The
// check runs in the dialer's ControlContext, on the address being connected to after DNS
// resolution, for every address tried: DNS rebinding (a name that resolves to a public
// address when validated and to 127.0.0.1 when fetched) does not get through. Host literals
// in odd spellings (2130706433, 0x7f.1, 0177.0.0.1, [::ffff:127.0.0.1], zone-qualified IPv6)
// are judged by the address they reach. Reach internal services by listing them in
// [Guard.Allow].
//
// # Proxies
//
// [NewClient] ignores HTTP_PROXY and friends. Through a proxy, the client connects only to
// the proxy, so the connect-time check cannot see where the request finally goes. With
// [ClientOptions.Proxy] set, the guard therefore judges the target instead: the host literal,
// or every address its name resolves to just before the request is handed to the proxy. The
// proxy resolves the name again, so that check is open to DNS rebinding; for full protection
// the proxy must enforce the same policy (or resolve names only once, itself). A target name
// the client cannot resolve itself fails. The proxy's own address is exempt from the guard.
// A plain-HTTP request reaches the proxy as an absolute URI built from its Host header, so a
// Host that differs from the URL's host (as [net/http/httputil.ReverseProxy] forwards the
// client's) is judged too, and a request with an opaque URL is refused.
//
// # Security headers
//
// [Headers] sets HSTS (two years; includeSubDomains and preload opt-in), a restrictive
// Content-Security-Policy with a fresh nonce per request ([Nonce]), X-Frame-Options DENY,
// nosniff, Referrer-Policy, Cross-Origin-Opener-Policy, Cross-Origin-Resource-Policy,
// Permissions-Policy and X-XSS-Protection: 0. Every header but the fixed nosniff and
// X-XSS-Protection: 0 can be changed or omitted, per route. Strict-Transport-Security goes
// out on plain HTTP responses too, where browsers ignore it (RFC 6797, section 8.1), so the
// middleware works the same behind a TLS-terminating proxy.
//
// # Development certificates
//
// [NewDev] creates an in-memory ECDSA P-256 CA and a certificate for localhost, 127.0.0.1 and
// ::1, valid for a day, for tests, examples and local development. It is not for production.
//
// # When not to use it
//
// Behind a TLS-terminating proxy or service mesh, the TLS parts do not apply (use
// [Server.Serve] for plain HTTP and keep [Headers]); for ACME, pair golang.org/x/crypto/acme/autocert's
// GetCertificate with [ServerConfig] instead of a [Reloader]. The SSRF guard decides by IP
// address; it does not restrict ports, schemes or hostnames (add your own allowlist of
// destinations where you can). The client is for request and response, not for protocol
// upgrades: like any http.Client with a Timeout, it cannot hand a 101 Switching Protocols
// connection (WebSocket) back for writing.
//
// # Concurrency
//
// Configurations returned here are fresh values: change them before use, never after the
// first handshake. [Reloader], [Guard], [Server] and the client are safe for concurrent use.
// Nothing here starts a goroutine that outlives a call, except [Server.ServeTLS], which stops
// with its context, and the caller's own goroutine running [Reloader.Run]. The package logs
// nothing itself.
package tlsutil
