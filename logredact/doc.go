// Package logredact keeps secrets and personal data out of logs: a log/slog handler wrapper and
// an io.Writer that redact by key and by value, an HTTP access-log middleware that never logs
// credentials, and a [Secret] type that never prints itself.
//
// For most uses, wrap the handler your service already has:
//
//	r := logredact.MustNew(logredact.Config{})
//	logger := slog.New(r.Handler(slog.NewJSONHandler(os.Stdout, nil)))
//	logger.Info("login", "user", "jane@example.com", "password", pw) // user=[REDACTED:email] password=[REDACTED]
//
// Put the redacting handler outermost, so every record passes through it whatever handlers sit
// below. For the standard log package and third-party code that writes text, use [Redactor.Writer];
// for HTTP access logs, [Redactor.AccessLog]; for values you hold, [Secret].
//
// # When not to use it
//
// Redaction is a safety net, not a licence to log secrets. It cannot know that an arbitrary word
// is a password unless its key says so, and it cannot see secrets that are encoded (base64 of a
// whole request body, encrypted or compressed data) or deliberately disguised (zero-width
// characters inside a token, look-alike letters): it keeps honest mistakes out of logs, not an
// insider determined to leak. Keep credentials in [Secret] values, log
// identifiers rather than payloads, and use redaction to catch what slips through. It does not
// replace access control on the logs themselves.
//
// # Keys
//
// An attribute, map entry, struct field, query parameter or "key=value" / "key: value" /
// "key":"value" pair whose key names a secret has its whole value replaced. Keys are compared
// after lower-casing and removing '-', '_', '.' and spaces, so "api_key", "api-key", "apiKey" and
// "API_KEY" are the same key. A key is sensitive when it contains password, passwd, passphrase,
// secret, privatekey, apikey, accesskey, credential, authorization or cookie; ends with token,
// session, sessionid, sessid, pwd, sig, signature, cvv, cvv2, cvc, privkey, signingkey,
// encryptionkey, masterkey, hmackey or sessionkey; is pass or pw; or ends with a "pass" of its
// own, after a separator, a digit or a camel-case boundary ("DB_PASS", "smtp_pass", "redisPass", "DBPass";
// not "bypass", "compass", "surpass" or "ByPass"). In URL query strings code,
// key and auth are sensitive too. Elsewhere those three are not, nor are plural forms ("tokens",
// "max_tokens"), "sessions_count" or "token_type": they name counts, kinds and methods far more
// often than credentials, and their values are still scanned by the detectors (a Bearer or Basic
// credential under "auth" is found; so is a JWT, by its structure, under any key). Short names
// such as otp, pin, ssn or sid are not built in (they would slow the screen that rules out most
// keys, and collide with ordinary words): add those your service uses with [Config.Keys]. Struct fields can opt in with the tag `redact:"true"` and out with
// `redact:"false"` (their values are still scanned); `redact:"-"` drops a field from a rebuilt
// value. A group or struct under a sensitive key is replaced whole, and so is every attribute
// logged below a [slog.Logger.WithGroup] whose name is sensitive.
//
// # Detectors
//
// Values are scanned for secrets inside longer text; only the secret is replaced, the text around
// it is kept byte for byte. Each detector has a name, used in typed replacements:
//
//   - card: payment card numbers of 13 to 19 digits, optionally in groups separated by single
//     spaces or dashes, with an issuer prefix that fits the length and a valid Luhn check digit.
//     Numbers starting with 0, 1, 7, 8 or 9 (so Unix timestamps in ms and ns) and 13-14 digit
//     numbers with a valid GS1 check digit (EAN-13, GTIN-14) are not cards. Integer attributes are
//     checked too, and so are whole floats between 1e12 and 1e19 (json.Unmarshal into an
//     interface value gives every number as a float64) and numbers typed in full-width digits
//     (U+FF10 to U+FF19, grouped by spaces, ideographic spaces or dashes), as East Asian input
//     methods produce them.
//   - jwt: JSON Web Tokens (JWS and JWE compact form) whose header decodes to JSON with "alg".
//   - bearer, basic: the credentials after "Bearer " and "Basic " (Basic must decode to
//     user:password; a Bearer token in prose must look like one), and any credentials after an
//     Authorization key.
//   - aws: AWS access key IDs (AKIA, ASIA, ABIA, ACCA, A3T prefixes).
//   - github: GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_).
//   - slack: Slack tokens (xoxb-, xoxp-, xoxa-, xoxe-, xoxo-, xoxr-, xoxs-, xapp-) and webhook paths.
//   - stripe: Stripe secret and restricted keys (sk_live_, sk_test_, rk_...) and webhook secrets
//     (whsec_).
//   - private-key: PEM private-key blocks, BEGIN to END; a block with no END line is redacted to
//     the end of the text or to the first line that is not key material (base64, blank, or an
//     armor header such as Proc-Type or DEK-Info), whichever comes first, so a planted BEGIN
//     line cannot hide the lines after it.
//   - url-password: the password in URL user info (postgres://app:[REDACTED:url-password]@db).
//   - query: values of sensitive URL query parameters (?token=, ?sig=, ?X-Amz-Signature=, ...).
//   - field: values of sensitive keys in free text (password=..., "token":"...", Cookie: ...); an
//     array or object value ({"password":["..."]}, as json.Marshal prints url.Values, or
//     map[Cookie:[...]], as fmt prints http.Header) has all it holds replaced up to its matching
//     bracket. That bracket ends the value only when a space, a separator, a quote or the end
//     of the line follows it: fmt prints strings unquoted, so in map[Password:[abc]def] the
//     value is replaced to the end of the line (after a bare "key:", whose value runs to the
//     end of its line anyway) or up to the next space, separator or quote (after "key=" or a
//     quoted key: secret=[abc]def user=bob keeps user=bob). An unquoted value after "key="
//     takes the words after it up to the first that looks like the next field (holds '=' or ':',
//     or is followed by one: user=bob, ts:..., user = bob), a quote (an apostrophe between
//     letters or digits, as in don't and 90's, is part of a word; one that starts a word, as in
//     '69, is not), a Bearer or Basic scheme followed by credentials (which that detector
//     replaces; a value whose first word is such a scheme is taken for it, and the words after
//     its credentials are kept), a private-key block's BEGIN marker (the block goes whole) or
//     the end of the line, so a passphrase printed
//     with fmt.Sprintf("password=%s", pw) is redacted whole: password=correct horse battery
//     user=bob keeps only user=bob, and prose after such a value goes with it. A later word of
//     the value that holds '=' or ':' is taken for the next field, and a value that opens with
//     a bracket ends at its bracket or the next space. In Partial and Pseudonym modes such a
//     value is described by its first word, so that the prose after a token does not change its
//     pseudonym.
//   - email: e-mail addresses, with non-ASCII letters too (andré@example.com, jane@例え.jp); on
//     by default, off with [Config.KeepEmails].
//   - apikey: rampart API keys, prefix_<32 base62>_<6 base62 CRC-32>, confirmed by their checksum.
//   - rampart-token: rampart session tokens (auth.Keyring's format, "AQ..." in base64url),
//     confirmed by the lengths of their fields adding up exactly, so they are caught in a path, a
//     query parameter of any name or a header.
//
// The token patterns for AWS, GitHub, Slack and Stripe follow the rules of gitleaks
// (https://github.com/gitleaks/gitleaks, MIT licence), reimplemented as hand-written scanners.
//
// # Replacement modes
//
// [Typed] (the default) writes "[REDACTED:card]"; [Fixed] writes "[REDACTED]"; [Partial] keeps the
// last four characters of long secrets ("[REDACTED:card:****1111]"); [Pseudonym] writes a keyed
// hash ("[REDACTED:card:3f2a9c01b7de]", HMAC-SHA256 under [Config.PseudonymKey], 48 bits) so one
// secret correlates across lines. Values redacted because of their key read "[REDACTED]" in Typed
// mode. Redaction is idempotent: redacting redacted text changes nothing.
//
// # What is inspected
//
// The [Redactor.Handler] inspects the message and every attribute: strings, []byte, integers,
// LogValuers (resolved first), groups, and through reflection maps, structs (exported and
// unexported fields), slices, arrays, pointers and interfaces. A value with Error, MarshalJSON,
// MarshalText or String methods (its own or its pointer's: encoding/json calls pointer-receiver
// methods on the fields of a value logged by pointer) is judged by every one of those texts, since
// which a handler prints depends on the handler, and then by its fields; when any of them changes,
// the value is logged as its redacted text (an error as its redacted Error text, so an error whose
// fields hold a secret is logged by its message). Another changed composite value is logged as
// plain data (a map or slice of its exported fields and elements, redacted; a changed map's keys
// become strings, and keys that print or redact alike are numbered, "[REDACTED:email]#2", so no
// entry is lost). Inspection stops
// at a depth of 16 and after 10,000 values; what lies beyond is replaced by
// "[REDACTED:truncated]", never passed through uninspected. A value whose method panics is
// replaced by "[REDACTED:unprintable]".
//
// # Security properties and limits
//
//   - Fails closed where it must guess: the key material of an unterminated private-key block, an
//     unterminated quoted sensitive value, an array or object value under a sensitive key whose
//     closing bracket is not within 4 KiB (to the end of the line) or is followed by more text
//     (see field, above),
//     or an over-long run in the [Writer] is removed, not passed through. A private-key block
//     spans only lines that look like key material (base64, blank, armor headers; indentation
//     allowed), so a key printed line by line behind a log prefix on every line is not hidden
//     between those lines. Never log keys on purpose.
//   - Linear time in the input for every detector, with no regular expressions; attacker-chosen
//     log content cannot make scanning slow.
//   - A secret whose key is not sensitive and that matches no detector (a password in prose,
//     an opaque token under an innocent name) is not found. Use [Config.Keys] and [Secret].
//   - Pseudonyms of low-entropy values can be confirmed by anyone holding the key; values shorter
//     than [MinPseudonymLen] are never pseudonymized.
//
// # Performance
//
// Scanning is one pass of hand-written scanners behind a byte-class table: no regular
// expressions, no allocation when nothing is found (Redact returns its argument, Append copies),
// and a few small allocations per record that does change. The handler checks a record first and
// passes it on untouched, without copying, when nothing needs redacting; attribute-key answers
// are cached per Redactor. The benchmarks in bench_test.go measure scanning throughput on a
// secret-free corpus and a secret-dense one, the handler against the plain JSON handler, and the
// regular-expression approach this package replaces.
//
// For JSON logs, [NewJSONHandler] writes exactly what slog.NewJSONHandler writes and lets the
// access log encode its per-request line itself, without a slog.Record: about 1.5 µs less
// encoding per request here (BenchmarkAccessLogSimple). Use it as the handler below the
// Redactor's:
//
//	logger := slog.New(r.Handler(logredact.NewJSONHandler(os.Stderr, nil)))
//
// # Concurrency
//
// A [Redactor] is immutable and safe for concurrent use; so are the handlers, middleware and
// [Writer] values it returns. Nothing here starts a goroutine or logs on its own.
//
// # Testing
//
// The sub-package [github.com/rampart-go/rampart/logredact/redacttest] plants fake secrets of
// every kind into a logger you build and fails the test if any appears in the output: run it
// against your service's real logging setup.
package logredact
