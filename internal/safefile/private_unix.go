//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// CheckPrivate returns an error wrapping [ErrNotOwner] if fi, a file or directory, belongs to
// another user than the effective one, or [ErrWritable] if its group or others may write to it:
// whoever can write a CA file decides which servers are trusted, and whoever can write a data
// directory can swap the files in it. Check the FileInfo of an opened file (File.Stat) or of a
// path that cannot be swapped meanwhile. Outside Unix it checks nothing.
func CheckPrivate(fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int64(st.Uid) != int64(os.Geteuid()) {
		return fmt.Errorf("%w (uid %d, this process runs as uid %d)", ErrNotOwner, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w (mode %v)", ErrWritable, perm)
	}
	return nil
}

func syncUnsupported(err error) bool { return errors.Is(err, syscall.EINVAL) }
