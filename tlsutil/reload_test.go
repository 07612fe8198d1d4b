package tlsutil_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// pairPEM returns the PEM encoding of a fresh localhost certificate from d.
func pairPEM(t *testing.T, d *tlsutil.Dev) (tls.Certificate, []byte, []byte) {
	t.Helper()
	c, err := d.ServerCertificate("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := tlsutil.MarshalPEM(c)
	if err != nil {
		t.Fatal(err)
	}
	return c, certPEM, keyPEM
}

type pairFiles struct{ cert, key string }

func newPairFiles(t *testing.T, certPEM, keyPEM []byte) pairFiles {
	dir := t.TempDir()
	p := pairFiles{filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")}
	writeFile(t, p.cert, certPEM)
	writeFile(t, p.key, keyPEM)
	return p
}

// atomicWrite writes b beside name and renames it over name.
func atomicWrite(t *testing.T, name string, b []byte) {
	t.Helper()
	tmp := name + ".tmp"
	writeFile(t, tmp, b)
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

func serving(t *testing.T, r *tlsutil.Reloader) *tls.Certificate {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sameCert(a *tls.Certificate, b tls.Certificate) bool { return a.Leaf.Equal(b.Leaf) }

func TestReloadSwaps(t *testing.T) {
	d := dev(t)
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, p pairFiles, certPEM, keyPEM []byte)
	}{
		{"in place", func(t *testing.T, p pairFiles, certPEM, keyPEM []byte) {
			writeFile(t, p.cert, certPEM)
			writeFile(t, p.key, keyPEM)
		}},
		{"atomic rename", func(t *testing.T, p pairFiles, certPEM, keyPEM []byte) {
			atomicWrite(t, p.cert, certPEM)
			atomicWrite(t, p.key, keyPEM)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, aCert, aKey := pairPEM(t, d)
			b, bCert, bKey := pairPEM(t, d)
			p := newPairFiles(t, aCert, aKey)
			r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !sameCert(serving(t, r), a) {
				t.Fatal("NewReloader does not serve the initial pair")
			}
			if changed, err := r.ReloadIfChanged(); changed || err != nil {
				t.Errorf("ReloadIfChanged() without a change = %v, %v; want false, nil", changed, err)
			}
			tc.write(t, p, bCert, bKey)
			if changed, err := r.ReloadIfChanged(); !changed || err != nil {
				t.Fatalf("ReloadIfChanged() after %s = %v, %v; want true, nil", tc.name, changed, err)
			}
			if !sameCert(serving(t, r), b) || !sameCert(r.Certificate(), b) {
				t.Error("the new pair is not served")
			}
			if changed, _ := r.ReloadIfChanged(); changed {
				t.Error("ReloadIfChanged() reports a change twice")
			}
		})
	}
}

// TestReloadSymlinkSwap swaps a directory symlink the way Kubernetes updates secret volumes.
func TestReloadSymlinkSwap(t *testing.T) {
	d := dev(t)
	a, aCert, aKey := pairPEM(t, d)
	b, bCert, bKey := pairPEM(t, d)
	dir := t.TempDir()
	for name, files := range map[string][2][]byte{"v1": {aCert, aKey}, "v2": {bCert, bKey}} {
		if err := os.Mkdir(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, name, "tls.crt"), files[0])
		writeFile(t, filepath.Join(dir, name, "tls.key"), files[1])
	}
	link := func(target string) {
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(target, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	link("v1")
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := tlsutil.NewReloader(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), tlsutil.ReloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !sameCert(serving(t, r), a) {
		t.Fatal("initial pair not served")
	}
	link("v2")
	if changed, err := r.ReloadIfChanged(); !changed || err != nil || !sameCert(serving(t, r), b) {
		t.Errorf("after the symlink swap: ReloadIfChanged() = %v, %v; new pair served = %v", changed, err, sameCert(serving(t, r), b))
	}
}

func TestReloadRejectsBadPairs(t *testing.T) {
	d := dev(t)
	a, aCert, aKey := pairPEM(t, d)
	_, bCert, _ := pairPEM(t, d)
	_, _, cKey := pairPEM(t, d)
	for _, tc := range []struct {
		name       string
		cert, key  []byte
		removeCert bool
	}{
		{"mismatched key", bCert, cKey, false},
		{"garbage certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), aKey, false},
		{"empty files", nil, nil, false},
		{"key only", aKey, aKey, false},
		{"missing file", nil, aKey, true},
		{"oversized", make([]byte, 1<<20+1), aKey, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPairFiles(t, aCert, aKey)
			r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.removeCert {
				if err := os.Remove(p.cert); err != nil {
					t.Fatal(err)
				}
			} else {
				writeFile(t, p.cert, tc.cert)
				writeFile(t, p.key, tc.key)
			}
			if changed, err := r.ReloadIfChanged(); !changed || !errors.Is(err, tlsutil.ErrInvalidCertificate) {
				t.Errorf("ReloadIfChanged() = %v, %v; want true, ErrInvalidCertificate", changed, err)
			}
			if err := r.Reload(); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
				t.Errorf("Reload() = %v, want ErrInvalidCertificate", err)
			}
			if !sameCert(serving(t, r), a) {
				t.Error("the old pair no longer serves after a bad reload")
			}
			if _, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{}); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
				t.Errorf("NewReloader(bad files) = %v, want ErrInvalidCertificate", err)
			}
		})
	}
}

