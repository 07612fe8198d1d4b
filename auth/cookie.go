package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// DefaultSessionCookieName is the cookie name of a zero [SessionCookie], before the "__Host-"
// prefix.
const DefaultSessionCookieName = "session"

const (
	hostCookiePrefix   = "__Host-"
	secureCookiePrefix = "__Secure-"
)

// SessionCookie sets, reads and clears the cookie that carries a session token. The zero value
// is the secure default: a cookie named "__Host-session" with Secure, HttpOnly, SameSite=Lax and
// Path=/, and no Domain. The "__Host-" prefix makes browsers refuse the cookie unless it is
// Secure, host-only and path-wide, so a sibling subdomain cannot plant or overwrite it.
//
// SameSite=Lax keeps the cookie off cross-site subrequests and POSTs, but it is not a complete
// CSRF defence (same-site attackers, top-level GETs): wrap cookie-authenticated handlers in
// [net/http.CrossOriginProtection] as the package documentation shows.
type SessionCookie struct {
	// Name is the cookie name without the prefix; zero means [DefaultSessionCookieName]. It is
	// sent as "__Host-" + Name unless InsecureHTTP is set.
	Name string

	// SameSite is [http.SameSiteLaxMode] (the default, also used for the zero value) or
	// [http.SameSiteStrictMode]. Other values are rejected by [SessionCookie.Set].
	SameSite http.SameSite

	// InsecureHTTP drops the Secure attribute and the "__Host-" prefix (also from a Name that
	// carries it, or "__Secure-") so that the cookie works over plain http://localhost during
	// development. Never set it in production.
	InsecureHTTP bool
}

// CookieName returns the name the cookie is sent under.
func (sc SessionCookie) CookieName() string {
	name := sc.Name
	if name == "" {
		name = DefaultSessionCookieName
	}
	if sc.InsecureHTTP {
		// Browsers refuse a __Host- or __Secure- cookie without the Secure attribute.
		name = strings.TrimPrefix(name, hostCookiePrefix)
		return strings.TrimPrefix(name, secureCookiePrefix)
	}
	if strings.HasPrefix(name, hostCookiePrefix) {
		return name
	}
	return hostCookiePrefix + name
}

func (sc SessionCookie) cookie(value string, maxAge int) (*http.Cookie, error) {
	c := &http.Cookie{ // #nosec G124 -- Secure unless the explicitly named InsecureHTTP; HttpOnly always; SameSite Lax or Strict
		Name:     sc.CookieName(),
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		Secure:   !sc.InsecureHTTP,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	switch sc.SameSite {
	case 0, http.SameSiteDefaultMode, http.SameSiteLaxMode:
	case http.SameSiteStrictMode:
		c.SameSite = http.SameSiteStrictMode
	default:
		return nil, errors.New("auth: SessionCookie.SameSite must be Lax or Strict")
	}
	if err := c.Valid(); err != nil {
		return nil, fmt.Errorf("auth: session cookie: %w", err)
	}
	return c, nil
}

// Set adds a Set-Cookie header carrying token for maxAge (rounded down to whole seconds, at
// least one). Pass the time left until the token expires, e.g. time.Until(claims.Expiry). It
// fails only for an invalid Name or SameSite, or a token with characters a cookie cannot hold
// (tokens of this package never have them).
func (sc SessionCookie) Set(w http.ResponseWriter, token string, maxAge time.Duration) error {
	secs := max(int(maxAge/time.Second), 1)
	c, err := sc.cookie(token, secs)
	if err != nil {
		return err
	}
	http.SetCookie(w, c)
	return nil
}

// Clear adds a Set-Cookie header that deletes the cookie (empty value, Max-Age=0 sent as
// "Max-Age=0"), for logout.
func (sc SessionCookie) Clear(w http.ResponseWriter) error {
	c, err := sc.cookie("", -1)
	if err != nil {
		return err
	}
	http.SetCookie(w, c)
	return nil
}

// Token returns the value of the cookie in r, and whether it was present and non-empty.
func (sc SessionCookie) Token(r *http.Request) (string, bool) {
	c, err := r.Cookie(sc.CookieName())
	if err != nil || c.Value == "" {
		return "", false
	}
	return c.Value, true
}
