//go:build unix

package tlsutil_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/tlsutil"
)

// TestReloadRefusesNonRegularFiles: opening a FIFO (or a /dev/fd pipe from process
// substitution) for reading blocks until a writer appears, and a pipe cannot be read twice;
// a Reloader pointed at one hung in NewReloader, or later in Run while holding its lock.
func TestReloadRefusesNonRegularFiles(t *testing.T) {
	_, certPEM, keyPEM := pairPEM(t, dev(t))
	p := newPairFiles(t, certPEM, keyPEM)
	fifo := filepath.Join(t.TempDir(), "cert.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		testenv.Skip(t, "mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := tlsutil.NewReloader(fifo, p.key, tlsutil.ReloadOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, tlsutil.ErrInvalidCertificate) {
			t.Errorf("NewReloader(fifo) = %v, want ErrInvalidCertificate", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("NewReloader(fifo) blocked") // the goroutine stays blocked in open; the test binary exits
	}
	if _, err := tlsutil.NewReloader(p.cert, "/dev/null", tlsutil.ReloadOptions{}); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("NewReloader(key /dev/null) = %v, want ErrInvalidCertificate", err)
	}
}

// TestReloadSymlinkLoop: a certificate path caught in a symlink loop fails with
// ErrInvalidCertificate instead of hanging or panicking.
func TestReloadSymlinkLoop(t *testing.T) {
	_, certPEM, keyPEM := pairPEM(t, dev(t))
	p := newPairFiles(t, certPEM, keyPEM)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.Symlink(b, a); err != nil {
		testenv.Skip(t, "symlink: %v", err)
	}
	if err := os.Symlink(a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := tlsutil.NewReloader(a, p.key, tlsutil.ReloadOptions{}); !errors.Is(err, tlsutil.ErrInvalidCertificate) {
		t.Errorf("NewReloader(symlink loop) = %v, want ErrInvalidCertificate", err)
	}
}
