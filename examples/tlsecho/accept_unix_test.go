//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the command itself when the test binary is started as a child process by
// TestAcceptErrors, with the open-file limit that TLSECHO_TEST_NOFILE names.
func TestMain(m *testing.M) {
	if os.Getenv("TLSECHO_TEST_MAIN") == "1" {
		if n, err := strconv.ParseUint(os.Getenv("TLSECHO_TEST_NOFILE"), 10, 64); err == nil {
			var lim syscall.Rlimit
			if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				panic(err)
			}
			lim.Cur = n
			if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				panic(err)
			}
		}
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAcceptErrors runs the server as a process limited to 30 open files and opens 40 idle
// TCP connections to it: accept fails with EMFILE, and the server must keep running (it used
// to exit), serve a client once the connections are gone, and shut down cleanly on SIGTERM.
func TestAcceptErrors(t *testing.T) {
	dir := t.TempDir()
	caPath := filepath.Join(dir, "ca.pem")
	cmd := exec.Command(os.Args[0], "server", "-addr", "127.0.0.1:0", "-ca-out", caPath) //nolint:gosec // G204: the test binary itself
	cmd.Env = append(os.Environ(), "TLSECHO_TEST_MAIN=1", "TLSECHO_TEST_NOFILE=30")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{}) // closed once the process has exited; waitErr is then set
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, _, ok := strings.Cut(strings.TrimPrefix(line, "tlsecho: listening on "), " ")
	if err != nil || !ok {
		t.Fatalf("server said %q, %v; stderr: %s", line, err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	var idle []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	// Wait until the server has run out of file descriptors at least once.
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(stderr.String(), "accept failed") {
		select {
		case <-exited:
			t.Fatalf("the server exited (%v) while out of file descriptors; stderr: %s", waitErr, stderr.String())
		case <-time.After(20 * time.Millisecond): // polling the child's log, not timing logic
		}
		if time.Now().After(deadline) {
			t.Fatalf("no accept error within a minute; stderr: %s", stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "too many open files") {
		t.Errorf("accept error logged is not EMFILE: %s", stderr.String())
	}
	for _, c := range idle {
		_ = c.Close()
	}
	pool, err := loadCA(caPath)
	if err != nil {
		t.Fatal(err)
	}
	replies, err := echo(context.Background(), addr, pool, []string{"still here"}, 4096)
	if err != nil || len(replies) != 1 || replies[0] != "still here" {
		t.Fatalf("echo after the descriptor shortage = %q, %v; stderr: %s", replies, err, stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("server exit after SIGTERM: %v; stderr: %s", waitErr, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the server did not exit within a minute of SIGTERM")
	}
}
