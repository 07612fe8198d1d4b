// Package safefile writes and checks the small private files that rampart's examples keep
// beside their data: development CA certificates and key files. It is internal: services should
// keep such files where their deployment puts secrets.
package safefile

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Errors returned by [CheckPrivate]; test for them with [errors.Is].
var (
	// ErrNotOwner: the file or directory belongs to another user than the effective one.
	ErrNotOwner = errors.New("owned by another user")
	// ErrWritable: group or others may write to the file or directory.
	ErrWritable = errors.New("writable by group or others")
)

// Replace writes data to path with mode perm: through a temporary file created exclusively in
// the same directory (opened with [os.OpenRoot], so nothing outside it is touched), synced,
// renamed over path, and the directory synced. Readers see either the old file or the whole new
// one, even after a crash, and a symbolic link planted at path is replaced, never followed. The
// file gets exactly perm, whatever the umask. On an error before the rename the temporary file
// is removed and path is unchanged; if only the directory sync fails, path already holds the
// new content and the error says the rename may not survive a crash.
func Replace(path string, data []byte, perm os.FileMode) (err error) {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	base := filepath.Base(path)
	tmp := "." + base + ".tmp-" + rand.Text()
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = root.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil { // the umask may have narrowed the creation mode
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = root.Rename(tmp, base); err != nil {
		return err
	}
	if err := syncDir(root); err != nil {
		return fmt.Errorf("%s written, but the rename may not survive a crash: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in the directory of root durable. Systems whose directories cannot be
// synced (Windows) report nothing.
func syncDir(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && !syncUnsupported(err) {
		return err
	}
	return nil
}
