package tlsutil_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/tlsutil"
)

// secP256r1MLKEM768 is tls.SecP256r1MLKEM768 (Go 1.26), spelled numerically because go.mod
// declares go 1.25.
const secP256r1MLKEM768 = tls.CurveID(4587)

func serverFor(t *testing.T, p tlsutil.Profile) *tls.Config {
	c := tlsutil.ServerConfig(p)
	c.Certificates = []tls.Certificate{dev(t).Server, rsaCert(t)}
	return c
}

type hsCase struct {
	name     string
	min, max uint16
	suites   []uint16
	curves   []tls.CurveID
	ok       bool
	version  uint16      // when ok
	curve    tls.CurveID // when ok and non-zero
	suite    uint16      // when ok and non-zero
	rsa      bool        // the server must fall back to its self-signed RSA certificate
}

func runHandshakes(t *testing.T, p tlsutil.Profile, cases []hsCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := &tls.Config{
				RootCAs: dev(t).Pool, ServerName: "localhost",
				MinVersion: tc.min, MaxVersion: tc.max, CipherSuites: tc.suites, CurvePreferences: tc.curves,
			}
			if tc.rsa || slices.ContainsFunc(tc.suites, func(s uint16) bool { return strings.Contains(tls.CipherSuiteName(s), "_RSA_") }) {
				client.InsecureSkipVerify = true // #nosec G402 -- the RSA test certificate is self-signed; only negotiation is under test
			}
			cs, err := handshake(t, client, serverFor(t, p))
			if tc.ok != (err == nil) {
				t.Fatalf("%s handshake error = %v, want accepted = %v", p, err, tc.ok)
			}
			if !tc.ok {
				return
			}
			if cs.Version != tc.version {
				t.Errorf("version = %s, want %s", tls.VersionName(cs.Version), tls.VersionName(tc.version))
			}
			if tc.curve != 0 && cs.CurveID != tc.curve {
				t.Errorf("curve = %v, want %v", cs.CurveID, tc.curve)
			}
			if tc.suite != 0 && cs.CipherSuite != tc.suite {
				t.Errorf("suite = %s, want %s", tls.CipherSuiteName(cs.CipherSuite), tls.CipherSuiteName(tc.suite))
			}
			if cs.NegotiatedProtocol != "" {
				t.Errorf("ALPN = %q without client protocols", cs.NegotiatedProtocol)
			}
		})
	}
}

func u16(s ...uint16) []uint16 { return s }

func TestIntermediateHandshakes(t *testing.T) {
	v12, v13 := uint16(tls.VersionTLS12), uint16(tls.VersionTLS13)
	cases := []hsCase{
		{name: "default client", ok: true, version: v13, curve: tls.X25519MLKEM768},
		{name: "TLS1.3 X25519", curves: []tls.CurveID{tls.X25519}, ok: true, version: v13, curve: tls.X25519},
		{name: "TLS1.3 P-256", curves: []tls.CurveID{tls.CurveP256}, ok: true, version: v13, curve: tls.CurveP256},
		{name: "TLS1.3 P-384", curves: []tls.CurveID{tls.CurveP384}, ok: true, version: v13, curve: tls.CurveP384},
		{name: "TLS1.3 P-521 only", curves: []tls.CurveID{tls.CurveP521}},
		{name: "TLS1.3 SecP256r1MLKEM768 only", curves: []tls.CurveID{secP256r1MLKEM768}},
		{name: "TLS1.2 default", max: v12, ok: true, version: v12, curve: tls.X25519},
		{name: "TLS1.2 P-256", max: v12, curves: []tls.CurveID{tls.CurveP256}, ok: true, version: v12, curve: tls.CurveP256},
		{name: "TLS1.2 P-384", max: v12, curves: []tls.CurveID{tls.CurveP384}, ok: true, version: v12, curve: tls.CurveP384, rsa: true},
		{name: "TLS1.2 P-521 only", max: v12, curves: []tls.CurveID{tls.CurveP521}},
		{name: "TLS1.2 X25519MLKEM768 only", max: v12, curves: []tls.CurveID{tls.X25519MLKEM768}},
		{name: "TLS1.1", min: tls.VersionTLS10, max: tls.VersionTLS11},
		{name: "TLS1.0", min: tls.VersionTLS10, max: tls.VersionTLS10},
	}
	for _, s := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	} {
		cases = append(cases, hsCase{name: "TLS1.2 " + tls.CipherSuiteName(s), max: v12, suites: u16(s), ok: true, version: v12, suite: s})
	}
	for _, s := range []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA,
	} {
		cases = append(cases, hsCase{name: "TLS1.2 " + tls.CipherSuiteName(s), max: v12, suites: u16(s)})
	}
	runHandshakes(t, tlsutil.Intermediate, cases)
}

