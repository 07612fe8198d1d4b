package secretbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// maxKeyFile bounds ReadKeyFile: key files hold a few encoded keys, never megabytes.
const maxKeyFile = 64 << 10

// maxName is the longest file name, in bytes, that most file systems accept (NAME_MAX).
const maxName = 255

// EncryptFile encrypts everything read from src into the file name as a stream (see
// [NewWriter]) wrapped by w and bound to ad, crash-safely: it writes a 0600 temporary file in the
// same directory (created exclusively, never through a symlink), syncs it, renames it over name
// and syncs the directory, so that name always holds either its old content or the complete new
// one. A crash can leave a temporary file named ".<name>.tmp-*" behind (".tmp-*" when name is
// longer than 233 bytes, so that any name up to 255 bytes can be written); it is never read.
// If name is a symbolic link, the link itself is replaced by the new file and the file it
// pointed to is left untouched; if name is a directory, EncryptFile fails and changes nothing.
// The new file has mode 0600 whatever the mode of the file it replaces.
//
// An error that wraps [ErrNotDurable] means that only the final directory sync failed: name
// already holds the new content, but a crash may bring back the old one. Any other error means
// that name was not replaced.
func EncryptFile(name string, src io.Reader, w Wrapper, ad []byte) error {
	return writeAtomic(name, func(f io.Writer) error {
		sw, err := NewWriter(f, w, ad)
		if err != nil {
			return err
		}
		if _, err := io.Copy(sw, src); err != nil {
			return err
		}
		return sw.Close()
	}, syncDir)
}

// DecryptFile decrypts the stream in the file name, made by [EncryptFile] or [NewWriter] with a
// matching w and ad, into dst. It returns [ErrAuth] if the file is not authentic; since the file
// is decrypted chunk by chunk in constant memory, dst may by then have received the authentic
// chunks that came before the failure, and must discard them.
func DecryptFile(name string, dst io.Writer, w Wrapper, ad []byte) error {
	f, err := os.Open(name) // #nosec G304 -- the caller names the file to decrypt
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	r, err := NewReader(f, w, ad)
	if err != nil {
		return err
	}
	_, err = io.Copy(dst, r)
	return err
}

// RewrapFile replaces the header of the stream file name by one wrapping the same data key with
// to instead of from (see [Rewrap]), crash-safely (as [EncryptFile]), without decrypting or
// re-encrypting the body. The data key does not change: see [Rewrap] for what that means after
// a key compromise. If the error wraps [ErrNotDurable], the file is already under to, but a
// crash may bring back the header under from: keep both until a later write succeeds. Any other
// error means that the file was not replaced.
//
// Unlike [EncryptFile], RewrapFile follows symbolic links: if name is a link (or a chain of
// links, or has linked directories in its path), it resolves it once with
// [filepath.EvalSymlinks], reads the stream from the file it leads to and replaces that file,
// through a temporary file in that file's directory, leaving the link itself as it was.
// Replacing the link instead would leave the real file under the old key. This is safe because
// RewrapFile writes back only the file it read, and only once from has authenticated its header.
func RewrapFile(name string, from, to Wrapper, ad []byte) error {
	resolved, err := filepath.EvalSymlinks(name)
	if err != nil {
		return err
	}
	f, err := os.Open(resolved) // #nosec G304 -- the caller names the file to rewrap
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	return writeAtomic(resolved, func(dst io.Writer) error { return Rewrap(dst, f, from, to, ad) }, syncDir)
}

// ReadKeyFile returns the content of the file name (at most 64 KiB), refusing with an error that
// wraps [ErrInsecurePermissions] a file that is not a regular file, that its group or others
// may read or write (mode & 0o077 != 0), or, on Unix, that is owned by a user other than the
// effective user (os.Geteuid): whoever owns the file could rewrite it or make it readable. A
// service running as root therefore needs its key files owned by root. Symbolic links are
// followed, and the mode and owner of the file they lead to are checked; a FIFO or device is
// refused without being read (and a FIFO without blocking). The checks run on the opened file,
// so the file cannot be swapped between the check and the read. On Windows, where Unix modes
// and owner IDs are not meaningful, only the regular-file check is made.
func ReadKeyFile(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|keyFileFlags, 0) // #nosec G304 -- the caller names its key file
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0) {
		return nil, fmt.Errorf("%w: %s has mode %v; want 0600 or stricter (chmod 600 %s)", ErrInsecurePermissions, name, fi.Mode(), name)
	}
	if err := checkKeyFileOwner(name, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("secretbox: key file %s is larger than %d bytes", name, maxKeyFile)
	}
	return b, nil
}

// WriteKeyFile writes data to the file name with mode 0600, crash-safely (as [EncryptFile]). An
// error that wraps [ErrNotDurable] means that name already holds data, but a crash may bring
// back its old content; any other error means that name was not replaced.
func WriteKeyFile(name string, data []byte) error {
	return writeAtomic(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, syncDir)
}

// writeAtomic writes name through a synced 0600 temporary file in the same directory, renamed
// over name, then syncs the directory with dirSync (syncDir, or a failure injected by a test).
// The directory is opened as an os.Root so that neither the temporary file nor the rename can
// be redirected outside it through a symlink. Once the rename has succeeded, name holds the new
// content whatever happens next, so a failing directory sync is reported as ErrNotDurable.
func writeAtomic(name string, fill func(io.Writer) error, dirSync func(*os.Root) error) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	if base == "" || base == "." || base == ".." {
		return fmt.Errorf("secretbox: %q does not name a file", name)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }() // a directory handle: nothing to flush

	var suffix [8]byte
	_, _ = rand.Read(suffix[:]) // crypto/rand.Read never fails (Go 1.24+)
	tmp := ".tmp-" + hex.EncodeToString(suffix[:])
	if len(base)+len(tmp)+1 <= maxName {
		tmp = "." + base + tmp // names the file it will replace, where that fits
	}
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := writeTemp(f, fill); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	if err := root.Rename(tmp, base); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	if err := dirSync(root); err != nil {
		return fmt.Errorf("%w: %w", ErrNotDurable, err)
	}
	return nil
}

// writeTemp fills the temporary file f, syncs it and closes it (also when fill fails).
func writeTemp(f *os.File, fill func(io.Writer) error) error {
	err := fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes the rename durable. Windows cannot sync a directory, and there the rename is
// durable once it returns; some file systems reject directory syncs with EINVAL, which is ignored.
func syncDir(root *os.Root) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }() // a directory handle: nothing to flush
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
