// Package logredact keeps secrets and personal data out of logs: a log/slog handler wrapper and
// an io.Writer that redact by key and by value, and a Secret type that never prints itself.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package logredact
