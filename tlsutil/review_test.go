package tlsutil_test

// Regression tests for the findings of the adversarial review of issue 13. Each test fails
// without the fix it names.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/tlsutil"
)

// TestClientBodyCapHEAD: a HEAD response announces the size of the body a GET would get, and
// carries none; the body cap must not refuse it.
func TestClientBodyCapHEAD(t *testing.T) {
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1073741824")
		if r.Method != http.MethodHead {
			w.WriteHeader(http.StatusOK) // the body is never written: a GET must fail on the header
		}
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, MaxResponseBytes: 1 << 10})
	resp, err := c.Head(srv.URL)
	if err != nil {
		t.Fatalf("HEAD of a 1 GiB resource = %v, want the headers", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != 1<<30 {
		t.Errorf("HEAD = %d, Content-Length %d; want 200, %d", resp.StatusCode, resp.ContentLength, 1<<30)
	}
	if _, _, err := get(c, srv.URL); !errors.Is(err, tlsutil.ErrResponseTooLarge) {
		t.Errorf("GET of a 1 GiB resource = %v, want ErrResponseTooLarge", err)
	}
}

// TestDaysToExpiryOnceExpired: DaysToExpiry promises a negative number once the certificate
// has expired; truncating division gave 0 for the whole first day after expiry.
func TestDaysToExpiryOnceExpired(t *testing.T) {
	_, certPEM, keyPEM := pairPEM(t, dev(t))
	p := newPairFiles(t, certPEM, keyPEM)
	leaf := mustLeaf(t, certPEM)
	var now atomic.Pointer[time.Time]
	set := func(at time.Time) { now.Store(&at) }
	set(leaf.NotBefore.Add(time.Minute))
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: func() time.Time { return *now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		after time.Duration // since NotAfter
		want  int
	}{
		{-24*time.Hour - time.Second, 1},
		{-time.Second, 0},
		{0, 0},
		{time.Nanosecond, -1},
		{time.Hour, -1},
		{24 * time.Hour, -1},
		{24*time.Hour + time.Second, -2},
	} {
		set(leaf.NotAfter.Add(tc.after))
		if got := r.DaysToExpiry(); got != tc.want {
			t.Errorf("DaysToExpiry() at NotAfter%+v = %d, want %d", tc.after, got, tc.want)
		}
	}
}

func mustLeaf(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGuardMoreMetadataEndpoints: credential and metadata endpoints beyond the first four.
// 168.63.129.16 is a public address, so without the list nothing blocked it; the others sit
// in ranges that an Allow entry (169.254.0.0/16, fc00::/7, 192.0.0.0/24) would have opened.
func TestGuardMoreMetadataEndpoints(t *testing.T) {
	broad := tlsutil.Guard{Allow: []netip.Prefix{
		netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fc00::/7"),
		netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("192.0.0.0/24"),
		netip.MustParsePrefix("0.0.0.0/0"),
	}}
	for _, host := range []string{
		"168.63.129.16", "169.254.170.23", "169.254.0.23", "169.254.42.42", "192.0.0.192",
		"[fd00:ec2::23]", "[fd20:ce::254]", "[fd00:42::42]", "[fe80::a9fe:a9fe%25eth0]",
		"[::ffff:168.63.129.16]", "[64:ff9b::a83f:8110]",
	} {
		var g tlsutil.Guard
		var be *tlsutil.BlockedError
		if err := g.CheckHost(host); !errors.As(err, &be) || !strings.Contains(be.Reason, "cloud metadata") {
			t.Errorf("CheckHost(%s) = %v, want blocked as cloud metadata", host, err)
		}
		if err := broad.CheckHost(host); !errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("with broad Allow prefixes, CheckHost(%s) = %v, want still blocked", host, err)
		}
		single := tlsutil.Guard{Allow: []netip.Prefix{netip.PrefixFrom(mustHostAddr(t, host), mustHostAddr(t, host).BitLen())}}
		if err := single.CheckHost(host); err != nil {
			t.Errorf("with an exact Allow entry, CheckHost(%s) = %v, want allowed", host, err)
		}
	}
}

func mustHostAddr(t *testing.T, host string) netip.Addr {
	t.Helper()
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if i := strings.Index(host, "%25"); i >= 0 {
		host = host[:i]
	}
	return netip.MustParseAddr(host)
}

// TestGuardISATAP: an ISATAP interface identifier (RFC 5214) under a global prefix reaches
// the IPv4 address it embeds; it is judged by that address. Link-local ISATAP addresses stay
// link-local whatever they embed.
func TestGuardISATAP(t *testing.T) {
	for _, tc := range []struct{ addr, reason string }{
		{"2001:470:1f00::5efe:7f00:1", "ISATAP of loopback"},
		{"2600:1f18::200:5efe:a00:1", "ISATAP of private"},
		{"2600:1f18::5efe:a9fe:a9fe", "ISATAP of cloud metadata"},
		{"2002:808:808:1:200:5efe:c0a8:1", "ISATAP of private"}, // 6to4 of public, then ISATAP
		{"fe80::5efe:808:808", "link-local"},
		{"2600:1f18::5efe:808:808", ""},
		{"2600:1f18::100:5efe:a00:1", ""}, // not an ISATAP identifier (0100)
		{"2600:1f18::5eff:a00:1", ""},
	} {
		var g tlsutil.Guard
		err := g.Check(netip.MustParseAddr(tc.addr))
		var be *tlsutil.BlockedError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("Check(%s) = %v, want allowed", tc.addr, err)
		case tc.reason != "" && (!errors.As(err, &be) || be.Reason != tc.reason):
			t.Errorf("Check(%s) = %v, want blocked (%s)", tc.addr, err, tc.reason)
		}
	}
}

