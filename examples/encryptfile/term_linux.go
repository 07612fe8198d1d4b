//go:build linux

package main

import (
	"context"
	"os"
	"syscall"
	"unsafe"
)

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := getTermios(f.Fd())
	return err == nil
}

func getTermios(fd uintptr) (*syscall.Termios, error) {
	var t syscall.Termios
	//nolint:gosec // G103: the ioctl system call takes a pointer to the termios structure
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t))); errno != 0 {
		return nil, errno
	}
	return &t, nil
}

func setTermios(fd uintptr, t *syscall.Termios) error {
	//nolint:gosec // G103: as in getTermios
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCSETS, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}

// readPassword reads a line from the terminal f with echo turned off, the way passwd and ssh
// do. The terminal is restored when the line is read, and also if ctx is done first (Ctrl-C):
// then the read is abandoned and the program is expected to exit.
func readPassword(ctx context.Context, f *os.File) ([]byte, error) {
	fd := f.Fd()
	old, err := getTermios(fd)
	if err != nil {
		return nil, err
	}
	raw := *old
	raw.Lflag &^= syscall.ECHO
	raw.Lflag |= syscall.ICANON | syscall.ISIG
	raw.Iflag |= syscall.ICRNL
	if err := setTermios(fd, &raw); err != nil {
		return nil, err
	}
	defer func() { _ = setTermios(fd, old) }()

	type result struct {
		line []byte
		err  error
	}
	done := make(chan result, 1)
	go func() { // ends when the line arrives or the process exits
		line, err := firstLine(f)
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		return r.line, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
