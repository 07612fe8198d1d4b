package secretbox

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteAtomicSyncFailure: a directory sync that fails after the rename is reported as
// ErrNotDurable (wrapping the cause), distinct from a write that never happened, and the file
// then already holds the new content. The failures are injected through writeAtomic's dirSync
// parameter.
func TestWriteAtomicSyncFailure(t *testing.T) {
	errFill := errors.New("injected write failure")
	errSync := errors.New("injected directory sync failure")
	tests := []struct {
		name       string
		fill, sync error
		want       error // the error returned, per errors.Is
		notDurable bool  // whether the error must wrap ErrNotDurable
		content    string
	}{
		{"success", nil, nil, nil, false, "new"},
		{"write fails", errFill, nil, errFill, false, "old"},
		{"directory sync fails", nil, errSync, errSync, true, "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, "file")
			if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			fill := func(w io.Writer) error {
				if _, err := io.WriteString(w, "new"); err != nil {
					return err
				}
				return tt.fill
			}
			sync := func(*os.Root) error { return tt.sync }
			err := writeAtomic(name, fill, sync)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("writeAtomic = %v, want %v", err, tt.want)
			}
			if got := errors.Is(err, ErrNotDurable); got != tt.notDurable {
				t.Errorf("writeAtomic = %v: errors.Is(err, ErrNotDurable) = %v, want %v", err, got, tt.notDurable)
			}
			if b, _ := os.ReadFile(name); string(b) != tt.content {
				t.Errorf("after writeAtomic = %v, the file holds %q, want %q", err, b, tt.content)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("temporary file %s left behind", e.Name())
				}
			}
		})
	}
}
