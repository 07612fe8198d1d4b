package ratelimit_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/rampart-go/rampart/internal/testenv"
)

// TestBuilds32Bit: the package (and its tests) compile for a 32-bit platform, where int is
// 32 bits wide and a constant such as 1<<31 does not fit in it.
func TestBuilds32Bit(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package for GOARCH=386")
	}
	goTool := testenv.LookPath(t, "go")
	for _, pkg := range []string{".", "./ratelimittest"} {
		cmd := exec.CommandContext(t.Context(), goTool, "vet", pkg) // #nosec G204 -- fixed arguments
		cmd.Env = append(os.Environ(), "GOARCH=386", "GOOS=linux", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOARCH=386 go vet %s: %v\n%s", pkg, err, out)
		}
	}
}