// TestGuardBroadAllowKeepsEmbeddedIPv4Blocked: an Allow entry written for IPv6 (::/0,
// 2000::/3) must not open the private IPv4 addresses reached through NAT64, 6to4 or ISATAP;
// entries for the IPv4 range or for the embedding range itself still do.
func TestGuardBroadAllowKeepsEmbeddedIPv4Blocked(t *testing.T) {
	pfx := func(s string) []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix(s)} }
	for _, tc := range []struct {
		allow   string
		addr    string
		allowed bool
	}{
		{"::/0", "64:ff9b::a00:1", false},
		{"::/0", "::ffff:7f00:1", false},
		{"::/0", "2002:a00:1::1", false},
		{"2000::/3", "2002:7f00:1::1", false},
		{"2000::/3", "2600:1f18::5efe:a00:1", false},
		{"::/0", "fd12::1", true}, // no embedded IPv4: a broad entry still opens it
		{"10.0.0.0/8", "64:ff9b::a00:1", true},
		{"10.0.0.0/8", "2002:a00:1::1", true},
		{"64:ff9b::/96", "64:ff9b::a00:1", true},
		{"::ffff:0:0/96", "::ffff:7f00:1", true},
		{"2002::/16", "2002:a00:1::1", true},
		{"2600:1f18::/64", "2600:1f18::5efe:a00:1", true},
	} {
		g := tlsutil.Guard{Allow: pfx(tc.allow)}
		if err := g.Check(netip.MustParseAddr(tc.addr)); (err == nil) != tc.allowed {
			t.Errorf("Guard{Allow: %s}.Check(%s) = %v, want allowed %v", tc.allow, tc.addr, err, tc.allowed)
		}
	}
}

