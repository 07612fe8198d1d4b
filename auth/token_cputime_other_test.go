//go:build !unix

package auth_test

import "time"

// tokenCPUTime is unavailable here; the benchmarks then report no cpu-ns/op.
func tokenCPUTime() time.Duration { return 0 }
