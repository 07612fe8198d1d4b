package main

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

// TestOpenConnectionsBounded checks that connections are bounded before their handshake: with
// -max-conns 2, ten TCP clients that never start a handshake are never all accepted at once;
// at most four connections (twice -max-conns) are open, the others wait in the listen queue.
func TestOpenConnectionsBounded(t *testing.T) {
	ts := startServer(t, func(s *server) { s.handshakeTimeout = 300 * time.Millisecond }, "-max-conns", "2")
	var wg sync.WaitGroup
	for range 10 {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		wg.Go(func() {
			// Returns once the server has accepted the connection and given up on its handshake.
			_, _ = c.Read(make([]byte, 1))
		})
	}
	wg.Wait()
	ts.srv.mu.Lock()
	peak := ts.srv.peak
	ts.srv.mu.Unlock()
	if peak < 1 || peak > 4 {
		t.Errorf("at most %d connections were open at once, want 1 to 4", peak)
	}
	c, r := ts.dial(t)
	if got := roundTrip(t, c, r, "after"); got != "after" {
		t.Errorf("echo after the silent clients: %q", got)
	}
}

// TestSmallMaxMessage checks a -max-msg below bufio's 16-byte minimum buffer: it is enforced
// all the same.
func TestSmallMaxMessage(t *testing.T) {
	ts := startServer(t, nil, "-max-msg", "4")
	c, r := ts.dial(t)
	if got := roundTrip(t, c, r, "abcd"); got != "abcd" {
		t.Errorf("4-byte message echoed as %q", got)
	}
	if got := roundTrip(t, c, r, "abcde"); !strings.HasPrefix(got, replyTooLong) {
		t.Errorf("5-byte message with -max-msg 4: reply %q, want %q", got, replyTooLong)
	}
	ts1 := startServer(t, nil, "-max-msg", "1")
	c1, r1 := ts1.dial(t)
	if got := roundTrip(t, c1, r1, "xy"); !strings.HasPrefix(got, replyTooLong) {
		t.Errorf("2-byte message with -max-msg 1: reply %q, want %q", got, replyTooLong)
	}
}

// TestClientReplyBound checks that the client reads a reply of bounded size: a rogue server
// (with a certificate the client trusts) that sends a megabyte without a newline gets
// errReplyTooLong, not a client buffering all of it.
func TestClientReplyBound(t *testing.T) {
	dev, err := tlsutil.NewDev()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{dev.Server}
	cfg.NextProtos = []string{alpn}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		_, _ = c.Write([]byte(strings.Repeat("x", 1<<20)))
	}()
	_, err = echo(context.Background(), ln.Addr().String(), dev.Pool, []string{"hi"}, 4096)
	if !errors.Is(err, errReplyTooLong) {
		t.Errorf("echo against an endless reply = %v, want errReplyTooLong", err)
	}
	_ = ln.Close()
	<-done
	if err := run(context.Background(), []string{"client", "-max-msg", "0", "hi"}, nil, io.Discard, io.Discard, nil); err == nil {
		t.Error("client -max-msg 0 = nil error")
	}
}

// TestShutdownRearm checks the shutdown race: a handler that sets its 60 s read deadline just
// after serve set every deadline to now on shutdown must still stop at once, not read on.
func TestShutdownRearm(t *testing.T) {
	armed, woken := make(chan struct{}), make(chan struct{})
	var once sync.Once
	ts := startServer(t, func(s *server) {
		s.onWake = func() { close(woken) }
		s.beforeArm = func() {
			once.Do(func() {
				close(armed)
				<-woken // serve has set every read deadline to now; this handler re-arms next
			})
		}
	})
	ts.dial(t)
	<-armed
	ts.cancel()
	select {
	case err := <-ts.done:
		close(ts.done)
		if err != nil {
			t.Errorf("server returned %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not return within 20 s: a handler re-armed its read deadline after shutdown")
	}
}
