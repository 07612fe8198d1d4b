//go:build !race

package secretbox_test

// raceEnabled is true when the race detector is on (see race_test.go).
const raceEnabled = false
