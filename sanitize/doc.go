// Package sanitize guards a service's trust boundary: it cleans user HTML, validates and
// normalizes strings, e-mail addresses, URLs, file names and paths, and decodes JSON request
// bodies defensively.
//
// For most handlers: decode the body with [DecodeJSON], check each field with an [Errors]
// collector and a [Rule] (or [Email], [URLRule.Check]), and answer a failure with
// [WriteError], which writes 400, 413 or 415 with a body such as
//
//	{"errors":[{"field":"username","message":"must be at most 32 characters"}]}
//
// # HTML
//
// [HTML] cleans user rich text (WYSIWYG or Markdown output) with [RichTextPolicy], a
// bluemonday allowlist: formatting, lists, tables, images and links whose URLs are http,
// https, mailto or relative, every link with rel="nofollow noopener noreferrer". No scripts,
// styles, event handlers, SVG, MathML, forms, frames, embedded objects, ids or classes.
// [StripHTML] removes all markup and returns escaped text. Both build their policy once and
// are safe for concurrent use.
//
// Sanitize on output, or on input and store the result, but never sanitize and then modify
// the HTML (concatenating, truncating or re-templating it can reopen what was closed).
// Sanitized HTML is safe in an element body, not inside an attribute, a script or a style.
//
// # Output contexts
//
// The right escaping depends on where text goes. Prefer html/template, which knows the
// context of every insertion and escapes accordingly; these functions are for the places
// that do not use it:
//
//   - HTML element body, from untrusted text: [EscapeHTML] (or html/template).
//   - HTML element body, from untrusted HTML you want to keep formatted: [HTML].
//   - Quoted attribute value (title="..."): [EscapeHTML]. Always quote the attribute;
//     nothing makes an unquoted one safe. Never put untrusted text in an event handler
//     (onclick), style or srcdoc attribute.
//   - URL attribute (href, src): validate with [URLRule.Check], which refuses javascript:,
//     data: and vbscript: however they are disguised, then [EscapeHTML] the result for the
//     attribute. A URL query parameter: url.QueryEscape, then EscapeHTML.
//   - JavaScript, inside a script element or an event handler: use html/template, which
//     encodes values as JavaScript literals; or pass data through a data-* attribute
//     (EscapeHTML) or a JSON script block that html/template writes. There is no safe
//     hand-written escape here.
//   - CSS: use html/template, or do not place untrusted text in CSS at all.
//   - Plain text (a JSON response, a text/plain body, an e-mail subject): no HTML escaping;
//     use the encoder of that format.
//
// [EscapeHTML] replaces all five significant characters in a single pass, so an ampersand
// is never escaped twice (a common bug replaces "<" before "&" and produces "&amp;lt;").
//
// # Strings
//
// A [Rule] composes the checks for one field: required, length in code points (not bytes),
// allowed character classes or a regexp, and optional NFKC normalization or identifier
// folding (so "Ａdmin" and "admin" are the same user name, and invisible characters such as
// U+200B that would make "ad\u200bmin" a look-alike are refused). Every rule refuses invalid
// UTF-8, NUL and other control characters (tab, LF and CR only with Multiline), and the
// bidirectional overrides and isolates of "Trojan Source". [Errors] collects the failures of
// a whole request and serializes them as JSON. Checking a valid ASCII value that the rule
// leaves unchanged does not allocate (Identifier lowercases, which allocates when the value
// has an upper-case letter).
//
// # E-mail addresses, URLs, file names and paths
//
// [Email] accepts one bare address within RFC 5321's limits and returns it with an
// IDNA-normalized domain. [URLRule] accepts absolute URLs with allowlisted schemes (http and
// https by default) and optionally hosts, without userinfo, and normalizes them.
// [FileNameRule] checks one file name against the rules of every common file system.
// [JoinPath] joins a user path under a root lexically; open files with [os.Root], which also
// stops symbolic links from leaving the root.
//
// # JSON request bodies
//
// [JSON.Decode] (and [DecodeJSON] with the defaults) require Content-Type application/json
// (415 otherwise, which also keeps cross-site HTML forms out), cap the body at 1 MiB (413),
// and refuse with 400: invalid JSON or UTF-8, a body that is just null, trailing data after
// the value, nesting deeper
// than 32, unknown fields, values of the wrong type, and duplicate keys, including keys
// that differ only in case: encoding/json matches keys to fields case-insensitively and lets
// the last one win, so {"role":"user","ROLE":"admin"} would otherwise decode as admin. The
// checks take one extra pass over the body.
//
// # When not to use it
//
// Not for HTML that you write yourself (use html/template); not for rendering Markdown (run
// a Markdown renderer, then [HTML] on its output); not as SSRF protection (a valid URL's
// host can resolve to an internal address); not to decide whether an e-mail address
// exists (send a confirmation message).
//
// # Concurrency and limits
//
// Every function and every Rule, URLRule, FileNameRule and JSON value is safe for concurrent
// use; an [Errors] collector belongs to one request. All input is bounded: rules by MaxLen,
// URLs by MaxLen (2048 bytes), e-mail addresses by 254 bytes, bodies by MaxBytes.
package sanitize
