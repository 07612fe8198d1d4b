package secretbox

import "errors"

// ErrAuth is the one error every decryption function returns when its input cannot be
// authenticated: a wrong key or passphrase, a key ID that is not in the keyring, associated data
// that differs from the data given when sealing, a flipped bit, a truncated or extended message or
// stream, malformed base64, an unknown version. It says nothing about which check failed, and no
// plaintext or expiry is ever reported for such an input.
var ErrAuth = errors.New("secretbox: message authentication failed")

// ErrExpired is returned by [Fernet.DecryptTTL] and [Fernet.DecryptTTLAt] for an authentic token
// whose timestamp is older than the TTL, or further in the future than the clock-skew allowance.
// It is never returned for a token that is not authentic.
var ErrExpired = errors.New("secretbox: token expired")

// ErrInvalidKey is returned by [ParseKey], [ParseKeyring] and [ParseFernetKey] for a key string
// that is not in the expected encoding. The error never contains the string.
var ErrInvalidKey = errors.New("secretbox: invalid key encoding")

// ErrKDFLimit is returned, joined with [ErrAuth], when a passphrase header asks for key-derivation
// parameters above the decoder's caps (see [Passphrase.MaxMemory]); the KDF is not run and
// nothing is allocated for it. [Passphrase] also returns it when asked to write such parameters.
var ErrKDFLimit = errors.New("secretbox: passphrase KDF parameters exceed the limits")

// ErrInsecurePermissions is returned (wrapped with the file name) by [ReadKeyFile] when the file
// can be read or written by its group or by others, is not a regular file, or (on Unix) is owned
// by a user other than the effective user.
var ErrInsecurePermissions = errors.New("secretbox: key file permissions are too open")

// ErrClosed is returned by a stream writer's Write and Close after Close.
var ErrClosed = errors.New("secretbox: stream writer already closed")

// ErrNotDurable is returned, wrapping the cause, by [EncryptFile], [WriteKeyFile] and
// [RewrapFile] when the new file was written, synced and renamed over the target, but the
// directory could not be synced afterwards. The target already holds the new content (readers
// see it), but a crash or power loss may bring back the old content. Treat the write as done,
// yet keep what the old content needs (after [RewrapFile], the old key or passphrase) until a
// later write succeeds. Any other error from these functions means the target was not replaced.
var ErrNotDurable = errors.New("secretbox: file written, but the rename may not survive a crash")
