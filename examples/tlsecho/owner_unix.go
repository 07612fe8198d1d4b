//go:build unix

package main

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a file or directory that another user owns or that group or others
// can write to.
func checkPrivate(fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int64(st.Uid) != int64(os.Getuid()) {
		return errors.New("owned by another user")
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return errors.New("writable by group or others")
	}
	return nil
}
