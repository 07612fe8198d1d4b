package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/secretbox"
)

// testEnv returns an environment without a terminal, with a cheap KDF (the default, 64 MiB and
// three passes, is slow under the race detector), capturing stderr.
func testEnv(vars map[string]string, stdin string) (environment, *bytes.Buffer) {
	var stderr bytes.Buffer
	return environment{
		stdin: strings.NewReader(stdin), stdout: &bytes.Buffer{}, stderr: &stderr,
		getenv:       func(k string) string { return vars[k] },
		readPassword: func(context.Context) ([]byte, error) { return nil, errors.New("no terminal") },
		kdf:          secretbox.KDF{Memory: 8 << 10, Time: 1, Threads: 1},
	}, &stderr
}

func newPassphrase(t *testing.T) string {
	t.Helper()
	p, _, err := auth.GeneratePassphrase(5, " ")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeRandom writes n random bytes to a new file in dir and returns its path and content.
func writeRandom(t *testing.T, dir string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	path := filepath.Join(dir, "plain.bin")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, b
}

// noTempFiles fails if a temporary file was left in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(m) > 0 {
		t.Errorf("temporary files left behind: %v", m)
	}
}

// TestRoundTrip encrypts and decrypts a multi-MiB file (not a multiple of the 64 KiB chunk) with
// the passphrase from each source, and checks the output and its mode.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	pass := newPassphrase(t)
	for _, src := range []string{"file", "env", "stdin", "terminal"} {
		t.Run(src, func(t *testing.T) {
			dir := t.TempDir()
			in, plain := writeRandom(t, dir, 5<<20+12345)
			enc, dec := filepath.Join(dir, "plain.bin.enc"), filepath.Join(dir, "plain.out")
			vars, stdin, args := map[string]string{}, "", []string{}
			switch src {
			case "file":
				pf := filepath.Join(dir, "pass.txt")
				if err := os.WriteFile(pf, []byte(pass+"\r\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				args = []string{"-passphrase-file", pf}
			case "env":
				vars[envPassphrase] = pass
			case "stdin":
				stdin = pass + "\n"
			}
			mkEnv := func() environment {
				env, _ := testEnv(vars, stdin)
				if src == "terminal" {
					env.stdinTerminal = true
					env.readPassword = func(context.Context) ([]byte, error) { return []byte(pass), nil }
				}
				return env
			}
			if err := run(ctx, append(append([]string{"encrypt"}, args...), in, enc), mkEnv()); err != nil {
				t.Fatalf("encrypt: %v", err)
			}
			ct, err := os.ReadFile(enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(ct) <= len(plain) || bytes.Contains(ct, plain[:4096]) {
				t.Errorf("ciphertext of %d bytes for %d of plaintext, or holds the plaintext", len(ct), len(plain))
			}
			if fi, _ := os.Stat(enc); fi.Mode().Perm() != 0o600 {
				t.Errorf("encrypted file mode = %v, want 0600", fi.Mode().Perm())
			}
			if err := run(ctx, append(append([]string{"decrypt"}, args...), enc, dec), mkEnv()); err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			got, err := os.ReadFile(dec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, plain) {
				t.Errorf("decrypted %d bytes, differing from the %d encrypted", len(got), len(plain))
			}
			noTempFiles(t, dir)
		})
	}
}

// TestTerminalConfirmation checks that encryption asks twice and refuses different answers.
func TestTerminalConfirmation(t *testing.T) {
	dir := t.TempDir()
	in, _ := writeRandom(t, dir, 100)
	env, _ := testEnv(nil, "")
	env.stdinTerminal = true
	answers := []string{newPassphrase(t), newPassphrase(t)}
	env.readPassword = func(context.Context) ([]byte, error) {
		a := answers[0]
		answers = answers[1:]
		return []byte(a), nil
	}
	err := run(context.Background(), []string{"encrypt", in, filepath.Join(dir, "out")}, env)
	if err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("encrypt with two different answers = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Error("an output was written")
	}
}

// TestRefusals checks overwrite protection, weak and empty passphrases, wrong passphrases,
// tampering and truncation; none may leave an output or a temporary file.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in, plain := writeRandom(t, dir, 3<<20)
	pass := newPassphrase(t)
	vars := map[string]string{envPassphrase: pass}
	env := func() environment { e, _ := testEnv(vars, ""); return e }
	enc := filepath.Join(dir, "x.enc")
	if err := run(ctx, []string{"encrypt", in, enc}, env()); err != nil {
		t.Fatal(err)
	}
	ct, _ := os.ReadFile(enc)

	// No overwrite without -force, for either direction; -force overwrites.
	if err := run(ctx, []string{"encrypt", in, enc}, env()); err == nil || !strings.Contains(err.Error(), "-force") {
		t.Errorf("encrypt over an existing file = %v, want a refusal naming -force", err)
	}
	if now, _ := os.ReadFile(enc); !bytes.Equal(now, ct) {
		t.Error("the refused encryption changed the existing file")
	}
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"decrypt", enc, existing}, env()); err == nil {
		t.Error("decrypt over an existing file without -force = nil error")
	}
	if err := run(ctx, []string{"decrypt", "-force", enc, existing}, env()); err != nil {
		t.Errorf("decrypt -force = %v", err)
	} else if got, _ := os.ReadFile(existing); !bytes.Equal(got, plain) {
		t.Error("decrypt -force did not write the plaintext")
	}
	if err := run(ctx, []string{"encrypt", "-force", in, in}, env()); err == nil {
		t.Error("encrypt IN onto itself = nil error")
	}

	// Weak or empty passphrases are refused when encrypting.
	for _, weak := range []string{"password", "12345678", "short", "encryptfile2024"} {
		e, _ := testEnv(map[string]string{envPassphrase: weak}, "")
		if err := run(ctx, []string{"encrypt", in, filepath.Join(dir, "weak")}, e); err == nil {
			t.Errorf("encrypt with passphrase %q = nil error", weak)
		}
	}
	e, _ := testEnv(nil, "\n")
	if err := run(ctx, []string{"encrypt", in, filepath.Join(dir, "empty")}, e); err == nil {
		t.Error("encrypt with an empty passphrase = nil error")
	}

	// Decryption failures: wrong passphrase, a flipped byte anywhere, truncation, extension.
	out := filepath.Join(dir, "out")
	wrong, _ := testEnv(map[string]string{envPassphrase: newPassphrase(t)}, "")
	if err := run(ctx, []string{"decrypt", enc, out}, wrong); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("decrypt with the wrong passphrase = %v", err)
	}
	for name, damaged := range map[string][]byte{
		"header byte":    flip(ct, 20),
		"middle byte":    flip(ct, len(ct)/2),
		"last byte":      flip(ct, len(ct)-1),
		"truncated":      ct[:len(ct)-100],
		"chunk boundary": ct[:len(ct)-(len(ct)-len(plain))/2],
		"extended":       append(append([]byte{}, ct...), 0),
	} {
		bad := filepath.Join(dir, "bad.enc")
		if err := os.WriteFile(bad, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := run(ctx, []string{"decrypt", bad, out}, env()); err == nil {
			t.Errorf("decrypt of a file with a %s changed = nil error", name)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("decrypt of a file with a %s changed left an output", name)
			_ = os.Remove(out)
		}
	}
	noTempFiles(t, dir)

	// Usage errors.
	for _, args := range [][]string{{}, {"frobnicate"}, {"encrypt", in}, {"decrypt", "-nope", enc, out}, {"encrypt", filepath.Join(dir, "missing"), out}} {
		if err := run(ctx, args, env()); err == nil {
			t.Errorf("run(%q) = nil error", args)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 1
	return c
}

// TestGenerate checks -generate: a passphrase printed once, which decrypts the file.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in, plain := writeRandom(t, dir, 70_000)
	env, stderr := testEnv(nil, "")
	enc := filepath.Join(dir, "g.enc")
	if err := run(ctx, []string{"encrypt", "-generate", in, enc}, env); err != nil {
		t.Fatal(err)
	}
	var phrase string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "    ") {
			phrase = strings.TrimSpace(l)
		}
	}
	if len(strings.Fields(phrase)) != 6 {
		t.Fatalf("stderr = %q, want a six-word passphrase", stderr)
	}
	denv, _ := testEnv(nil, phrase+"\n")
	out := filepath.Join(dir, "g.out")
	if err := run(ctx, []string{"decrypt", enc, out}, denv); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, plain) {
		t.Error("round trip with the generated passphrase failed")
	}
}

