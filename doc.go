// Package rampart is a map of the rampart security library for Go services. It holds no code:
// import the package that solves your problem. No package imports another, so each can be
// adopted alone, and they compose as ordinary net/http middleware.
//
// # The packages
//
//   - [github.com/rampart-go/rampart/auth]: who is calling. Password hashing (argon2id by
//     default, bcrypt, scrypt, PBKDF2) in PHC strings with upgrade on login and enumeration-safe
//     verification; HMAC-signed session tokens with key rotation and revocation; API keys; Bearer
//     and cookie middleware.
//   - [github.com/rampart-go/rampart/ratelimit]: how often they may call. Sliding-window and
//     token-bucket limits per client with bounded memory, trustworthy client IPs behind proxies,
//     429 middleware with RateLimit headers.
//   - [github.com/rampart-go/rampart/sanitize]: what they may send. HTML sanitizing on
//     bluemonday, Unicode-aware validation, hardened JSON decoding, safe file names, paths and
//     URLs.
//   - [github.com/rampart-go/rampart/secretbox]: what is kept. Fernet-compatible tokens, a modern
//     AEAD format with key rotation, passphrase keys, streaming encryption and crash-safe files.
//   - [github.com/rampart-go/rampart/logredact]: what is written down. A log/slog handler and an
//     io.Writer that remove secrets and personal data, and a Secret type.
//   - [github.com/rampart-go/rampart/tlsutil]: how it travels. Hardened TLS for servers and
//     clients, certificate reload, a hardened http.Server and an SSRF-guarded http.Client,
//     security headers.
//   - github.com/rampart-go/rampart/redisstore (a nested module): Redis-backed stores so rate
//     limits and token revocations hold across many instances of a service.
//
// # How they compose
//
// A typical service wraps its mux from the outside in: security headers (tlsutil), then the
// per-client rate limit (ratelimit), then authentication (auth), with request bodies decoded and
// validated by sanitize inside the handlers, data at rest sealed by secretbox, and every log line
// passing through logredact. The program examples/secureapi shows all of them working together.
package rampart
