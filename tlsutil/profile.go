package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
)

// Profile selects a server TLS policy after Mozilla's Server Side TLS guidelines.
//
// The zero value is [Intermediate], the general-purpose recommendation.
type Profile int

const (
	// Intermediate accepts TLS 1.2 with only the ECDHE AEAD cipher suites (AES-GCM and
	// ChaCha20-Poly1305, with ECDSA or RSA certificates) and TLS 1.3. It serves every client
	// released in the last decade and is the right choice for public services.
	Intermediate Profile = iota
	// Modern accepts TLS 1.3 only. Choose it when every client is known to be recent
	// (service-to-service traffic, internal APIs, mobile apps you ship).
	Modern
)

// String returns "intermediate" or "modern".
func (p Profile) String() string {
	switch p {
	case Intermediate:
		return "intermediate"
	case Modern:
		return "modern"
	default:
		return "invalid"
	}
}

// intermediateSuites are Mozilla Intermediate's TLS 1.2 suites that crypto/tls implements,
// in Mozilla's order (Go applies its own preference order among them).
var intermediateSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// curves are the key exchanges both profiles allow: the hybrid post-quantum X25519MLKEM768
// first, then X25519, P-256 and P-384. Since Go 1.24 crypto/tls ignores the order of
// CurvePreferences and uses its own (post-quantum hybrids first); the list only selects.
var curves = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}

// alpn advertises HTTP/2 and HTTP/1.1.
var alpn = []string{"h2", "http/1.1"}

// ServerConfig returns a new server configuration for profile p with every security-relevant
// field set explicitly: MinVersion, MaxVersion, CipherSuites, CurvePreferences and NextProtos
// (h2, http/1.1). The result therefore does not depend on the go line of the consumer's go.mod
// nor on the tls10server, tlsrsakex and tls3des GODEBUG settings (see [CheckGODEBUG] for those
// that still matter).
//
// The caller adds the certificate: set Certificates, or GetCertificate from a [Reloader]. An
// unknown profile panics (programmer error). The returned value is not shared; change it freely.
func ServerConfig(p Profile) *tls.Config {
	c := &tls.Config{
		MinVersion:       tls.VersionTLS12,
		MaxVersion:       tls.VersionTLS13,
		CurvePreferences: slices.Clone(curves),
		NextProtos:       slices.Clone(alpn),
	}
	switch p {
	case Intermediate:
		c.CipherSuites = slices.Clone(intermediateSuites)
	case Modern:
		c.MinVersion = tls.VersionTLS13
	default:
		panic("tlsutil: unknown Profile " + p.String())
	}
	return c
}

// MutualServerConfig returns [ServerConfig](p) that requires every client to present a
// certificate chaining to clientCAs (tls.RequireAndVerifyClientCert). Handlers read the
// verified identity with [ClientIdentity]. A nil pool panics: an mTLS server without a trust
// anchor would either accept nobody or, misconfigured, anybody. To reload the pool from disk,
// use [Reloader.ServerConfig] instead.
func MutualServerConfig(p Profile, clientCAs *x509.CertPool) *tls.Config {
	if clientCAs == nil {
		panic("tlsutil: MutualServerConfig with a nil client CA pool")
	}
	c := ServerConfig(p)
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.ClientCAs = clientCAs
	return c
}
