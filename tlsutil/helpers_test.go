package tlsutil_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

var (
	devOnce sync.Once
	devVal  *tlsutil.Dev
	devErr  error
	rsaOnce sync.Once
	rsaVal  tls.Certificate
	rsaErr  error
)

// dev returns one development CA shared by the tests of this package.
func dev(t testing.TB) *tlsutil.Dev {
	t.Helper()
	devOnce.Do(func() { devVal, devErr = tlsutil.NewDev() })
	if devErr != nil {
		t.Fatalf("NewDev() = %v", devErr)
	}
	return devVal
}

// rsaCert returns a self-signed RSA-2048 certificate for localhost, so scans see the
// ECDHE-RSA suites as well as the ECDHE-ECDSA ones.
func rsaCert(t testing.TB) tls.Certificate {
	t.Helper()
	rsaOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			rsaErr = err
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			rsaErr = err
			return
		}
		leaf, _ := x509.ParseCertificate(der)
		rsaVal = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	})
	if rsaErr != nil {
		t.Fatalf("RSA certificate: %v", rsaErr)
	}
	return rsaVal
}

// handshake runs a TLS handshake between client and server over a loopback TCP connection
// (buffered, unlike net.Pipe, so a failing side can send its alert) and returns the client's
// connection state and error, or the server's error when only the server failed.
func handshake(t *testing.T, client, server *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- tls.Server(c, server).HandshakeContext(ctx)
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli := tls.Client(raw, client)
	err = cli.HandshakeContext(ctx)
	_ = raw.Close()
	serr := <-done
	if err == nil && serr != nil {
		err = serr
	}
	return cli.ConnectionState(), err
}

// serveTLS serves cfg on a loopback listener, completing handshakes and answering nothing,
// until the test ends.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				_ = conn.(*tls.Conn).Handshake()
				_ = conn.Close()
			})
		}
	})
	return ln.Addr().String()
}

type x509UnknownAuthority = x509.UnknownAuthorityError

func runtimeGosched() { runtime.Gosched() }
