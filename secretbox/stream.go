package secretbox

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/chacha20poly1305"
)

// Stream layout (see FORMAT.md).
const (
	streamMagic   = "RSBS"
	streamVersion = 0x01
	streamSalt    = 16
	// prefixSize is magic, version, stream salt and wrap type.
	prefixSize  = len(streamMagic) + 1 + streamSalt + 1
	dataKeySize = 32
	chunkSize   = 64 << 10
	tagSize     = chacha20poly1305.Overhead
	encChunk    = chunkSize + tagSize
	infoStream  = "rampart secretbox v1 stream"

	wrapKeyring  = 0x01
	wrapArgon2id = 0x02
	wrapScrypt   = 0x03

	wrappedKey      = dataKeySize + tagSize
	keyringWrapSize = 4 + chacha20poly1305.NonceSizeX + wrappedKey
)

// Wrapper protects a stream's random data key in the stream header. It is implemented by
// [*Keyring] (the key is wrapped under the primary key and unwrapped by the key ID in the header)
// and by [*Passphrase] (the key is wrapped under a key derived from the passphrase); the method
// set is unexported so that the header format stays closed.
type Wrapper interface {
	wrapType() byte
	random() io.Reader
	wrapKey(hdr []byte, dk *[dataKeySize]byte, ad []byte) ([]byte, error)
	unwrapKey(prefix []byte, src io.Reader, ad []byte) (dk [dataKeySize]byte, stale bool, err error)
}

// readErr turns the end of input inside a header or chunk into ErrAuth (a truncated stream is
// not authentic) and passes other I/O errors through.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrAuth
	}
	return err
}

// write writes p to w in one call and, as io.Copy does, turns a short count without an error
// (which breaks the io.Writer contract) into io.ErrShortWrite, so that data is never dropped
// silently.
func write(w io.Writer, p []byte) (int, error) {
	n, err := w.Write(p)
	if n < len(p) && err == nil {
		err = io.ErrShortWrite
	}
	return n, err
}

// chunkAEAD derives the per-stream chunk AEAD from the data key and the stream salt.
func chunkAEAD(dk *[dataKeySize]byte, salt []byte) cipher.AEAD {
	k, err := hkdf.Key(sha256.New, dk[:], salt, infoStream, chacha20poly1305.KeySize)
	if err != nil {
		panic(err) // unreachable
	}
	aead, err := chacha20poly1305.New(k)
	if err != nil {
		panic(err) // unreachable
	}
	return aead
}

// newHeader builds the header for a new stream under w and returns it with its chunk AEAD.
func newHeader(w Wrapper, ad []byte) ([]byte, cipher.AEAD, error) {
	if w == nil {
		return nil, nil, errors.New("secretbox: nil Wrapper")
	}
	if len(ad) > maxAD {
		return nil, nil, errors.New("secretbox: associated data larger than 1 GiB")
	}
	var dk [dataKeySize]byte
	hdr := make([]byte, prefixSize, 128)
	copy(hdr, streamMagic)
	hdr[4] = streamVersion
	// Randomness is consumed in this order: data key, stream salt, then the wrapper's own.
	if err := readRand(w.random(), dk[:]); err != nil {
		return nil, nil, err
	}
	if err := readRand(w.random(), hdr[5:5+streamSalt]); err != nil {
		return nil, nil, err
	}
	hdr[prefixSize-1] = w.wrapType()
	hdr, err := w.wrapKey(hdr, &dk, ad)
	if err != nil {
		return nil, nil, err
	}
	return hdr, chunkAEAD(&dk, hdr[5:5+streamSalt]), nil
}

// readHeader reads and unwraps a stream header from src.
func readHeader(src io.Reader, w Wrapper, ad []byte) (prefix []byte, dk [dataKeySize]byte, stale bool, err error) {
	if w == nil {
		return nil, dk, false, errors.New("secretbox: nil Wrapper")
	}
	if len(ad) > maxAD {
		return nil, dk, false, ErrAuth
	}
	prefix = make([]byte, prefixSize)
	if _, err := io.ReadFull(src, prefix); err != nil {
		return nil, dk, false, readErr(err)
	}
	if string(prefix[:4]) != streamMagic || prefix[4] != streamVersion {
		return nil, dk, false, ErrAuth
	}
	dk, stale, err = w.unwrapKey(prefix, src, ad)
	if err != nil {
		return nil, dk, false, err
	}
	return prefix, dk, stale, nil
}

// setNonce writes the STREAM nonce: an 11-byte big-endian chunk counter and the last-chunk flag.
func setNonce(nonce *[chacha20poly1305.NonceSize]byte, counter uint64, last bool) {
	binary.BigEndian.PutUint64(nonce[3:11], counter)
	nonce[11] = 0
	if last {
		nonce[11] = 1
	}
}

