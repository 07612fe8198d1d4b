package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// DevValidity is how long certificates made by [NewDev] stay valid.
const DevValidity = 24 * time.Hour

// Dev is an in-memory development certificate authority with a server certificate for
// localhost, 127.0.0.1 and ::1. It exists for tests, examples and local development: it is NOT
// for production. Its keys live only in memory and its certificates expire after [DevValidity].
type Dev struct {
	// CA is the self-signed ECDSA P-256 root.
	CA *x509.Certificate
	// Pool holds CA alone: use it as TLSClientOptions.RootCAs, or as the client CA pool of an mTLS
	// server.
	Pool *x509.CertPool
	// Server is a leaf for localhost, 127.0.0.1 and ::1, signed by CA, with Leaf set.
	Server tls.Certificate

	caKey *ecdsa.PrivateKey
}

// NewDev creates a fresh development CA and localhost server certificate, both ECDSA P-256.
// Not for production.
func NewDev() (*Dev, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "rampart tlsutil development CA (not for production)"},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(DevValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	d := &Dev{CA: ca, Pool: x509.NewCertPool(), caKey: key}
	d.Pool.AddCert(ca)
	if d.Server, err = d.ServerCertificate("localhost", "127.0.0.1", "::1"); err != nil {
		return nil, err
	}
	return d, nil
}

// ServerCertificate issues a new server certificate for the given DNS names and IP addresses,
// valid for [DevValidity].
func (d *Dev) ServerCertificate(hosts ...string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("tlsutil: ServerCertificate needs at least one host")
	}
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: hosts[0]}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return d.issue(tmpl)
}

// ClientCertificate issues a client certificate (for mTLS) whose subject common name is name
// and which also carries the URI SAN spiffe://dev.local/<name>, valid for [DevValidity].
func (d *Dev) ClientCertificate(name string) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		URIs:        []*url.URL{{Scheme: "spiffe", Host: "dev.local", Path: "/" + name}},
	}
	return d.issue(tmpl)
}

func (d *Dev) issue(tmpl *x509.Certificate) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-5 * time.Minute)
	tmpl.NotAfter = now.Add(DevValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, d.CA, &key.PublicKey, d.caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// serial returns a random 128-bit positive serial number.
func serial() *big.Int {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	b[0] &= 0x7f
	b[0] |= 0x40
	return new(big.Int).SetBytes(b)
}

// MarshalPEM encodes the chain of c as CERTIFICATE blocks and its private key as a PKCS #8
// "PRIVATE KEY" block, the format [NewReloader] and tls.LoadX509KeyPair read.
func MarshalPEM(c tls.Certificate) (certPEM, keyPEM []byte, err error) {
	if len(c.Certificate) == 0 || c.PrivateKey == nil {
		return nil, nil, errors.New("tlsutil: MarshalPEM needs a certificate and its private key")
	}
	for _, der := range c.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	k, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsutil: MarshalPEM: %w", err)
	}
	return certPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
}