func TestModernHandshakes(t *testing.T) {
	v12, v13 := uint16(tls.VersionTLS12), uint16(tls.VersionTLS13)
	runHandshakes(t, tlsutil.Modern, []hsCase{
		{name: "default client", ok: true, version: v13, curve: tls.X25519MLKEM768},
		{name: "TLS1.3 X25519", curves: []tls.CurveID{tls.X25519}, ok: true, version: v13, curve: tls.X25519},
		{name: "TLS1.3 P-256", curves: []tls.CurveID{tls.CurveP256}, ok: true, version: v13, curve: tls.CurveP256},
		{name: "TLS1.3 P-384", curves: []tls.CurveID{tls.CurveP384}, ok: true, version: v13, curve: tls.CurveP384},
		{name: "TLS1.3 P-521 only", curves: []tls.CurveID{tls.CurveP521}},
		{name: "TLS1.2 default", max: v12},
		{name: "TLS1.2 ECDHE-ECDSA-AES128-GCM", max: v12, suites: u16(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)},
		{name: "TLS1.1", min: tls.VersionTLS10, max: tls.VersionTLS11},
	})
}

func TestServerConfigFields(t *testing.T) {
	for _, p := range []tlsutil.Profile{tlsutil.Intermediate, tlsutil.Modern} {
		c := tlsutil.ServerConfig(p)
		wantMin := uint16(tls.VersionTLS12)
		if p == tlsutil.Modern {
			wantMin = tls.VersionTLS13
		}
		if c.MinVersion != wantMin || c.MaxVersion != tls.VersionTLS13 {
			t.Errorf("ServerConfig(%s) versions = %#x..%#x, want %#x..0x304", p, c.MinVersion, c.MaxVersion, wantMin)
		}
		if want := []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}; !slices.Equal(c.CurvePreferences, want) {
			t.Errorf("ServerConfig(%s).CurvePreferences = %v, want %v", p, c.CurvePreferences, want)
		}
		if want := []string{"h2", "http/1.1"}; !slices.Equal(c.NextProtos, want) {
			t.Errorf("ServerConfig(%s).NextProtos = %v, want %v", p, c.NextProtos, want)
		}
		for _, s := range c.CipherSuites {
			name := tls.CipherSuiteName(s)
			aead := strings.Contains(name, "_GCM_") || strings.Contains(name, "CHACHA20")
			if !strings.HasPrefix(name, "TLS_ECDHE_") || !aead {
				t.Errorf("ServerConfig(%s) offers %s", p, name)
			}
		}
		// Each call returns a fresh value.
		c.CurvePreferences[0] = tls.CurveP521
		if tlsutil.ServerConfig(p).CurvePreferences[0] != tls.X25519MLKEM768 {
			t.Errorf("ServerConfig(%s) shares its slices between calls", p)
		}
	}
	if got := tlsutil.Profile(0); got != tlsutil.Intermediate {
		t.Errorf("zero Profile = %s, want intermediate", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("ServerConfig(Profile(7)) did not panic")
		}
	}()
	tlsutil.ServerConfig(tlsutil.Profile(7))
}

// TestPostQuantumWithGoClient checks that a Go client (this toolchain's defaults, and
// ClientConfig) negotiates the X25519MLKEM768 hybrid key exchange and h2 with both profiles.
func TestPostQuantumWithGoClient(t *testing.T) {
	for _, p := range []tlsutil.Profile{tlsutil.Intermediate, tlsutil.Modern} {
		ours, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev(t).Pool})
		if err != nil {
			t.Fatal(err)
		}
		for name, client := range map[string]*tls.Config{
			"stdlib defaults": {RootCAs: dev(t).Pool},
			"ClientConfig":    ours,
		} {
			client.ServerName = "localhost"
			client.NextProtos = []string{"h2", "http/1.1"}
			cs, err := handshake(t, client, serverFor(t, p))
			if err != nil {
				t.Fatalf("%s/%s: handshake: %v", p, name, err)
			}
			if cs.CurveID != tls.X25519MLKEM768 || cs.Version != tls.VersionTLS13 || cs.NegotiatedProtocol != "h2" {
				t.Errorf("%s/%s: curve %v, version %s, ALPN %q; want X25519MLKEM768, TLS 1.3, h2",
					p, name, cs.CurveID, tls.VersionName(cs.Version), cs.NegotiatedProtocol)
			}
		}
	}
}

