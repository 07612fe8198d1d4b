package tlsutil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInvalidCertificate is wrapped by the errors of [NewReloader], [Reloader.Reload] and
// [Reloader.ReloadIfChanged] when a file cannot be read or parsed, the key does not match the
// certificate, the certificate is outside its validity period, or the client CA file holds no
// certificate.
var ErrInvalidCertificate = errors.New("tlsutil: invalid certificate")

// maxPEMFile bounds every certificate, key and CA file read by a Reloader.
const maxPEMFile = 1 << 20

// DefaultReloadInterval is how often [Reloader.Run] looks at the files when
// ReloadOptions.Interval is zero.
const DefaultReloadInterval = 30 * time.Second

// ReloadOptions configures a [Reloader]. The zero value polls every [DefaultReloadInterval]
// and has no client CA pool.
type ReloadOptions struct {
	// ClientCAFile, when set, names a PEM bundle of CA certificates for verifying client
	// certificates (mTLS), reloaded with the key pair.
	ClientCAFile string
	// Interval is the polling period of [Reloader.Run].
	Interval time.Duration
	// Now returns the current time for validity checks and [Reloader.DaysToExpiry]; nil
	// means time.Now.
	Now func() time.Time
	// OnReload, when set, is called by [Reloader.Run] after every reload attempt triggered
	// by a change: with nil after a swap, with the error when the new files were rejected
	// and the old pair kept. The library itself logs nothing.
	OnReload func(error)
}

// Reloader serves a certificate and key (and optionally a client CA pool) from files and
// reloads them when they change. A change is noticed by reading the files on every poll and
// comparing a SHA-256 digest of their contents with the last one: in-place rewrites, atomic
// renames and the symlink swaps of Kubernetes secret volumes are all seen, even when they
// keep the size and fall within the file system's timestamp granularity (which a stat of
// size, modification time and inode would miss). Each poll reads the two or three small
// files, bounded at 1 MiB each. A new pair is validated (it parses, the key matches, the leaf
// is within its validity period, every certificate of the chain parses and no PEM block is
// cut off, as in a file caught half written) before it replaces the old one; when it is bad,
// the old pair keeps serving. The chain is not verified against any root: the certificate file is trusted
// to hold the chain your clients need.
//
// All methods are safe for concurrent use; handshakes never wait on a reload. Create a
// Reloader with [NewReloader]: a zero Reloader has no certificate, and its handshake callbacks
// fail with [ErrInvalidCertificate].
type Reloader struct {
	certFile, keyFile string
	opts              ReloadOptions

	mu   sync.Mutex        // serializes reloads
	seen [sha256.Size]byte // digest of the contents last read; guarded by mu
	cur  atomic.Pointer[loaded]
	done chan struct{}
	once sync.Once
}

// loaded is one validated generation of files.
type loaded struct {
	cert *tls.Certificate
	pool *x509.CertPool
}

// NewReloader loads certFile and keyFile (PEM; the certificate file may hold the chain after
// the leaf) and, if set, o.ClientCAFile. It fails with an error wrapping
// [ErrInvalidCertificate] if they do not form a valid pair. Call [Reloader.Run] (or reload
// explicitly) to pick up changes.
func NewReloader(certFile, keyFile string, o ReloadOptions) (*Reloader, error) {
	r := &Reloader{certFile: certFile, keyFile: keyFile, opts: o, done: make(chan struct{})}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reloader) now() time.Time {
	if r.opts.Now != nil {
		return r.opts.Now()
	}
	return time.Now()
}

func (r *Reloader) files() []string {
	if r.opts.ClientCAFile != "" {
		return []string{r.certFile, r.keyFile, r.opts.ClientCAFile}
	}
	return []string{r.certFile, r.keyFile}
}

// Reload reads and validates the files now, whether or not they changed, and swaps them in
// on success. On failure it returns an error wrapping [ErrInvalidCertificate] and the
// previous pair stays in service. Use it from a SIGHUP handler, for example.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.load()
}

