//go:build !unix

package safefile

import "io/fs"

// CheckPrivate checks nothing outside Unix, where ownership and permission bits mean something
// else (access is governed by ACLs that this package does not inspect): keep private files in a
// directory only you can write to.
func CheckPrivate(fs.FileInfo) error { return nil }

// syncUnsupported: directories cannot be synced here; a failed sync is not an error.
func syncUnsupported(error) bool { return true }
