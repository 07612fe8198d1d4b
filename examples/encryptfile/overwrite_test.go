package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the command itself when TestSignal starts the test binary as a child process.
func TestMain(m *testing.M) {
	if os.Getenv("ENCRYPTFILE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestNoOverwriteLate checks that OUT is not overwritten without -force when it appears after
// the early existence check: here while the passphrase is being typed. The old code renamed
// its output over whatever was there by then.
func TestNoOverwriteLate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	in, _ := writeRandom(t, dir, 200_000)
	pass := newPassphrase(t)
	enc := filepath.Join(dir, "x.enc")
	e, _ := testEnv(map[string]string{envPassphrase: pass}, "")
	if err := run(ctx, []string{"encrypt", in, enc}, e); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"encrypt", "decrypt"} {
		t.Run(op, func(t *testing.T) {
			out := filepath.Join(dir, op+".out")
			env, _ := testEnv(nil, "")
			env.stdinTerminal = true
			env.readPassword = func(context.Context) ([]byte, error) {
				if _, err := os.Lstat(out); errors.Is(err, os.ErrNotExist) {
					if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
						t.Error(err)
					}
				}
				return []byte(pass), nil
			}
			src := in
			if op == "decrypt" {
				src = enc
			}
			err := run(ctx, []string{op, src, out}, env)
			if err == nil || !strings.Contains(err.Error(), "-force") {
				t.Errorf("%s onto a file created during the prompt = %v, want a refusal naming -force", op, err)
			}
			if b, _ := os.ReadFile(out); string(b) != "keep me" {
				t.Errorf("%s without -force replaced a file that appeared meanwhile (%d bytes now)", op, len(b))
			}
			noTempFiles(t, dir)
			// With -force the same race replaces it.
			if err := run(ctx, []string{op, "-force", src, out}, env); err != nil {
				t.Errorf("%s -force: %v", op, err)
			}
			if b, _ := os.ReadFile(out); string(b) == "keep me" {
				t.Errorf("%s -force left the old file", op)
			}
			noTempFiles(t, dir)
		})
	}
}

// cancelWriter is a stderr that cancels a context once the progress bar shows 50%.
type cancelWriter struct {
	mu     sync.Mutex
	b      bytes.Buffer
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(" 50%")) {
		w.cancel()
	}
	return w.b.Write(p)
}

// TestInterrupt checks that a cancelled context (Ctrl-C, SIGTERM, SIGHUP in main) stops the
// work: before the copy (the signal came during the prompt) and half-way through it. The run
// fails with errInterrupted, OUT is left as it was and no temporary file remains; the old code
// ran to completion and succeeded.
func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	in, _ := writeRandom(t, dir, 2*progressMin)
	pass := newPassphrase(t)
	enc := filepath.Join(dir, "x.enc")
	e, _ := testEnv(map[string]string{envPassphrase: pass}, "")
	if err := run(context.Background(), []string{"encrypt", in, enc}, e); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"encrypt", "decrypt"} {
		src := in
		if op == "decrypt" {
			src = enc
		}
		t.Run(op+"/during prompt", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			env, _ := testEnv(nil, "")
			env.stdinTerminal = true
			env.readPassword = func(context.Context) ([]byte, error) { cancel(); return []byte(pass), nil }
			out := filepath.Join(dir, op+"-prompt.out")
			if err := run(ctx, []string{op, src, out}, env); !errors.Is(err, errInterrupted) {
				t.Errorf("%s cancelled during the prompt = %v, want errInterrupted", op, err)
			}
			if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("an output was written: %v", err)
			}
			noTempFiles(t, dir)
		})
		t.Run(op+"/half-way", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			env, _ := testEnv(map[string]string{envPassphrase: pass}, "")
			stderr := &cancelWriter{cancel: cancel}
			env.stderr, env.stderrTerminal = stderr, true
			out := filepath.Join(dir, op+"-half.out")
			if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := run(ctx, []string{op, "-force", src, out}, env); !errors.Is(err, errInterrupted) {
				t.Errorf("%s cancelled half-way = %v, want errInterrupted", op, err)
			}
			stderr.mu.Lock()
			progress := stderr.b.String()
			stderr.mu.Unlock()
			if !strings.Contains(progress, " 50%") || strings.Contains(progress, "100%") {
				t.Errorf("progress ends with %q: want it stopped after 50%%", progress[max(0, len(progress)-60):])
			}
			if b, _ := os.ReadFile(out); string(b) != "old" {
				t.Errorf("the interrupted %s -force changed OUT", op)
			}
			noTempFiles(t, dir)
		})
	}
}

// TestSignal runs encryptfile as a process on a large (sparse) file and sends it SIGHUP once
// its temporary output exists: it must stop, exit with status 1, say it was interrupted and
// leave neither OUT nor the temporary file. Before SIGHUP was handled the default action killed
// the process and left the temporary file; SIGINT and SIGTERM go the same way.
func TestSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a process over a 1 GiB sparse file")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "big")
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "big.enc")
	cmd := exec.Command(os.Args[0], "encrypt", in, out) //nolint:gosec // G204: the test binary itself
	cmd.Env = append(os.Environ(), "ENCRYPTFILE_TEST_MAIN=1", envPassphrase+"="+newPassphrase(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	tick := time.NewTicker(2 * time.Millisecond) // polling for the temporary file, not timing logic
	defer tick.Stop()
	for {
		if m, _ := filepath.Glob(filepath.Join(dir, ".big.enc.tmp-*")); len(m) > 0 {
			break
		}
		select {
		case <-exited:
			t.Fatalf("the process exited (%v) before its temporary file was seen; stderr: %s", waitErr, stderr.String())
		case <-tick.C:
		}
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("the process did not stop within 2 minutes of SIGHUP")
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit after SIGHUP: %v, want status 1", waitErr)
	}
	if first, _ := bufio.NewReader(&stderr).ReadString('\n'); !strings.Contains(first, "interrupted") {
		t.Errorf("stderr = %q, want it to say the run was interrupted", first)
	}
	if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OUT exists after the interruption: %v", err)
	}
	noTempFiles(t, dir)
}
