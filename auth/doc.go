// Package auth authenticates the users of a net/http service: password hashing (argon2id by
// default; bcrypt, scrypt and PBKDF2 for migration) in PHC strings, HMAC-signed session tokens
// with key rotation and revocation, API keys, and Bearer/cookie middleware.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package auth
