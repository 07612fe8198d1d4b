package tlsutil_test

// Regression tests for the findings of the adversarial review of issue 13. Each test fails
// without the fix it names.

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

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
	if _, err := c.Get(srv.URL); !errors.Is(err, tlsutil.ErrResponseTooLarge) {
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
