package tlsutil

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Server defaults, used where ServerOptions leaves a field zero.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultMaxHeaderBytes    = 64 << 10
	DefaultMaxBodyBytes      = 10 << 20
	DefaultShutdownTimeout   = 10 * time.Second
)

// ServerOptions configures [NewServer]. Every zero field takes the safe default named after
// it; negative durations are invalid.
type ServerOptions struct {
	// TLS is the TLS configuration; nil means [ServerConfig]([Intermediate]) to which the
	// caller must add a certificate before [Server.ServeTLS] (Certificates or GetCertificate).
	TLS *tls.Config
	// ReadHeaderTimeout bounds reading the request line and headers (slowloris).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading the whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing the response. Streaming handlers can extend it per request
	// with http.ResponseController.SetWriteDeadline.
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle for this long.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps the request line and headers; larger requests get 431.
	MaxHeaderBytes int
	// MaxBodyBytes caps every request body (http.MaxBytesHandler): a handler that reads
	// further gets an *http.MaxBytesError, and net/http closes the connection after the
	// response. A negative value sets no cap, for a server whose handlers each cap their
	// uploads themselves. Routes that need less should cap it lower (as sanitize's JSON
	// decoding does).
	MaxBodyBytes int64
	// MaxConns, when positive, caps concurrent connections: further ones wait in the kernel's
	// accept queue until one closes.
	MaxConns int
	// ShutdownTimeout bounds the graceful shutdown after the context of Serve is done; then
	// remaining connections are closed.
	ShutdownTimeout time.Duration
	// Logger receives the server's own error log (TLS handshake failures, panics in
	// handlers, accept errors) at level Warn; nil discards it.
	Logger *slog.Logger
}

// Server is an http.Server with hardened settings and context-driven graceful shutdown.
type Server struct {
	// HTTP is the underlying server, configured by [NewServer]. Adjust it before serving if
	// needed; its Handler, timeouts and TLSConfig are already set.
	HTTP *http.Server

	maxConns        int
	shutdownTimeout time.Duration
}

// NewServer returns a server for h with the timeouts, header and body caps, TLS configuration
// and error log of o. It returns an error for negative settings (but MaxBodyBytes). The body
// cap wraps h in HTTP.Handler: replacing that handler removes it.
func NewServer(h http.Handler, o ServerOptions) (*Server, error) {
	if o.ReadHeaderTimeout < 0 || o.ReadTimeout < 0 || o.WriteTimeout < 0 || o.IdleTimeout < 0 ||
		o.ShutdownTimeout < 0 || o.MaxHeaderBytes < 0 || o.MaxConns < 0 {
		return nil, errors.New("tlsutil: negative ServerOptions value")
	}
	def := func(d, v time.Duration) time.Duration {
		if d == 0 {
			return v
		}
		return d
	}
	if o.MaxHeaderBytes == 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.TLS == nil {
		o.TLS = ServerConfig(Intermediate)
	}
	switch {
	case o.MaxBodyBytes == 0:
		h = http.MaxBytesHandler(h, DefaultMaxBodyBytes)
	case o.MaxBodyBytes > 0:
		h = http.MaxBytesHandler(h, o.MaxBodyBytes)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{
		HTTP: &http.Server{
			Handler:           h,
			TLSConfig:         o.TLS,
			ReadHeaderTimeout: def(o.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			ReadTimeout:       def(o.ReadTimeout, DefaultReadTimeout),
			WriteTimeout:      def(o.WriteTimeout, DefaultWriteTimeout),
			IdleTimeout:       def(o.IdleTimeout, DefaultIdleTimeout),
			MaxHeaderBytes:    o.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
		maxConns:        o.MaxConns,
		shutdownTimeout: def(o.ShutdownTimeout, DefaultShutdownTimeout),
	}, nil
}

// ServeTLS serves HTTPS (HTTP/2 and HTTP/1.1) on ln until ctx is done, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to ShutdownTimeout,
// then closes the rest. It returns nil after a shutdown caused by ctx, or the error that
// stopped the server.
// It returns [ErrNoCertificate] at once when the TLS configuration has no certificate source.
func (s *Server) ServeTLS(ctx context.Context, ln net.Listener) error {
	c := s.HTTP.TLSConfig
	if c == nil || len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
		return ErrNoCertificate
	}
	return s.serve(ctx, ln, true)
}

// ErrNoCertificate is returned by [Server.ServeTLS] and [Server.ListenAndServeTLS] when the
// server's TLS configuration has neither Certificates nor GetCertificate (nor
// GetConfigForClient).
var ErrNoCertificate = errors.New("tlsutil: TLS configuration has no certificate (set Certificates or GetCertificate)")

// Serve is [Server.ServeTLS] for plain HTTP, for use behind a TLS-terminating proxy or for
// the redirect listener of [RedirectHTTPS].
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serve(ctx, ln, false)
}

// ListenAndServeTLS listens on the TCP address addr and calls [Server.ServeTLS].
func (s *Server) ListenAndServeTLS(ctx context.Context, addr string) error {
	c := s.HTTP.TLSConfig
	if c == nil || len(c.Certificates) == 0 && c.GetCertificate == nil && c.GetConfigForClient == nil {
		return ErrNoCertificate
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return s.ServeTLS(ctx, ln)
}

func (s *Server) serve(ctx context.Context, ln net.Listener, useTLS bool) error {
	if s.maxConns > 0 {
		ln = netutil.LimitListener(ln, s.maxConns)
	}
	stopped := make(chan struct{})
	shutdownErr := make(chan error, 1)
	go func() {
		select {
		case <-stopped:
			shutdownErr <- nil
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
			defer cancel()
			err := s.HTTP.Shutdown(sctx)
			if err != nil {
				err = errors.Join(err, s.HTTP.Close())
			}
			shutdownErr <- err
		}
	}()
	var err error
	if useTLS {
		err = s.HTTP.ServeTLS(ln, "", "")
	} else {
		err = s.HTTP.Serve(ln)
	}
	close(stopped)
	serr := <-shutdownErr
	if errors.Is(err, http.ErrServerClosed) {
		return serr
	}
	return err
}