// writer encrypts a stream; it implements io.WriteCloser.
//
// Like a Reader, it formats itself as a fixed string and keeps its state behind a pointer (see
// readerState), so that printing it never shows buffered plaintext or the chunk key.
type writer struct{ *writerState }

// Format writes a fixed description for every verb.
func (s *writer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "secretbox stream writer") }

type writerState struct {
	dst     io.Writer
	aead    cipher.AEAD
	buf     []byte // plaintext of the current chunk, with room for the tag
	counter uint64
	nonce   [chacha20poly1305.NonceSize]byte
	one     [1]byte // look-ahead for ReadFrom, kept here so that it does not escape per chunk
	err     error
}

// NewWriter writes a stream header to dst and returns a writer that encrypts everything written
// to it in 64 KiB authenticated chunks. A fresh random data key encrypts the chunks; w wraps it
// in the header, bound to ad (associated data, authenticated but not stored). Close must be
// called to write the final chunk; it does not close dst. Memory use is constant (one chunk).
// The writer is not safe for concurrent use.
//
// An error writing to dst (io.ErrShortWrite if dst writes less than it was given without an
// error) is returned by NewWriter, or by the Write, ReadFrom or Close call that wrote, and by
// every later call: the stream is then incomplete and must be discarded.
func NewWriter(dst io.Writer, w Wrapper, ad []byte) (io.WriteCloser, error) {
	hdr, aead, err := newHeader(w, ad)
	if err != nil {
		return nil, err
	}
	if _, err := write(dst, hdr); err != nil {
		return nil, err
	}
	return &writer{&writerState{dst: dst, aead: aead, buf: make([]byte, 0, encChunk)}}, nil
}

// Write encrypts p. Full chunks are written to dst as soon as more data follows them.
func (s *writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	for len(p) > 0 {
		if len(s.buf) == 0 && len(p) > chunkSize {
			// A whole chunk with more data after it: seal it straight from p, saving a copy.
			if err := s.seal(p[:chunkSize], false); err != nil {
				return n, err
			}
			p = p[chunkSize:]
			n += chunkSize
			continue
		}
		if len(s.buf) == chunkSize {
			if err := s.flush(false); err != nil {
				return n, err
			}
		}
		m := copy(s.buf[len(s.buf):chunkSize], p)
		s.buf = s.buf[:len(s.buf)+m]
		p = p[m:]
		n += m
	}
	return n, nil
}

// ReadFrom implements io.ReaderFrom, reading plaintext from src straight into the chunk buffer
// (io.Copy uses it, saving a copy per chunk). It does not write the final chunk: call Close.
func (s *writer) ReadFrom(src io.Reader) (int64, error) {
	var total int64
	for {
		if s.err != nil {
			return total, s.err
		}
		if len(s.buf) == chunkSize {
			// Learn whether more data follows before sealing a full chunk as not-last.
			n, err := io.ReadFull(src, s.one[:])
			if n == 0 {
				if errors.Is(err, io.EOF) {
					return total, nil
				}
				return total, err
			}
			if err := s.flush(false); err != nil {
				return total, err
			}
			s.buf = append(s.buf, s.one[0])
			total++
		}
		n, err := src.Read(s.buf[len(s.buf):chunkSize])
		s.buf = s.buf[:len(s.buf)+n]
		total += int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
	}
}

// flush seals and writes the buffered chunk.
func (s *writer) flush(last bool) error { return s.seal(s.buf, last) }

// seal encrypts one chunk of plaintext (the buffer itself, or a caller's slice) into the
// buffer, writes it, and leaves the buffer empty.
func (s *writer) seal(pt []byte, last bool) error {
	if s.counter == 1<<64-1 {
		s.err = errors.New("secretbox: stream too long")
		return s.err
	}
	setNonce(&s.nonce, s.counter, last)
	out := s.aead.Seal(s.buf[:0], s.nonce[:], pt, nil)
	s.counter++
	s.buf = s.buf[:0]
	if _, err := write(s.dst, out); err != nil {
		s.err = err
		return err
	}
	return nil
}

// Close writes the final chunk. It does not close the underlying writer.
func (s *writer) Close() error {
	if s.err != nil {
		return s.err
	}
	err := s.flush(true)
	if err == nil {
		s.err = ErrClosed
	}
	return err
}

