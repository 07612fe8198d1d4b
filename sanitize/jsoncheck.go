package sanitize

import (
	"bytes"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// checkJSON validates that data is exactly one RFC 8259 JSON value in valid UTF-8, nested at
// most maxDepth deep, with no unpaired surrogate escapes and no object holding two keys
// that encoding/json would treat as the same field. It makes one pass and allocates only for
// objects with many keys.
func checkJSON(data []byte, maxDepth int) error {
	c := jsonChecker{data: data, maxDepth: maxDepth}
	c.skipSpace()
	if c.pos == len(data) {
		return emptyBody()
	}
	if err := c.value(); err != nil {
		return err
	}
	c.skipSpace()
	if c.pos != len(data) {
		return &RequestError{Status: http.StatusBadRequest,
			Message: "request body must hold a single JSON value", Err: ErrJSON}
	}
	return nil
}

// manyKeys is the key count above which an object's duplicate check switches from a linear
// scan to a map, bounding the work to O(n) for hostile objects with many keys.
const manyKeys = 16

type jsonChecker struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
	arena    []byte    // folded keys of the open objects, back to back
	keys     [][2]int  // offsets into arena of those keys; a stack of per-object frames
	scratch  [256]byte // backing store of arena for typical bodies
}

func (c *jsonChecker) syntaxError() error {
	return &RequestError{Status: http.StatusBadRequest,
		Message: "request body is not valid JSON (at byte " + strconv.Itoa(c.pos) + ")", Err: ErrJSON}
}

func (c *jsonChecker) encodingError() error {
	return &RequestError{Status: http.StatusBadRequest,
		Message: "request body is not valid UTF-8 (at byte " + strconv.Itoa(c.pos) + ")", Err: ErrJSON}
}

func (c *jsonChecker) skipSpace() {
	for c.pos < len(c.data) {
		switch c.data[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *jsonChecker) value() error {
	if c.pos >= len(c.data) {
		return c.syntaxError()
	}
	switch b := c.data[c.pos]; {
	case b == '{':
		return c.object()
	case b == '[':
		return c.array()
	case b == '"':
		c.pos++
		return c.str(nil)
	case b == '-' || '0' <= b && b <= '9':
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	}
	return c.syntaxError()
}

func (c *jsonChecker) literal(lit string) error {
	if !bytes.HasPrefix(c.data[c.pos:], []byte(lit)) {
		return c.syntaxError()
	}
	c.pos += len(lit)
	return nil
}

func (c *jsonChecker) number() error {
	d := c.data
	if d[c.pos] == '-' {
		c.pos++
	}
	switch {
	case c.pos < len(d) && d[c.pos] == '0':
		c.pos++
	case c.pos < len(d) && '1' <= d[c.pos] && d[c.pos] <= '9':
		c.digits()
	default:
		return c.syntaxError()
	}
	if c.pos < len(d) && d[c.pos] == '.' {
		c.pos++
		if c.digits() == 0 {
			return c.syntaxError()
		}
	}
	if c.pos < len(d) && (d[c.pos] == 'e' || d[c.pos] == 'E') {
		c.pos++
		if c.pos < len(d) && (d[c.pos] == '+' || d[c.pos] == '-') {
			c.pos++
		}
		if c.digits() == 0 {
			return c.syntaxError()
		}
	}
	return nil
}

func (c *jsonChecker) digits() int {
	start := c.pos
	for c.pos < len(c.data) && '0' <= c.data[c.pos] && c.data[c.pos] <= '9' {
		c.pos++
	}
	return c.pos - start
}

func (c *jsonChecker) enter() error {
	c.depth++
	if c.depth > c.maxDepth {
		return &RequestError{Status: http.StatusBadRequest,
			Message: "request body is nested too deeply (limit " + strconv.Itoa(c.maxDepth) + ")", Err: ErrJSON}
	}
	return nil
}

func (c *jsonChecker) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.pos++ // [
	c.skipSpace()
	if c.pos < len(c.data) && c.data[c.pos] == ']' {
		c.pos++
		c.depth--
		return nil
	}
	for {
		c.skipSpace()
		if err := c.value(); err != nil {
			return err
		}
		c.skipSpace()
		if c.pos >= len(c.data) {
			return c.syntaxError()
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case ']':
			c.pos++
			c.depth--
			return nil
		default:
			return c.syntaxError()
		}
	}
}

func (c *jsonChecker) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	if c.arena == nil {
		c.arena = c.scratch[:0]
	}
	frame, arenaStart := len(c.keys), len(c.arena)
	var seen map[string]struct{}
	defer func() {
		c.keys = c.keys[:frame]
		c.arena = c.arena[:arenaStart]
	}()

	c.pos++ // {
	c.skipSpace()
	if c.pos < len(c.data) && c.data[c.pos] == '}' {
		c.pos++
		c.depth--
		return nil
	}
	for {
		c.skipSpace()
		if c.pos >= len(c.data) || c.data[c.pos] != '"' {
			return c.syntaxError()
		}
		rawStart := c.pos + 1
		c.pos++
		keyStart := len(c.arena)
		if err := c.str(&c.arena); err != nil {
			return err
		}
		key := c.arena[keyStart:]
		dup := false
		if seen != nil {
			_, dup = seen[string(key)]
		} else {
			for _, k := range c.keys[frame:] {
				if bytes.Equal(c.arena[k[0]:k[1]], key) {
					dup = true
					break
				}
			}
		}
		if dup {
			name := clip(string(bytes.ToValidUTF8(c.data[rawStart:c.pos-1], nil)))
			return &RequestError{Status: http.StatusBadRequest, Field: name,
				Message: "duplicate key " + strconv.Quote(name) + " (keys are compared ignoring case)", Err: ErrDuplicateKey}
		}
		switch {
		case seen != nil:
			seen[string(key)] = struct{}{}
			c.arena = c.arena[:keyStart] // the map holds its own copy
		case len(c.keys)-frame >= manyKeys:
			seen = make(map[string]struct{}, 2*manyKeys)
			for _, k := range c.keys[frame:] {
				seen[string(c.arena[k[0]:k[1]])] = struct{}{}
			}
			seen[string(key)] = struct{}{}
			c.keys = c.keys[:frame]
			c.arena = c.arena[:arenaStart]
		default:
			c.keys = append(c.keys, [2]int{keyStart, len(c.arena)})
		}

		c.skipSpace()
		if c.pos >= len(c.data) || c.data[c.pos] != ':' {
			return c.syntaxError()
		}
		c.pos++
		c.skipSpace()
		if err := c.value(); err != nil {
			return err
		}
		c.skipSpace()
		if c.pos >= len(c.data) {
			return c.syntaxError()
		}
		switch c.data[c.pos] {
		case ',':
			c.pos++
		case '}':
			c.pos++
			c.depth--
			return nil
		default:
			return c.syntaxError()
		}
	}
}