// TestNewClientDoesNotMutateTLSConfig: http.Transport adds "h2" and "http/1.1" to the
// NextProtos of its TLSClientConfig in place; a configuration the caller shares between
// clients (or reads while requests run) must not change under it.
func TestNewClientDoesNotMutateTLSConfig(t *testing.T) {
	d := dev(t)
	srv := httptest.NewUnstartedServer(okHandler())
	srv.EnableHTTP2 = true
	srv.TLS = tlsutil.ServerConfig(tlsutil.Intermediate)
	srv.TLS.Certificates = []tls.Certificate{d.Server}
	srv.StartTLS()
	defer srv.Close()
	cfg, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool})
	if err != nil {
		t.Fatal(err)
	}
	c := mustClient(t, tlsutil.ClientOptions{TLS: cfg, Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	if len(cfg.NextProtos) != 0 {
		t.Errorf("the caller's tls.Config NextProtos became %q", cfg.NextProtos)
	}
}

// TestClientSensitiveHeaders: API keys in custom headers are credentials too; listed in
// SensitiveHeaders they are dropped on a change of origin like Authorization, and kept on
// same-origin redirects.
func TestClientSensitiveHeaders(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("X-Api-Key")+"|"+r.Header.Get("Authorization")) // #nosec G705 -- test echo server on loopback, text/plain
	}
	other := newCountingServer(t, http.HandlerFunc(echo))
	origin := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/echo", http.StatusFound)
		default:
			echo(w, r)
		}
	}))
	creds := []string{"X-Api-Key", "k3y", "Authorization", "Bearer t0ken"}
	plain := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	if _, body, err := get(plain, origin.URL+"/away", creds...); err != nil || body != "k3y|" {
		t.Fatalf("without SensitiveHeaders: %q %v, want the API key forwarded (Go's behaviour)", body, err)
	}
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, SensitiveHeaders: []string{"x-api-key"}})
	if _, body, err := get(c, origin.URL+"/away", creds...); err != nil || body != "|" {
		t.Errorf("cross-origin redirect forwarded %q (%v), want neither the API key nor Authorization", body, err)
	}
	if _, body, err := get(c, origin.URL+"/here", creds...); err != nil || body != "k3y|Bearer t0ken" {
		t.Errorf("same-origin redirect = %q (%v), want both kept", body, err)
	}
	if _, err := tlsutil.NewClient(tlsutil.ClientOptions{SensitiveHeaders: []string{"X-Bad Name"}}); err == nil {
		t.Error("NewClient accepted an invalid header name in SensitiveHeaders")
	}
}

// TestReloadRejectsTruncatedPEM: a poll (or a SIGHUP Reload) that catches a certificate chain
// or CA bundle half written must not install what pem.Decode happened to read so far: a leaf
// without its intermediate, or a pool missing the CAs after the cut. The old files keep
// serving, and the complete files are installed once written.
func TestReloadRejectsTruncatedPEM(t *testing.T) {
	d := dev(t)
	_, leafPEM, keyPEM := pairPEM(t, d)
	chain := append(append([]byte{}, leafPEM...), pemCA(d)...)
	otherCA, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	bundle := append(append([]byte{}, pemCA(d)...), pemCA(otherCA)...)
	p := newPairFiles(t, chain, keyPEM)
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	writeFile(t, caFile, bundle)
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{ClientCAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := len(r.Certificate().Certificate); n != 2 {
		t.Fatalf("initial chain has %d certificates, want 2", n)
	}
	for _, tc := range []struct {
		name       string
		file       string
		whole, cut []byte
	}{
		{"chain cut in the intermediate", p.cert, chain, chain[:len(leafPEM)+len(pemCA(d))/2]},
		{"chain with a corrupt intermediate", p.cert, chain, append(append([]byte{}, leafPEM...),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})...)},
		{"CA bundle cut in the second CA", caFile, bundle, bundle[:len(pemCA(d))+len(pemCA(otherCA))/2]},
	} {
		writeFile(t, tc.file, tc.cut)
		if err := r.Reload(); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
			t.Errorf("%s: Reload() = %v, want ErrInvalidCertificate", tc.name, err)
		}
		if changed, err := r.ReloadIfChanged(); changed || err != nil {
			t.Errorf("%s: ReloadIfChanged() right after = %v, %v; want no new attempt", tc.name, changed, err)
		}
		if n := len(r.Certificate().Certificate); n != 2 {
			t.Errorf("%s: the chain in service has %d certificates, want the old 2", tc.name, n)
		}
		if r.ClientCAs() == nil || !r.ClientCAs().Equal(poolOf(d, otherCA)) {
			t.Errorf("%s: the client CA pool in service changed", tc.name)
		}
		writeFile(t, tc.file, tc.whole)
		if changed, err := r.ReloadIfChanged(); !changed || err != nil {
			t.Errorf("%s: ReloadIfChanged() once complete = %v, %v; want true, nil", tc.name, changed, err)
		}
	}
}