// ReloadIfChanged reloads like [Reloader.Reload] if the content of any file differs from what
// the last attempt (successful or not) read, and reports whether it looked at new content.
// [Reloader.Run] calls it on every tick. A bad new pair is therefore reported once, not on
// every tick, and the old pair keeps serving until the files change again. The exception is
// a pair refused only because it is not valid yet (a renewal written before its NotBefore,
// or clock skew): it is tried, and reported, on every call until it becomes valid.
func (r *Reloader) ReloadIfChanged() (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	contents, sum, err := r.read()
	if err != nil {
		r.seen = [sha256.Size]byte{}
		return true, err
	}
	if sum == r.seen {
		return false, nil
	}
	return true, r.installSeen(contents, sum)
}

// installSeen installs contents and remembers their digest, unless they were refused only for
// being not yet valid: those are tried again on the next call. r.mu is held.
func (r *Reloader) installSeen(contents [][]byte, sum [sha256.Size]byte) error {
	err := r.install(contents)
	if !errors.Is(err, errNotYetValid) {
		r.seen = sum
	}
	return err
}

// errNotYetValid marks a pair refused only because its NotBefore has not come yet.
var errNotYetValid = errors.New("not yet valid")

// load reads, validates and swaps; r.mu is held.
func (r *Reloader) load() error {
	contents, sum, err := r.read()
	if err != nil {
		return err
	}
	return r.installSeen(contents, sum)
}

// read reads every file, bounded, and digests their contents together.
func (r *Reloader) read() ([][]byte, [sha256.Size]byte, error) {
	h := sha256.New()
	var contents [][]byte
	for _, name := range r.files() {
		b, err := readBounded(name)
		if err != nil {
			return nil, [sha256.Size]byte{}, err
		}
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
		contents = append(contents, b)
	}
	return contents, [sha256.Size]byte(h.Sum(nil)), nil
}

// install validates the contents of the files and swaps them in; r.mu is held.
func (r *Reloader) install(contents [][]byte) error {
	if err := checkChain(r.certFile, contents[0]); err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(contents[0], contents[1])
	if err != nil {
		return fmt.Errorf("%w: %s and %s: %w", ErrInvalidCertificate, r.certFile, r.keyFile, err)
	}
	leaf := cert.Leaf
	if leaf == nil { // x509keypairleaf=0
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidCertificate, r.certFile, err)
		}
		cert.Leaf = leaf
	}
	now := r.now()
	if now.Before(leaf.NotBefore) {
		return fmt.Errorf("%w: %s is %w (NotBefore %s)", ErrInvalidCertificate, r.certFile, errNotYetValid, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.After(leaf.NotAfter) {
		return fmt.Errorf("%w: %s expired at %s", ErrInvalidCertificate, r.certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	l := &loaded{cert: &cert}
	if r.opts.ClientCAFile != "" {
		if l.pool, err = parsePool(r.opts.ClientCAFile, contents[2]); err != nil {
			return err
		}
	}
	r.cur.Store(l)
	return nil
}

func readBounded(name string) ([]byte, error) {
	// Only regular files (symlinks to them included): opening a FIFO blocks until a writer
	// comes, and a pipe or device cannot be read again on the next poll.
	if fi, err := os.Stat(name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (%s)", ErrInvalidCertificate, name, fi.Mode().Type())
	}
	f, err := os.Open(name) // #nosec G304 -- the operator-configured certificate path
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidCertificate, name, err)
	}
	if len(b) > maxPEMFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidCertificate, name, maxPEMFile)
	}
	return b, nil
}

// errTruncatedPEM reports a PEM file whose last block does not decode: a file caught while
// it is being written, or corrupt. pem.Decode alone would silently stop before it.
func errTruncatedPEM(name string, rest []byte) error {
	if bytes.Contains(rest, []byte("-----BEGIN")) {
		return fmt.Errorf("%w: %s ends with a truncated or malformed PEM block", ErrInvalidCertificate, name)
	}
	return nil
}

// checkChain checks that every CERTIFICATE block of a certificate file parses (tls.X509KeyPair
// parses only the leaf, and would serve a corrupt intermediate) and that no block is cut off.
func checkChain(name string, b []byte) error {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return errTruncatedPEM(name, b)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrInvalidCertificate, name, err)
		}
	}
}

func parsePool(name string, b []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			if err := errTruncatedPEM(name, b); err != nil {
				return nil, err
			}
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrInvalidCertificate, name, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrInvalidCertificate, name)
	}
	return pool, nil
}