// plain marks the bytes that need no attention inside a JSON string: printable ASCII other
// than the quote and the backslash.
var plain = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// str checks a string whose opening quote was consumed and consumes its closing quote. When
// fold is not nil, it appends the decoded string to *fold, folded the way encoding/json
// folds field names (ASCII letters upper-cased, other runes mapped to the smallest rune of
// their simple case-folding orbit), so equal results mean encoding/json sees equal keys.
func (c *jsonChecker) str(fold *[]byte) error {
	d := c.data
	for {
		start := c.pos
		for c.pos < len(d) && plain[d[c.pos]] {
			c.pos++
		}
		if fold != nil {
			for _, b := range d[start:c.pos] {
				if 'a' <= b && b <= 'z' {
					b -= 'a' - 'A'
				}
				*fold = append(*fold, b)
			}
		}
		if c.pos >= len(d) {
			return c.syntaxError()
		}
		b := d[c.pos]
		switch {
		case b == '"':
			c.pos++
			return nil
		case b == '\\':
			r, err := c.escape()
			if err != nil {
				return err
			}
			if fold != nil {
				*fold = utf8.AppendRune(*fold, foldRune(r))
			}
		case b < 0x20:
			return c.syntaxError()
		default: // b >= 0x80
			r, size := utf8.DecodeRune(d[c.pos:])
			if r == utf8.RuneError && size == 1 {
				return c.encodingError()
			}
			c.pos += size
			if fold != nil {
				*fold = utf8.AppendRune(*fold, foldRune(r))
			}
		}
	}
}

// escape decodes the escape sequence at c.pos (at the backslash), refusing unpaired
// surrogates.
func (c *jsonChecker) escape() (rune, error) {
	d := c.data
	if c.pos+1 >= len(d) {
		return 0, c.syntaxError()
	}
	c.pos += 2
	switch d[c.pos-1] {
	case '"':
		return '"', nil
	case '\\':
		return '\\', nil
	case '/':
		return '/', nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
	default:
		c.pos--
		return 0, c.syntaxError()
	}
	r, ok := c.hex4()
	if !ok {
		return 0, c.syntaxError()
	}
	switch {
	case 0xd800 <= r && r < 0xdc00:
		if c.pos+1 >= len(d) || d[c.pos] != '\\' || d[c.pos+1] != 'u' {
			return 0, c.encodingError()
		}
		c.pos += 2
		r2, ok := c.hex4()
		if !ok {
			return 0, c.syntaxError()
		}
		if r2 < 0xdc00 || r2 > 0xdfff {
			return 0, c.encodingError()
		}
		return (r-0xd800)<<10 | (r2 - 0xdc00) + 0x10000, nil
	case 0xdc00 <= r && r <= 0xdfff:
		return 0, c.encodingError()
	}
	return r, nil
}

func (c *jsonChecker) hex4() (rune, bool) {
	if c.pos+4 > len(c.data) {
		return 0, false
	}
	var r rune
	for _, b := range c.data[c.pos : c.pos+4] {
		switch {
		case '0' <= b && b <= '9':
			b -= '0'
		case 'a' <= b && b <= 'f':
			b = b - 'a' + 10
		case 'A' <= b && b <= 'F':
			b = b - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(b)
	}
	c.pos += 4
	return r, true
}

// foldRune returns the smallest rune of r's simple case-folding orbit, as encoding/json's
// field-name folding does (so "K", "k" and U+212A KELVIN SIGN fold alike). ASCII letters
// fold to upper case, like encoding/json.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
