package redisstore_test

import "syscall"

// serverProcAttr makes the kernel kill a test's redis-server when the test binary dies, even
// by a panic or a timeout that skips every cleanup.
func serverProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
