package tlsutil_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-go/rampart/tlsutil"
)

// A hardened HTTPS server with the Intermediate profile, and a verifying client. The
// development CA stands in for a real certificate; in production load yours with
// NewReloader.
func Example() {
	dev, err := tlsutil.NewDev() // tests and examples only
	if err != nil {
		log.Fatal(err)
	}
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{dev.Server}

	handler := tlsutil.Headers{}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto) // #nosec G705 -- text/plain body, the protocol name only
	}))
	srv, err := tlsutil.NewServer(handler, tlsutil.ServerOptions{TLS: cfg, Logger: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ctx, ln) }()

	tlsCfg, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev.Pool})
	client, _ := tlsutil.NewClient(tlsutil.ClientOptions{
		TLS:   tlsCfg,
		Guard: &tlsutil.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, // the local server
	})
	resp, err := client.Get("https://" + ln.Addr().String() + "/")
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body), resp.TLS.CurveID)
	fmt.Println(resp.Header.Get("Strict-Transport-Security"))

	client.CloseIdleConnections()
	stop() // graceful shutdown
	fmt.Println("shutdown:", <-done)
	// Output:
	// 200 hello over HTTP/2.0 X25519MLKEM768
	// max-age=63072000
	// shutdown: <nil>
}

func ExampleServerConfig() {
	cfg := tlsutil.ServerConfig(tlsutil.Modern)
	fmt.Println(tls.VersionName(cfg.MinVersion), cfg.CurvePreferences, cfg.NextProtos)
	// Output: TLS 1.3 [X25519MLKEM768 X25519 CurveP256 CurveP384] [h2 http/1.1]
}

// An outgoing client for user-supplied URLs (webhooks, link previews, image fetches): internal
// and cloud metadata addresses are refused at connect time, whatever the URL spells.
func ExampleNewClient() {
	client, err := tlsutil.NewClient(tlsutil.ClientOptions{MaxResponseBytes: 1 << 20})
	if err != nil {
		log.Fatal(err)
	}
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:127.0.0.1]/",
		"http://2130706433/", // 127.0.0.1 in decimal
	} {
		resp, err := client.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		var blocked *tlsutil.BlockedError
		if errors.As(err, &blocked) {
			fmt.Println(blocked.Reason)
		}
	}
	// Output:
	// cloud metadata
	// IPv4-mapped IPv6 of loopback
	// loopback
}

func ExampleGuard_Check() {
	g := tlsutil.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}} // an internal API
	for _, s := range []string{"10.1.2.3", "10.2.0.1", "64:ff9b::a9fe:a9fe", "2606:4700:4700::1111"} {
		fmt.Println(s, g.Check(netip.MustParseAddr(s)) == nil)
	}
	// Output:
	// 10.1.2.3 true
	// 10.2.0.1 false
	// 64:ff9b::a9fe:a9fe false
	// 2606:4700:4700::1111 true
}

// Mutual TLS: the server requires client certificates from its CA and handlers read the
// verified identity.
func ExampleMutualServerConfig() {
	dev, err := tlsutil.NewDev() // tests and examples only
	if err != nil {
		log.Fatal(err)
	}
	cfg := tlsutil.MutualServerConfig(tlsutil.Intermediate, dev.Pool)
	cfg.Certificates = []tls.Certificate{dev.Server}
	srv := httptest.NewUnstartedServer(tlsutil.RequireClientCert(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := tlsutil.ClientIdentity(r)
		fmt.Fprintf(w, "hello %s (%s)", id.CommonName, id.URIs[0])
	})))
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	alice, _ := dev.ClientCertificate("alice")
	for _, certs := range [][]tls.Certificate{{alice}, nil} {
		tlsCfg, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev.Pool, Certificates: certs})
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
		resp, err := client.Get(srv.URL)
		if err != nil {
			fmt.Println("refused without a client certificate")
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body))
	}
	// Output:
	// hello alice (spiffe://dev.local/alice)
	// refused without a client certificate
}

// Security headers site-wide, a per-route override, and the CSP nonce in a template.
func ExampleHeaders() {
	site := tlsutil.Headers{HSTSIncludeSubDomains: true}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<script nonce="%s">init()</script>`, tlsutil.Nonce(r)) // #nosec G705 -- the nonce is base64 from crypto/rand; real pages use html/template
	})
	api := site // derive route overrides from the site-wide value
	api.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"
	mux.Handle("/api/", api.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":true}`)
	})))
	h := site.Handler(mux)

	for _, path := range []string{"/", "/api/x"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "https://example.com"+path, nil))
		csp := w.Header().Get("Content-Security-Policy")
		fmt.Println(path, w.Header().Get("X-Frame-Options"), w.Header().Get("X-XSS-Protection"), strings.Contains(csp, "'nonce-"))
		fmt.Println(" ", w.Header().Get("Strict-Transport-Security"))
	}
	// Output:
	// / DENY 0 true
	//   max-age=63072000; includeSubDomains
	// /api/x DENY 0 false
	//   max-age=63072000; includeSubDomains
}

func ExampleCheckGODEBUGValues() {
	// What a binary whose go.mod says "go 1.21" runs with, plus one environment override.
	for _, w := range tlsutil.CheckGODEBUGValues("tls10server=1,tlsrsakex=1,tls3des=1", "tls3des=0,tlsmlkem=0") {
		fmt.Println(w.Name, w.Value, w.Source)
	}
	// Output:
	// tls10server 1 build
	// tlsmlkem 0 GODEBUG
	// tlsrsakex 1 build
}

// Refuse to start when the build or the environment weakens TLS.
func ExampleCheckGODEBUG() {
	if weak := tlsutil.CheckGODEBUG(); len(weak) > 0 {
		fmt.Fprintln(os.Stderr, "refusing to start:", weak)
		return
	}
	fmt.Println("GODEBUG ok")
	// Output: GODEBUG ok
}

// Serve certificates from files and pick up renewals (certbot, cert-manager) without a
// restart.
func ExampleNewReloader() {
	dir, _ := os.MkdirTemp("", "certs")
	defer os.RemoveAll(dir)
	dev, _ := tlsutil.NewDev() // stands in for your CA
	certPEM, keyPEM, _ := tlsutil.MarshalPEM(dev.Server)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, certPEM, 0o600)
	_ = os.WriteFile(keyFile, keyPEM, 0o600)

	r, err := tlsutil.NewReloader(certFile, keyFile, tlsutil.ReloadOptions{
		OnReload: func(err error) {
			if err != nil {
				slog.Warn("certificate reload failed; still serving the previous one", "err", err)
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }() // polls every 30s until ctx is done

	cfg := r.ServerConfig(tlsutil.Intermediate) // for tlsutil.ServerOptions.TLS
	fmt.Println(cfg.GetCertificate != nil, r.Certificate().Leaf.Subject.CommonName, r.DaysToExpiry() <= 1)
	// Output: true localhost true
}

func ExamplePinOf() {
	dev, _ := tlsutil.NewDev()
	pin := tlsutil.PinOf(dev.CA)                // pin your CA's key...
	backup, _ := tlsutil.ParsePin(pin.String()) // ...and, in real life, a backup key kept offline
	_, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{Pins: []tlsutil.Pin{pin, backup}})
	fmt.Println(errors.Is(err, tlsutil.ErrNoBackupPin))
	// Output: true
}
