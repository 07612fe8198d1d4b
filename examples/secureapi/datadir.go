package main

import (
	"fmt"
	"os"

	"github.com/rampart-go/rampart/internal/safefile"
)

// checkDataDir refuses a data directory that is a symbolic link or not a directory and, on Unix
// systems, one that is not owned by the effective user or is writable by its group or others
// (safefile.CheckPrivate): whoever can write into it can swap the store, the key file or the
// development CA.
func checkDataDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("-data %s: not a directory (a symbolic link is refused too: give the real path)", dir)
	}
	if err := safefile.CheckPrivate(fi); err != nil {
		return fmt.Errorf("-data %s: %w; give it to this user and run chmod go-w on it", dir, err)
	}
	return nil
}
