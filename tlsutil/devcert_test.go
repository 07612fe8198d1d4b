package tlsutil_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

func TestDev(t *testing.T) {
	d := dev(t)
	leaf := d.Server.Leaf
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("dev certificate VerifyHostname(%q) = %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: d.Pool, DNSName: "localhost"}); err != nil {
		t.Errorf("dev certificate does not chain to the dev CA: %v", err)
	}
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("dev leaf key = %T, want ECDSA P-256", leaf.PublicKey)
	}
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life > tlsutil.DevValidity+time.Hour {
		t.Errorf("dev certificate lives %v, want at most %v", life, tlsutil.DevValidity)
	}
	if !d.CA.IsCA || time.Until(d.CA.NotAfter) > tlsutil.DevValidity {
		t.Errorf("dev CA: IsCA %v, NotAfter %v", d.CA.IsCA, d.CA.NotAfter)
	}
	c, err := d.ClientCertificate("carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: d.Pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify for client auth: %v", err)
	}
	if _, err := d.ServerCertificate(); err == nil {
		t.Error("ServerCertificate() without hosts succeeded")
	}
	s, err := d.ServerCertificate("svc.internal", "10.0.0.1")
	if err != nil || s.Leaf.VerifyHostname("svc.internal") != nil || !s.Leaf.IPAddresses[0].Equal(net.ParseIP("10.0.0.1")) {
		t.Errorf("ServerCertificate(svc.internal, 10.0.0.1) = %v", err)
	}
	// PEM round trip
	certPEM, keyPEM, err := tlsutil.MarshalPEM(d.Server)
	if err != nil {
		t.Fatal(err)
	}
	back, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil || !back.Leaf.Equal(leaf) {
		t.Errorf("MarshalPEM round trip: %v", err)
	}
	if _, _, err := tlsutil.MarshalPEM(tls.Certificate{}); err == nil {
		t.Error("MarshalPEM(empty) succeeded")
	}
}