// Reader decrypts a stream made by [NewWriter]. It releases plaintext only from chunks that
// have been authenticated; a stream that is truncated (at a chunk boundary or inside a chunk),
// reordered, has a chunk duplicated or data appended fails with [ErrAuth]. Because chunks are
// released as they are authenticated, a consumer that acts on data before Read returns io.EOF
// must be prepared to undo it if a later Read fails. The zero Reader and a nil *Reader fail
// closed: Read and WriteTo return an error (never data, never a panic) and Stale reports false;
// use [NewReader].
type Reader struct {
	*readerState // nil for the zero Reader
}

// readerState is a Reader's state. [Reader.Format] covers a Reader printed directly or in an
// exported field; in the unexported field of a caller's struct, fmt prints by reflection without
// calling Format, and dereferences a pointer once for verbs such as %s. One pointer away, the
// buffered plaintext and the chunk AEAD's key would be printed; two pointers away, only addresses.
type readerState struct {
	src      io.Reader
	aead     cipher.AEAD
	buf      []byte // one encrypted chunk plus one look-ahead byte
	pt       []byte // authenticated plaintext not yet returned
	counter  uint64
	nonce    [chacha20poly1305.NonceSize]byte
	ahead    byte // first byte of the next chunk, read to learn that the current one is not last
	hasAhead bool
	done     bool
	stale    bool
	err      error
}

// NewReader reads and authenticates the stream header from src with w and ad, and returns a
// reader for the plaintext. A header that is not authentic fails with [ErrAuth] (joined with
// [ErrKDFLimit] when a passphrase header asks for too much work); other errors come from src.
// Memory use is constant.
func NewReader(src io.Reader, w Wrapper, ad []byte) (*Reader, error) {
	prefix, dk, stale, err := readHeader(src, w, ad)
	if err != nil {
		return nil, err
	}
	return &Reader{&readerState{
		src:   src,
		aead:  chunkAEAD(&dk, prefix[5:5+streamSalt]),
		buf:   make([]byte, encChunk+1),
		stale: stale,
	}}, nil
}

// Format writes "secretbox.Reader" for every verb: printing a Reader never shows its buffered
// plaintext or its key.
func (r *Reader) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "secretbox.Reader") }

// Stale reports that the header was wrapped under a keyring key other than the current primary,
// so the stream should be rewrapped (see [Rewrap]). It is always false for passphrases, and for
// a nil or zero Reader.
func (r *Reader) Stale() bool { return r.valid() && r.stale }

// valid reports whether r was made by NewReader, rather than being nil or the zero Reader.
func (r *Reader) valid() bool { return r != nil && r.readerState != nil }

// Read implements io.Reader. After the last chunk it returns io.EOF; any failure to
// authenticate is [ErrAuth], and errors are sticky.
func (r *Reader) Read(p []byte) (int, error) {
	if !r.valid() {
		return 0, errZeroReader
	}
	for len(r.pt) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		r.err = r.next()
	}
	n := copy(p, r.pt)
	r.pt = r.pt[n:]
	return n, nil
}

// WriteTo implements io.WriterTo, writing authenticated plaintext to w straight from the chunk
// buffer (io.Copy uses it, saving a copy per chunk). When the source is an in-memory
// *bytes.Reader or *bytes.Buffer, chunks are also decrypted straight out of the source's memory.
// It returns nil at the end of the stream. An error from w, or io.ErrShortWrite if w writes less
// than it was given without an error, stops it; after such an error from an in-memory source
// the stream cannot be resumed, and later calls return the same error.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	if !r.valid() {
		return 0, errZeroReader
	}
	var total int64
	for {
		if len(r.pt) > 0 {
			n, err := write(w, r.pt)
			total += int64(n)
			r.pt = r.pt[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			if r.err == io.EOF { //nolint:errorlint // next returns io.EOF itself, unwrapped
				return total, nil
			}
			return total, r.err
		}
		if !r.done {
			switch src := r.src.(type) {
			case *bytes.Reader:
				n, err := r.push(src, w)
				return total + n, err
			case *bytes.Buffer:
				n, err := r.push(src, w)
				return total + n, err
			}
		}
		r.err = r.next()
	}
}

// push decrypts the rest of the stream by letting an in-memory source write its bytes to a
// pushSink, which opens whole chunks in place in the source's memory (out of place into r.buf).
// On return the stream is finished: r.err is io.EOF or the error that stopped it.
func (r *Reader) push(src io.WriterTo, w io.Writer) (int64, error) {
	s := &pushSink{r: r, dst: w}
	if r.hasAhead {
		r.buf[0], s.have, r.hasAhead = r.ahead, 1, false
	}
	_, err := src.WriteTo(s)
	switch {
	case s.err != nil:
		err = s.err
	case err != nil:
	case s.have < tagSize || (s.have == tagSize && r.counter > 0):
		err = ErrAuth // truncated, or an empty chunk after the first
	default:
		// The input has ended, so the buffered bytes are the last chunk.
		err = s.open(r.buf[:s.have], true)
	}
	r.done, r.pt = true, nil
	if err == nil {
		r.err = io.EOF
		return s.n, nil
	}
	r.err = err
	return s.n, err
}

