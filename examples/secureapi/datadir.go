package main

import (
	"fmt"
	"os"
)

// checkDataDir refuses a data directory that is a symbolic link or not a directory and, on Unix
// systems, one that is not owned by the effective user or is writable by its group or others
// (checkDataDirOwner).
func checkDataDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("-data %s: not a directory (a symbolic link is refused too: give the real path)", dir)
	}
	return checkDataDirOwner(dir, fi)
}
