//go:build !linux

package cputime

import "time"

// Thread returns 0: this platform's thread CPU clock is not wired up.
func Thread() time.Duration { return 0 }