func poolOf(ds ...*tlsutil.Dev) *x509.CertPool {
	p := x509.NewCertPool()
	for _, d := range ds {
		p.AddCert(d.CA)
	}
	return p
}

// TestCheckGODEBUGRaisedLimits: raising a parsing limit above its default weakens it as much
// as removing it (httpcookiemaxnum=1000000 was not reported, only =0), and the switch that
// turns off html/template's meta-URL filter was missing.
func TestCheckGODEBUGRaisedLimits(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"httpcookiemaxnum=1000000", []string{"httpcookiemaxnum=1000000@GODEBUG"}},
		{"httpcookiemaxnum=100", nil},  // stricter than the default 3000
		{"httpcookiemaxnum=lots", nil}, // ignored by net/http
		{"urlmaxqueryparams=20000", []string{"urlmaxqueryparams=20000@GODEBUG"}},
		{"urlmaxqueryparams=0", []string{"urlmaxqueryparams=0@GODEBUG"}},
		{"urlmaxqueryparams=10000", nil},
		{"multipartmaxparts=5000,multipartmaxheaders=100000", []string{"multipartmaxheaders=100000@GODEBUG", "multipartmaxparts=5000@GODEBUG"}},
		{"multipartmaxparts=0,multipartmaxheaders=500", nil}, // 0 parts is stricter, not unlimited
		{"urlstrictcolons=0", nil},                           // the default of every go 1.25 module: reporting it would stop them all
		{"htmlmetacontenturlescape=0", []string{"htmlmetacontenturlescape=0@GODEBUG"}},
	} {
		if got := names(tlsutil.CheckGODEBUGValues("", tc.env)); !slices.Equal(got, tc.want) {
			t.Errorf("CheckGODEBUGValues(%q) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestMaxConnsSurvivesFailedHandshakes: with MaxConns 1, connections that fail the TLS
// handshake (garbage, or silence until the handshake deadline) must give their slot back.
func TestMaxConnsSurvivesFailedHandshakes(t *testing.T) {
	o := tlsServerOptions(t)
	o.MaxConns = 1
	o.ReadHeaderTimeout = 200 * time.Millisecond // also the handshake deadline
	s, err := tlsutil.NewServer(okHandler(), o)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServer(t, s, true)
	for i := range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n") // not a ClientHello
		} // else: say nothing, and let the handshake deadline pass
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, c) // until the server closes it
		_ = c.Close()
	}
	cl := httpsClient(t)
	cl.Timeout = 5 * time.Second
	resp, err := cl.Get("https://" + addr + "/")
	if err != nil {
		t.Fatalf("request after failed handshakes = %v, want the slot back", err)
	}
	_ = resp.Body.Close()
}

// TestSlowBodyCutByReadTimeout: a client that sends its headers at once and then the body
// one byte at a time (slow POST / R-U-Dead-Yet) is cut off by ReadTimeout.
func TestSlowBodyCutByReadTimeout(t *testing.T) {
	o := tlsServerOptions(t)
	o.ReadTimeout = 300 * time.Millisecond
	bodyErr := make(chan error, 1)
	s, err := tlsutil.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		bodyErr <- err
	}), o)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := startServer(t, s, true)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: dev(t).Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range 1000 {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if _, err := conn.Write([]byte{'x'}); err != nil {
				return
			}
		}
	}()
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Fatal("the handler read the whole slow body; want ReadTimeout to cut it")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the slow body was not cut off within 10s")
	}
}

