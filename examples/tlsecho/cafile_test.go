package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultCAFile checks where the CA goes without -ca-out: a 0700 directory in the user's
// cache directory, which the client reads by default too.
func TestDefaultCAFile(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	want := filepath.Join(cache, caDirName, "ca.pem")
	if got := defaultCAFile(); got != want {
		t.Fatalf("defaultCAFile() = %q, want %q", got, want)
	}
	ts := startServerCA(t, "", nil)
	fi, err := os.Lstat(filepath.Dir(want))
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("CA directory: %v, %v; want a directory of mode 0700", fi, err)
	}
	if fi, err := os.Lstat(want); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("CA file: %v, %v; want a regular file", fi, err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"client", "-addr", ts.addr, "hi"}, nil, &out, &out, nil); err != nil || out.String() != "hi\n" {
		t.Errorf("client with the default CA: %v, output %q", err, out.String())
	}
	if !strings.Contains(ts.stdout.String(), want) {
		t.Errorf("server stdout %q does not name %s", ts.stdout.String(), want)
	}
}

// TestCAFileSymlink checks that a symbolic link planted where the CA goes is replaced, and the
// file it points to left alone: the old code wrote through it.
func TestCAFileSymlink(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, caDirName)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, caPath := range []string{"", filepath.Join(t.TempDir(), "ca.pem")} { // default and -ca-out
		link := caPath
		if link == "" {
			link = filepath.Join(dir, "ca.pem")
		}
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		ts := startServerCA(t, caPath, nil)
		if b, _ := os.ReadFile(victim); string(b) != "precious" {
			t.Fatalf("the file behind a planted symlink was overwritten: %q", b)
		}
		if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, %v; want the symlink replaced by a regular file", link, fi, err)
		}
		ts.stop(t)
		close(ts.done)
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(link), ".*tmp*"))
		if len(m) > 0 {
			t.Errorf("temporary files left: %v", m)
		}
	}
}

// TestCADirRefused checks that the server refuses a default CA directory that others can write
// to or that another user owns, and writes nothing into it.
func TestCADirRefused(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	dir := filepath.Join(cache, caDirName)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { //nolint:gosec // G302: the insecure mode under test
		t.Fatal(err)
	}
	args := []string{"server", "-addr", "127.0.0.1:0"}
	if err := run(context.Background(), args, nil, &lockedBuffer{}, &lockedBuffer{}, nil); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("server with a 0777 CA directory = %v, want a refusal", err)
	}
	if os.Getuid() == 0 {
		if err := os.Chmod(dir, 0o700); err != nil { //nolint:gosec // G302: a directory needs its x bit; 0700 is private
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), args, nil, &lockedBuffer{}, &lockedBuffer{}, nil); err == nil || !strings.Contains(err.Error(), "another user") {
			t.Errorf("server with a CA directory of another user = %v, want a refusal", err)
		}
	}
	if m, _ := os.ReadDir(dir); len(m) != 0 {
		t.Errorf("files written into a refused directory: %v", m)
	}
}

// TestCAFileRefused checks that the client refuses a CA file that others can write to or that
// another user owns (a planted CA), by default and with -ca.
func TestCAFileRefused(t *testing.T) {
	ts := startServer(t, nil)
	if err := os.Chmod(ts.caPath, 0o666); err != nil { //nolint:gosec // G302: the insecure mode under test
		t.Fatal(err)
	}
	client := []string{"client", "-addr", ts.addr, "-ca", ts.caPath, "hi"}
	if err := run(context.Background(), client, nil, &bytes.Buffer{}, &bytes.Buffer{}, nil); !errors.Is(err, errUntrustedCA) {
		t.Errorf("client with a 0666 CA file = %v, want errUntrustedCA", err)
	}
	if err := os.Chmod(ts.caPath, 0o644); err != nil { //nolint:gosec // G302: a CA certificate is public; 0644 is the mode the server writes
		t.Fatal(err)
	}
	if err := run(context.Background(), client, nil, &bytes.Buffer{}, &bytes.Buffer{}, nil); err != nil {
		t.Errorf("client with a 0644 CA file = %v", err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(ts.caPath, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if err := run(context.Background(), client, nil, &bytes.Buffer{}, &bytes.Buffer{}, nil); !errors.Is(err, errUntrustedCA) {
			t.Errorf("client with a CA file of another user = %v, want errUntrustedCA", err)
		}
	}
}
