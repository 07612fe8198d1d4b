//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// checkDataDirOwner refuses a data directory that is not owned by the effective user, or is
// writable by its group or others: whoever can write into it can swap the store, the key file or
// the development CA.
func checkDataDirOwner(dir string, fi os.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("-data %s: owned by uid %d, not by this user (uid %d)", dir, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("-data %s: writable by group or others (mode %v); run chmod go-w on it", dir, perm)
	}
	return nil
}

// lockDataDir takes an exclusive lock on dir/lock for as long as the process runs (until
// unlock): two processes on one data directory would each rewrite the store from their own
// state, losing acknowledged writes. It fails with errDataDirInUse if another process holds it.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600) //nolint:gosec // G304: the path is the operator's -data directory
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked by another secureapi process", errDataDirInUse, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = f.Close() }, nil // closing the file releases the lock
}
