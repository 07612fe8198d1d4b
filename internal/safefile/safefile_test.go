package safefile_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/rampart-go/rampart/internal/safefile"
)

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ca.pem")
	for _, content := range []string{"first", "second, longer than the first", ""} {
		if err := safefile.Replace(path, []byte(content), 0o600); err != nil {
			t.Fatalf("Replace(%q): %v", content, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("after Replace(%q): read %q, %v", content, got, err)
		}
		if runtime.GOOS != "windows" {
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("mode after Replace = %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v, %v; want the file alone (no temporary left)", entries, err)
	}
}

// TestReplaceSymlink: a symbolic link planted at the path is replaced, and its target is left
// as it was.
func TestReplaceSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ca.pem")
	if err := os.Symlink(target, path); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := safefile.Replace(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target now holds %q", b)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("path is still a link: %v, %v", fi, err)
	}
}

// TestReplaceFails: when the file cannot be written, path keeps its content and no temporary
// file is left.
func TestReplaceFails(t *testing.T) {
	if err := safefile.Replace(filepath.Join(t.TempDir(), "missing", "f"), []byte("x"), 0o600); err == nil {
		t.Error("Replace into a missing directory succeeded")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.Mkdir(path, 0o700); err != nil { // a directory cannot be renamed over
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(path, "inside"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := safefile.Replace(path, []byte("x"), 0o600); err == nil {
		t.Error("Replace over a non-empty directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %v after a failed Replace; want the original alone", entries)
	}
}

func TestCheckPrivate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("CheckPrivate checks nothing outside Unix")
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		mode os.FileMode
		want error
	}{{0o600, nil}, {0o644, nil}, {0o700, nil}, {0o620, safefile.ErrWritable}, {0o602, safefile.ErrWritable}} {
		path := filepath.Join(dir, tc.mode.String())
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := safefile.CheckPrivate(fi); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("CheckPrivate(mode %v) = %v, want %v", tc.mode, err, tc.want)
		}
	}
	// A file of another user: as root, one given to nobody (65534); otherwise root's /.
	other := "/"
	if os.Geteuid() == 0 {
		other = filepath.Join(dir, "nobody")
		if err := os.WriteFile(other, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := safefile.CheckPrivate(fi); !errors.Is(err, safefile.ErrNotOwner) {
		t.Errorf("CheckPrivate(%s) = %v, want ErrNotOwner", other, err)
	}
}
