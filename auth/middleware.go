package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Errors of [Middleware], passed to its error handler.
var (
	// ErrNoToken means the request carried no token where the middleware looks for one.
	ErrNoToken = errors.New("auth: no token")

	// ErrForbidden means the request is authenticated but lacks the role
	// [Middleware.RequireRole] demands.
	ErrForbidden = errors.New("auth: forbidden")
)

// TokenVerifier checks a token and returns its claims. [*Sessions] implements it; so can
// anything that verifies bearer tokens for [Middleware]. Errors that match [ErrInvalidToken]
// become 401 responses, others 503.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Claims, error)
}

var _ TokenVerifier = (*Sessions)(nil)

// MiddlewareConfig holds the optional settings of a [Middleware]. The zero value accepts
// Bearer tokens only and answers errors with [WriteError].
type MiddlewareConfig struct {
	// Cookie, if set, makes the middleware read the token from this cookie (cookie mode).
	// With a [*Sessions] verifier it also renews the session and refreshes the cookie as
	// [Sessions.Renew] decides, and clears a cookie whose token is invalid. Cookie mode needs
	// CSRF protection: wrap the handler in [net/http.CrossOriginProtection].
	Cookie *SessionCookie

	// Bearer accepts "Authorization: Bearer <token>" (RFC 6750) as well when Cookie is set; a
	// present Authorization header then takes precedence over the cookie. Without a Cookie,
	// Bearer tokens are always accepted.
	Bearer bool

	// ErrorHandler writes the response for a rejected request, with an error matching
	// [ErrNoToken], [ErrInvalidToken], [ErrForbidden], or another error (such as a failing
	// revocation store). Nil means [WriteError]. The library never logs; log here if you wish.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware authenticates requests with tokens from a Bearer header and/or a session cookie,
// puts the verified [Claims] in the request context (read them with [ClaimsFromContext]) and
// rejects the rest. [Middleware.Check] is the decision, [Middleware.Handler] the plumbing.
// Make one with [NewMiddleware]; it is safe for concurrent use.
type Middleware struct {
	v        TokenVerifier
	sessions *Sessions // v, if it is a *Sessions: cookie mode renews
	cookie   *SessionCookie
	bearer   bool
	onError  func(http.ResponseWriter, *http.Request, error)
}

// NewMiddleware returns a middleware verifying tokens with v.
func NewMiddleware(v TokenVerifier, cfg MiddlewareConfig) (*Middleware, error) {
	if v == nil {
		return nil, errors.New("auth: NewMiddleware needs a TokenVerifier")
	}
	m := &Middleware{v: v, bearer: cfg.Bearer || cfg.Cookie == nil, onError: cfg.ErrorHandler}
	var isSessions bool
	if m.sessions, isSessions = v.(*Sessions); isSessions && m.sessions == nil {
		return nil, errors.New("auth: NewMiddleware needs a TokenVerifier, got a nil *Sessions")
	}
	if cfg.Cookie != nil {
		sc := *cfg.Cookie
		if _, err := sc.cookie("x", 1); err != nil {
			return nil, err
		}
		m.cookie = &sc
	}
	if m.onError == nil {
		m.onError = WriteError
	}
	return m, nil
}

// token finds the request's token: the Authorization header (if Bearer tokens are accepted and
// it is present) wins over the cookie. fromCookie tells where it came from.
func (m *Middleware) token(r *http.Request) (tok string, fromCookie bool, err error) {
	if m.bearer {
		switch hs := r.Header["Authorization"]; len(hs) { // Header.Values, without canonicalizing the constant key
		case 0:
		case 1:
			scheme, rest, _ := strings.Cut(hs[0], " ")
			if strings.EqualFold(scheme, "Bearer") {
				if tok = strings.TrimLeft(rest, " "); tok == "" {
					return "", false, ErrInvalidToken
				}
				return tok, false, nil
			}
			if m.cookie == nil {
				return "", false, ErrNoToken // another scheme (Basic, ...) is not ours to judge
			}
		default:
			return "", false, ErrInvalidToken // several Authorization headers: ambiguous
		}
	}
	if m.cookie != nil {
		if tok, ok := m.cookie.Token(r); ok {
			return tok, true, nil
		}
	}
	return "", false, ErrNoToken
}

// Check authenticates r and returns the verified claims, or an error matching [ErrNoToken] or
// [ErrInvalidToken], or the verifier's other error. It writes nothing and renews nothing.
func (m *Middleware) Check(r *http.Request) (Claims, error) {
	tok, _, err := m.token(r)
	if err != nil {
		return Claims{}, err
	}
	return m.v.Verify(r.Context(), tok)
}

// Handler returns a handler that serves next only for authenticated requests, with the claims
// in the request context. Other requests get the error handler's response: by default 401 with
// "WWW-Authenticate: Bearer" (plus error="invalid_token" for a bad token) and a small JSON
// body. In cookie mode with [*Sessions], a due renewal sets a fresh cookie before next runs.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctx, ok := m.authenticate(w, r); ok {
			next.ServeHTTP(w, r.WithContext(ctx))
		}
	})
}