// pushSink receives a stream's remaining ciphertext from an io.WriterTo. It never holds more
// than one chunk, and opens a chunk as not-last only once a byte after it has arrived.
type pushSink struct {
	r    *Reader
	dst  io.Writer
	have int   // pending ciphertext bytes in r.buf
	n    int64 // plaintext bytes written to dst
	err  error // ErrAuth or dst's error, once the push has failed
}

func (s *pushSink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	r, consumed := s.r, len(p)
	for len(p) > 0 {
		switch {
		case s.have == 0 && len(p) > encChunk:
			// A whole chunk with more data after it: open it from p, without copying it first.
			if err := s.open(p[:encChunk], false); err != nil {
				return 0, err
			}
			p = p[encChunk:]
		case s.have == encChunk:
			// The buffered chunk is followed by more data: it is not the last.
			if err := s.open(r.buf[:encChunk], false); err != nil {
				return 0, err
			}
			s.have = 0
		default:
			m := copy(r.buf[s.have:encChunk], p)
			s.have += m
			p = p[m:]
		}
	}
	return consumed, nil
}

// open authenticates and decrypts one chunk into r.buf (in place when ct is r.buf) and writes
// the plaintext to dst.
func (s *pushSink) open(ct []byte, last bool) error {
	r := s.r
	if r.counter == 1<<64-1 {
		s.err = ErrAuth
		return s.err
	}
	setNonce(&r.nonce, r.counter, last)
	pt, err := r.aead.Open(r.buf[:0], r.nonce[:], ct, nil)
	if err != nil {
		s.err = ErrAuth
		return s.err
	}
	r.counter++
	n, err := write(s.dst, pt)
	s.n += int64(n)
	if err != nil {
		s.err = err
	}
	return s.err
}

// errZeroReader fails a nil or zero Reader: one that was not made by NewReader.
var errZeroReader = errors.New("secretbox: Reader not made by NewReader")

// next reads and authenticates one chunk into r.pt, returning io.EOF after the last chunk.
func (r *Reader) next() error {
	if r.done {
		return io.EOF
	}
	have := 0
	if r.hasAhead {
		r.buf[0] = r.ahead
		have = 1
	}
	n, err := io.ReadFull(r.src, r.buf[have:])
	n += have
	last := false
	switch {
	case err == nil: // a full chunk and at least one more byte: not the last chunk
		r.ahead, r.hasAhead = r.buf[encChunk], true
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		last, r.hasAhead = true, false
		if n < tagSize || (n == tagSize && r.counter > 0) {
			// Too short for a chunk, or an empty chunk after the first: truncated.
			return ErrAuth
		}
	default:
		return err
	}
	if r.counter == 1<<64-1 {
		return ErrAuth
	}
	ct := r.buf[:min(n, encChunk)]
	setNonce(&r.nonce, r.counter, last)
	pt, err := r.aead.Open(ct[:0], r.nonce[:], ct, nil)
	if err != nil {
		return ErrAuth
	}
	r.counter++
	r.pt = pt
	r.done = last
	return nil
}

// Rewrap copies the stream in src to dst, replacing its header's wrapping of the data key: the
// key is unwrapped with from and wrapped with to, both bound to ad, and the encrypted chunks are
// copied unchanged (not decrypted, not re-encrypted). Use it to move a file to a new keyring
// primary (from and to the same [*Keyring]) or to change a passphrase. A header that from cannot
// authenticate fails with [ErrAuth]; the body is not authenticated here. A dst that writes less
// than it was given without an error fails it with io.ErrShortWrite.
//
// The data key itself does not change. Rewrapping therefore stops the old key or passphrase
// from opening the new header, but anyone who holds the old key or passphrase and a copy of
// the old header (a backup, an earlier version of the file) can still decrypt the body. After
// a compromise, re-encrypt: decrypt with [NewReader] and encrypt again with [NewWriter].
func Rewrap(dst io.Writer, src io.Reader, from, to Wrapper, ad []byte) error {
	if to == nil {
		return errors.New("secretbox: nil Wrapper")
	}
	prefix, dk, _, err := readHeader(src, from, ad)
	if err != nil {
		return err
	}
	hdr := bytes.Clone(prefix)
	hdr[prefixSize-1] = to.wrapType()
	if hdr, err = to.wrapKey(hdr, &dk, ad); err != nil {
		return err
	}
	if _, err := write(dst, hdr); err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		return fmt.Errorf("secretbox: copying stream body: %w", err)
	}
	return nil
}
