package tlsutil

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Header defaults of [Headers].
const (
	// DefaultHSTSMaxAge is two years, the value hstspreload.org asks for.
	DefaultHSTSMaxAge = 63072000 * time.Second
	// DefaultCSP allows resources from the page's own origin only, scripts and style
	// elements only with the per-request nonce (see [Nonce]), no plugins, no <base>
	// rewriting, forms to the same origin, and no framing.
	DefaultCSP = "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; " +
		"img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// DefaultPermissionsPolicy denies powerful browser features to the page and its frames.
	DefaultPermissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), " +
		"microphone=(), payment=(), usb=()"
	// NoncePlaceholder, in a ContentSecurityPolicy, is replaced by a fresh nonce on every
	// request.
	NoncePlaceholder = "{nonce}"
	// Omit, as the value of a string field of [Headers], sends no such header.
	Omit = "-"
)

// Headers sets security response headers. Its zero value sends:
//
//	Strict-Transport-Security: max-age=63072000
//	Content-Security-Policy: DefaultCSP, with a fresh nonce
//	X-Frame-Options: DENY
//	X-Content-Type-Options: nosniff
//	Referrer-Policy: strict-origin-when-cross-origin
//	Cross-Origin-Opener-Policy: same-origin
//	Cross-Origin-Resource-Policy: same-origin
//	Permissions-Policy: DefaultPermissionsPolicy
//	X-XSS-Protection: 0
//
// X-XSS-Protection is always "0": the old browser XSS auditors it enabled are gone from
// modern browsers and could be abused to leak data; CSP replaces them. X-Content-Type-Options
// is always nosniff.
//
// Each string field is "" for its default, [Omit] for no header, or the value to send.
//
// Overrides per route: wrap a route's handler with another Headers value, which replaces every
// header set by an outer one (and its nonce). Derive it from the site-wide value so that the
// fields you do not mean to change stay as they are:
//
//	api := site
//	api.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"
//	mux.Handle("/api/", api.Handler(apiHandler))
//
// A handler may also set or delete a header itself before writing the response.
type Headers struct {
	// HSTSMaxAge is the Strict-Transport-Security max-age; 0 means [DefaultHSTSMaxAge] and a
	// negative value sends no HSTS header. A positive value below one second panics: it would
	// send max-age=0, which tells browsers to forget HSTS, and is most likely a count of
	// seconds given as a Duration (63072000 is 63 ms). To retract HSTS on purpose, set a
	// negative value and send "max-age=0" from a handler.
	HSTSMaxAge time.Duration
	// HSTSIncludeSubDomains and HSTSPreload add the includeSubDomains and preload
	// directives. Both are opt-in because they bind every subdomain, and preloading is hard
	// to undo. Preload requires includeSubDomains and a max-age of at least one year.
	HSTSIncludeSubDomains, HSTSPreload bool
	// ContentSecurityPolicy; every [NoncePlaceholder] in it becomes the request's nonce.
	ContentSecurityPolicy string
	// FrameOptions is the X-Frame-Options value ("DENY" by default, or "SAMEORIGIN"). Keep it
	// consistent with the CSP frame-ancestors directive, which modern browsers obey instead.
	FrameOptions string
	// ReferrerPolicy defaults to "strict-origin-when-cross-origin".
	ReferrerPolicy string
	// CrossOriginOpenerPolicy defaults to "same-origin".
	CrossOriginOpenerPolicy string
	// CrossOriginResourcePolicy defaults to "same-origin"; use "cross-origin" for assets
	// other sites may embed.
	CrossOriginResourcePolicy string
	// PermissionsPolicy defaults to [DefaultPermissionsPolicy].
	PermissionsPolicy string
}

type nonceKey struct{}

// Nonce returns the CSP nonce of the request, for the nonce attribute of inline <script> and
// <style> elements, or "" when no [Headers] handler with a nonce in its policy wrapped it.
func Nonce(r *http.Request) string {
	s, _ := r.Context().Value(nonceKey{}).(string)
	return s
}

type headerValue struct{ name, value string }

