//go:build !linux

package main

import (
	"context"
	"errors"
	"os"
)

// isTerminal reports false outside Linux: the passphrase is then read from -passphrase-file,
// the environment or standard input.
func isTerminal(*os.File) bool { return false }

func readPassword(context.Context, *os.File) ([]byte, error) {
	return nil, errors.New("reading a passphrase without echo is implemented for Linux only; use -passphrase-file")
}
