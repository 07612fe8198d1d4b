// Package testenv decides, in one place, what a rampart test does when something it needs lies
// outside the module: the shared third-party test vectors in ../shared/testdata, an external
// program (redis-server, sslscan, openssl) or a Python module used for interoperability tests.
//
// By default such a test skips with a message that names what is missing. When the environment
// variable RAMPART_STRICT is set to 1 (as .ci/run does), the same situation fails the test
// instead, so CI can never go green by skipping the tests that matter.
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// StrictVar is the environment variable that turns skips into failures when set to "1".
const StrictVar = "RAMPART_STRICT"

// SharedVar is the environment variable that, when set, names the shared test-data folder directly instead of
// <repository root>/../shared/testdata.
const SharedVar = "RAMPART_SHARED_TESTDATA"

// PythonVar is the environment variable that, when set, names the Python interpreter to try first.
const PythonVar = "RAMPART_PYTHON"

// corePath is the module path that marks the repository root.
const corePath = "github.com/rampart-go/rampart"

// Strict reports whether missing test dependencies must fail tests rather than skip them.
func Strict() bool { return os.Getenv(StrictVar) == "1" }

// Skip skips the test with the formatted reason, or fails it when [Strict] is true.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if Strict() {
		t.Fatalf("%s (%s=1: a missing test dependency is a failure)", msg, StrictVar)
	}
	t.Skip(msg)
}

// RepoRoot returns the directory of the core module's go.mod, found by walking up from the
// working directory, so tests in nested modules (redisstore, bench) find it too.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isCoreModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("testenv: no go.mod for %s above the working directory", corePath)
		}
		dir = parent
	}
}

func isCoreModule(gomod string) bool {
	data, err := os.ReadFile(gomod) // #nosec G304 G703 -- test helper reading go.mod files above the test's own directory
	if err != nil {
		return false
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`) == corePath
		}
	}
	return false
}

// SharedTestdata returns the path of sub inside the shared test-data folder
// (<repository root>/../shared/testdata, or $RAMPART_SHARED_TESTDATA), skipping the test through
// [Skip] when it is absent.
func SharedTestdata(t testing.TB, sub string) string {
	t.Helper()
	base := os.Getenv(SharedVar)
	if base == "" {
		root, err := RepoRoot()
		if err != nil {
			Skip(t, "shared test data: %v", err)
			return ""
		}
		base = filepath.Join(filepath.Dir(root), "shared", "testdata")
	}
	p := filepath.Join(base, sub)
	if _, err := os.Stat(p); err != nil { // #nosec G703 -- a test-data path chosen by the test or the developer
		Skip(t, "shared test data %s is absent (%v); it lives beside the checkout in ../shared/testdata", p, err)
		return ""
	}
	return p
}

// LookPath returns the absolute path of the named program, skipping the test through [Skip]
// when it is not on PATH.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Skip(t, "%s is not on PATH (%v); .ci/run installs it", name, err)
		return ""
	}
	return p
}

// Python returns the first Python interpreter that can import every named module, trying
// $RAMPART_PYTHON, then python3 on PATH, then /usr/bin/python3 (Debian's python3-* packages are
// visible only to the latter when PATH leads to a pyenv build). It logs which interpreter it
// chose, and skips the test through [Skip] when none imports the modules.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv(PythonVar); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")

	script := "import " + strings.Join(modules, ", ")
	var tried []string
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, c, "-c", script) // #nosec G204 G702 -- fixed interpreter candidates, module names from the test itself
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if err == nil {
			t.Logf("testenv: using Python interpreter %s (imports %s)", c, strings.Join(modules, ", "))
			return c
		}
		tried = append(tried, fmt.Sprintf("%s: %v %s", c, err, strings.TrimSpace(lastLine(stderr.String()))))
	}
	Skip(t, "no Python interpreter imports %s (tried %s); on Debian install the python3-* packages",
		strings.Join(modules, ", "), strings.Join(tried, "; "))
	return ""
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// CheckGoroutines records how many goroutines run now and returns a function that fails t when
// more run later. Goroutines that have finished their work (a WaitGroup's Done, an argon2 lane)
// need a few scheduler turns to exit, so the check waits for the count to settle, backing off
// from 1 ms to 50 ms for at most 5 seconds; a leaked goroutine never settles. Fewer goroutines
// than before is fine: an earlier test's may end meanwhile. Tests that use it must not run in
// parallel with others.
func CheckGoroutines(t testing.TB) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		n := runtime.NumGoroutine()
		pause := time.Millisecond
		for deadline := time.Now().Add(5 * time.Second); n > before && time.Now().Before(deadline); n = runtime.NumGoroutine() {
			runtime.Gosched()
			time.Sleep(pause)
			pause = min(2*pause, 50*time.Millisecond)
		}
		if n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("runtime.NumGoroutine() = %d, %d before: a goroutine leaked\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
	}
}
