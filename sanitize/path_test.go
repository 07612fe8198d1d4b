package sanitize_test

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/sanitize"
)

func TestFileNameRule(t *testing.T) {
	good := []string{
		"report.pdf", "photo 2024-01-01.jpg", "naïve.txt", "日本語.md", "a", "CONSOLE.txt",
		"com10", "lpt", "nul-terminated.txt", "x.con", strings.Repeat("a", 255), "a..b",
		"می\u200cخواهم.pdf", "\U0001F468\u200d\U0001F469\u200d\U0001F467.png", "क्\u200dष.txt", // joiners where scripts need them
	}
	for _, name := range good {
		if err := (sanitize.FileNameRule{}).Check(name); err != nil {
			t.Errorf("Check(%q) = %v, want nil", name, err)
		}
	}
	bad := []string{
		"", ".", "..", "../etc/passwd", "a/b", `a\b`, `..\..\windows`, "/etc/passwd",
		"a\x00.txt", "a\nb", "a\tb", "a\x1b", "a\x7f", "a\u0085b", "a\xffb",
		"invoice\u202etxt.exe", "a\u2066b", "foo.txt\u200b", "a\u00adb", "a\ufeffb", "a\ufe0fb",
		"ad\u200dmin.txt", "a\u200cb", "\u200dفایل", "فایل\u200c", "a\u200d\u200db", // joiners in Latin, or at an end
		"a<b", "a>b", "a:b", `a"b`, "a|b", "a?b", "a*b", "C:", "file.txt:stream",
		"trailing.", "trailing ", "name. ",
		"CON", "con", "Con.txt", "PRN.tar.gz", "AUX", "NUL", "nul.txt", "NUL .txt",
		"COM1", "com9.log", "LPT1", "lpt0", "COM\u00b9", "LPT\u00b3.txt", "CONIN$", "conout$.txt",
		".htaccess", ".env", ".git",
		strings.Repeat("a", 256),
	}
	for _, name := range bad {
		err := (sanitize.FileNameRule{}).Check(name)
		if !errors.Is(err, sanitize.ErrPath) {
			t.Errorf("Check(%q) = %v, want ErrPath", name, err)
		}
	}
	dot := sanitize.FileNameRule{AllowLeadingDot: true}
	if err := dot.Check(".profile"); err != nil {
		t.Errorf("AllowLeadingDot Check(.profile) = %v", err)
	}
	for _, name := range []string{".", "..", "../x"} {
		if err := dot.Check(name); err == nil {
			t.Errorf("AllowLeadingDot Check(%q) = nil, want error", name)
		}
	}
}

func TestJoinPath(t *testing.T) {
	root := filepath.FromSlash("/srv/files")
	good := []struct{ in, want string }{
		{"a.txt", "/srv/files/a.txt"},
		{"dir/sub/a.txt", "/srv/files/dir/sub/a.txt"},
		{"dir/../a.txt", "/srv/files/a.txt"},
		{"./a.txt", "/srv/files/a.txt"},
		{"a/./b//c", "/srv/files/a/b/c"},
	}
	for _, tt := range good {
		got, err := sanitize.JoinPath(root, tt.in)
		if err != nil || got != filepath.FromSlash(tt.want) {
			t.Errorf("JoinPath(%q, %q) = %q, %v; want %q", root, tt.in, got, err, tt.want)
		}
	}
	bad := []string{
		"", "..", "../etc/passwd", "a/../../etc/passwd", "/etc/passwd", "a\x00b", "a/b\x00/../c",
		"../files/a.txt", "dir/../..", "./..",
	}
	if runtime.GOOS == "windows" {
		bad = append(bad, `C:\x`, `\\server\share`, `NUL`, `a\..\..\x`)
	}
	for _, in := range bad {
		got, err := sanitize.JoinPath(root, in)
		if !errors.Is(err, sanitize.ErrPath) || got != "" {
			t.Errorf("JoinPath(%q, %q) = %q, %v; want ErrPath", root, in, got, err)
		}
	}
}

// Every path JoinPath accepts stays lexically under root.
func TestJoinPathStaysUnderRoot(t *testing.T) {
	root := filepath.FromSlash("/srv/files")
	parts := []string{"a", "..", ".", "b", "", "...", "..a", "a..", "/"}
	var build func(prefix string, depth int)
	build = func(prefix string, depth int) {
		if depth == 0 {
			return
		}
		for _, p := range parts {
			in := prefix + p
			if got, err := sanitize.JoinPath(root, in); err == nil {
				if got != root && !strings.HasPrefix(got, root+string(filepath.Separator)) {
					t.Errorf("JoinPath(%q, %q) = %q escapes the root", root, in, got)
				}
			}
			build(in+"/", depth-1)
		}
	}
	build("", 4)
}

// JoinPath is lexical; os.Root stops a symbolic link inside the root from escaping it.
func TestJoinPathAndRootWithSymlink(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	if _, err := sanitize.JoinPath(root, "link/secret"); err != nil {
		t.Fatalf("JoinPath accepted a lexically local path? err = %v", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if f, err := r.Open("link/secret"); err == nil {
		f.Close()
		t.Error("os.Root.Open followed a symlink out of the root")
	}
}
