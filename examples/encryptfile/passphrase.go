package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rampart-go/rampart/auth"
)

// maxPassphrase bounds what is read as a passphrase, from any source.
const maxPassphrase = 1024

// passphrase returns the passphrase from the first source that has one: -passphrase-file,
// the environment, the terminal (without echo, twice when encrypting), or standard input when it
// is not a terminal. A passphrase for encryption must pass auth's password policy (8 or more
// characters, not a common or repetitive password).
func passphrase(ctx context.Context, env environment, file string, encrypt bool) ([]byte, error) {
	var pass []byte
	switch {
	case file != "":
		f, err := os.Open(file) //nolint:gosec // G304: the user names the passphrase file
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }()
		if pass, err = firstLine(f); err != nil {
			return nil, fmt.Errorf("-passphrase-file: %w", err)
		}
	case env.getenv(envPassphrase) != "":
		pass = []byte(env.getenv(envPassphrase))
	case env.stdinTerminal:
		fmt.Fprint(env.stderr, "Passphrase: ")
		p, err := env.readPassword(ctx)
		fmt.Fprintln(env.stderr)
		if err != nil {
			return nil, err
		}
		if encrypt && len(p) > 0 {
			fmt.Fprint(env.stderr, "Again: ")
			again, err := env.readPassword(ctx)
			fmt.Fprintln(env.stderr)
			if err != nil {
				return nil, err
			}
			if subtle.ConstantTimeCompare(p, again) != 1 {
				return nil, errors.New("the passphrases differ")
			}
		}
		pass = p
	default:
		p, err := firstLine(env.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase from standard input: %w", err)
		}
		pass = p
	}
	if len(pass) == 0 {
		return nil, errors.New("empty passphrase")
	}
	if encrypt {
		var policy auth.PasswordPolicy
		var pe *auth.PolicyError
		if err := policy.Check(ctx, string(pass), "encryptfile"); errors.As(err, &pe) {
			return nil, fmt.Errorf("weak passphrase: %v (or use -generate)", pe.Messages())
		} else if err != nil {
			return nil, err
		}
	}
	return pass, nil
}

// firstLine reads the first line of r, without its line ending, reading at most maxPassphrase
// bytes.
func firstLine(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, maxPassphrase+2))
	line, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > maxPassphrase {
		return nil, fmt.Errorf("longer than %d bytes", maxPassphrase)
	}
	return line, nil
}