// errNotLoaded is returned by the handshake callbacks of a Reloader that was not created by
// [NewReloader] (a zero value): failing the handshake beats a nil dereference inside it.
var errNotLoaded = fmt.Errorf("%w: Reloader has no certificate (create it with NewReloader)", ErrInvalidCertificate)

// current returns the generation in service, or an empty one for a zero Reloader.
func (r *Reloader) current() *loaded {
	if l := r.cur.Load(); l != nil {
		return l
	}
	return &loaded{}
}

// GetCertificate returns the current certificate; use it as tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := r.current().cert; c != nil {
		return c, nil
	}
	return nil, errNotLoaded
}

// GetClientCertificate returns the current certificate; use it as
// tls.Config.GetClientCertificate (or TLSClientOptions.GetClientCertificate) for a client
// whose mTLS certificate rotates on disk.
func (r *Reloader) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return r.GetCertificate(nil)
}

// Certificate returns the certificate in service, with Leaf set (nil for a Reloader not
// created by [NewReloader]).
func (r *Reloader) Certificate() *tls.Certificate { return r.current().cert }

// ClientCAs returns the current client CA pool, or nil without ReloadOptions.ClientCAFile.
func (r *Reloader) ClientCAs() *x509.CertPool { return r.current().pool }

// DaysToExpiry returns the whole days left before the certificate in service expires, rounded
// down: 0 during its last day, -1 during the first day after it expired, and so on
// (math.MinInt32 for a Reloader not created by [NewReloader]). Use it for monitoring and
// alerts.
func (r *Reloader) DaysToExpiry() int {
	const day = 24 * time.Hour
	c := r.current().cert
	if c == nil {
		return math.MinInt32 // no certificate: as expired as can be
	}
	left := c.Leaf.NotAfter.Sub(r.now())
	days := left / day
	if left < 0 && left%day != 0 {
		days-- // round toward minus infinity: one second past expiry is day -1, not 0
	}
	return int(days)
}

// ServerConfig returns [ServerConfig](p) serving the reloaded certificate. With
// ReloadOptions.ClientCAFile it also requires client certificates verified against the
// current CA pool (like [MutualServerConfig]); a new pool applies to new handshakes, and
// crypto/tls re-verifies a resumed session's chain against it, so a client whose CA left the
// pool cannot resume either (TestReloadClientCAs checks it). That re-verification is the fix
// for CVE-2025-68121, in Go 1.26 and in the security releases of older lines: built with an
// earlier toolchain, a removed CA's clients keep resuming on session tickets (up to 7 days)
// unless the returned configuration's SessionTicketsDisabled is set. Do not modify the
// returned configuration after the first handshake.
func (r *Reloader) ServerConfig(p Profile) *tls.Config {
	c := ServerConfig(p)
	c.GetCertificate = r.GetCertificate
	if r.opts.ClientCAFile == "" {
		return c
	}
	c.ClientAuth = tls.RequireAndVerifyClientCert
	c.ClientCAs = r.ClientCAs()
	type gen struct {
		l   *loaded
		cfg *tls.Config
	}
	var cache atomic.Pointer[gen]
	c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		l := r.current()
		if g := cache.Load(); g != nil && g.l == l {
			return g.cfg, nil
		}
		cfg := c.Clone()
		cfg.GetConfigForClient = nil
		cfg.ClientCAs = l.pool
		cache.Store(&gen{l: l, cfg: cfg})
		return cfg, nil
	}
	return c
}

// Run polls the files every ReloadOptions.Interval with [Reloader.ReloadIfChanged] until ctx
// is done or [Reloader.Close] is called, then returns nil. It starts no goroutine; run it in
// one of yours.
func (r *Reloader) Run(ctx context.Context) error {
	iv := r.opts.Interval
	if iv <= 0 {
		iv = DefaultReloadInterval
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.done:
			return nil
		case <-t.C:
			if changed, err := r.ReloadIfChanged(); changed && r.opts.OnReload != nil {
				r.opts.OnReload(err)
			}
		}
	}
}

// Close stops every [Reloader.Run] loop. The last good certificate keeps serving. Close is
// idempotent and always returns nil.
func (r *Reloader) Close() error {
	r.once.Do(func() {
		if r.done != nil { // nil in a zero Reloader, whose Run stops only with its context
			close(r.done)
		}
	})
	return nil
}
