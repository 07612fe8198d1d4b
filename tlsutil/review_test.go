package tlsutil_test

// Regression tests for the findings of the adversarial review of issue 13. Each test fails
// without the fix it names.

import (
	"errors"
	"net/http"
	"testing"

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
