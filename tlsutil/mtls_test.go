package tlsutil_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rampart-go/rampart/tlsutil"
)

// mtlsServer starts an HTTPS server with cfg whose handler prints the verified identity.
func mtlsServer(t *testing.T, cfg *tls.Config, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := tlsutil.ClientIdentity(r)
		if !ok {
			fmt.Fprint(w, "anonymous")
			return
		}
		fmt.Fprintf(w, "%s %v %d", id.CommonName, id.URIs, len(id.Chain))
	})
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func mtlsGet(t *testing.T, url string, certs ...tls.Certificate) (int, string, error) {
	t.Helper()
	c, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: dev(t).Pool, ServerName: "localhost", Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return resp.StatusCode, string(b), nil
}

func TestMutualTLS(t *testing.T) {
	d := dev(t)
	cfg := tlsutil.MutualServerConfig(tlsutil.Intermediate, d.Pool)
	cfg.Certificates = []tls.Certificate{d.Server}
	srv := mtlsServer(t, cfg, nil)

	alice, err := d.ClientCertificate("alice")
	if err != nil {
		t.Fatal(err)
	}
	code, body, err := mtlsGet(t, srv.URL, alice)
	if err != nil || code != 200 || body != "alice [spiffe://dev.local/alice] 2" {
		t.Errorf("GET with alice's certificate = %d %q %v, want 200 \"alice [spiffe://dev.local/alice] 2\"", code, body, err)
	}
	if _, _, err := mtlsGet(t, srv.URL); err == nil {
		t.Error("GET without a client certificate succeeded")
	}
	stranger, _ := tlsutil.NewDev()
	mallory, _ := stranger.ClientCertificate("mallory")
	if _, _, err := mtlsGet(t, srv.URL, mallory); err == nil {
		t.Error("GET with a certificate from another CA succeeded")
	}
}

func TestRequireClientCert(t *testing.T) {
	d := dev(t)
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{d.Server}
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	cfg.ClientCAs = d.Pool
	srv := mtlsServer(t, cfg, tlsutil.RequireClientCert)
	if code, _, err := mtlsGet(t, srv.URL); err != nil || code != http.StatusUnauthorized {
		t.Errorf("GET without a certificate = %d, %v; want 401", code, err)
	}
	bob, _ := d.ClientCertificate("bob")
	if code, body, err := mtlsGet(t, srv.URL, bob); err != nil || code != 200 || body != "bob [spiffe://dev.local/bob] 2" {
		t.Errorf("GET with bob's certificate = %d %q %v", code, body, err)
	}
	// Unverified certificates (RequireAnyClientCert) are not an identity.
	cfg2 := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg2.Certificates = []tls.Certificate{d.Server}
	cfg2.ClientAuth = tls.RequireAnyClientCert
	srv2 := mtlsServer(t, cfg2, tlsutil.RequireClientCert)
	stranger, _ := tlsutil.NewDev()
	mallory, _ := stranger.ClientCertificate("mallory")
	if code, _, err := mtlsGet(t, srv2.URL, mallory); err != nil || code != http.StatusUnauthorized {
		t.Errorf("GET with an unverified certificate = %d, %v; want 401", code, err)
	}
	// Plain HTTP has no identity.
	if _, ok := tlsutil.ClientIdentity(httptest.NewRequest("GET", "/", nil)); ok {
		t.Error("ClientIdentity(plain request) = true")
	}
}

func TestMutualServerConfigNilPool(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MutualServerConfig(nil pool) did not panic")
		}
	}()
	tlsutil.MutualServerConfig(tlsutil.Modern, nil)
}
