//go:build unix

package secretbox_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

// TestReadKeyFileFIFO: a FIFO at the key path must be refused at once, not block the caller
// (opening a FIFO for reading waits for a writer).
func TestReadKeyFileFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "keys")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := secretbox.ReadKeyFile(fifo)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, secretbox.ErrInsecurePermissions) {
			t.Errorf("ReadKeyFile(FIFO) = %v, want ErrInsecurePermissions", err)
		}
	case <-time.After(20 * time.Second): // a watchdog, not a timing assumption: it should return at once
		t.Error("ReadKeyFile(FIFO) blocks waiting for a writer")
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil { // release it
			_ = w.Close()
		}
		t.Logf("after release: %v", <-done)
	}
}
