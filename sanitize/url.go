package sanitize

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrURL is wrapped (in a [*FieldError]) by every error [URLRule.Check] returns.
var ErrURL = errors.New("sanitize: invalid URL")

// DefaultMaxURLLen is the maximum length in bytes of a URL when URLRule.MaxLen is zero.
const DefaultMaxURLLen = 2048

// URLRule describes which absolute URLs a field may hold. The zero URLRule accepts http and
// https URLs with a host, to any host, of at most [DefaultMaxURLLen] bytes.
//
// The schemes javascript, vbscript and data are refused whatever Schemes says, and so is
// every URL with userinfo ("https://user:pass@host/", also a phishing device:
// "https://bank.example@evil.example/"). Whitespace and control characters are refused
// anywhere except at the ends (where ASCII spaces are trimmed), and so are invisible
// (default-ignorable) characters such as U+200B, so obfuscations such as
// "java\tscript:", " javascript:" or "\x01javascript:" fail, and the normalized result
// always starts with an allowed scheme, so it stays safe in contexts that decode entities.
//
// Passing Check is not protection against server-side request forgery: a host name may
// resolve to a private address. Resolve and check addresses when the server fetches URLs.
//
// A URLRule is a plain value, safe to share between goroutines.
type URLRule struct {
	// Schemes lists the allowed schemes, case-insensitively. Empty means http and https.
	// A scheme other than http and https may have no host ("mailto:a@example.com").
	Schemes []string

	// Hosts, when not empty, lists the allowed hosts: "example.com" allows exactly that host,
	// ".example.com" allows any of its subdomains (but not example.com itself). Entries are
	// compared with the normalized (lower-case, ASCII) host; write them in that form.
	Hosts []string

	// MaxLen bounds the input length in bytes; 0 means DefaultMaxURLLen.
	MaxLen int
}

// Check parses and validates s and returns it normalized: scheme and host lower-case, an
// internationalized host in IDNA ASCII form, the default port removed, an empty http(s)
// path written as "/", and the characters " ' < > ` percent-encoded wherever they occur, so
// the result cannot close a quoted attribute or open a tag (still escape it with
// [EscapeHTML] for an attribute: & stays as it is). Every error is a [*FieldError]
// wrapping [ErrURL].
func (r URLRule) Check(s string) (string, error) {
	maxLen := r.MaxLen
	if maxLen <= 0 {
		maxLen = DefaultMaxURLLen
	}
	if len(s) > maxLen {
		return "", urlError("is too long")
	}
	s = strings.Trim(s, " ")
	if s == "" {
		return "", urlError("must be a URL")
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == 0x7f || c == '\\' {
				return "", urlError("must not contain spaces, backslashes or control characters")
			}
			i++
			continue
		}
		ru, size := utf8.DecodeRuneInString(s[i:])
		if ru == utf8.RuneError && size == 1 || ru <= 0x9f || isBidiControl(ru) ||
			unicode.IsSpace(ru) || isInvisible(ru) || ru == 0x2028 || ru == 0x2029 {
			return "", urlError("must not contain spaces or control characters")
		}
		i += size
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", urlError("must be a valid URL")
	}
	scheme := u.Scheme // url.Parse lowercases it
	switch scheme {
	case "":
		return "", urlError("must be an absolute URL such as https://example.com/")
	case "javascript", "vbscript", "data":
		return "", urlError("uses a scheme that is not allowed")
	}
	if !r.schemeAllowed(scheme) {
		return "", urlError("uses a scheme that is not allowed")
	}
	if u.User != nil {
		return "", urlError("must not contain a user name or password")
	}
	web := scheme == "http" || scheme == "https"
	if u.Opaque != "" || u.Host == "" {
		if web {
			return "", urlError("must have a host")
		}
		if len(r.Hosts) > 0 {
			return "", urlError("uses a host that is not allowed")
		}
		return quoteUnsafe(u.String()), nil
	}
	if rawAuthorityHasPercent(s, scheme) {
		// net/url decodes %80-%FF in a host, which would bypass the checks above on raw
		// input (invalid UTF-8, invisible characters); a zone ID needs % as well.
		return "", urlError("has an invalid host")
	}
	host, err := normalizeHost(u.Hostname())
	if err != nil {
		return "", urlError("has an invalid host")
	}
	if !r.hostAllowed(host) {
		return "", urlError("uses a host that is not allowed")
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", urlError("has an invalid port")
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			port = ""
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	if web && u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	return quoteUnsafe(u.String()), nil
}

// quoteUnsafe percent-encodes the characters that end or open an HTML attribute or tag
// (" ' < > `). net/url keeps them verbatim in a query ("?q=\"><script>") and ' in a path;
// none of them is valid unencoded in a URI except ', which browsers themselves encode in
// the query. It returns s itself when there is nothing to encode.
func quoteUnsafe(s string) string {
	if !strings.ContainsAny(s, "\"'<>`") {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '<', '>', '`':
			b = append(b, '%', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// rawAuthorityHasPercent reports whether the authority ("//host:port") of the raw URL s,
// whose scheme has already been parsed, contains a percent sign.
func rawAuthorityHasPercent(s, scheme string) bool {
	rest, ok := strings.CutPrefix(s[len(scheme)+1:], "//")
	if !ok {
		return false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.IndexByte(rest, '%') >= 0
}

func urlError(msg string) error { return &FieldError{Message: msg, Err: ErrURL} }

func (r URLRule) schemeAllowed(scheme string) bool {
	if len(r.Schemes) == 0 {
		return scheme == "http" || scheme == "https"
	}
	for _, s := range r.Schemes {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

func (r URLRule) hostAllowed(host string) bool {
	if len(r.Hosts) == 0 {
		return true
	}
	for _, h := range r.Hosts {
		if h == host || strings.HasPrefix(h, ".") && len(host) > len(h) && strings.HasSuffix(host, h) {
			return true
		}
	}
	return false
}

// normalizeHost returns an IP address in canonical form or a DNS name in lower-case ASCII.
// Unlike an e-mail domain, a URL host may be a single label ("localhost").
func normalizeHost(h string) (string, error) {
	if h == "" {
		return "", errInvalidDomain
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", errInvalidDomain
		}
		return ip.String(), nil
	}
	a, err := idna.Lookup.ToASCII(h)
	if err != nil || a == "" || len(a) > maxDomain {
		return "", errInvalidDomain
	}
	last := ""
	for label := range strings.SplitSeq(a, ".") {
		if label == "" || len(label) > maxLabelLen {
			return "", errInvalidDomain
		}
		last = label
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isLDH(c) {
				return "", errInvalidDomain
			}
		}
	}
	if endsInNumber(last) {
		// Browsers read "0x7f.1" or "2130706433" as an IPv4 address (WHATWG URL "ends in a
		// number"); a valid dotted quad was handled above, so anything else is refused.
		return "", errInvalidDomain
	}
	return a, nil
}

// endsInNumber reports whether a last host label is a decimal or 0x-hex number.
func endsInNumber(label string) bool {
	digits := label
	if strings.HasPrefix(label, "0x") {
		digits = label[2:]
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if !isHexLower(c) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isLDH(c byte) bool      { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' }
func isHexLower(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }
