//go:build race

package auth

// raceEnabled is true under the race detector, which slows argon2 several times over while
// adding nothing to a single-goroutine, deterministic derivation; see TestArgon2ReferenceVectors.
const raceEnabled = true
