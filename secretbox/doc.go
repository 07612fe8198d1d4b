// Package secretbox encrypts data at rest: Fernet-compatible tokens, a modern authenticated
// format with key rotation, passphrase-derived keys, streaming encryption and crash-safe files.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package secretbox