// sslscanDoc is the part of sslscan's --xml output the scan test reads.
type sslscanDoc struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			SSLVersion string `xml:"sslversion,attr"`
			Cipher     string `xml:"cipher,attr"`
			Strength   string `xml:"strength,attr"`
		} `xml:"cipher"`
		Groups []struct {
			SSLVersion string `xml:"sslversion,attr"`
			Name       string `xml:"name,attr"`
		} `xml:"group"`
		Renegotiation []struct {
			Supported string `xml:"supported,attr"`
		} `xml:"renegotiation"`
		Heartbleed []struct {
			Vulnerable string `xml:"vulnerable,attr"`
		} `xml:"heartbleed"`
	} `xml:"ssltest"`
}

// TestSSLScan scans a loopback server of each profile with sslscan (OpenSSL) and checks
// the protocols, suites and groups it finds.
func TestSSLScan(t *testing.T) {
	sslscan := testenv.LookPath(t, "sslscan")
	wantSuites := map[tlsutil.Profile][]string{
		tlsutil.Modern: {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"},
		tlsutil.Intermediate: {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
			"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
			"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"},
	}
	wantProtocols := map[tlsutil.Profile][]string{
		tlsutil.Modern:       {"tls1.3"},
		tlsutil.Intermediate: {"tls1.2", "tls1.3"},
	}
	for _, p := range []tlsutil.Profile{tlsutil.Intermediate, tlsutil.Modern} {
		t.Run(p.String(), func(t *testing.T) {
			addr := serveTLS(t, serverFor(t, p))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, sslscan, "--xml=-", "--no-colour", addr).Output() // #nosec G204 -- fixed program and a loopback address
			if err != nil {
				t.Fatalf("sslscan: %v\n%s", err, out)
			}
			start := strings.Index(string(out), "<?xml")
			if start < 0 {
				t.Fatalf("sslscan printed no XML:\n%s", out)
			}
			var doc sslscanDoc
			if err := xml.Unmarshal(out[start:], &doc); err != nil || len(doc.Tests) != 1 {
				t.Fatalf("parsing sslscan XML: %v (%d ssltest elements)\n%s", err, len(doc.Tests), out)
			}
			st := doc.Tests[0]
			var enabled []string
			for _, pr := range st.Protocols {
				if pr.Enabled == "1" {
					enabled = append(enabled, pr.Type+pr.Version)
				}
			}
			if len(st.Protocols) < 6 {
				t.Errorf("sslscan reported %d protocols, want SSLv2, SSLv3 and TLS 1.0 to 1.3", len(st.Protocols))
			}
			if !slices.Equal(enabled, wantProtocols[p]) {
				t.Errorf("enabled protocols = %v, want %v", enabled, wantProtocols[p])
			}
			var suites []string
			for _, c := range st.Ciphers {
				suites = append(suites, c.Cipher)
				for _, bad := range []string{"CBC", "SHA1", "RC4", "DES", "NULL", "MD5", "EXP", "anon", "ADH", "PSK", "CAMELLIA", "ARIA", "SEED", "IDEA"} {
					if strings.Contains(c.Cipher, bad) {
						t.Errorf("weak suite %s accepted over %s", c.Cipher, c.SSLVersion)
					}
				}
				// forward secrecy: TLS 1.3 suites always use (EC)DHE; TLS 1.2 ones must say ECDHE
				if c.SSLVersion != "TLSv1.3" && !strings.HasPrefix(c.Cipher, "ECDHE-") {
					t.Errorf("suite %s over %s lacks forward secrecy", c.Cipher, c.SSLVersion)
				}
				if c.Strength != "strong" && c.Strength != "acceptable" {
					t.Errorf("sslscan rates %s as %q", c.Cipher, c.Strength)
				}
			}
			slices.Sort(suites)
			want := slices.Sorted(slices.Values(wantSuites[p]))
			if !slices.Equal(suites, want) {
				t.Errorf("accepted suites = %v, want %v", suites, want)
			}
			for _, g := range st.Groups {
				if !strings.Contains(g.Name, "x25519") && !strings.Contains(g.Name, "P-256") && !strings.Contains(g.Name, "P-384") &&
					!strings.Contains(strings.ToLower(g.Name), "mlkem") {
					t.Errorf("group %s accepted over %s", g.Name, g.SSLVersion)
				}
			}
			if len(st.Groups) == 0 {
				t.Error("sslscan found no key exchange group")
			}
			for _, r := range st.Renegotiation {
				if r.Supported != "0" {
					t.Error("renegotiation supported")
				}
			}
		})
	}
}

