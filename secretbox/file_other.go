//go:build !unix

package secretbox

import "os"

// keyFileFlags adds nothing where there are no FIFOs to block on (see file_unix.go).
const keyFileFlags = 0

// checkKeyFileOwner accepts every file: outside Unix there is no owner ID to compare with (on
// Windows access is governed by ACLs, which ReadKeyFile does not inspect).
func checkKeyFileOwner(string, os.FileInfo) error { return nil }