// TestProgress checks that a large file on a terminal gets a progress bar that reaches 100%,
// and a small one none.
func TestProgress(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in, _ := writeRandom(t, dir, progressMin+1)
	env, stderr := testEnv(map[string]string{envPassphrase: newPassphrase(t)}, "")
	env.stderrTerminal = true
	if err := run(ctx, []string{"encrypt", in, filepath.Join(dir, "p.enc")}, env); err != nil {
		t.Fatal(err)
	}
	if s := stderr.String(); !strings.Contains(s, "100%") || !strings.Contains(s, "[####") || strings.Count(s, "\r") > 101 {
		t.Errorf("progress output = %q, want a bar reaching 100%% with at most 101 redraws", s)
	}
	small, _ := testEnv(map[string]string{envPassphrase: newPassphrase(t)}, "")
	small.stderrTerminal = true
	if err := os.WriteFile(filepath.Join(dir, "s"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"encrypt", filepath.Join(dir, "s"), filepath.Join(dir, "s.enc")}, small); err != nil {
		t.Fatal(err)
	}
	if s := small.stderr.(*bytes.Buffer).String(); s != "" {
		t.Errorf("progress for a 1-byte file: %q", s)
	}
}

// TestFirstLine checks the bounded passphrase reader.
func TestFirstLine(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"secret\n", "secret", true},
		{"secret\r\nmore", "secret", true},
		{"secret", "secret", true},
		{"", "", true},
		{strings.Repeat("x", maxPassphrase), strings.Repeat("x", maxPassphrase), true},
		{strings.Repeat("x", maxPassphrase+1), "", false},
		{strings.Repeat("x", 1<<20), "", false},
	} {
		got, err := firstLine(strings.NewReader(tc.in))
		if (err == nil) != tc.ok || (tc.ok && string(got) != tc.want) {
			t.Errorf("firstLine(%.20q...) = %.20q, %v; want %.20q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzFirstLine checks the passphrase reader on arbitrary input: never more than
// maxPassphrase bytes, never a line break, and an error only for an over-long line.
func FuzzFirstLine(f *testing.F) {
	for _, s := range []string{"", "\n", "secret\n", "secret\r\n", "a\rb\n", strings.Repeat("x", maxPassphrase+1), "\r", "x\x00y\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := firstLine(strings.NewReader(in))
		line, _, _ := strings.Cut(in, "\n")
		line = strings.TrimSuffix(line, "\r")
		if len(line) > maxPassphrase {
			if err == nil {
				t.Fatalf("firstLine(%.40q...) = %d bytes, want an error for a line of %d", in, len(got), len(line))
			}
			return
		}
		if err != nil || string(got) != line {
			t.Fatalf("firstLine(%q) = %q, %v; want %q", in, got, err, line)
		}
	})
}
