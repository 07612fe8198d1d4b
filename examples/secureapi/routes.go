package main

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/tlsutil"
)

// middleware is the stack every request goes through, outermost first:
//
//	accessLog   one redacted JSON record per request (logredact)
//	headers     security headers on every response, errors included (tlsutil)
//	rateLimit   per-IP limit on /api, RateLimit headers, 429 + Retry-After (ratelimit)
//	crossOrigin refuses cross-origin browser POSTs, so cookie sessions need no CSRF token
//	authn       Bearer token or session cookie, on the routes that need a user (auth)
type middleware struct {
	accessLog   func(http.Handler) http.Handler
	headers     func(http.Handler) http.Handler
	rateLimit   func(http.Handler) http.Handler
	crossOrigin func(http.Handler) http.Handler
	authn       func(http.Handler) http.Handler
	admin       func(http.Handler) http.Handler
}

// routes returns the service's handler: the API contract of the package documentation.
func (a *app) routes(mw middleware) http.Handler {
	api := http.NewServeMux()
	api.Handle("/api/register", only(http.MethodPost, http.HandlerFunc(a.register)))
	api.Handle("/api/login", only(http.MethodPost, http.HandlerFunc(a.login)))
	api.Handle("/api/profile", only(http.MethodGet, mw.authn(http.HandlerFunc(a.profile))))
	api.Handle("/api/admin/users", only(http.MethodGet, mw.authn(mw.admin(http.HandlerFunc(a.adminUsers)))))
	api.Handle("/api/data", only(http.MethodPost, mw.authn(http.HandlerFunc(a.createData))))
	api.Handle("/api/logout", only(http.MethodPost, mw.authn(http.HandlerFunc(a.logout))))
	api.Handle("/api/logout-all", only(http.MethodPost, mw.authn(http.HandlerFunc(a.logoutAll))))
	api.Handle("/", http.HandlerFunc(notFound))

	root := http.NewServeMux()
	root.Handle("/api/", mw.rateLimit(mw.crossOrigin(api)))
	root.Handle("/healthz", only(http.MethodGet, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})))
	root.Handle("/", http.HandlerFunc(notFound))
	return mw.accessLog(mw.headers(root))
}

// newMiddleware builds the middleware of the stack from the app's parts.
func (a *app) newMiddleware(limiter *ratelimit.Limiter, headers tlsutil.Headers, accessLog func(http.Handler) http.Handler) middleware {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.WarnContext(r.Context(), "cross-origin request refused", "event", "csrf_refused",
			"path", r.URL.Path, "origin", logValue(r.Header.Get("Origin")), "client_ip", a.ip(r))
		writeError(w, http.StatusForbidden, "Cross-origin request refused")
	}))
	return middleware{
		accessLog: accessLog,
		headers:   headers.Handler,
		rateLimit: limiter.Middleware(a.clientIP.Key, ratelimit.MiddlewareConfig{
			OnDeny: func(w http.ResponseWriter, r *http.Request, d ratelimit.Decision) {
				a.log.WarnContext(r.Context(), "rate limited", "event", "rate_limited", "path", r.URL.Path,
					"client_ip", a.ip(r), "retry_after_s", d.RetryAfterSeconds())
				writeError(w, http.StatusTooManyRequests,
					"Rate limit exceeded; retry after "+strconv.FormatInt(d.RetryAfterSeconds(), 10)+" seconds")
			},
			OnError: func(w http.ResponseWriter, r *http.Request, err error) {
				if errors.Is(err, ratelimit.ErrClientIP) {
					writeError(w, http.StatusBadRequest, "No valid client address")
					return
				}
				a.internalError(w, r, "rate limiter failed", err)
			},
		}),
		crossOrigin: cop.Handler,
		authn:       a.authn.Handler,
		admin:       a.authn.RequireRole(roleAdmin),
	}
}

// authError answers a request the auth middleware refused, and logs the security events.
// The client learns only "no token", "bad token" or "forbidden", never why a token failed.
func (a *app) authError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	switch {
	case errors.Is(err, auth.ErrNoToken):
		w.Header().Set("WWW-Authenticate", `Bearer realm="secureapi"`)
		writeError(w, http.StatusUnauthorized, "Authentication required")
	case errors.Is(err, auth.ErrInvalidToken):
		reason := "invalid"
		switch {
		case errors.Is(err, auth.ErrExpired):
			reason = "expired"
		case errors.Is(err, auth.ErrRevoked):
			reason = "revoked"
		case errors.Is(err, auth.ErrNotYetValid):
			reason = "not_yet_valid"
		}
		a.log.InfoContext(ctx, "token rejected", "event", "token_rejected", "reason", reason,
			"path", r.URL.Path, "client_ip", a.ip(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="secureapi", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "Invalid or expired token")
	case errors.Is(err, auth.ErrForbidden):
		c, _ := auth.ClaimsFromContext(ctx)
		a.log.WarnContext(ctx, "forbidden", "event", "forbidden", "user", c.Subject, "path", r.URL.Path,
			"client_ip", a.ip(r))
		w.Header().Set("WWW-Authenticate", `Bearer realm="secureapi", error="insufficient_scope"`)
		writeError(w, http.StatusForbidden, "Admin access required")
	default:
		a.log.ErrorContext(ctx, "token verification failed", "path", r.URL.Path, "error", err.Error())
		writeError(w, http.StatusServiceUnavailable, "Service temporarily unavailable")
	}
}

// only serves h for one method, and answers others with a JSON 405 and an Allow header (the
// method patterns of http.ServeMux would answer in plain text).
func only(method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && (method != http.MethodGet || r.Method != http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// maxLogValue caps a header value copied into a log record.
const maxLogValue = 100

// logValue prepares an untrusted header value for a log record: at most maxLogValue bytes,
// valid UTF-8 (the JSON handler escapes control characters; the redactor then sees it like any
// other value).
func logValue(v string) string {
	if len(v) > maxLogValue {
		v = v[:maxLogValue]
	}
	return strings.ToValidUTF8(v, "")
}

func notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "Not found")
}