// TestServerAndReloaderLeaveNoGoroutines: after ServeTLS returns (context cancelled) and
// Reloader.Run returns (Close), the goroutine count is back where it started.
func TestServerAndReloaderLeaveNoGoroutines(t *testing.T) {
	cl := httpsClient(t)
	check := testenv.CheckGoroutines(t)
	_, certPEM, keyPEM := pairPEM(t, dev(t))
	p := newPairFiles(t, certPEM, keyPEM)
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run(context.Background()) }()
	s, err := tlsutil.NewServer(okHandler(), tlsutil.ServerOptions{TLS: r.ServerConfig(tlsutil.Modern), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop := startServer(t, s, true)
	for range 3 {
		resp, err := cl.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if err := stop(); err != nil {
		t.Fatalf("ServeTLS = %v", err)
	}
	_ = r.Close()
	if err := <-ran; err != nil {
		t.Fatalf("Run = %v", err)
	}
	cl.CloseIdleConnections()
	check()
}

// TestClientBodyCapGzipBomb: Transport's transparent gzip decoding hands the client the
// decompressed stream, and the cap applies to that, not to the few compressed bytes.
func TestClientBodyCapGzipBomb(t *testing.T) {
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, 8<<20))
	_ = zw.Close()
	srv := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(bomb.Len())) // far below the cap
		_, _ = w.Write(bomb.Bytes())
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, MaxResponseBytes: 64 << 10})
	_, body, err := get(c, srv.URL)
	if !errors.Is(err, tlsutil.ErrResponseTooLarge) || len(body) > 64<<10 {
		t.Errorf("gzip bomb (%d compressed bytes): read %d bytes, %v; want ErrResponseTooLarge within the cap", bomb.Len(), len(body), err)
	}
}

// TestClientSOCKS5ProxyDefaultPort: a socks5 proxy URL without a port means port 1080, as
// http.Transport dials it; the exemption for the proxy's own address must match that, or
// the connection to a proxy on a private address is refused by the guard.
func TestClientSOCKS5ProxyDefaultPort(t *testing.T) {
	// The target stays on loopback (allowed), and so does the proxy, on an address the guard
	// does not allow: only the proxy exemption lets the client reach it.
	for _, proxy := range []string{"socks5://127.0.0.3", "socks5h://127.0.0.3"} {
		pu, _ := url.Parse(proxy)
		c := mustClient(t, tlsutil.ClientOptions{Proxy: pu, DialTimeout: 2 * time.Second, Guard: &tlsutil.Guard{Allow: loopbackOnly}})
		_, _, err := get(c, "http://127.0.0.1:1/")
		if err == nil {
			t.Fatalf("GET through %s succeeded; nothing should listen on 127.0.0.3:1080", proxy)
		}
		if errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("GET through %s = %v: the guard blocked the proxy itself", proxy, err)
		}
	}
}

// TestPinOfMatchesOpenSSL computes the pin-sha256 of RFC 7469 independently, with the OpenSSL
// pipeline ParsePin documents, for an ECDSA and an RSA key.
func TestPinOfMatchesOpenSSL(t *testing.T) {
	openssl := testenv.LookPath(t, "openssl")
	for _, c := range []tls.Certificate{dev(t).Server, rsaCert(t)} {
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Raw})
		run := func(in []byte, args ...string) []byte {
			cmd := exec.Command(openssl, args...) // #nosec G204 -- openssl from PATH with fixed arguments
			cmd.Stdin = bytes.NewReader(in)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("openssl %v: %v", args, err)
			}
			return out
		}
		pub := run(certPEM, "x509", "-pubkey", "-noout")
		der := run(pub, "pkey", "-pubin", "-outform", "der")
		digest := run(der, "dgst", "-sha256", "-binary")
		want := "sha256/" + base64.StdEncoding.EncodeToString(digest)
		if got := tlsutil.PinOf(c.Leaf).String(); got != want {
			t.Errorf("PinOf(%T key) = %s, OpenSSL says %s", c.Leaf.PublicKey, got, want)
		}
	}
}

