package sanitize_test

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The oracle of the XSS corpus and of FuzzHTML: it parses sanitized output the way a browser
// would (golang.org/x/net/html implements the HTML5 parsing algorithm) and reports the first
// thing in it that could run script or load active content, or "" when there is none. It
// then serializes the parsed tree and parses that again, so output that only turns dangerous
// after a browser's parse-serialize round trip (mutation XSS) is caught too.

// dangerousElements may never appear in sanitized output.
var dangerousElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true,
	"object": true, "embed": true, "applet": true, "base": true, "link": true, "meta": true,
	"svg": true, "math": true, "form": true, "input": true, "button": true, "textarea": true,
	"select": true, "option": true, "noscript": true, "template": true, "xmp": true,
	"plaintext": true, "noembed": true, "noframes": true, "title": true, "audio": true,
	"video": true, "source": true, "portal": true, "isindex": true, "param": true,
}

// urlAttributes hold URLs that a browser may navigate to, fetch or execute.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "background": true,
	"cite": true, "poster": true, "data": true, "codebase": true, "srcset": true,
	"lowsrc": true, "dynsrc": true, "longdesc": true, "ping": true, "manifest": true,
	"usemap": true, "profile": true, "classid": true, "archive": true, "icon": true,
	"xlink:href": true, "xmlns": true,
}

// dangerousAttributes are never acceptable whatever their value.
var dangerousAttributes = map[string]bool{
	"style": true, "srcdoc": true, "formaction": true, "id": true, "name": true,
	"is": true, "http-equiv": true,
}

var allowedSchemes = map[string]bool{"http": true, "https": true, "mailto": true}

// executable reports why out is unsafe, or "" if it is safe; allowElements false demands
// plain text (no elements at all), as StripHTML promises.
func executable(out string, allowElements bool) string {
	if why := checkTree(out, allowElements); why != "" {
		return why
	}
	// Round trip: parse, serialize, check the serialization.
	nodes, err := parseBody(out)
	if err != nil {
		return "output does not parse: " + err.Error()
	}
	var b strings.Builder
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			return "output does not render: " + err.Error()
		}
	}
	if why := checkTree(b.String(), allowElements); why != "" {
		return "after a parse-serialize round trip: " + why
	}
	return ""
}

func parseBody(s string) ([]*html.Node, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	return html.ParseFragment(strings.NewReader(s), ctx)
}

func checkTree(s string, allowElements bool) string {
	nodes, err := parseBody(s)
	if err != nil {
		return "output does not parse: " + err.Error()
	}
	var why string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if why != "" {
			return
		}
		switch n.Type {
		case html.ElementNode:
			if !allowElements {
				why = "element <" + n.Data + "> in plain-text output"
				return
			}
			if n.Namespace != "" {
				why = "foreign (" + n.Namespace + ") element <" + n.Data + ">"
				return
			}
			if dangerousElements[strings.ToLower(n.Data)] {
				why = "element <" + n.Data + ">"
				return
			}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				if a.Namespace != "" {
					key = strings.ToLower(a.Namespace) + ":" + key
				}
				switch {
				case strings.HasPrefix(key, "on"):
					why = "event handler attribute " + key
				case dangerousAttributes[key]:
					why = "attribute " + key
				case urlAttributes[key] || strings.HasSuffix(key, ":href"):
					if scheme, ok := urlScheme(a.Val); !ok {
						why = "attribute " + key + " with scheme " + scheme
					}
				}
				if why != "" {
					return
				}
			}
		case html.CommentNode:
			if allowElements {
				// Comments are harmless once parsed, but the policy never emits them.
				why = "comment in output"
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return why
}

// urlScheme returns a URL's scheme the way a browser finds it, and whether it is allowed.
// The parser has already decoded entities, once, as a browser does. Browsers then remove
// tab, LF and CR anywhere in the URL and strip leading C0 controls and spaces before
// looking for the scheme, which ends at the first ":" if that comes before any "/", "?"
// or "#".
func urlScheme(v string) (string, bool) {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, v)
	s = strings.TrimLeftFunc(s, func(r rune) bool { return r <= ' ' })
	end := strings.IndexAny(s, ":/?#")
	if end < 0 || s[end] != ':' {
		return "", true // relative URL: no scheme
	}
	scheme := strings.ToLower(s[:end])
	return scheme, allowedSchemes[scheme]
}
