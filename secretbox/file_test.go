package secretbox_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/secretbox"
)

func TestEncryptFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "data.bin")
	kr := mustKeyring(t, mustKey(t))
	pt := pattern(2*chunk + 3)
	if err := secretbox.EncryptFile(name, bytes.NewReader(pt), kr, []byte("data.bin")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode())
	}
	var out bytes.Buffer
	if err := secretbox.DecryptFile(name, &out, kr, []byte("data.bin")); err != nil || !bytes.Equal(out.Bytes(), pt) {
		t.Fatalf("DecryptFile = %d bytes, %v", out.Len(), err)
	}
	if err := secretbox.DecryptFile(name, io.Discard, kr, []byte("other")); !errors.Is(err, secretbox.ErrAuth) {
		t.Errorf("DecryptFile with the wrong ad = %v, want ErrAuth", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
	}

	// A failing source leaves the old file intact and no temporary behind.
	if err := secretbox.EncryptFile(name, io.MultiReader(bytes.NewReader(pt), iotestErr{}), kr, nil); !errors.Is(err, errSource) {
		t.Errorf("EncryptFile from a failing reader = %v", err)
	}
	out.Reset()
	if err := secretbox.DecryptFile(name, &out, kr, []byte("data.bin")); err != nil || !bytes.Equal(out.Bytes(), pt) {
		t.Errorf("old file damaged by a failed write: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed write left %d entries", len(entries))
	}

	// RewrapFile moves the file to a new primary without touching the body.
	newer := mustKeyring(t, mustKey(t), kr.Primary())
	before, _ := os.ReadFile(name)
	if err := secretbox.RewrapFile(name, newer, newer, []byte("data.bin")); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(name)
	if !bytes.Equal(before[keyringHeader:], after[keyringHeader:]) {
		t.Error("RewrapFile changed the body")
	}
	out.Reset()
	if err := secretbox.DecryptFile(name, &out, mustKeyring(t, newer.Primary()), []byte("data.bin")); err != nil || !bytes.Equal(out.Bytes(), pt) {
		t.Errorf("after RewrapFile, the new key alone: %v", err)
	}
	if err := secretbox.DecryptFile(filepath.Join(dir, "missing"), io.Discard, kr, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DecryptFile(missing) = %v", err)
	}
}

var errSource = errors.New("source failed")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errSource }

func TestKeyFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "keys")
	k := mustKey(t)
	if err := secretbox.WriteKeyFile(name, []byte(k.Encode()+"\n")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("WriteKeyFile mode = %v, want 0600", fi.Mode())
	}
	b, err := secretbox.ReadKeyFile(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := secretbox.ParseKeyring(string(b))
	if err != nil || r.Primary().ID() != k.ID() {
		t.Fatalf("ParseKeyring(ReadKeyFile) = %v, %v", r, err)
	}

	for _, mode := range []os.FileMode{0o640, 0o604, 0o620, 0o644, 0o666} {
		if err := os.Chmod(name, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := secretbox.ReadKeyFile(name); !errors.Is(err, secretbox.ErrInsecurePermissions) {
			t.Errorf("ReadKeyFile(mode %v) = %v, want ErrInsecurePermissions", mode, err)
		}
	}
	// Rewriting a too-open key file leaves it 0600.
	if err := secretbox.WriteKeyFile(name, []byte(k.Encode())); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.ReadKeyFile(name); err != nil {
		t.Errorf("ReadKeyFile after WriteKeyFile = %v", err)
	}
	if _, err := secretbox.ReadKeyFile(dir); !errors.Is(err, secretbox.ErrInsecurePermissions) {
		t.Errorf("ReadKeyFile(directory) = %v, want ErrInsecurePermissions", err)
	}
	big := filepath.Join(dir, "big")
	if err := secretbox.WriteKeyFile(big, make([]byte, 64<<10+1)); err != nil {
		t.Fatal(err)
	}
	if _, err := secretbox.ReadKeyFile(big); err == nil {
		t.Error("ReadKeyFile accepted a file over 64 KiB")
	}

	// A symlink at the target is replaced, never followed: the file it points to is untouched.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := secretbox.WriteKeyFile(link, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "untouched" {
		t.Errorf("the symlink's target was overwritten: %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink != 0 {
		t.Error("the symlink is still there")
	}
	if err := secretbox.WriteKeyFile(dir+"/", []byte("x")); err == nil {
		t.Error("WriteKeyFile to a directory path succeeded")
	}
}

// Environment of the SIGKILL helper process.
const (
	killHelperVar = "SECRETBOX_KILL_HELPER"
	killFileVar   = "SECRETBOX_KILL_FILE"
	killKeyVar    = "SECRETBOX_KILL_KEY"
	killStartVar  = "SECRETBOX_KILL_START"
)

// version returns the content of version v: a header naming v and its length, then a pattern
// derived from v, long enough (up to ~200 KiB) to span several chunks.
func version(v int) []byte {
	n := 1 + (v*7919)%(200<<10)
	var b bytes.Buffer
	fmt.Fprintf(&b, "version %d length %d\n", v, n)
	for i := range n {
		b.WriteByte(byte(v + i*31))
	}
	return b.Bytes()
}

// checkVersion reports whether b is one complete version.
func checkVersion(b []byte) (int, bool) {
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return 0, false
	}
	f := strings.Fields(string(line))
	if len(f) != 4 || f[0] != "version" {
		return 0, false
	}
	v, err := strconv.Atoi(f[1])
	if err != nil {
		return 0, false
	}
	return v, bytes.Equal(b, version(v))
}