// TestReloadRetriesNotYetValid: a renewed certificate written before its NotBefore (clock
// skew between the CA and this host, or a pre-staged renewal) is refused, but must be
// installed once it becomes valid. ReloadIfChanged remembered the rejected content and never
// looked at it again, so the old certificate served on until it expired.
func TestReloadRetriesNotYetValid(t *testing.T) {
	_, aCert, aKey := pairPEM(t, dev(t))
	p := newPairFiles(t, aCert, aKey)
	start := mustLeaf(t, aCert).NotBefore.Add(10 * time.Minute)
	future, futureCert, futureKey := selfSigned(t, start.Add(time.Hour), start.Add(48*time.Hour))
	var now atomic.Pointer[time.Time]
	now.Store(&start)
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: func() time.Time { return *now.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p.cert, futureCert)
	writeFile(t, p.key, futureKey)
	if err := r.Reload(); !errors.Is(err, tlsutil.ErrInvalidCertificate) { // e.g. from SIGHUP
		t.Fatalf("Reload() before NotBefore = %v, want ErrInvalidCertificate", err)
	}
	if changed, err := r.ReloadIfChanged(); !changed || !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Fatalf("ReloadIfChanged() before NotBefore = %v, %v; want true, ErrInvalidCertificate", changed, err)
	}
	later := start.Add(2 * time.Hour)
	now.Store(&later)
	if changed, err := r.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("ReloadIfChanged() after NotBefore = %v, %v; want true, nil", changed, err)
	}
	if !r.Certificate().Leaf.Equal(future) {
		t.Error("the certificate that became valid is not served")
	}
	if changed, _ := r.ReloadIfChanged(); changed {
		t.Error("ReloadIfChanged() reports a change once the pair is installed")
	}
}

// selfSigned returns a self-signed ECDSA certificate for localhost valid from notBefore to
// notAfter, and its PEM-encoded certificate and key.
func selfSigned(t *testing.T, notBefore, notAfter time.Time) (*x509.Certificate, []byte, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), DNSNames: []string{"localhost"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := tlsutil.MarshalPEM(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	return leaf, certPEM, keyPEM
}

// TestClientRedirectToInternalBlocked: an allowed server that redirects to an internal
// address, in any spelling, does not get the client there: every hop is dialled through the
// guard.
func TestClientRedirectToInternalBlocked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		testenv.Skip(t, "no 127.0.0.2 on this host: %v", err)
	}
	internal := httptest.NewUnstartedServer(okHandler())
	_ = internal.Listener.Close()
	internal.Listener = ln
	var conns atomic.Int64
	internal.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	internal.Start()
	defer internal.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	targets := []string{
		"http://127.0.0.2:" + port + "/", "http://2130706434:" + port + "/", "http://0x7f000002:" + port + "/",
		"http://[::ffff:127.0.0.2]:" + port + "/", "http://127.2:" + port + "/",
	}
	redirector := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound) // #nosec G710 -- a deliberate open redirector on loopback: the attack under test
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}, DialTimeout: 2 * time.Second})
	for _, to := range targets {
		_, _, err := get(c, redirector.URL+"/?to="+url.QueryEscape(to))
		if !errors.Is(err, tlsutil.ErrBlocked) {
			t.Errorf("redirect to %s = %v, want ErrBlocked", to, err)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("the internal server accepted %d connections, want 0", n)
	}
}

