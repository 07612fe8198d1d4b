package tlsutil

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// RedirectHTTPS returns a handler for the plain-HTTP port that redirects every request to the
// same path and query over HTTPS with 308 Permanent Redirect, but only when the request's Host
// (without port and trailing dot, case-insensitive; IPv6 literals with or without brackets)
// is one of hosts; any other Host gets 400 Bad Request, so
// the handler cannot be used to send visitors to an attacker's domain. httpsPort is the
// public HTTPS port; 0 or 443 leaves it out of the URL.
//
// Mount your ACME http-01 handler (/.well-known/acme-challenge/) before it if you use one.
func RedirectHTTPS(hosts []string, httpsPort int) http.Handler {
	allowed := make(map[string]bool, len(hosts))
	norm := func(h string) string {
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") { // a bracketed IPv6 literal
			h = h[1 : len(h)-1]
		}
		return strings.ToLower(strings.TrimSuffix(h, "."))
	}
	for _, h := range hosts {
		allowed[norm(h)] = true
	}
	suffix := ""
	if httpsPort != 0 && httpsPort != 443 {
		suffix = ":" + strconv.Itoa(httpsPort)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = norm(host)
		if !allowed[host] {
			http.Error(w, http.StatusText(http.StatusBadRequest), http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") { // an IPv6 literal
			host = "[" + host + "]"
		}
		path := r.URL.EscapedPath()
		if !strings.HasPrefix(path, "/") { // "*" (OPTIONS) or a handler-rewritten path: never let it extend the authority
			path = "/" + path
		}
		target := "https://" + host + suffix + path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusPermanentRedirect)
	})
}
