package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServesHTTPS starts the program on a free loopback port and checks that a client which
// trusts only the written development CA gets an answer over verified TLS.
func TestServesHTTPS(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	var stdout bytes.Buffer
	go func() {
		errc <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", dir}, &stdout, io.Discard, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-errc:
		t.Fatalf("run() = %v before listening", err)
	case <-time.After(30 * time.Second):
		t.Fatal("run() did not start listening within 30s")
	}

	caPEM, err := os.ReadFile(filepath.Join(dir, "dev-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("dev-ca.pem holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz over verified TLS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"ok"`)) {
		t.Errorf("GET /healthz = %d %q, want 200 with status ok", resp.StatusCode, body)
	}

	cancel()
	if err := <-errc; err != nil {
		t.Errorf("run() after cancel = %v, want nil", err)
	}
	if !bytes.Contains(stdout.Bytes(), []byte("listening on https://"+addr)) {
		t.Errorf("stdout = %q, want the URL it listens on", stdout.String())
	}
}
