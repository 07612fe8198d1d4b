//go:build !unix

package bench

import "time"

// cpuTime is unknown on this platform; reportCPU then reports nothing.
func cpuTime() time.Duration { return 0 }