// TestKillHelper is not a test: run by TestEncryptFileSurvivesSIGKILL as a child process, it
// encrypts new versions of a file in a loop until it is killed.
func TestKillHelper(t *testing.T) {
	if os.Getenv(killHelperVar) != "1" {
		t.Skip("helper process for TestEncryptFileSurvivesSIGKILL")
	}
	k, err := secretbox.ParseKey(os.Getenv(killKeyVar))
	if err != nil {
		t.Fatal(err)
	}
	kr := mustKeyring(t, k)
	v, _ := strconv.Atoi(os.Getenv(killStartVar))
	name := os.Getenv(killFileVar)
	out := bufio.NewWriter(os.Stdout)
	for ; ; v++ {
		fmt.Fprintf(out, "start %d\n", v)
		if err := out.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := secretbox.EncryptFile(name, bytes.NewReader(version(v)), kr, []byte("kill")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEncryptFileSurvivesSIGKILL(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs SIGKILL and subprocesses")
	}
	dir := t.TempDir()
	name := filepath.Join(dir, "state.enc")
	k := mustKey(t)
	kr := mustKeyring(t, k)
	if err := secretbox.EncryptFile(name, bytes.NewReader(version(0)), kr, []byte("kill")); err != nil {
		t.Fatal(err)
	}
	rounds := 24
	if raceEnabled {
		rounds = 10 // each race-instrumented child takes ~0.5 s to start
	}
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // reproducible kill timings, not a secret
	newest, killedMidWrite := 0, 0
	for round := range rounds {
		start := (round + 1) * 1000
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillHelper$", "-test.count=1") //nolint:gosec // re-executes this test binary
		cmd.Env = append(os.Environ(), killHelperVar+"=1", killFileVar+"="+name, killKeyVar+"="+k.Encode(),
			killStartVar+"="+strconv.Itoa(start))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let the child start between 1 and 4 writes, then kill it at a varied moment.
		lines := bufio.NewScanner(stdout)
		want := 1 + rng.IntN(4)
		for i := 0; i < want && lines.Scan(); i++ {
		}
		<-time.After(time.Duration(rng.IntN(2000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		var out bytes.Buffer
		if err := secretbox.DecryptFile(name, &out, kr, []byte("kill")); err != nil {
			t.Fatalf("round %d: after SIGKILL the file does not decrypt: %v", round, err)
		}
		v, ok := checkVersion(out.Bytes())
		if !ok {
			t.Fatalf("round %d: after SIGKILL the file holds an incomplete version (%d bytes)", round, out.Len())
		}
		if v < newest {
			t.Fatalf("round %d: the file went back from version %d to %d", round, newest, v)
		}
		if v != start+want-1 {
			killedMidWrite++ // the kill landed before the last started write was renamed
		}
		newest = v
	}
	if newest < 1000 {
		t.Errorf("the child never completed a write (newest version %d)", newest)
	}
	t.Logf("%d rounds, %d kills landed inside a write, newest version %d", rounds, killedMidWrite, newest)
	fi, err := os.Stat(name)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the kills = %v, %v; want 0600", fi.Mode(), err)
	}
}

// TestEncryptFileTargets backs the documented behaviour at unusual targets: a directory is
// refused with nothing changed and no temporary file left behind.
func TestEncryptFileTargets(t *testing.T) {
	dir := t.TempDir()
	kr := mustKeyring(t, mustKey(t))
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "inside"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := secretbox.EncryptFile(sub, bytes.NewReader([]byte("data")), kr, nil); err == nil {
		t.Error("EncryptFile over a directory succeeded")
	}
	if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
		t.Errorf("the directory was replaced: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries after a refused write, want 1 (no temporary left)", len(entries))
	}
	if err := secretbox.EncryptFile(filepath.Join(dir, "missing", "f"), bytes.NewReader(nil), kr, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("EncryptFile in a missing directory = %v, want ErrNotExist", err)
	}
}

// TestRewrapFileSymlink: RewrapFile through a symbolic link rewrites the file the link leads to
// (so the data ends up under the new key) and leaves the link in place, whether the link is
// absolute, relative or leads to another link.
func TestRewrapFileSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	oldKey, newKey := mustKey(t), mustKey(t)
	both := mustKeyring(t, newKey, oldKey)
	tests := []struct {
		name string
		link func(t *testing.T, dir, target string) string // makes the link, returns its path
	}{
		{"absolute", func(t *testing.T, dir, target string) string {
			return symlink(t, target, filepath.Join(dir, "abs"))
		}},
		{"relative", func(t *testing.T, dir, _ string) string {
			return symlink(t, filepath.Join("data", "secrets.enc"), filepath.Join(dir, "rel"))
		}},
		{"link to a link", func(t *testing.T, dir, target string) string {
			return symlink(t, symlink(t, target, filepath.Join(dir, "first")), filepath.Join(dir, "second"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "data", "secrets.enc")
			if err := os.Mkdir(filepath.Dir(target), 0o700); err != nil {
				t.Fatal(err)
			}
			pt := pattern(chunk + 5)
			if err := secretbox.EncryptFile(target, bytes.NewReader(pt), mustKeyring(t, oldKey), []byte("ad")); err != nil {
				t.Fatal(err)
			}
			link := tt.link(t, dir, target)
			dest, _ := os.Readlink(link)
			if err := secretbox.RewrapFile(link, both, both, []byte("ad")); err != nil {
				t.Fatalf("RewrapFile(%s) = %v", link, err)
			}
			var out bytes.Buffer
			if err := secretbox.DecryptFile(target, &out, mustKeyring(t, newKey), []byte("ad")); err != nil || !bytes.Equal(out.Bytes(), pt) {
				t.Errorf("DecryptFile(target, new key only) = %v, want the data under the new key", err)
			}
			switch fi, err := os.Lstat(link); {
			case err != nil:
				t.Errorf("after RewrapFile(%s), Lstat = %v; want the link left in place", link, err)
			case fi.Mode()&os.ModeSymlink == 0:
				t.Errorf("after RewrapFile(%s), Lstat = mode %v; want the link left in place", link, fi.Mode())
			default:
				if got, _ := os.Readlink(link); got != dest {
					t.Errorf("Readlink(%s) = %q, want %q", link, got, dest)
				}
			}
			for _, d := range []string{dir, filepath.Dir(target)} {
				entries, _ := os.ReadDir(d)
				for _, e := range entries {
					if strings.Contains(e.Name(), ".tmp-") {
						t.Errorf("temporary file %s left in %s", e.Name(), d)
					}
				}
			}
		})
	}
}

// symlink makes a symbolic link at link leading to target and returns link.
func symlink(t *testing.T, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestWriteLongNames: a file name too long for the usual temporary name (".<name>.tmp-" and 16
// hex digits, 22 bytes more) can still be written wherever os.WriteFile can write it: up to the
// 255 bytes most file systems allow.
func TestWriteLongNames(t *testing.T) {
	kr := mustKeyring(t, mustKey(t))
	for _, n := range []int{200, 233, 234, 240, 255} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			dir := t.TempDir()
			name := filepath.Join(dir, strings.Repeat("a", n))
			if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
				t.Skipf("this file system refuses a %d-byte name: %v", n, err)
			}
			if err := secretbox.WriteKeyFile(name, []byte("new")); err != nil {
				t.Errorf("WriteKeyFile(%d-byte name) = %v", n, err)
			} else if b, _ := os.ReadFile(name); string(b) != "new" {
				t.Errorf("after WriteKeyFile(%d-byte name), the file holds %q, want \"new\"", n, b)
			}
			if err := secretbox.EncryptFile(name, strings.NewReader("data"), kr, nil); err != nil {
				t.Errorf("EncryptFile(%d-byte name) = %v", n, err)
			}
			if err := secretbox.RewrapFile(name, kr, kr, nil); err != nil {
				t.Errorf("RewrapFile(%d-byte name) = %v", n, err)
			}
			var out bytes.Buffer
			if err := secretbox.DecryptFile(name, &out, kr, nil); err != nil || out.String() != "data" {
				t.Errorf("DecryptFile(%d-byte name) = %q, %v; want \"data\"", n, out.String(), err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the file (no temporary left)", len(entries))
			}
		})
	}
}