// TestRedirectHTTPSBracketedIPv6WithoutPort: "Host: [::1]" (port 80 left out, as browsers
// send it) is the IPv6 host ::1; it was looked up with its brackets and refused with 400.
// Hosts may be configured with or without brackets.
func TestRedirectHTTPSBracketedIPv6WithoutPort(t *testing.T) {
	for _, hosts := range [][]string{{"::1"}, {"[::1]"}} {
		h := tlsutil.RedirectHTTPS(hosts, 0)
		for _, host := range []string{"[::1]", "[::1]:80"} {
			r := httptest.NewRequest(http.MethodGet, "http://placeholder/p", nil)
			r.Host = host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != "https://[::1]/p" {
				t.Errorf("hosts %q, Host %s: %d %q, want 308 https://[::1]/p", hosts, host, w.Code, w.Header().Get("Location"))
			}
		}
	}
}

// TestClientCloseIdleConnections: http.Client.CloseIdleConnections reaches the transport only
// if the client's RoundTripper has that method; the body-capping wrapper hid it, so idle
// keep-alive connections (and their goroutines) stayed open until IdleConnTimeout.
func TestClientCloseIdleConnections(t *testing.T) {
	closed := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(okHandler())
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := tlsutil.NewClient(tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(c, srv.URL); err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the idle keep-alive connection is still open after CloseIdleConnections")
	}
}

// TestClientRedirectRefererOriginOnly: Go's client sends the previous URL, query included,
// as Referer to the next hop, so a redirect to another origin leaked tokens in the URL
// (https://api/callback?code=...). Across origins the client now sends only the origin, as
// browsers do under strict-origin-when-cross-origin; within one origin, the full URL.
func TestClientRedirectRefererOriginOnly(t *testing.T) {
	other := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get("Referer")) // #nosec G705 -- test echo server on loopback, text/plain
	}))
	first := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/echo", http.StatusFound)
		default:
			_, _ = io.WriteString(w, r.Header.Get("Referer")) // #nosec G705 -- test echo server on loopback, text/plain
		}
	}))
	c := mustClient(t, tlsutil.ClientOptions{Guard: &tlsutil.Guard{Allow: loopbackOnly}})
	if _, ref, err := get(c, first.URL+"/away?code=s3cret"); err != nil || ref != first.URL+"/" {
		t.Errorf("cross-origin redirect sent Referer %q (%v), want %q", ref, err, first.URL+"/")
	}
	if _, ref, err := get(c, first.URL+"/away?code=s3cret", "Referer", "https://app.example/page?session=s3cret"); err != nil || strings.Contains(ref, "s3cret") {
		t.Errorf("cross-origin redirect sent an explicit Referer as %q (%v), want no path or query", ref, err)
	}
	if _, ref, err := get(c, first.URL+"/here?code=abc"); err != nil || ref != first.URL+"/here?code=abc" {
		t.Errorf("same-origin redirect sent Referer %q (%v), want the full URL", ref, err)
	}
}

// TestZeroReloaderFailsClosed: a Reloader used without NewReloader (a zero value embedded in
// a struct, say) failed every handshake with a nil-pointer panic, and Close panicked on a
// nil channel. It now fails the handshake with ErrInvalidCertificate.
func TestZeroReloaderFailsClosed(t *testing.T) {
	var r tlsutil.Reloader
	if c, err := r.GetCertificate(&tls.ClientHelloInfo{}); c != nil || !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("GetCertificate() = %v, %v; want nil, ErrInvalidCertificate", c, err)
	}
	if c, err := r.GetClientCertificate(&tls.CertificateRequestInfo{}); c != nil || !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("GetClientCertificate() = %v, %v; want nil, ErrInvalidCertificate", c, err)
	}
	if r.Certificate() != nil || r.ClientCAs() != nil || r.DaysToExpiry() >= 0 {
		t.Errorf("Certificate, ClientCAs, DaysToExpiry = %v, %v, %d", r.Certificate(), r.ClientCAs(), r.DaysToExpiry())
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	// Over a real handshake: refused, not crashed.
	cfg := r.ServerConfig(tlsutil.Modern)
	cli, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev(t).Pool, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, cli, cfg); err == nil {
		t.Error("a handshake with a zero Reloader succeeded")
	}
}
