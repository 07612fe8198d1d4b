package sanitize

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
)

// The two policies are built once, on first use, and never modified afterwards; a bluemonday
// Policy is safe for concurrent use once it is no longer being changed.
var (
	strictPolicy = sync.OnceValue(newStrictPolicy)
	richPolicy   = sync.OnceValue(RichTextPolicy)
)

func newStrictPolicy() *bluemonday.Policy {
	p := bluemonday.StrictPolicy()
	// "a<br>b" becomes "a b", not "ab".
	p.AddSpaceWhenStrippingTag(true)
	return p
}

// StripHTML removes all markup from s and returns its text, HTML-escaped: the result is safe
// in an HTML element body or a quoted attribute value, and reads as plain text there. The
// contents of script, style, iframe, noscript and similar elements are dropped, not kept
// as text (those of the obsolete xmp and plaintext elements are kept, escaped). Every removed tag becomes a space, so words do not run together; leading and
// trailing white space is trimmed.
//
// The result is meant for HTML. To use the text elsewhere (a JSON field, an e-mail subject),
// pass it through html.UnescapeString, and escape it for that context instead.
func StripHTML(s string) string {
	return strings.TrimSpace(strictPolicy().Sanitize(s))
}

// HTML sanitizes user-supplied rich text (the output of a WYSIWYG editor or of Markdown) with
// the policy of [RichTextPolicy] and returns HTML that is safe to embed in a page's body.
// It is safe for concurrent use. Its cost grows linearly with len(s); bound the input first
// (JSON.MaxBytes, Rule.MaxLen).
func HTML(s string) string {
	return addNoOpener(richPolicy().Sanitize(s))
}

// relBluemonday is the rel value bluemonday writes for RequireNoFollowOnLinks plus
// RequireNoReferrerOnLinks; relFull adds noopener. Because the policy does not let input set
// rel and every quote in a sanitized attribute value or text is escaped, this exact byte
// sequence can only be an attribute bluemonday wrote.
const (
	relBluemonday = `rel="nofollow noreferrer"`
	relFull       = `rel="nofollow noopener noreferrer"`
)

func addNoOpener(s string) string {
	if !strings.Contains(s, relBluemonday) {
		return s
	}
	return strings.ReplaceAll(s, relBluemonday, relFull)
}

// RichTextPolicy returns a new bluemonday policy for user-supplied rich text, the one [HTML]
// uses (except that HTML also adds "noopener" to every link's rel). It allows:
//
//   - text formatting: p, br, hr, b, i, em, strong, u, s, del, ins, sub, sup, small, mark,
//     abbr, cite, dfn, q, kbd, samp, var, code, pre, blockquote, span, div, h1 to h6,
//     time (datetime), details and summary;
//   - lists (ul, ol with start, li, dl, dt, dd) and tables (table, caption, thead, tbody,
//     tfoot, tr, th and td with colspan, rowspan and scope);
//   - links: a with href, only http, https and mailto URLs or relative ones, always with
//     rel="nofollow noreferrer" forced (HTML adds noopener); a link may name any host,
//     also through a protocol-relative "//host/" URL, which counts as relative;
//   - images: img with src (the same URL rules as links, so no data: URLs), alt, width and
//     height;
//   - the global attributes title, lang and dir.
//
// It never allows scripts, style elements or attributes, event handler (on*) attributes,
// SVG, MathML, forms or form controls, iframe, object, embed, base, meta, link, id, name or
// class (the last three would let content impersonate or clobber the page's own elements).
//
// Images load from any host the author names, which lets a post's author see who reads it
// (tracking pixels), and send a GET request with the reader's cookies to your own site
// too (src="/account/logout"): keep state-changing endpoints off GET. If that matters,
// proxy images or build a policy without img.
//
// Each call builds a new policy, so callers may extend it; a change can weaken it, so keep
// extensions to elements and attributes that cannot carry script. Build it once, at start-up,
// and reuse it: it is safe for concurrent Sanitize calls once no longer modified.
func RichTextPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()

	p.AllowStandardURLs() // http, https, mailto, relative; URLs must parse
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)

	p.AllowAttrs("title").Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)).Globally()
	p.AllowAttrs("dir").Matching(regexp.MustCompile(`^(?i:ltr|rtl|auto)$`)).Globally()

	p.AllowElements(
		"p", "br", "hr", "b", "i", "em", "strong", "u", "s", "del", "ins", "sub", "sup",
		"small", "mark", "abbr", "cite", "dfn", "q", "kbd", "samp", "var", "code", "pre",
		"blockquote", "span", "div", "h1", "h2", "h3", "h4", "h5", "h6", "details",
		"summary", "time",
		"ul", "ol", "li", "dl", "dt", "dd",
		"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
	)
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("datetime").Matching(regexp.MustCompile(`^[0-9T:.+\- Z]{1,40}$`)).OnElements("time", "del", "ins")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^-?[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,4}$`)).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(?i:row|col|rowgroup|colgroup)$`)).OnElements("th")

	p.AllowAttrs("src").OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[0-9]{1,5}$`)).OnElements("img")
	return p
}

// EscapeHTML escapes s for an HTML element body or a quoted attribute value (always quote
// attributes: no escaping makes an unquoted attribute safe). It replaces & < > " ' in one
// pass, so an ampersand is never escaped twice ("<" becomes "&lt;", never "&amp;lt;"), and
// NUL by U+FFFD. Invalid UTF-8 passes through unchanged; browsers decode it as U+FFFD.
//
// It does not make s safe in a URL, JavaScript, CSS or an unquoted attribute: see "Output
// contexts" in the package documentation. It does not allocate when s needs no escaping.
func EscapeHTML(s string) string {
	i := 0
	for i < len(s) && !needsEscape(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&#34;")
		case '\'':
			b.WriteString("&#39;")
		case 0:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func needsEscape(c byte) bool {
	return c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' || c == 0
}
