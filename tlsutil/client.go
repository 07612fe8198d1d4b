package tlsutil

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
)

var (
	// ErrPinMismatch is returned (wrapped by crypto/tls) from a handshake whose verified chain
	// contains none of the pinned public keys.
	ErrPinMismatch = errors.New("tlsutil: no pinned public key in the verified chain")
	// ErrNoBackupPin is returned by [ClientConfig] when pins are given but fewer than two
	// distinct ones: without a backup pin, a lost or rotated key locks every client out
	// (RFC 7469, section 4.3).
	ErrNoBackupPin = errors.New("tlsutil: SPKI pinning needs at least two distinct pins (one of them a backup)")
	// ErrInvalidPin is returned by [ParsePin] for a string that is not a base64 SHA-256 digest.
	ErrInvalidPin = errors.New("tlsutil: invalid SPKI pin")
)

// Pin is the SHA-256 digest of a certificate's DER-encoded SubjectPublicKeyInfo, the
// "pin-sha256" of RFC 7469. Pinning the key rather than the certificate survives renewals that
// keep the key.
type Pin [sha256.Size]byte

// PinOf returns the pin of cert's public key.
func PinOf(cert *x509.Certificate) Pin { return sha256.Sum256(cert.RawSubjectPublicKeyInfo) }

// ParsePin parses a pin in the form printed by [Pin.String] ("sha256/" followed by standard
// base64) or the bare base64 digest, as printed by
//
//	openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
//
// It returns an error wrapping [ErrInvalidPin] for anything else.
func ParsePin(s string) (Pin, error) {
	var p Pin
	b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(s, "sha256/"))
	if err != nil || len(b) != len(p) {
		return p, fmt.Errorf("%w: want sha256/ and 44 base64 characters", ErrInvalidPin)
	}
	copy(p[:], b)
	return p, nil
}

// String returns "sha256/" followed by the standard base64 digest.
func (p Pin) String() string { return "sha256/" + base64.StdEncoding.EncodeToString(p[:]) }

// TLSClientOptions configures [ClientConfig]. The zero value verifies servers against the system
// roots with the Intermediate suites and curves, TLS 1.2 at least.
type TLSClientOptions struct {
	// RootCAs replaces the system roots when non-nil (a private CA, or [Dev.Pool] in tests).
	RootCAs *x509.CertPool
	// Certificates are presented to servers that ask for one (mTLS).
	Certificates []tls.Certificate
	// GetClientCertificate, when set, chooses the client certificate at handshake time
	// (for example [Reloader.GetClientCertificate]); it takes precedence over Certificates.
	GetClientCertificate func(*tls.CertificateRequestInfo) (*tls.Certificate, error)
	// ServerName overrides the name verified in the server's certificate (by default the
	// host being dialed).
	ServerName string
	// Pins, when non-empty, additionally requires some certificate of the verified chain
	// (leaf, intermediate or root) to carry one of these public keys. At least two distinct
	// pins are required: the key in use and a backup key kept offline. Pins are checked in
	// VerifyConnection, after the normal chain verification, on full and resumed handshakes.
	Pins []Pin
	// MinVersion raises the minimum version to TLS 1.3 when set to tls.VersionTLS13; lower
	// values than TLS 1.2 are rejected.
	MinVersion uint16
}

// ClientConfig returns a client configuration that always verifies the server's chain and
// name, requires TLS 1.2 or later with forward-secret AEAD suites, prefers the X25519MLKEM768
// post-quantum key exchange and, with [TLSClientOptions.Pins], enforces SPKI pinning. It returns
// [ErrNoBackupPin] when a single pin is given, and an error for a MinVersion below TLS 1.2.
//
// There is no option to skip verification; see [InsecureTestClientConfig] for tests.
func ClientConfig(o TLSClientOptions) (*tls.Config, error) {
	c := &tls.Config{
		MinVersion:           tls.VersionTLS12,
		MaxVersion:           tls.VersionTLS13,
		CipherSuites:         slices.Clone(intermediateSuites),
		CurvePreferences:     slices.Clone(curves),
		RootCAs:              o.RootCAs,
		Certificates:         o.Certificates,
		GetClientCertificate: o.GetClientCertificate,
		ServerName:           o.ServerName,
	}
	switch o.MinVersion {
	case 0, tls.VersionTLS12:
	case tls.VersionTLS13:
		c.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("tlsutil: client MinVersion %#04x: want tls.VersionTLS12 or tls.VersionTLS13", o.MinVersion)
	}
	if len(o.Pins) > 0 {
		pins := slices.Clone(o.Pins)
		slices.SortFunc(pins, func(a, b Pin) int { return strings.Compare(string(a[:]), string(b[:])) })
		pins = slices.Compact(pins)
		if len(pins) < 2 {
			return nil, ErrNoBackupPin
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error { return checkPins(cs, pins) }
	}
	return c, nil
}

// checkPins accepts the connection when a certificate of a verified chain has a pinned key.
// It runs only after crypto/tls has verified the chain, so VerifiedChains is trustworthy; it is
// also called on resumption, where VerifiedChains comes from the session.
func checkPins(cs tls.ConnectionState, pins []Pin) error {
	for _, chain := range cs.VerifiedChains {
		for _, cert := range chain {
			if _, found := slices.BinarySearchFunc(pins, PinOf(cert), func(a, b Pin) int {
				return strings.Compare(string(a[:]), string(b[:]))
			}); found {
				return nil
			}
		}
	}
	return ErrPinMismatch
}

// InsecureTestClientConfig returns a client configuration that does NOT verify the server's
// certificate. It is for tests only: it lets a test talk to a server whose certificate it
// cannot verify. Never use it in production code; prefer [TLSClientOptions.RootCAs] with
// [Dev.Pool], which keeps verification on even in tests.
func InsecureTestClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // #nosec G402 -- the documented tests-only helper
	}
}
