package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rampart-go/rampart/internal/safefile"
)

// caDirName is the directory, under the user's cache directory, that holds the development CA
// by default.
const caDirName = "rampart-tlsecho"

// maxCAFile bounds what loadCA reads.
const maxCAFile = 1 << 20

// defaultCAFile returns the default CA certificate path, os.UserCacheDir()/rampart-tlsecho/ca.pem,
// or "" if the user has no cache directory. A per-user directory, not the shared temporary
// directory: there another user could plant a symbolic link or a CA of their own.
func defaultCAFile() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, caDirName, "ca.pem")
}

// makePrivateDir creates dir (mode 0700, with its parents) if it is missing. It refuses a
// directory that another user owns or that others can write to, since they could then replace
// the CA certificate in it.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	fi, err := root.Stat(".")
	if err != nil {
		return err
	}
	if err := safefile.CheckPrivate(fi); err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	return nil
}

// writeCA writes the PEM certificate to name with safefile.Replace: a symbolic link planted at
// name is replaced, never followed, and readers see either the old file or the whole new one.
func writeCA(name string, pemBytes []byte) error {
	return safefile.Replace(name, pemBytes, 0o644)
}

// errUntrustedCA is returned by loadCA for a CA file that someone else could have written.
var errUntrustedCA = errors.New("CA file not trusted")

// loadCA reads a PEM CA certificate file into a pool. It refuses a file that is owned by
// another user or writable by group or others: whoever can write the CA file decides which
// servers the client trusts. The checks apply to the opened file itself, so the file cannot be
// swapped between the check and the read.
func loadCA(name string) (*x509.CertPool, error) {
	f, err := os.Open(name) //nolint:gosec // G304: the user names the CA file
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	if err := safefile.CheckPrivate(fi); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errUntrustedCA, name, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCAFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxCAFile {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxCAFile)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", name)
	}
	return pool, nil
}
