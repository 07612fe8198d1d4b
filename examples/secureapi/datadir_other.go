//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package main

import (
	"fmt"
	"os"
)

// checkDataDir refuses a data directory that is a symbolic link or not a directory. Ownership
// and permission bits are checked on Unix systems only (elsewhere, access is governed by ACLs
// that this example does not inspect).
func checkDataDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("-data %s: not a directory (a symbolic link is refused too: give the real path)", dir)
	}
	return nil
}

// lockDataDir does nothing on this system: run one secureapi per data directory.
func lockDataDir(string) (unlock func(), err error) { return func() {}, nil }
