package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestStrict(t *testing.T) {
	tests := []struct {
		val  string
		want bool
	}{
		{"", false},
		{"0", false},
		{"true", false},
		{"1", true},
	}
	for _, tt := range tests {
		t.Run(tt.val, func(t *testing.T) {
			t.Setenv(StrictVar, tt.val)
			if got := Strict(); got != tt.want {
				t.Errorf("Strict() with %s=%q = %v, want %v", StrictVar, tt.val, got, tt.want)
			}
		})
	}
}

func TestRepoRoot(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot() error = %v", err)
	}
	if !isCoreModule(filepath.Join(root, "go.mod")) {
		t.Errorf("RepoRoot() = %q, whose go.mod is not the core module", root)
	}
	wd, _ := os.Getwd()
	if rel, err := filepath.Rel(root, wd); err != nil || rel != filepath.Join("internal", "testenv") {
		t.Errorf("RepoRoot() = %q, want the parent of internal/testenv (wd %q)", root, wd)
	}
}

func TestSharedTestdataOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "vectors"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SharedVar, dir)
	if got, want := SharedTestdata(t, "vectors"), filepath.Join(dir, "vectors"); got != want {
		t.Errorf("SharedTestdata(%q) = %q, want %q", "vectors", got, want)
	}
}

// fakeTB records whether Skip or Fatal was reached, so the helper's two outcomes can be
// checked without ending the real test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skip(...any)           { f.skipped = true; runtime.Goexit() }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }

// run calls fn on a fresh goroutine, as the testing package does, so that Skip and Fatalf
// end it just as they would end a real test.
func (f *fakeTB) run(fn func()) {
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	<-done
}
func (f *fakeTB) Logf(string, ...any)   {}
func (f *fakeTB) Errorf(string, ...any) { f.failed = true }

func TestSkipStrictFails(t *testing.T) {
	for _, strict := range []string{"", "1"} {
		t.Run("strict="+strict, func(t *testing.T) {
			t.Setenv(StrictVar, strict)
			f := &fakeTB{}
			f.run(func() { LookPath(f, "rampart-no-such-program-xyz") })
			if strict == "1" && (!f.failed || f.skipped) {
				t.Errorf("LookPath(missing) with %s=1: failed=%v skipped=%v, want a failure", StrictVar, f.failed, f.skipped)
			}
			if strict == "" && (f.failed || !f.skipped) {
				t.Errorf("LookPath(missing) without %s: failed=%v skipped=%v, want a skip", StrictVar, f.failed, f.skipped)
			}
		})
	}
}

func TestLookPathFound(t *testing.T) {
	f := &fakeTB{}
	var got string
	f.run(func() { got = LookPath(f, "go") })
	if got == "" || f.skipped || f.failed {
		t.Errorf("LookPath(%q) = %q (skipped=%v failed=%v), want a path", "go", got, f.skipped, f.failed)
	}
}

func TestCheckGoroutines(t *testing.T) {
	t.Run("settles", func(t *testing.T) {
		check := CheckGoroutines(t)
		done := make(chan struct{})
		go func() { close(done) }()
		<-done // the goroutine has done its work but may not have exited yet
		check()
	})
	t.Run("leak", func(t *testing.T) {
		f := &fakeTB{}
		stop := make(chan struct{})
		defer close(stop)
		f.run(func() {
			check := CheckGoroutines(f)
			// Several, so that goroutines of earlier tests ending meanwhile cannot hide them.
			for range 10 {
				go func() { <-stop }()
			}
			check()
		})
		if !f.failed {
			t.Error("CheckGoroutines did not report a goroutine that keeps running")
		}
	})
}