// Handler returns middleware that sets the headers on every response, then calls next. It
// panics on an invalid configuration (a value with control characters, or preload without
// includeSubDomains or with a max-age under a year), which is a programming error.
func (h Headers) Handler(next http.Handler) http.Handler {
	var static []headerValue
	var omit []string
	add := func(name, value, def string) {
		switch value {
		case Omit:
			omit = append(omit, name)
			return
		case "":
			value = def
		}
		if !httpguts.ValidHeaderFieldValue(value) {
			panic("tlsutil: invalid " + name + " value " + strconv.Quote(value))
		}
		static = append(static, headerValue{name, value})
	}
	switch {
	case h.HSTSMaxAge < 0:
		omit = append(omit, "Strict-Transport-Security")
	default:
		age := h.HSTSMaxAge
		if age == 0 {
			age = DefaultHSTSMaxAge
		}
		if age < time.Second {
			panic("tlsutil: HSTSMaxAge " + age.String() + " is below one second and would send max-age=0 (a count of seconds needs * time.Second)")
		}
		if h.HSTSPreload && (!h.HSTSIncludeSubDomains || age < 365*24*time.Hour) {
			panic("tlsutil: HSTS preload requires HSTSIncludeSubDomains and a max-age of at least a year")
		}
		v := "max-age=" + strconv.FormatInt(int64(age/time.Second), 10)
		if h.HSTSIncludeSubDomains {
			v += "; includeSubDomains"
		}
		if h.HSTSPreload {
			v += "; preload"
		}
		add("Strict-Transport-Security", v, "")
	}
	add("X-Frame-Options", h.FrameOptions, "DENY")
	add("X-Content-Type-Options", "", "nosniff")
	add("Referrer-Policy", h.ReferrerPolicy, "strict-origin-when-cross-origin")
	add("Cross-Origin-Opener-Policy", h.CrossOriginOpenerPolicy, "same-origin")
	add("Cross-Origin-Resource-Policy", h.CrossOriginResourcePolicy, "same-origin")
	add("Permissions-Policy", h.PermissionsPolicy, DefaultPermissionsPolicy)
	add("X-XSS-Protection", "", "0")

	var cspParts []string
	switch csp := h.ContentSecurityPolicy; csp {
	case Omit:
		omit = append(omit, "Content-Security-Policy")
	default:
		if csp == "" {
			csp = DefaultCSP
		}
		if !httpguts.ValidHeaderFieldValue(csp) {
			panic("tlsutil: invalid Content-Security-Policy value " + strconv.Quote(csp))
		}
		cspParts = strings.Split(csp, NoncePlaceholder)
	}
	const cspName = "Content-Security-Policy" // canonical
	// A policy without a nonce is as static as the other headers.
	if len(cspParts) == 1 {
		static = append(static, headerValue{cspName, cspParts[0]})
	}
	names := make([]string, len(static))
	values := make([]string, len(static), len(static)+1) // and a slot for a CSP with a nonce
	for i, v := range static {
		names[i], values[i] = http.CanonicalHeaderKey(v.name), v.value
	}
	for i := range omit {
		omit[i] = http.CanonicalHeaderKey(omit[i])
	}
	if len(cspParts) > 1 {
		values = values[:len(values)+1]
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		// One backing array per request for every value. Each header gets its own element
		// with a full slice expression (capacity 1), so a handler that appends to one header
		// reallocates it rather than overwriting its neighbour, and one that edits a value in
		// place changes that header of this response only.
		vals := make([]string, len(values))
		copy(vals, values)
		for i, name := range names {
			hdr[name] = vals[i : i+1 : i+1]
		}
		for _, name := range omit {
			delete(hdr, name)
		}
		switch {
		case len(cspParts) > 1:
			nonce := newNonce()
			i := len(names)
			vals[i] = strings.Join(cspParts, nonce)
			hdr[cspName] = vals[i : i+1 : i+1]
			r = r.WithContext(context.WithValue(r.Context(), nonceKey{}, nonce))
		case len(cspParts) == 1:
			if Nonce(r) != "" { // an outer Headers set a nonce this policy does not use
				r = r.WithContext(context.WithValue(r.Context(), nonceKey{}, ""))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// newNonce returns 128 random bits in base64.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b[:])
}
