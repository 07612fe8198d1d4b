//go:build race

package ratelimit_test

// raceEnabled scales down the flood tests, which the race detector slows tenfold.
const raceEnabled = true