// TestOpenSSLRefusesTLS11 checks that openssl s_client cannot complete a TLS 1.0 or 1.1
// handshake with either profile. Controls: the same openssl invocation succeeds against a Go
// server that allows TLS 1.0 (so the refusal is the profile's, not OpenSSL's security level),
// and TLS 1.3 (both profiles) and TLS 1.2 (Intermediate only) succeed.
func TestOpenSSLRefusesTLS11(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl")
	run := func(addr string, flag string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		args := []string{"s_client", "-connect", addr, flag, "-servername", "localhost", "-brief"}
		if flag == "-tls1" || flag == "-tls1_1" {
			args = append(args, "-cipher", "DEFAULT:@SECLEVEL=0") // let OpenSSL 3 try the old versions
		}
		cmd := exec.CommandContext(ctx, openssl, args...) // #nosec G204 -- fixed program, loopback address
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("openssl s_client %s: %v\n%s", flag, err, out)
		}
		return err
	}
	legacy := &tls.Config{MinVersion: tls.VersionTLS10, // #nosec G402 -- control server proving OpenSSL can speak TLS 1.1
		Certificates: []tls.Certificate{dev(t).Server, rsaCert(t)}}
	if err := run(serveTLS(t, legacy), "-tls1_1"); err != nil {
		t.Fatalf("control: openssl s_client -tls1_1 against a TLS 1.0+ Go server failed: %v", err)
	}
	for _, p := range []tlsutil.Profile{tlsutil.Intermediate, tlsutil.Modern} {
		addr := serveTLS(t, serverFor(t, p))
		if err := run(addr, "-tls1_1"); err == nil {
			t.Errorf("%s: openssl s_client -tls1_1 succeeded", p)
		}
		if err := run(addr, "-tls1"); err == nil {
			t.Errorf("%s: openssl s_client -tls1 succeeded", p)
		}
		if err := run(addr, "-tls1_3"); err != nil {
			t.Errorf("%s: openssl s_client -tls1_3 failed: %v", p, err)
		}
		if err := run(addr, "-tls1_2"); (err == nil) != (p == tlsutil.Intermediate) {
			t.Errorf("%s: openssl s_client -tls1_2 error = %v", p, err)
		}
	}
}

// TestProfilesIgnoreWeakGODEBUG sets the GODEBUG values a main module declaring go 1.21 gets
// (tls10server, tlsrsakex, tls3des): a default tls.Config then accepts TLS 1.0 and RSA key
// exchange (the control), while the profiles still refuse both.
func TestProfilesIgnoreWeakGODEBUG(t *testing.T) {
	t.Setenv("GODEBUG", "tls10server=1,tlsrsakex=1,tls3des=1")
	d := dev(t)
	certs := []tls.Certificate{d.Server, rsaCert(t)}
	old := func(maxVersion uint16, suites ...uint16) *tls.Config {
		return &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: maxVersion, CipherSuites: suites, // #nosec G402 -- an old client on purpose
			InsecureSkipVerify: true} // #nosec G402 -- negotiation only; the RSA certificate is self-signed
	}
	clients := map[string]*tls.Config{
		"TLS 1.0":               old(tls.VersionTLS10),
		"RSA key exchange":      old(tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256),
		"3DES":                  old(tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA),
		"RSA key exchange, 1.1": old(tls.VersionTLS11, tls.TLS_RSA_WITH_AES_128_CBC_SHA),
	}
	for name, client := range clients {
		if _, err := handshake(t, client, &tls.Config{Certificates: certs}); err != nil {
			t.Errorf("control: default tls.Config with weak GODEBUG refused %s: %v", name, err)
		}
		for _, p := range []tlsutil.Profile{tlsutil.Intermediate, tlsutil.Modern} {
			srv := tlsutil.ServerConfig(p)
			srv.Certificates = certs
			if cs, err := handshake(t, client, srv); err == nil {
				t.Errorf("%s accepted %s under weak GODEBUG (%s, %s)", p, name, tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
			}
		}
	}
}
