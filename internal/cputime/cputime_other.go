//go:build !unix

package cputime

import "time"

// Process returns 0: this platform's process CPU clock is not wired up.
func Process() time.Duration { return 0 }
