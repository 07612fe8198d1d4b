// Command tlsecho is the tutorial's TLS socket server and client, done right: the client
// verifies the server's certificate (against a development CA the server writes out, never
// with verification turned off), TLS 1.2+ with Mozilla's intermediate profile from tlsutil,
// a deadline on the handshake and on every read and write, a maximum message size, a cap on
// concurrent connections, and a clean shutdown on Ctrl-C.
//
// Usage:
//
//	tlsecho server [-addr 127.0.0.1:8444] [-ca-out FILE] [-max-msg 4096] [-max-conns 64]
//	tlsecho client [-addr 127.0.0.1:8444] [-ca FILE] [-max-msg 4096] [MESSAGE...]
//
// The CA certificate goes by default to rampart-tlsecho/ca.pem in the user's cache directory
// (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux), in a directory of mode 0700 that
// the server creates, and refuses to use if another user owns it or others can write to it.
// The file is written through a temporary file created exclusively and renamed into place, so
// a symbolic link planted in its place is replaced, never followed. The client refuses a CA
// file that another user owns or that group or others can write to: whoever can write it
// decides which servers the client trusts.
//
// The protocol is one line per message: the server answers each line with the same line, and
// closes the connection after a reply that starts with "error: " (message too long, server
// busy). The client sends its arguments, or else the lines of its standard input, and prints
// the replies.
//
// Limits: a message (a line without its newline) has at most -max-msg bytes, any value from
// 1 to 1 MiB; the client reads a reply of at most its own -max-msg bytes plus 64, and fails
// on a longer one. The server serves at most -max-conns connections at once and tells one
// more that it is busy; at most twice -max-conns connections are open at any moment,
// including those still in their TLS handshake (10 s at most), and further clients wait in
// the kernel's listen queue. An error from accept, such as running out of file descriptors,
// does not stop the server: it retries after a pause growing from 5 ms to 1 s.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rampart-go/rampart/tlsutil"
)

// alpn is the application protocol negotiated by server and client, so that neither talks to
// a TLS service of another kind by mistake.
const alpn = "tlsecho/1"

// maxMsgLimit is the largest -max-msg.
const maxMsgLimit = 1 << 20

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "tlsecho:", err)
		os.Exit(1)
	}
}

// run executes the command line. ready, if set, receives the server's address once it listens.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, ready func(*server, string)) error {
	if len(args) == 0 || (args[0] != "server" && args[0] != "client") {
		return errors.New("usage: tlsecho server|client [flags] (tlsecho server -h for the flags)")
	}
	fs := flag.NewFlagSet("tlsecho "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8444", "`address` to listen on or connect to")
	maxMsg := fs.Int("max-msg", 4096, "longest message in `bytes`")
	defaultCA := defaultCAFile()
	defaultCAHelp := defaultCA
	if defaultCA == "" {
		defaultCAHelp = "none: the user has no cache directory"
	}
	if args[0] == "server" {
		caOut := fs.String("ca-out", "", "`file` to write the development CA certificate to (default "+defaultCAHelp+")")
		maxConns := fs.Int("max-conns", 64, "most connections served at once")
		if err := fs.Parse(args[1:]); err != nil {
			return helpOK(err)
		}
		if *maxMsg < 1 || *maxMsg > maxMsgLimit || *maxConns < 1 {
			return errors.New("-max-msg must be 1 to 1048576 and -max-conns at least 1")
		}
		if *caOut == "" {
			if defaultCA == "" {
				return errors.New("no user cache directory for the CA certificate: name a file with -ca-out")
			}
			// Only the default directory is created, and checked to be the user's own.
			if err := makePrivateDir(filepath.Dir(defaultCA)); err != nil {
				return err
			}
			*caOut = defaultCA
		}
		return runServer(ctx, *addr, *caOut, *maxMsg, *maxConns, stdout, stderr, ready)
	}
	caFile := fs.String("ca", "", "CA certificate `file` to verify the server with (default "+defaultCAHelp+")")
	if err := fs.Parse(args[1:]); err != nil {
		return helpOK(err)
	}
	if *maxMsg < 1 || *maxMsg > maxMsgLimit {
		return errors.New("-max-msg must be 1 to 1048576")
	}
	if *caFile == "" {
		if defaultCA == "" {
			return errors.New("no user cache directory to find the CA certificate in: name it with -ca")
		}
		*caFile = defaultCA
	}
	pool, err := loadCA(*caFile)
	if err != nil {
		return err
	}
	msgs := fs.Args()
	if len(msgs) == 0 {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 64<<10), *maxMsg+2)
		for sc.Scan() {
			msgs = append(msgs, sc.Text())
		}
		if err := sc.Err(); err != nil {
			return err
		}
	}
	replies, err := echo(ctx, *addr, pool, msgs, *maxMsg)
	for _, r := range replies {
		fmt.Fprintln(stdout, r)
	}
	return err
}

