package tlsutil

import (
	"crypto/x509"
	"net/http"
	"net/url"
)

// Identity is the verified identity of an mTLS client: the leaf of the first chain that
// crypto/tls verified against the server's client CA pool.
type Identity struct {
	// Certificate is the verified client leaf certificate.
	Certificate *x509.Certificate
	// Chain is the verified chain, leaf first, trust anchor last.
	Chain []*x509.Certificate
	// CommonName is the leaf's subject common name.
	CommonName string
	// DNSNames, EmailAddresses and URIs are the leaf's subject alternative names; a SPIFFE ID
	// appears among URIs.
	DNSNames       []string
	EmailAddresses []string
	URIs           []*url.URL
}

// ClientIdentity returns the verified client identity of r. It reads only
// r.TLS.VerifiedChains, never the unverified PeerCertificates, so it reports false for plain
// HTTP, for TLS without a client certificate, and for a certificate the server did not verify
// (tls.RequestClientCert or RequireAnyClientCert). With [MutualServerConfig] every request
// that reaches a handler has one.
func ClientIdentity(r *http.Request) (Identity, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return Identity{}, false
	}
	chain := r.TLS.VerifiedChains[0]
	leaf := chain[0]
	return Identity{
		Certificate:    leaf,
		Chain:          chain,
		CommonName:     leaf.Subject.CommonName,
		DNSNames:       leaf.DNSNames,
		EmailAddresses: leaf.EmailAddresses,
		URIs:           leaf.URIs,
	}, true
}

// RequireClientCert returns a handler that answers 401 Unauthorized, with a bare text body and
// without calling next, to requests that carry no verified client certificate (see
// [ClientIdentity]). It is the second lock on mTLS routes: use it when the TLS configuration
// verifies client certificates only if given (tls.VerifyClientCertIfGiven), or as a guard
// against a configuration change.
func RequireClientCert(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ClientIdentity(r); !ok {
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
