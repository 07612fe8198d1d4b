//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package main

import "os"

// checkDataDirOwner does nothing on this system: access is governed by ACLs that this example
// does not inspect.
func checkDataDirOwner(string, os.FileInfo) error { return nil }

// lockDataDir does nothing on this system: run one secureapi per data directory.
func lockDataDir(string) (unlock func(), err error) { return func() {}, nil }
