// Package secretbox encrypts data at rest: Fernet-compatible tokens, a modern sealed format
// with key IDs and rotation, passphrase-protected data, streaming encryption of data of any
// size in constant memory, and crash-safe encrypted files.
//
// For most uses, generate a [Key] once, store [Key.Encode] in your secret store or in a 0600
// key file, build a [Keyring] at start-up and call [Keyring.Seal] and [Keyring.Open], passing
// the row or object the value belongs to as associated data:
//
//	ring, err := secretbox.ParseKeyring(os.Getenv("SECRETBOX_KEYS")) // newest key first
//	sealed, err := ring.Seal(cardNumber, []byte("users/42/card"))
//	card, stale, err := ring.Open(sealed, []byte("users/42/card"))
//	if stale { /* sealed under an older key: re-seal and store again */ }
//
// For files and anything larger than a few megabytes use [NewWriter] and [NewReader], or
// [EncryptFile] and [DecryptFile]; to protect data with a password use a [Passphrase] as the
// [Wrapper] of a stream. Use [Fernet] only to exchange tokens with systems that already speak
// Fernet (Python's cryptography.fernet); new data should use the sealed format.
//
// # When not to use it
//
// secretbox is symmetric encryption for data that the same service (or a group of services
// sharing a key) writes and later reads. It is not for passwords that you only need to verify
// (hash them: see the auth package), not for sending data to a party with a public key (use
// age or HPKE), not for signed but readable tokens, and not a key-management service: it
// never stores keys itself.
//
// # Formats and the choice of cipher
//
// Sealed messages and stream headers use XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) with a
// fresh 192-bit random nonce. A random 192-bit nonce can be drawn for 2^80 messages under one
// key before a collision becomes more likely than 2^-32, so nonces never need coordinating
// between processes, whereas AES-GCM's random 96-bit nonces must stop at about 2^32 messages a
// key. ChaCha20 is also constant-time in pure software on CPUs without AES instructions.
// Stream chunks use ChaCha20-Poly1305 (RFC 8439) under a key derived with HKDF-SHA256 from a
// random per-stream data key, with the STREAM construction's nonces (Hoang, Reyhanitabar,
// Rogaway and Vizár, 2015): a chunk counter and a last-chunk flag, as in age. The byte layouts
// are specified in FORMAT.md in the package source, and testdata/vectors.json holds known-answer
// vectors generated with fixed keys and randomness, for other implementations to check against.
//
// # Keys and rotation
//
// A [Key] is 256 random bits plus a random 32-bit ID that is written in clear into every
// header. A [Keyring] seals with its primary key and opens with any of its keys, finding the
// key by that ID with one map lookup, so opening costs the same with 1 or 1,000 keys. To rotate:
// generate a key, make it the primary (first) and keep the old keys; [Keyring.Open] and
// [Reader.Stale] report values and streams made under an older key, which can be re-sealed or
// rewrapped ([Rewrap], [RewrapFile]) in the background. Drop an old key only once nothing
// needs it. Keys redact themselves in fmt, slog and JSON output, also inside a caller's struct
// (their bytes sit behind pointers that fmt prints as addresses); only [Key.Encode] reveals
// them. Reflection-based dumpers that follow pointers (such as go-spew) can still reach them,
// and Go cannot reliably wipe secrets from memory.
// [ReadKeyFile] refuses key files that others can read or that another user owns.
//
// # Passphrases
//
// A [Passphrase] derives a key-encryption key with Argon2id (RFC 9106; t=3, m=64 MiB, p=4 by
// default) or scrypt (N=2^17, r=8, p=1) and a random 16-byte salt per header, and uses it only to
// wrap the stream's random data key. The KDF and its parameters are stored in the header and
// authenticated, and checked against hard caps (256 MiB, 10 passes, 16 threads; lowered with
// [Passphrase.MaxMemory]) before anything is derived or allocated, so a hostile file cannot make
// the reader allocate gigabytes or spin for minutes. Changing the passphrase rewrites only the
// header ([Rewrap]). Rewrapping keeps the stream's data key, so it does not protect a file from
// whoever already had the old passphrase and a copy of the old file; after a compromise,
// re-encrypt instead.
//
// # Streams and files
//
// [NewWriter] encrypts in 64 KiB chunks; [Reader] authenticates each chunk before releasing any
// of its plaintext, and detects truncation (at a chunk boundary or inside one), reordering,
// duplication, chunks from other streams and trailing data. Memory use is one chunk buffer
// either way, whatever the size of the data. Note that a consumer receives the authentic
// chunks before a later failure is detected: treat the output as valid only once the reader has
// returned io.EOF. [EncryptFile], [WriteKeyFile] and [RewrapFile] write a 0600 temporary file in
// the target's directory (created exclusively, inside an [os.Root] so no symlink is followed),
// sync it, rename it over the target and sync the directory: after a crash the target holds the
// old or the new complete content, never a mixture. A symbolic link at the target is replaced by
// [EncryptFile] and [WriteKeyFile], whereas [RewrapFile] rewrites the file the link leads to
// (the one it read) and leaves the link in place.
//
// # Fernet
//
// [Fernet] implements the Fernet specification (https://github.com/fernet/spec): AES-128-CBC
// with PKCS #7 padding and HMAC-SHA256, and, like Python's MultiFernet, encrypts with the first
// of several keys and decrypts with any. Decrypting with a TTL ([Fernet.DecryptTTL]) and without
// one ([Fernet.Decrypt]) are separate calls; the clock-skew allowance defaults to 60 seconds
// ([Fernet.Skew]) and the clock is injectable ([Fernet.Now], [Fernet.DecryptTTLAt]). Tokens are
// parsed strictly (canonical padded base64url, nothing else) and the MAC is checked in constant
// time before anything about the plaintext or the expiry is reported.
//
// # Errors
//
// Every decryption failure is the one opaque [ErrAuth], whatever the cause, so that no error
// helps an attacker; [ErrExpired] is reported only for authentic Fernet tokens. [ErrKDFLimit]
// (with [ErrAuth]) flags a passphrase header that asks for too much work, [ErrInvalidKey] a
// malformed key string, [ErrInsecurePermissions] a key file that is too open or owned by
// another user, [ErrNotDurable] a file written and renamed into place whose directory could not
// be synced (the new content is there, but a crash may undo it). I/O errors from the caller's
// readers and writers are returned as they are; a writer that takes less than it was given
// without an error fails the stream with io.ErrShortWrite, as in io.Copy.
//
// # Limits
//
// [Keyring.Seal] takes up to 1 GiB of plaintext and associated data (use a stream beyond a few
// megabytes: Seal holds everything in memory). A stream may hold up to 2^64-1 chunks. Key files
// are at most 64 KiB. Fernet tokens are at most 2 GiB (math.MaxInt32 bytes). Each decoder reads and allocates at most its documented fixed sizes: a
// sealed message or Fernet token allocates its own length, a stream reader one 64 KiB chunk.
//
// # Concurrency
//
// [Key], [Keyring], [Passphrase] and [Fernet] are safe for concurrent use once their exported
// fields are set. The writer returned by [NewWriter] and a [Reader] belong to one goroutine.
// Nothing in the package logs, keeps mutable global state (two read-only base64 lookup tables
// are built on first use) or leaves a goroutine running: Argon2id runs its lanes in goroutines
// that all finish before the call returns.
package secretbox
