//go:build !unix

package main

import "io/fs"

// checkPrivate checks nothing outside Unix, where ownership and permission bits mean
// something else; there, keep the CA file in a directory only you can write to.
func checkPrivate(fs.FileInfo) error { return nil }
