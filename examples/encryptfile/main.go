// Command encryptfile encrypts and decrypts files of any size with a passphrase, done right:
// secretbox's streaming format (64 KiB authenticated chunks, constant memory, truncation and
// tampering detected), a key derived with Argon2id (64 MiB, 3 passes) that only wraps a random
// data key, output written to a temporary file and put in place only when complete (a wrong
// passphrase or a damaged file never leaves an unauthenticated output), and no overwrite
// without -force, even of a file that appears while encryptfile runs.
//
// Usage:
//
//	encryptfile encrypt [-force] [-generate] IN OUT
//	encryptfile decrypt [-force] IN OUT
//
// The passphrase is asked on the terminal, without echo (twice when encrypting). For scripts:
// -passphrase-file FILE reads it from the first line of a file, the ENCRYPTFILE_PASSPHRASE
// environment variable holds it (beware: the environment of a process can be read by the same
// user and ends up in crash reports), or, when standard input is not a terminal, its first line
// is read. Passphrases are never taken from the command line, where every user could see them
// in the process list. With -generate, encrypt makes up a six-word passphrase (77 bits) and
// prints it once on standard error.
//
// A progress bar is drawn on standard error for files of 4 MiB or more when it is a terminal.
//
// # Output, interruption and crashes
//
// OUT is written as a hidden temporary file ".OUT.tmp-*" of mode 0600 in the same directory,
// created exclusively (never through a symbolic link), synced, and then put in place: without
// -force it is hard-linked as OUT, which fails if OUT exists by then, so nothing that appeared
// there since the start is replaced (the file system must support hard links; else use
// -force); with -force it is renamed over OUT, replacing a symbolic link rather than the file
// it points to. OUT is thus either absent (or its old content) or the complete result.
//
// Ctrl-C, SIGTERM and SIGHUP stop the work at the next read: the temporary file is removed,
// OUT is left as it was, and the exit status is 1. A SIGKILL, a crash or a power loss cannot
// be caught: it can leave the hidden temporary file behind, and when decrypting it holds
// partial plaintext (readable by you alone, mode 0600). Delete any ".OUT.tmp-*" file you find
// after such an event.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/secretbox"
)

// ad is the associated data of every file: it binds the stream to this tool and format version.
// The file name is not bound, so an encrypted file can be renamed.
var ad = []byte("rampart encryptfile v1")

// envPassphrase is the environment variable that may hold the passphrase.
const envPassphrase = "ENCRYPTFILE_PASSPHRASE" //nolint:gosec // G101: the name of a variable, not a credential

// progressMin is the input size from which a progress bar is shown on a terminal.
const progressMin = 4 << 20

// errUsage is returned for a command line that cannot be run; the usage was printed.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	env := environment{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinTerminal: isTerminal(os.Stdin), stderrTerminal: isTerminal(os.Stderr),
		readPassword: func(ctx context.Context) ([]byte, error) { return readPassword(ctx, os.Stdin) },
	}
	if err := run(ctx, os.Args[1:], env); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "encryptfile:", err)
		}
		os.Exit(1)
	}
}

// environment is what run needs from the process, so tests can provide their own.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	stdinTerminal  bool
	stderrTerminal bool
	// readPassword reads a line from the terminal without echo.
	readPassword func(ctx context.Context) ([]byte, error)
	// kdf is the key derivation for new files; the zero value is secretbox's default
	// (Argon2id, 64 MiB, 3 passes, 4 lanes). Tests lower it.
	kdf secretbox.KDF
}

