package tlsutil_test

import (
	"crypto/tls"
	"net"
	"net/netip"
	"testing"

	"github.com/rampart-go/rampart/tlsutil"
)

func BenchmarkGuardCheck(b *testing.B) {
	var g tlsutil.Guard
	for _, s := range []string{"93.184.215.14", "10.0.0.1", "2606:4700:4700::1111", "::ffff:127.0.0.1"} {
		a := netip.MustParseAddr(s)
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = g.Check(a)
			}
		})
	}
}

func BenchmarkGuardCheckHost(b *testing.B) {
	var g tlsutil.Guard
	for _, s := range []string{"example.com", "8.8.8.8:443", "0x7f.1", "[fe80::1%25eth0]:80"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = g.CheckHost(s)
			}
		})
	}
}

// BenchmarkHandshake measures a full TLS handshake with each profile and key exchange over a
// loopback TCP connection (both ends in this process).
func BenchmarkHandshake(b *testing.B) {
	d := dev(b)
	for _, tc := range []struct {
		name    string
		profile tlsutil.Profile
		curve   tls.CurveID
		max     uint16
	}{
		{"Modern/X25519MLKEM768", tlsutil.Modern, tls.X25519MLKEM768, tls.VersionTLS13},
		{"Modern/X25519", tlsutil.Modern, tls.X25519, tls.VersionTLS13},
		{"Intermediate/TLS1.2-X25519", tlsutil.Intermediate, tls.X25519, tls.VersionTLS12},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := tlsutil.ServerConfig(tc.profile)
			srv.Certificates = []tls.Certificate{d.Server}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", srv)
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					go func() { _ = c.(*tls.Conn).Handshake(); _ = c.Close() }()
				}
			}()
			client := &tls.Config{RootCAs: d.Pool, ServerName: "localhost", CurvePreferences: []tls.CurveID{tc.curve},
				MinVersion: tls.VersionTLS12, MaxVersion: tc.max}
			b.ReportAllocs()
			for b.Loop() {
				c, err := tls.DialWithDialer(&net.Dialer{}, "tcp", ln.Addr().String(), client)
				if err != nil {
					b.Fatal(err)
				}
				if got := c.ConnectionState().CurveID; got != tc.curve {
					b.Fatalf("curve %v, want %v", got, tc.curve)
				}
				_ = c.Close()
			}
		})
	}
}
