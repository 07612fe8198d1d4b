package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// Replies that are not echoes start with "error: " and end the connection.
const (
	replyTooLong = "error: message too long"
	replyBusy    = "error: server busy, try again later"
)

// server is the echo server: one line in, the same line out, over TLS.
type server struct {
	maxMsg           int           // longest message, in bytes, without its newline
	handshakeTimeout time.Duration // for the TLS handshake
	idleTimeout      time.Duration // between messages
	writeTimeout     time.Duration // for each reply
	log              *slog.Logger

	// open holds one token per accepted connection, taken in the accept loop before the
	// connection is accepted (as netutil.LimitListener does): it bounds the goroutines and
	// file descriptors of connections still in their handshake or being refused, not only
	// those being served. It has room for twice the cap on connections served.
	open chan struct{}
	// slots holds one token per connection being served: the cap on connections served.
	// A connection that finds no slot is told that the server is busy.
	slots chan struct{}

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	peak  int // most connections open at once (tests)
	wg    sync.WaitGroup

	// Hooks for tests: onRelease is called after a connection gave its slot back; beforeArm
	// before a handler sets its read deadline for the next message; onWake after serve
	// interrupted the pending reads on shutdown.
	onRelease, beforeArm, onWake func()
}

func newServer(maxMsg, maxConns int, log *slog.Logger) *server {
	return &server{
		maxMsg:           maxMsg,
		handshakeTimeout: 10 * time.Second,
		idleTimeout:      60 * time.Second,
		writeTimeout:     10 * time.Second,
		log:              log,
		open:             make(chan struct{}, 2*maxConns),
		slots:            make(chan struct{}, maxConns),
		conns:            map[net.Conn]struct{}{},
	}
}

// serve accepts TLS connections on ln until ctx is done, then shuts down cleanly: it stops
// accepting, interrupts every connection's pending read, waits for the handlers to finish the
// reply they may be writing, and returns nil.
//
// At most cap(s.open) connections are open at once; further clients wait in the kernel's
// listen queue. An Accept error other than the listener's closing (such as EMFILE, out of
// file descriptors) does not stop the server: it retries after a pause that doubles from
// 5 ms up to 1 s, as net/http does.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	var err error
	var pause time.Duration
accept:
	for {
		select {
		case s.open <- struct{}{}:
		case <-ctx.Done():
			break accept
		}
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			<-s.open
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "error", err.Error(), "retry_in", pause.String())
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				break accept
			}
			continue
		}
		pause = 0
		s.track(c, true)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.open }()
			defer s.track(c, false)
			s.handle(ctx, c)
		}()
	}
	// Wake every handler blocked in a read; each then closes its connection. A handler that
	// sets a new read deadline after this checks ctx again before it reads.
	s.mu.Lock()
	for c := range s.conns {
		_ = c.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	if s.onWake != nil {
		s.onWake()
	}
	s.wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (s *server) track(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
		s.peak = max(s.peak, len(s.conns))
	} else {
		delete(s.conns, c)
	}
}

// handle serves one connection: handshake (bounded in time), a slot under the connection cap,
// then echoes until the client closes, goes idle, sends an over-long message, or the server
// stops.
func (s *server) handle(ctx context.Context, c net.Conn) {
	defer func() { _ = c.Close() }()
	tc, ok := c.(*tls.Conn)
	if !ok {
		return
	}
	remote := c.RemoteAddr().String()
	hctx, cancel := context.WithTimeout(ctx, s.handshakeTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		s.log.Info("handshake failed", "remote", remote, "error", err.Error())
		return
	}

	select {
	case s.slots <- struct{}{}:
		defer func() {
			<-s.slots
			if s.onRelease != nil {
				s.onRelease()
			}
		}()
	default:
		s.log.Warn("connection refused: too many connections", "remote", remote, "max_conns", cap(s.slots))
		s.reply(tc, []byte(replyBusy))
		s.linger(tc)
		return
	}

	s.log.Info("connection", "remote", remote, "tls_version", tls.VersionName(tc.ConnectionState().Version))
	// Room for the message and its newline; bufio makes the buffer at least 16 bytes, so the
	// length is checked again below.
	r := bufio.NewReaderSize(tc, s.maxMsg+1)
	for {
		if s.beforeArm != nil {
			s.beforeArm()
		}
		if err := tc.SetReadDeadline(time.Now().Add(s.idleTimeout)); err != nil {
			return
		}
		// Checked after the deadline is set: serve sets it to now on shutdown, and may have
		// done so just before it was set again above.
		if ctx.Err() != nil {
			return
		}
		line, err := r.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull) || len(bytes.TrimSuffix(line, []byte("\n"))) > s.maxMsg:
			s.log.Warn("message too long", "remote", remote, "max_bytes", s.maxMsg)
			s.reply(tc, fmt.Appendf(nil, "%s (at most %d bytes)", replyTooLong, s.maxMsg))
			s.linger(tc)
			return
		case errors.Is(err, io.EOF) && len(line) == 0:
			return // the client is done
		case errors.Is(err, os.ErrDeadlineExceeded):
			if ctx.Err() == nil {
				s.log.Info("idle connection closed", "remote", remote)
			}
			return
		case err != nil && !errors.Is(err, io.EOF):
			return
		}
		if !s.reply(tc, bytes.TrimRight(line, "\r\n")) || errors.Is(err, io.EOF) {
			return
		}
	}
}

// reply writes msg and a newline within the write timeout.
func (s *server) reply(c net.Conn, msg []byte) bool {
	if err := c.SetWriteDeadline(time.Now().Add(s.writeTimeout)); err != nil {
		return false
	}
	_, err := c.Write(append(msg, '\n'))
	return err == nil
}

// linger ends a connection that the server refuses while the client may still be sending:
// it sends close_notify, then reads and discards for a moment. Closing at once with unread
// data would make the kernel reset the connection, and the client could lose the error reply.
func (s *server) linger(tc *tls.Conn) {
	_ = tc.CloseWrite()
	if tc.SetReadDeadline(time.Now().Add(time.Second)) == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(tc, 1<<20))
	}
}