// authenticate verifies r, renews a cookie session if due, and returns the request's context
// with the claims; on failure it writes the error response. The context is allocated once a
// token is found, so that a [*Sessions] verifier can put the roles in it: one allocation less.
func (m *Middleware) authenticate(w http.ResponseWriter, r *http.Request) (*claimsContext, bool) {
	tok, fromCookie, err := m.token(r)
	if err != nil {
		m.onError(w, r, err)
		return nil, false
	}
	ctx := r.Context()
	cc := &claimsContext{Context: ctx, by: m}
	var c Claims
	if m.sessions != nil {
		c, err = m.sessions.verifyAt(ctx, m.sessions.kr.s.now(), tok, cc.rolesBuf[:0])
	} else {
		c, err = m.v.Verify(ctx, tok)
	}
	if err != nil {
		if fromCookie && errors.Is(err, ErrInvalidToken) {
			_ = m.cookie.Clear(w) // validated in NewMiddleware
		}
		m.onError(w, r, err)
		return nil, false
	}
	if fromCookie && m.sessions != nil {
		now := m.sessions.kr.s.now()
		next, nc, err := m.sessions.renew(ctx, now, c)
		if err != nil {
			m.onError(w, r, err)
			return nil, false
		}
		if next != "" {
			_ = m.cookie.Set(w, next, nc.Expiry.Sub(now)) // validated in NewMiddleware
			c = nc
		}
	}
	cc.set(c)
	return cc, true
}

// RequireRole returns middleware that serves next only to requests whose claims have role,
// answering others through the error handler with [ErrForbidden] (by default 403). Claims
// already in the context are used as they are if this Middleware verified them (its
// [Middleware.Handler] ran first) or the application put them there ([ContextWithClaims]);
// otherwise the request is authenticated by this Middleware first, so RequireRole also works
// on its own, and claims another Middleware verified (for tokens of another purpose, say, or
// another verifier) never stand in for this one's.
func (m *Middleware) RequireRole(role string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var c Claims
			if cc, ok := r.Context().Value(claimsContextKey{}).(*claimsContext); ok && (cc.by == m || cc.by == nil) {
				c = cc.claims()
			} else {
				ctx, ok := m.authenticate(w, r)
				if !ok {
					return
				}
				r, c = r.WithContext(ctx), ctx.claims()
			}
			if !c.HasRole(role) {
				m.onError(w, r, ErrForbidden)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// WriteError is the default error handler of [Middleware]. It writes, with
// "Cache-Control: no-store" and a JSON body naming the RFC 6750 error code:
//
//   - [ErrNoToken]: 401, "WWW-Authenticate: Bearer", {"error":"unauthorized"};
//   - [ErrInvalidToken]: 401, `WWW-Authenticate: Bearer error="invalid_token"`,
//     {"error":"invalid_token"};
//   - [ErrForbidden]: 403, `WWW-Authenticate: Bearer error="insufficient_scope"`,
//     {"error":"insufficient_scope"};
//   - anything else: 503, {"error":"temporarily_unavailable"}.
//
// The body never says why a token was rejected.
func WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	var code int
	var body string
	switch {
	case errors.Is(err, ErrNoToken):
		h.Set("WWW-Authenticate", "Bearer")
		code, body = http.StatusUnauthorized, `{"error":"unauthorized"}`
	case errors.Is(err, ErrInvalidToken):
		h.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		code, body = http.StatusUnauthorized, `{"error":"invalid_token"}`
	case errors.Is(err, ErrForbidden):
		h.Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
		code, body = http.StatusForbidden, `{"error":"insufficient_scope"}`
	default:
		h.Set("Retry-After", "5")
		code, body = http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body + "\n"))
}
