//go:build race

package secretbox_test

// raceEnabled is true when the race detector is on; tests use it to trim work that the
// detector slows by an order of magnitude (Argon2id at 64 MiB, re-executed child processes).
const raceEnabled = true