func TestReloadValidityAndExpiry(t *testing.T) {
	d := dev(t)
	a, aCert, aKey := pairPEM(t, d)
	p := newPairFiles(t, aCert, aKey)
	now := a.Leaf.NotBefore.Add(time.Minute)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{
		{a.Leaf.NotBefore.Add(time.Minute), 1}, // DevValidity plus 5 minutes of back-dating
		{a.Leaf.NotAfter.Add(-time.Hour), 0},
		{a.Leaf.NotAfter.Add(25 * time.Hour), -2}, // the second day after expiry
	} {
		set(tc.at)
		if got := r.DaysToExpiry(); got != tc.want {
			t.Errorf("DaysToExpiry() at NotAfter%+v = %d, want %d", tc.at.Sub(a.Leaf.NotAfter), got, tc.want)
		}
	}
	// An expired or not yet valid certificate is refused at (re)load time.
	for _, at := range []time.Time{a.Leaf.NotAfter.Add(time.Second), a.Leaf.NotBefore.Add(-time.Second)} {
		set(at)
		if err := r.Reload(); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
			t.Errorf("Reload() at %v = %v, want ErrInvalidCertificate", at, err)
		}
		if _, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: clock}); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
			t.Errorf("NewReloader at %v = %v, want ErrInvalidCertificate", at, err)
		}
	}
}

// TestReloadServes checks, over real handshakes, that a reloaded certificate is served to new
// connections and that a bad replacement leaves the last good one in service.
func TestReloadServes(t *testing.T) {
	d := dev(t)
	a, aCert, aKey := pairPEM(t, d)
	b, bCert, bKey := pairPEM(t, d)
	_, _, cKey := pairPEM(t, d)
	p := newPairFiles(t, aCert, aKey)
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, ServerName: "localhost"})
	served := func() tls.Certificate {
		cs, err := handshake(t, client, r.ServerConfig(tlsutil.Modern))
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		return tls.Certificate{Leaf: cs.PeerCertificates[0]}
	}
	if got := served(); !got.Leaf.Equal(a.Leaf) {
		t.Fatal("initial certificate not served")
	}
	atomicWrite(t, p.cert, bCert)
	atomicWrite(t, p.key, bKey)
	if _, err := r.ReloadIfChanged(); err != nil {
		t.Fatal(err)
	}
	if got := served(); !got.Leaf.Equal(b.Leaf) {
		t.Error("reloaded certificate not served")
	}
	writeFile(t, p.key, cKey) // a key that does not match
	if _, err := r.ReloadIfChanged(); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("ReloadIfChanged(mismatched key) = %v", err)
	}
	if got := served(); !got.Leaf.Equal(b.Leaf) {
		t.Error("a bad replacement took the last good certificate out of service")
	}
}

