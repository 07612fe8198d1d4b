// Package auth authenticates the users of a net/http service: password hashing (argon2id by
// default; bcrypt, scrypt and PBKDF2 for migration) in PHC strings, HMAC-signed session tokens
// with key rotation and revocation, API keys, and Bearer/cookie middleware.
//
// For passwords, most services need three calls: [NewHasher] once at start-up with the zero
// [HasherConfig], [Hasher.Hash] when a user sets a password (after [PasswordPolicy.Check]),
// and [Hasher.Login] when a user logs in.
//
// # Passwords
//
// A [Hasher] hashes new passwords with argon2id (RFC 9106) at OWASP's parameters
// (m=19 MiB, t=2, p=1) and verifies hashes of every algorithm it knows, whatever it is
// configured to produce:
//
//   - argon2id and argon2i, version 19, as PHC strings: $argon2id$v=19$m=19456,t=2,p=1$salt$hash
//   - bcrypt: $2a$, $2b$ and $2y$ (new bcrypt hashes are written as $2b$)
//   - scrypt in passlib's PHC form: $scrypt$ln=17,r=8,p=1$salt$hash
//   - PBKDF2-HMAC-SHA-256 in passlib's form $pbkdf2-sha256$600000$salt$hash (adapted base64),
//     or $pbkdf2-sha256$i=600000$salt$hash
//
// Salts and digests are unpadded standard base64, so hashes move both ways between rampart,
// argon2-cffi, passlib, Python's bcrypt, libsodium and the argon2 reference implementation;
// the tests check this against the real Python libraries and the reference test vectors.
//
// Use it for the passwords of people. Do not use it for API keys or other random secrets with
// 128 bits or more of entropy: a slow hash buys nothing there, and a keyed MAC or a SHA-256
// lookup is the right tool.
//
// # Logging in
//
// [Hasher.Login] takes the password and the stored hash, or "" when no user has that name. An
// unknown user is verified against a dummy hash at the current parameters, so it costs the
// same full hash computation as a wrong password, and both return the one opaque
// [ErrPasswordMismatch]: neither the error nor the time tells an attacker which names exist.
// Do not look up the user and return early: call Login in every case. (The time can still
// differ for users whose stored hash uses older, cheaper parameters, until they log in once.)
//
// # Upgrading hashes
//
// When a login succeeds and the stored hash uses another algorithm, other parameters or an
// older pepper, Login also returns a new hash at the current settings: store it in place of
// the old one. A database of PBKDF2 or bcrypt hashes thus moves to argon2id as users log in,
// with no reset. [Hasher.NeedsRehash] answers the same question without hashing.
//
// # Bounded cost
//
// Hashing is expensive by design, which an attacker can turn against the service. A Hasher
// bounds it three ways:
//
//   - Stored hashes are parsed with caps ([HashLimits]: 256 MiB of memory, t ≤ 16,
//     p ≤ 16, bcrypt cost ≤ 15, 5,000,000 PBKDF2 rounds by default), checked before anything
//     is allocated: a tampered m=4194304,t=100,p=255 or p=0 fails with [ErrHashParams].
//   - Passwords longer than [HasherConfig.MaxPasswordBytes] (1024 bytes by default) fail with
//     [ErrPasswordTooLong]. bcrypt reads at most 72 bytes: a longer password is an error, never
//     silently truncated.
//   - Concurrent hash computations share [HasherConfig.MemoryBudget] (256 MiB by default): a
//     call that would exceed it waits in line, and gives up when its context is done. With the
//     default parameters, 13 hashes run at once and the rest queue, however many logins arrive.
//
// # Peppers
//
// A [Pepper] is a secret key, kept outside the database, that is mixed into each password by
// HMAC-SHA-256 before hashing. Its ID is written into the hash (keyid=k1), so peppers rotate:
// put the new one first in [HasherConfig.Peppers], keep the old ones while Login upgrades
// their hashes, then remove them. A hash naming a pepper that is not configured fails with
// [ErrUnknownPepper]. Peppered hashes only verify in rampart.
//
// # Password policy
//
// [PasswordPolicy] checks new passwords the way NIST SP 800-63B asks: a length in Unicode code
// points after NFKC normalization (at least 8, or 15 when the password is the only factor; at
// most 64 or more), no composition rules, and a blocklist: Openwall's list of the 3,546 most
// common passwords (embedded, public domain), repetitive or sequential strings, words from
// the context (the user name, the service name), and any [BreachChecker] you add, such as a
// breached-password service. A rejection is a [*PolicyError] whose reasons a UI can show.
// Hashers also apply NFKC, so "ﬁ" and "fi" are the same password.
//
// # Generating passwords
//
// [GeneratePassword] and [GeneratePassphrase] draw from crypto/rand and report the entropy of
// what they return: 20 alphanumeric characters carry 119 bits, six words of the EFF large
// word list 77 bits.
//
// # Concurrency
//
// A [Hasher] and a [PasswordPolicy] are safe for concurrent use once created; the memory
// budget is per Hasher, so share one Hasher across the service.
package auth
