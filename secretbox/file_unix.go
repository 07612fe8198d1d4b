//go:build unix

package secretbox

import (
	"fmt"
	"os"
	"syscall"
)

// keyFileFlags opens key files without blocking: opening a FIFO for reading would otherwise wait
// for a writer forever, before the check that refuses anything but a regular file could run.
// O_NONBLOCK has no effect on reads from a regular file.
const keyFileFlags = syscall.O_NONBLOCK

// checkKeyFileOwner refuses a key file that the effective user does not own: its owner could
// rewrite it with keys of their choosing, or chmod it open, whatever its mode is now. fi must
// come from the opened file, so that it describes the file that will be read.
func checkKeyFileOwner(name string, fi os.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: cannot tell who owns %s", ErrInsecurePermissions, name)
	}
	if euid := os.Geteuid(); int64(st.Uid) != int64(euid) {
		return fmt.Errorf("%w: %s is owned by uid %d, not by the effective user (uid %d)", ErrInsecurePermissions, name, st.Uid, euid)
	}
	return nil
}
