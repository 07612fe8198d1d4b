//go:build !linux

package redisstore_test

import "syscall"

// serverProcAttr has nothing to add outside Linux: a test binary that dies without running
// its cleanups leaves its redis-server behind.
func serverProcAttr() *syscall.SysProcAttr { return nil }
