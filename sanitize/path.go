package sanitize

import (
	"errors"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrPath is wrapped (in a [*FieldError]) by every error [FileNameRule.Check] and
// [JoinPath] return.
var ErrPath = errors.New("sanitize: unsafe file name or path")

// maxFileNameLen is the common limit of a file name component in bytes (NAME_MAX on Linux
// and the BSDs; NTFS counts 255 UTF-16 units, which 255 bytes never exceed).
const maxFileNameLen = 255

// FileNameRule checks a single file name supplied by a user (an upload's name, say) before it
// is used as one path component on any common operating system. The zero value refuses
// names that start with a dot.
//
// Check refuses: the empty name, "." and "..", names longer than 255 bytes, invalid UTF-8,
// path separators (/ and \), NUL and every other control character, invisible
// (default-ignorable) characters such as U+200B and the bidi overrides and isolates (an RLO can
// make "photo<U+202E>gpj.exe" display as "photoexe.jpg"; a zero-width space makes two names
// that look the same differ; the zero-width joiner and non-joiner pass only between non-ASCII
// letters, marks or symbols, where Persian, Indic scripts and emoji need them), the characters
// Windows forbids
// (< > : " | ? *), a trailing dot or space (Windows strips them, so "a.txt." opens "a.txt"),
// and the Windows device names CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9 (also with
// superscript digits), CONIN$ and CONOUT$, in any case and with any extension ("nul.txt").
//
// A valid name is still attacker-chosen: prefer storing files under names you generate and
// keeping the user's name as metadata.
type FileNameRule struct {
	// AllowLeadingDot permits names such as ".profile". Such names are hidden on Unix and
	// some (.htaccess, .git, .env) change how servers and tools behave.
	AllowLeadingDot bool
}

// Check returns nil if name is a safe file name, or a [*FieldError] wrapping [ErrPath].
func (r FileNameRule) Check(name string) error {
	if name == "" || name == "." || name == ".." {
		return pathError("must be a file name")
	}
	if len(name) > maxFileNameLen {
		return pathError("is too long")
	}
	if name[0] == '.' && !r.AllowLeadingDot {
		return pathError("must not start with a dot")
	}
	prev := rune(0)
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || strings.IndexByte(`/\<>:"|?*`, c) >= 0 {
				return pathError("contains a character that is not allowed in a file name")
			}
			prev = rune(c)
			i++
			continue
		}
		ru, size := utf8.DecodeRuneInString(name[i:])
		if ru == utf8.RuneError && size == 1 || ru <= 0x9f || isInvisible(ru) && !joinerInWord(prev, name[i+size:], ru) {
			return pathError("contains a character that is not allowed in a file name")
		}
		prev = ru
		i += size
	}
	if last := name[len(name)-1]; last == '.' || last == ' ' {
		return pathError("must not end with a dot or a space")
	}
	if windowsReserved(name) {
		return pathError("is a reserved device name")
	}
	return nil
}

// joinerInWord reports whether ru is a zero-width non-joiner or joiner (U+200C, U+200D) between
// two non-ASCII letters, marks or symbols (prev before it, the first rune of rest after it):
// where Persian, Indic scripts and emoji sequences need them ("می‌خواهم", "👨‍👩‍👧"), and
// where they cannot hide inside a Latin name that looks like another.
func joinerInWord(prev rune, rest string, ru rune) bool {
	if ru != 0x200c && ru != 0x200d {
		return false
	}
	next, size := utf8.DecodeRuneInString(rest)
	word := func(r rune) bool {
		return r >= utf8.RuneSelf && r != utf8.RuneError &&
			(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.So, r))
	}
	return size > 0 && word(prev) && word(next)
}

// windowsReserved reports whether name is a Windows device name, possibly followed by an
// extension or by spaces before it.
func windowsReserved(name string) bool {
	stem := name
	if i := strings.IndexByte(stem, '.'); i >= 0 {
		stem = stem[:i]
	}
	stem = strings.TrimRight(stem, " ")
	switch len(stem) {
	case 3:
		for _, d := range []string{"CON", "PRN", "AUX", "NUL"} {
			if strings.EqualFold(stem, d) {
				return true
			}
		}
	case 4, 5: // COM1, LPT9, or COM plus a two-byte superscript digit
		if len(stem) == 4 && (stem[3] < '0' || stem[3] > '9') {
			return false
		}
		if len(stem) == 5 && stem[3:] != "¹" && stem[3:] != "²" && stem[3:] != "³" {
			return false
		}
		return strings.EqualFold(stem[:3], "COM") || strings.EqualFold(stem[:3], "LPT")
	case 6, 7:
		return strings.EqualFold(stem, "CONIN$") || strings.EqualFold(stem, "CONOUT$")
	}
	return false
}

// JoinPath joins a user-supplied relative path under root and returns the result, which is
// lexically inside root: it refuses (with a [*FieldError] wrapping [ErrPath]) a path that is
// empty, absolute, contains NUL, escapes with "..", or on Windows is a reserved name or
// volume path; see [filepath.IsLocal].
//
// JoinPath is lexical. A symbolic link inside root can still point outside it, and the
// tree can change between the check and the open. To open the file, use an [os.Root]
// opened on root instead, which enforces the same property at every step of the lookup:
//
//	r, err := os.OpenRoot(root)
//	...
//	f, err := r.Open(userPath) // fails with an error if userPath leaves root
//
// A userPath of "." or one that cleans to it ("a/..") yields root itself, which is inside
// root but is not a file under it: refuse that result (or check each component with
// [FileNameRule]) before removing or overwriting what JoinPath returns.
//
// JoinPath remains useful to compute and check a path before handing it to code that takes
// path names, and as a first, cheap rejection of hostile input.
func JoinPath(root, userPath string) (string, error) {
	if strings.IndexByte(userPath, 0) >= 0 {
		return "", pathError("must not contain NUL")
	}
	if !filepath.IsLocal(userPath) {
		return "", pathError("must be a relative path inside the directory")
	}
	return filepath.Join(root, userPath), nil
}

func pathError(msg string) error { return &FieldError{Message: msg, Err: ErrPath} }
