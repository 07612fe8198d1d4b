package tlsutil_test

import (
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

func mustPin(t *testing.T, s string) tlsutil.Pin {
	t.Helper()
	p, err := tlsutil.ParsePin(s)
	if err != nil {
		t.Fatalf("ParsePin(%q) = %v", s, err)
	}
	return p
}

func TestParsePin(t *testing.T) {
	leafPin := tlsutil.PinOf(dev(t).Server.Leaf)
	for _, s := range []string{leafPin.String(), strings.TrimPrefix(leafPin.String(), "sha256/")} {
		if got := mustPin(t, s); got != leafPin {
			t.Errorf("ParsePin(%q) = %v, want %v", s, got, leafPin)
		}
	}
	for _, s := range []string{"", "sha256/", "sha256/AAAA", "sha1/" + strings.TrimPrefix(leafPin.String(), "sha256/"),
		strings.Repeat("A", 44), "sha256/" + strings.Repeat("A", 43) + "!", "sha256/" + strings.Repeat("A", 48)} {
		if _, err := tlsutil.ParsePin(s); !errors.Is(err, tlsutil.ErrInvalidPin) {
			t.Errorf("ParsePin(%q) = %v, want ErrInvalidPin", s, err)
		}
	}
}

func TestClientConfigDefaults(t *testing.T) {
	c, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.InsecureSkipVerify || c.MinVersion != tls.VersionTLS12 || c.VerifyConnection != nil {
		t.Errorf("ClientConfig({}) = skip %v, min %#x, pins %v", c.InsecureSkipVerify, c.MinVersion, c.VerifyConnection != nil)
	}
	if c13, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{MinVersion: tls.VersionTLS13}); err != nil || c13.MinVersion != tls.VersionTLS13 {
		t.Errorf("ClientConfig(MinVersion 1.3) = %v, %v", c13, err)
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11, 0x0305} {
		if _, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{MinVersion: v}); err == nil {
			t.Errorf("ClientConfig(MinVersion %#x) accepted", v)
		}
	}
	// A server that only speaks TLS 1.1 is refused.
	old := &tls.Config{MinVersion: tls.VersionTLS10, // #nosec G402 -- a deliberately old server the client must refuse
		MaxVersion: tls.VersionTLS11, Certificates: []tls.Certificate{dev(t).Server}}
	c.RootCAs, c.ServerName = dev(t).Pool, "localhost"
	if _, err := handshake(t, c, old); err == nil {
		t.Error("ClientConfig connected to a TLS 1.1 server")
	}
	// A server whose certificate does not chain to RootCAs is refused.
	other, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	srv := tlsutil.ServerConfig(tlsutil.Intermediate)
	srv.Certificates = []tls.Certificate{other.Server}
	var uae x509UnknownAuthority
	if _, err := handshake(t, c, srv); !errors.As(err, &uae) {
		t.Errorf("handshake with an unknown CA: %v, want x509.UnknownAuthorityError", err)
	}
}

func TestInsecureTestClientConfig(t *testing.T) {
	other, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	srv := tlsutil.ServerConfig(tlsutil.Intermediate)
	srv.Certificates = []tls.Certificate{other.Server}
	if _, err := handshake(t, tlsutil.InsecureTestClientConfig(), srv); err != nil {
		t.Errorf("InsecureTestClientConfig handshake: %v", err)
	}
}

func TestPins(t *testing.T) {
	d := dev(t)
	leaf, ca := tlsutil.PinOf(d.Server.Leaf), tlsutil.PinOf(d.CA)
	backup := tlsutil.Pin(sha256.Sum256([]byte("backup key")))
	other := tlsutil.Pin(sha256.Sum256([]byte("other key")))
	srv := tlsutil.ServerConfig(tlsutil.Intermediate)
	srv.Certificates = []tls.Certificate{d.Server}
	for _, tc := range []struct {
		name string
		pins []tlsutil.Pin
		want error
	}{
		{"leaf and backup", []tlsutil.Pin{leaf, backup}, nil},
		{"backup and CA", []tlsutil.Pin{backup, ca}, nil},
		{"no match", []tlsutil.Pin{backup, other}, tlsutil.ErrPinMismatch},
	} {
		c, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, ServerName: "localhost", Pins: tc.pins})
		if err != nil {
			t.Fatalf("%s: ClientConfig: %v", tc.name, err)
		}
		_, err = handshake(t, c, srv)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: handshake = %v, want %v", tc.name, err, tc.want)
		}
	}
	for _, pins := range [][]tlsutil.Pin{{leaf}, {leaf, leaf}} {
		if _, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{Pins: pins}); !errors.Is(err, tlsutil.ErrNoBackupPin) {
			t.Errorf("ClientConfig(%d pins, 1 distinct) = %v, want ErrNoBackupPin", len(pins), err)
		}
	}
	// Pins are checked after the chain: a pinned key behind an unknown CA is still refused.
	other2, _ := tlsutil.NewDev()
	srv2 := tlsutil.ServerConfig(tlsutil.Intermediate)
	srv2.Certificates = []tls.Certificate{other2.Server}
	c, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, ServerName: "localhost",
		Pins: []tlsutil.Pin{tlsutil.PinOf(other2.Server.Leaf), backup}})
	if _, err := handshake(t, c, srv2); err == nil {
		t.Error("pinned key with an untrusted chain was accepted")
	}
}

// TestPinsOnResumption checks that pins are enforced on a resumed TLS 1.3 session: a client
// that resumed with matching pins resumes, the same session with other pins is refused.
func TestPinsOnResumption(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		d := dev(t)
		srv := tlsutil.ServerConfig(tlsutil.Intermediate)
		srv.Certificates = []tls.Certificate{d.Server}
		srv.MaxVersion = version
		ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				_, _ = conn.Write([]byte("x")) // completes the handshake and sends the ticket first
				_ = conn.Close()
			}
		}()
		cache := tls.NewLRUClientSessionCache(4)
		backup := tlsutil.Pin(sha256.Sum256([]byte("backup key")))
		dial := func(pins []tlsutil.Pin) (bool, error) {
			c, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, ServerName: "localhost", Pins: pins})
			if err != nil {
				t.Fatal(err)
			}
			c.ClientSessionCache = cache
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), c)
			if err != nil {
				return false, err
			}
			defer conn.Close()
			_, _ = io.ReadAll(conn)
			return conn.ConnectionState().DidResume, nil
		}
		good := []tlsutil.Pin{tlsutil.PinOf(d.Server.Leaf), backup}
		if _, err := dial(good); err != nil {
			t.Fatalf("%s: first dial: %v", tls.VersionName(version), err)
		}
		if resumed, err := dial(good); err != nil || !resumed {
			t.Fatalf("%s: second dial resumed = %v, %v; want a resumed session", tls.VersionName(version), resumed, err)
		}
		bad := []tlsutil.Pin{backup, tlsutil.Pin(sha256.Sum256([]byte("other key")))}
		if _, err := dial(bad); !errors.Is(err, tlsutil.ErrPinMismatch) {
			t.Errorf("%s: resumed dial with other pins = %v, want ErrPinMismatch", tls.VersionName(version), err)
		}
	}
}
