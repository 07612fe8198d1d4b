// Package ratelimit limits how often each client may act: sliding windows and token buckets
// keyed by client, with bounded memory, client-IP extraction that cannot be spoofed by default,
// and net/http middleware that answers 429.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package ratelimit