// helpOK turns the flag package's ErrHelp (-h, after the usage was printed) into success.
func helpOK(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// runServer serves with a fresh development certificate until ctx is done.
func runServer(ctx context.Context, addr, caOut string, maxMsg, maxConns int, stdout, stderr io.Writer, ready func(*server, string)) error {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	dev, err := tlsutil.NewDev()
	if err != nil {
		return err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: dev.CA.Raw})
	if err := writeCA(caOut, caPEM); err != nil {
		return fmt.Errorf("writing the CA certificate: %w", err)
	}
	cfg := tlsutil.ServerConfig(tlsutil.Intermediate)
	cfg.Certificates = []tls.Certificate{dev.Server}
	cfg.NextProtos = []string{alpn}

	var lc net.ListenConfig
	tcp, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	ln := tls.NewListener(tcp, cfg)
	abs, _ := filepath.Abs(caOut)
	fmt.Fprintf(stdout, "tlsecho: listening on %s (development CA in %s)\n", ln.Addr(), abs)
	fmt.Fprintf(stdout, "tlsecho: try: go run ./examples/tlsecho client -addr %s -ca %s hello\n", ln.Addr(), abs)
	s := newServer(maxMsg, maxConns, logger)
	if ready != nil {
		ready(s, ln.Addr().String())
	}
	err = s.serve(ctx, ln)
	logger.Info("shut down")
	return err
}

// errReplyTooLong is returned by echo for a reply longer than the client's -max-msg.
var errReplyTooLong = errors.New("reply too long")

// echo connects to addr, verifying the server against pool, sends each message and returns
// the replies. A reply starting with "error: " ends the exchange with an error. A reply longer
// than maxMsg bytes (plus room for an error reply) is refused with errReplyTooLong, so a rogue
// server cannot make the client buffer without bound.
func echo(ctx context.Context, addr string, pool *x509.CertPool, msgs []string, maxMsg int) ([]string, error) {
	cfg, err := tlsutil.ClientConfig(tlsutil.TLSClientOptions{RootCAs: pool})
	if err != nil {
		return nil, err
	}
	cfg.NextProtos = []string{alpn}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	if p := c.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != alpn {
		return nil, fmt.Errorf("the server does not speak %s", alpn)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	defer stop()
	r := bufio.NewReaderSize(c, maxMsg+64) // an echo of maxMsg bytes, or an error reply
	var replies []string
	for _, m := range msgs {
		if strings.ContainsAny(m, "\r\n") {
			return replies, errors.New("a message cannot hold a line break")
		}
		if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			return replies, err
		}
		if _, err := io.WriteString(c, m+"\n"); err != nil {
			return replies, err
		}
		b, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return replies, fmt.Errorf("%w: more than %d bytes", errReplyTooLong, r.Size())
		}
		if err != nil {
			return replies, fmt.Errorf("reading the reply: %w", err)
		}
		line := string(bytes.TrimSuffix(b, []byte("\n")))
		if strings.HasPrefix(line, "error: ") {
			return replies, errors.New("server: " + strings.TrimPrefix(line, "error: "))
		}
		replies = append(replies, line)
	}
	return replies, nil
}