// run executes the command line args.
func run(ctx context.Context, args []string, env environment) error {
	if len(args) == 0 || (args[0] != "encrypt" && args[0] != "decrypt") {
		fmt.Fprintln(env.stderr, "usage: encryptfile encrypt|decrypt [flags] IN OUT (encryptfile encrypt -h for the flags)")
		return errUsage
	}
	encrypt := args[0] == "encrypt"
	fs := flag.NewFlagSet("encryptfile "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	force := fs.Bool("force", false, "overwrite OUT if it exists")
	passFile := fs.String("passphrase-file", "", "read the passphrase from the first line of `file`")
	var generate *bool
	if encrypt {
		generate = fs.Bool("generate", false, "generate a six-word passphrase and print it on standard error")
	}
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "usage: encryptfile %s [flags] IN OUT\n", args[0])
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	in, out := fs.Arg(0), fs.Arg(1)
	if err := checkPaths(in, out, *force); err != nil {
		return err
	}

	var pass []byte
	var err error
	if generate != nil && *generate {
		phrase, bits, err := auth.GeneratePassphrase(6, " ")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "encryptfile: passphrase (%.0f bits; write it down, it is shown only once):\n\n    %s\n\n", bits, phrase)
		pass = []byte(phrase)
	} else if pass, err = passphrase(ctx, env, *passFile, encrypt); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w; %s was not written", errInterrupted, out)
		}
		return err
	}
	p := secretbox.NewPassphrase(pass)
	clear(pass)
	p.KDF = env.kdf

	src, err := os.Open(in) //nolint:gosec // G304: the user names the file to encrypt
	if err != nil {
		return err
	}
	defer func() { _ = src.Close() }() // read-only
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", in)
	}
	var r io.Reader = src
	if env.stderrTerminal && fi.Size() >= progressMin {
		bar := newProgress(env.stderr, fi.Size())
		defer bar.finish()
		r = io.TeeReader(src, bar)
	}
	// Ctrl-C, SIGTERM and SIGHUP cancel ctx; the next read then fails, the temporary file is
	// removed and OUT is left as it was.
	r = ctxReader{ctx, r}

	if encrypt {
		err = writeOut(out, *force, func(w io.Writer) error {
			enc, err := secretbox.NewWriter(w, p, ad)
			if err != nil {
				return err
			}
			if _, err := io.Copy(enc, r); err != nil {
				return err
			}
			return enc.Close()
		})
	} else {
		err = decryptTo(out, *force, r, p)
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w; %s was not written", errInterrupted, out)
	}
	return err
}

// errInterrupted is returned when a signal stopped the work.
var errInterrupted = errors.New("interrupted")

// ctxReader reads from r until ctx is done, then fails with ctx.Err().
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// decryptTo decrypts the stream from r into a temporary file next to out (see writeOut), which
// becomes out only once the whole stream has been authenticated. A wrong passphrase, a
// truncated or tampered file leaves no output.
func decryptTo(out string, force bool, r io.Reader, p *secretbox.Passphrase) error {
	dec, err := secretbox.NewReader(r, p, ad)
	if err != nil {
		if errors.Is(err, secretbox.ErrAuth) {
			return errors.New("wrong passphrase, or not a file made by encryptfile")
		}
		return err
	}
	err = writeOut(out, force, func(w io.Writer) error {
		_, err := dec.WriteTo(w)
		return err
	})
	if errors.Is(err, secretbox.ErrAuth) {
		return errors.New("the file is damaged or was tampered with; nothing was written")
	}
	return err
}

// writeOut writes out crash-safely: fill writes into a new 0600 temporary file next to out
// (created exclusively, never through a symbolic link), which is synced and then put in place.
// With force it is renamed over out; without, it is hard-linked as out, which fails if out
// exists by then, whatever appeared there since the first check, and then removed. If fill
// fails, the temporary file is removed and out is left as it was.
func writeOut(out string, force bool, fill func(io.Writer) error) error {
	dir, base := filepath.Split(out)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		_ = tmp.Close() // a second Close after the one below fails harmlessly
		if !renamed {
			_ = os.Remove(tmpName) //nolint:gosec // G703: our own temporary file, next to the output the user named
		}
	}()
	w := bufio.NewWriterSize(tmp, 256<<10)
	if err := fill(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if force {
		err = os.Rename(tmpName, out) //nolint:gosec // G703: the output path is the user's own choice
		renamed = err == nil
	} else {
		err = os.Link(tmpName, out)
		if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s exists; use -force to overwrite it", out)
		}
	}
	if err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir) //nolint:gosec // G304: the directory of the user's output file
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// checkPaths refuses to overwrite out without force, and to write over the input.
func checkPaths(in, out string, force bool) error {
	inInfo, err := os.Stat(in) //nolint:gosec // G703: the user names the input file
	if err != nil {
		return err
	}
	outInfo, err := os.Stat(out) //nolint:gosec // G703: the user names the output file
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case os.SameFile(inInfo, outInfo):
		return errors.New("IN and OUT are the same file")
	case !outInfo.Mode().IsRegular():
		return fmt.Errorf("%s exists and is not a regular file", out)
	case !force:
		return fmt.Errorf("%s exists; use -force to overwrite it", out)
	}
	return nil
}
