//go:build !unix

package secretbox

// keyFileFlags adds nothing where there are no FIFOs to block on (see file_unix.go).
const keyFileFlags = 0
