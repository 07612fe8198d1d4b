//go:build unix

package secretbox

import "syscall"

// keyFileFlags opens key files without blocking: opening a FIFO for reading would otherwise wait
// for a writer forever, before the check that refuses anything but a regular file could run.
// O_NONBLOCK has no effect on reads from a regular file.
const keyFileFlags = syscall.O_NONBLOCK
