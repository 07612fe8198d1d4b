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
//   - Django's pbkdf2_sha256$600000$salt$hash and argon2$argon2id$... (verified, then
//     upgraded to the standard form at login)
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
//   - Concurrent hash computations share [HasherConfig.MemoryBudget] (256 MiB by default) and
//     at most [HasherConfig.MaxConcurrent] run at once (twice GOMAXPROCS by default, so that
//     bcrypt and PBKDF2, which need little memory, cannot swamp the CPU either): a call that
//     would exceed either waits in line, and gives up when its context is done. With the
//     default argon2id parameters, min(13, twice GOMAXPROCS) hashes run at once and the rest
//     queue, however many logins arrive.
//     The budget bounds the memory that running hashes hold; the Go collector frees a finished
//     hash's memory at its next cycle, so the heap can briefly hold up to about twice the budget
//     (200 concurrent logins under a 64 MiB budget: 57 MiB held by hashes, a 114 MiB heap
//     peak with default settings, 76 MiB with GOMEMLIMIT=80MiB). Set GOMEMLIMIT for a hard
//     bound on the process.
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
// # Tokens
//
// For sessions, most services need [NewKeyring] with one [Key] from [NewKey], [NewSessions],
// and [NewMiddleware]; [Keyring.Sign] and [Keyring.Verify] serve single-purpose tokens such as
// password-reset and e-mail verification links.
//
// A token is an unpadded base64url string (URL- and cookie-safe, no dots) of a compact binary
// encoding, version 1:
//
//	version(1) | key ID length(1) | key ID | token ID(16) | issued-at, not-before, expiry,
//	auth time (8 each, Unix seconds) | generation(8) | subject | roles | extra | tag(32)
//
// where subject, roles and extra are length-prefixed and the tag is HMAC-SHA256, under the key
// the ID names, of the length-prefixed purpose followed by every byte before the tag. The
// purpose ("session", "password-reset", "email-verify", ...) is thus bound into the MAC without
// being sent: a token minted for one purpose never verifies for another. Verification accepts
// exactly one encoding of each token: canonical base64url only (no padding, no line breaks,
// zero unused bits), at most [MaxTokenLen] (4 KiB) read, nothing trailing, every length
// checked; the tag is compared in constant time before any claim is looked at.
//
// Every rejection is the one opaque [ErrInvalidToken]: malformed, tampered with, unknown or
// retired key, wrong purpose, expired, not yet valid or revoked all look alike to the client.
// Only for a token whose MAC verified does the error also match [ErrExpired],
// [ErrNotYetValid] or [ErrRevoked], for the caller's logs and metrics. Claims are bounded
// (subject 255 bytes, 32 roles of 64 bytes, 1 KiB of [Claims.Extra]) and signed, not
// encrypted: put nothing secret in them. Custom claims go in [Claims.Extra], typed through
// encoding.BinaryAppender as the Keyring.Sign example shows.
//
// Defaults: tokens live [DefaultTokenTTL] (one hour) unless the claims set an expiry, the
// clock-skew leeway ([TokenConfig.Leeway]) is zero and at most five minutes, IDs are 128 random
// bits from crypto/rand. Time is injectable ([TokenConfig.Now], [Keyring.VerifyAt]). Verify
// takes about a microsecond and two or three allocations, whatever the number of keys.
//
// Use these tokens between the parts of your own service. Do not use them where another party
// must verify the token (use a standard JWT/PASETO library and asymmetric keys there), and do
// not use them to carry secrets.
//
// # Keys and rotation
//
// Keys are 32 or more random bytes (never a password) with a short ID carried in every token,
// so verification finds the key by ID at the cost of one map lookup. A [Key] and a [Keyring]
// never print their secrets: fmt (every verb), encoding/json and log/slog show only key IDs and
// validity windows. A Keyring is immutable and safe for concurrent use. To rotate:
//
//  1. deploy a keyring with the new key added as a verification-only key (after the primary);
//  2. once every instance has it, make the new key primary and set the old key's
//     [Key.NotAfter] to now plus the longest token lifetime;
//  3. remove the old key after that instant; its tokens stopped verifying on schedule anyway.
//
// # Revocation
//
// Signed tokens need no lookup to verify, so revoking one needs a [RevocationStore], set as
// [TokenConfig.Revocation]. It holds a generation counter per subject, stamped into every token
// at signing: [Keyring.RevokeSubject] ("log out everywhere") is one increment, after which
// every older token of that subject fails. It also holds a denylist of token IDs
// ([Keyring.Revoke], [Sessions.Logout]) whose entries expire with the tokens, so it never grows
// beyond the tokens alive. With a store, every verification costs one [RevocationStore.Lookup];
// if the store fails, Verify returns its error (not ErrInvalidToken) and the middleware answers
// 503, so an outage neither logs everybody out nor lets revoked tokens in.
//
// [MemoryRevocationStore] keeps this state in one process, bounded (a million subjects, a
// million live denylist entries and 1,024 per subject by default; beyond that, revoking fails
// loudly with [ErrRevocationStoreFull] rather than forgetting) and without goroutines. Denylist
// entries are filed under the token's subject, which is what lets a store cap each user's
// share: one user who logs in and out in a loop cannot fill the denylist for everyone else, and
// should many accounts fill it, [Sessions.Logout] ends every session of the user rather than
// leave the session valid. Services with several
// instances use a shared store such as the Redis one in the redisstore module. Any
// implementation must pass [github.com/rampart-go/rampart/auth/authtest.TestRevocationStore].
//
// # Sessions
//
// [Sessions] are login sessions carried in tokens of the purpose "session". [Sessions.Login]
// draws a new session ID (so an identifier planted before login is worthless) and records the
// login time. Each token expires after the idle timeout (30 minutes by default);
// [Sessions.Renew] issues a new token of the same session only once RenewAfter (half the idle
// window by default) has passed, and never past the absolute timeout (12 hours after login by
// default). [Sessions.ChangeRoles] and [Sessions.Reauthenticate] replace the token and its ID
// whenever privileges change and revoke the old one (they refuse a session already logged
// out, and the new token keeps the old revocation generation); [Sessions.Fresh] reports
// whether the user authenticated recently enough for a sensitive operation.
// [Sessions.Logout] revokes the session ID, which renewals keep, until the session's absolute
// deadline, so it ends the session for good (unlike [Keyring.Revoke], whose entry ends with
// the one token given).
//
// # API keys
//
// [NewAPIKey] returns keys of the form prefix_random_checksum, such as
// acme_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp_3ZWGIW: a service-chosen prefix ([a-z][a-z0-9]{1,15}),
// 32 base62 characters drawn without bias from crypto/rand (190 bits), and 6 base62 characters
// of CRC-32 over the rest. The checksum lets [ParseAPIKey] reject a mistyped key without a
// database lookup, and lets secret scanners (including this module's logredact) find leaked
// keys with about one false positive in four billion. Store only the [APIKeyHash] (SHA-256):
// look keys up with [HashAPIKey] and confirm with [VerifyAPIKey], which compares in constant
// time. A fast hash is right here; the keys carry far too much entropy to guess.
//
// # Middleware
//
// [Middleware] authenticates requests by a Bearer token (RFC 6750), a session cookie, or both,
// puts the [Claims] in the request context ([ClaimsFromContext]) and answers failures through
// a pluggable error handler, by default [WriteError]: 401 with
// `WWW-Authenticate: Bearer error="invalid_token"` and {"error":"invalid_token"} for a bad
// token, 401 without an error code when there is none, 403 from [Middleware.RequireRole], 503
// when the revocation store is down. The library logs nothing. In cookie mode it also renews
// sessions and refreshes the cookie. [SessionCookie] sets and clears the cookie with the
// "__Host-" prefix, Secure, HttpOnly, SameSite=Lax (or Strict), Path=/ and Max-Age.
//
// Cookies are sent by browsers on cross-site requests too, so cookie mode needs CSRF
// protection. Use Go's own [net/http.CrossOriginProtection] around the authenticated handlers,
// which refuses cross-origin unsafe requests from browsers (Sec-Fetch-Site, Origin):
//
//	sessions, _ := auth.NewSessions(keyring, auth.SessionConfig{})
//	mw, _ := auth.NewMiddleware(sessions, auth.MiddlewareConfig{Cookie: &auth.SessionCookie{}})
//	handler := http.NewCrossOriginProtection().Handler(mw.Handler(app))
//
// Keyring, Sessions, Middleware and MemoryRevocationStore are safe for concurrent use.
//
// # Concurrency
//
// A [Hasher] and a [PasswordPolicy] are safe for concurrent use once created; the memory
// budget is per Hasher, so share one Hasher across the service.
package auth