// TestReloadClientCAs rotates the client CA file of an mTLS server: clients of the old CA are
// refused afterwards, on fresh and on resumed sessions, and clients of the new CA accepted.
func TestReloadClientCAs(t *testing.T) {
	d := dev(t)
	_, aCert, aKey := pairPEM(t, d)
	p := newPairFiles(t, aCert, aKey)
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	oldCA, _ := tlsutil.NewDev()
	newCA, _ := tlsutil.NewDev()
	caPEM := func(x *tlsutil.Dev) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: x.CA.Raw})
	}
	writeFile(t, caFile, caPEM(oldCA))
	r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{ClientCAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if r.ClientCAs() == nil {
		t.Fatal("ClientCAs() = nil with a ClientCAFile")
	}
	srvCfg := r.ServerConfig(tlsutil.Intermediate)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
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
			_, _ = conn.Write([]byte("x"))
			_ = conn.Close()
		}
	}()
	oldClient, _ := oldCA.ClientCertificate("old")
	newClient, _ := newCA.ClientCertificate("new")
	cache := tls.NewLRUClientSessionCache(8)
	dial := func(cert tls.Certificate, cache tls.ClientSessionCache) (bool, error) {
		c, _ := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: d.Pool, ServerName: "localhost", Certificates: []tls.Certificate{cert}})
		c.ClientSessionCache = cache
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), c)
		if err != nil {
			return false, err
		}
		defer conn.Close()
		// TLS 1.3 reports a rejected client certificate on the first read.
		if _, err := io.ReadAll(conn); err != nil {
			return false, err
		}
		return conn.ConnectionState().DidResume, nil
	}
	if _, err := dial(oldClient, cache); err != nil {
		t.Fatalf("client of the current CA refused: %v", err)
	}
	if resumed, err := dial(oldClient, cache); err != nil || !resumed {
		t.Fatalf("second dial: resumed %v, %v; want a resumed session", resumed, err)
	}
	if _, err := dial(newClient, nil); err == nil {
		t.Fatal("client of a CA not yet in the pool accepted")
	}
	// Control: with both CAs in the new pool, the old client's session still resumes, so
	// the refusal below comes from the pool check, not from a lost session.
	atomicWrite(t, caFile, append(caPEM(oldCA), caPEM(newCA)...))
	if changed, err := r.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("ReloadIfChanged() after adding a CA = %v, %v", changed, err)
	}
	if resumed, err := dial(oldClient, cache); err != nil || !resumed {
		t.Fatalf("after adding a CA: resumed %v, %v; want a resumed session", resumed, err)
	}
	atomicWrite(t, caFile, caPEM(newCA))
	if changed, err := r.ReloadIfChanged(); !changed || err != nil {
		t.Fatalf("ReloadIfChanged() after the CA rotation = %v, %v", changed, err)
	}
	if _, err := dial(oldClient, cache); err == nil {
		t.Error("client of the removed CA accepted (resumed session) after the rotation")
	}
	if _, err := dial(oldClient, nil); err == nil {
		t.Error("client of the removed CA accepted (full handshake) after the rotation")
	}
	if _, err := dial(newClient, nil); err != nil {
		t.Errorf("client of the new CA refused: %v", err)
	}
	writeFile(t, caFile, []byte("no certificates here"))
	if _, err := r.ReloadIfChanged(); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("ReloadIfChanged(empty CA file) = %v, want ErrInvalidCertificate", err)
	}
	if _, err := dial(newClient, nil); err != nil {
		t.Errorf("a bad CA file took the last good pool out of service: %v", err)
	}
}

// TestReloadRun drives Run with synthetic time: a change is picked up on the next tick and
// reported through OnReload, and Close and context cancellation both stop Run.
func TestReloadRun(t *testing.T) {
	d := dev(t)
	_, aCert, aKey := pairPEM(t, d)
	b, bCert, bKey := pairPEM(t, d)
	_, _, cKey := pairPEM(t, d)
	p := newPairFiles(t, aCert, aKey)
	clock := func() time.Time { return b.Leaf.NotBefore.Add(time.Hour) } // the bubble's fake clock starts in 2000
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var reports []error
		r, err := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{
			Interval: time.Minute,
			Now:      clock,
			OnReload: func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() },
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- r.Run(context.Background()) }()
		writeFile(t, p.cert, bCert)
		writeFile(t, p.key, bKey)
		time.Sleep(time.Minute + time.Second) // fake time inside the bubble
		synctest.Wait()
		if !sameCert(serving(t, r), b) {
			t.Error("Run did not pick up the new pair")
		}
		writeFile(t, p.key, cKey)
		time.Sleep(2 * time.Minute) // two ticks: the bad pair is reported once
		synctest.Wait()
		mu.Lock()
		if len(reports) != 2 || reports[0] != nil || !errors.Is(reports[1], tlsutil.ErrInvalidCertificate) {
			t.Errorf("OnReload reports = %v, want [nil ErrInvalidCertificate]", reports)
		}
		mu.Unlock()
		_ = r.Close()
		if err := <-done; err != nil {
			t.Errorf("Run after Close = %v", err)
		}
		_ = r.Close() // idempotent

		r2, _ := tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: clock})
		if r2 != nil {
			t.Error("NewReloader accepted the mismatched pair")
		}
		writeFile(t, p.key, bKey)
		r2, err = tlsutil.NewReloader(p.cert, p.key, tlsutil.ReloadOptions{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { done <- r2.Run(ctx) }()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel = %v", err)
		}
	})
}

func pemCA(d *tlsutil.Dev) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.CA.Raw})
}
