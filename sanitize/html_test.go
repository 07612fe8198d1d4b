package sanitize_test

import (
	"html"
	"strings"
	"sync"
	"testing"

	"github.com/rampart-go/rampart/sanitize"
)

// xssCorpus holds vectors written for this package from the well-known classes of XSS
// filter evasion (as catalogued by the OWASP XSS Filter Evasion Cheat Sheet, the HTML5
// Security Cheatsheet and DOMPurify's test suite): event handlers, javascript:/data:/
// vbscript: URLs with entity, case, whitespace and control-character obfuscation, mutation
// XSS through malformed or nested markup, SVG and MathML, noscript and other raw-text
// elements, unclosed comments and CDATA, CSS expressions and imports, and newlines encoded
// inside schemes.
var xssCorpus = []string{
	// Plain script.
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<script/xss src=//evil.example/x.js></script>`,
	`<<script>alert(1);//<</script>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`<script>alert(1)`,
	`<script
>alert(1)</script
>`,
	// Event handlers.
	`<img src=x onerror=alert(1)>`,
	`<img src="x" ONERROR="alert(1)">`,
	`<img/src="x"/onerror="alert(1)">`,
	`<img src=x onerror	=alert(1)>`,
	`<body onload=alert(1)>`,
	`<div onmouseover="alert(1)">hover</div>`,
	`<a href="https://ok.example/" onclick="alert(1)">x</a>`,
	`<details open ontoggle=alert(1)>`,
	`<p onpointerenter=alert(1) title=x>`,
	`<video><source onerror="alert(1)">`,
	`<audio src=x onerror=alert(1)>`,
	`<input autofocus onfocus=alert(1)>`,
	`<marquee onstart=alert(1)>`,
	`<img src=x:alert(alt) onerror=eval(src) alt=0>`,
	`<img """><script>alert(1)</script>">`,
	// javascript: URLs and their disguises.
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`,
	`<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`,
	`<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>`,
	`<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>`,
	`<a href="javascript&colon;alert(1)">x</a>`,
	`<a href="java&Tab;script:alert(1)">x</a>`,
	`<a href="java&NewLine;script:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`,
	`<a href="jav&#x0A;ascript:alert(1)">x</a>`,
	`<a href="jav&#x0D;ascript:alert(1)">x</a>`,
	"<a href=\"java\tscript:alert(1)\">x</a>",
	"<a href=\"java\nscript:alert(1)\">x</a>",
	"<a href=\"\x01javascript:alert(1)\">x</a>",
	`<a href="&#x01;javascript:alert(1)">x</a>`,
	`<a href="&#14;  javascript:alert(1)">x</a>`,
	`<a href="javascript%3Aalert(1)">x</a>`,
	`<a href="&amp;#106;avascript:alert(1)">x</a>`,
	`<a href="&amp;#x6A;avascript&amp;colon;alert(1)">x</a>`,
	`<a href=javascript:alert(1)>x</a>`,
	"<a href=`javascript:alert(1)`>x</a>",
	`<a href="  &#x20;javascript:alert(1)">x</a>`,
	`<img src="javascript:alert(1)">`,
	`<img src=JaVaScRiPt:alert(1)>`,
	`<img dynsrc="javascript:alert(1)">`,
	`<img lowsrc="javascript:alert(1)">`,
	`<blockquote cite="javascript:alert(1)">q</blockquote>`,
	`<q cite="vbscript:msgbox(1)">q</q>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<a href="VBScript:msgbox(1)">x</a>`,
	`<a href="livescript:alert(1)">x</a>`,
	`<a href="mocha:alert(1)">x</a>`,
	// data: URLs.
	`<a href="data:text/html,<script>alert(1)</script>">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<a href="DATA:text/html,x">x</a>`,
	`<a href="&#100;ata:text/html,x">x</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<object data="data:text/html,x"></object>`,
	`<embed src="data:text/html,x">`,
	`<iframe src="data:text/html,<script>alert(1)</script>"></iframe>`,
	`<iframe srcdoc="<script>alert(1)</script>"></iframe>`,
	// SVG and MathML.
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text x=0 y=20>x</text></a></svg>`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<svg><set attributeName=href to=javascript:alert(1) /></svg>`,
	`<svg><use href="data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'><image href='1' onerror='alert(1)'/></svg>#x"/></svg>`,
	`<svg><style><img src=x onerror=alert(1)></style></svg>`,
	`<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>`,
	`<math href="javascript:alert(1)">x</math>`,
	`<math><mi xlink:href="data:x,<script>alert(1)</script>">`,
	`<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>`,
	// Mutation XSS: malformed and nested markup that re-parses differently.
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<noscript><style></noscript><img src=x onerror=alert(1)></style>`,
	`<p title="</p><script>alert(1)</script>">x</p>`,
	`<a title="<img src=x onerror=alert(1)>">x</a>`,
	`<listing>&lt;img src=1 onerror=alert(1)&gt;</listing>`,
	`<textarea><img src=x onerror=alert(1)></textarea>`,
	`<title><img src=x onerror=alert(1)></title>`,
	`<xmp><img src=x onerror=alert(1)></xmp>`,
	`<plaintext><img src=x onerror=alert(1)>`,
	`<noembed><img src=x onerror=alert(1)></noembed>`,
	`<noframes><img src=x onerror=alert(1)></noframes>`,
	`<template><img src=x onerror=alert(1)></template>`,
	`<table><td><style><img src=x onerror=alert(1)></style>`,
	`<select><style><img src=x onerror=alert(1)>`,
	`<div><p>x<table><tr><td><a href=javascript:alert(1)>y</a>`,
	`<img src="x` + "\x00" + `" onerror=alert(1)>`,
	"<scr\x00ipt>alert(1)</scr\x00ipt>",
	`<img src=x onerror="&#97;lert(1)">`,
	`<a href="https://ok.example/"><img src=x onerror=alert(1)></a>`,
	`<p>x</p><p/onclick=alert(1)>y`,
	// Comments, CDATA, processing instructions.
	`<!--<img src=x onerror=alert(1)>-->`,
	`<!-- unclosed comment <script>alert(1)</script>`,
	`<!--><img src=x onerror=alert(1)>-->`,
	`<!---><img src=x onerror=alert(1)>-->`,
	`<!--[if gte IE 4]><script>alert(1)</script><![endif]-->`,
	`<![CDATA[<img src=x onerror=alert(1)>]]>`,
	`<?xml version="1.0"?><img src=x onerror=alert(1)>`,
	`<!DOCTYPE html><script>alert(1)</script>`,
	// CSS: expression(), url(javascript:), @import, behaviours.
	`<div style="width: expression(alert(1))">x</div>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<p style="xss:expr/**/ession(alert(1))">x</p>`,
	`<style>@import 'https://evil.example/x.css';</style>`,
	`<style>body{-moz-binding:url(https://evil.example/x.xml#xss)}</style>`,
	`<div style="behavior: url(x.htc)">x</div>`,
	`<link rel=stylesheet href="javascript:alert(1)">`,
	`<table background="javascript:alert(1)">`,
	// Other active content and navigation.
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<button formaction="javascript:alert(1)">x</button>`,
	`<isindex action="javascript:alert(1)" type=image>`,
	`<object classid="clsid:x" codebase="javascript:alert(1)"></object>`,
	`<applet code="x"></applet>`,
	`<frameset><frame src="javascript:alert(1)"></frameset>`,
	`<a href="https://ok.example/" target="_blank">tabnabbing</a>`,
	`<a href="https://ok.example/" rel="opener">x</a>`,
	`<img srcset="javascript:alert(1) 1x">`,
	`<a ping="https://evil.example/" href="https://ok.example/">x</a>`,
	`<div id="location">DOM clobbering</div><form name="cookie">`,
}

func TestXSSCorpusHTML(t *testing.T) {
	for _, in := range xssCorpus {
		out := sanitize.HTML(in)
		if why := executable(out, true); why != "" {
			t.Errorf("HTML(%q) = %q: %s", in, out, why)
		}
	}
}

func TestXSSCorpusStripHTML(t *testing.T) {
	for _, in := range xssCorpus {
		out := sanitize.StripHTML(in)
		if why := executable(out, false); why != "" {
			t.Errorf("StripHTML(%q) = %q: %s", in, out, why)
		}
	}
}

// The oracle must catch what it is there to catch: each of these is flagged.
func TestOracleDetects(t *testing.T) {
	bad := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`<a href="java&#x09;script:alert(1)">x</a>`,
		"<a href=\"\x01javascript:alert(1)\">x</a>",
		`<svg><a>x</a></svg>`,
		`<math></math>`,
		`<iframe></iframe>`,
		`<object></object>`,
		`<embed>`,
		`<style></style>`,
		`<p style="color:red">x</p>`,
		`<img src="data:image/png;base64,AAAA">`,
		`<!-- x -->`,
	}
	for _, s := range bad {
		if why := executable(s, true); why == "" {
			t.Errorf("executable(%q) found nothing", s)
		}
	}
	if why := executable(`<b>x</b>`, false); why == "" {
		t.Error("executable(<b>x</b>, plain text) found nothing")
	}
	good := []string{
		`<a href="https://example.com/a?b=c#d" rel="nofollow noopener noreferrer">x</a>`,
		`<a href="/relative/path">x</a>`,
		`<a href="mailto:a@example.com">x</a>`,
		`<p>5 &lt; 6 &amp; javascript:alert(1) as text</p>`,
	}
	for _, s := range good {
		if why := executable(s, true); why != "" {
			t.Errorf("executable(%q) = %s, want safe", s, why)
		}
	}
}

// The rich-text policy keeps what it promises to keep.
func TestHTMLKeepsSafeMarkup(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Hello <b>world</b></p>`, `<p>Hello <b>world</b></p>`},
		{`<a href="https://example.com/x">x</a>`, `<a href="https://example.com/x" rel="nofollow noopener noreferrer">x</a>`},
		{`<a href="/docs">docs</a>`, `<a href="/docs" rel="nofollow noopener noreferrer">docs</a>`},
		{`<a href="mailto:a@example.com">mail</a>`, `<a href="mailto:a@example.com" rel="nofollow noopener noreferrer">mail</a>`},
		{`<a href="https://example.com/" rel="opener" target="_blank">x</a>`, `<a href="https://example.com/" rel="nofollow noopener noreferrer">x</a>`},
		{`<a href="javascript:alert(1)">x</a>`, `x`},
		{`<ul><li>one</li><li>two</li></ul>`, `<ul><li>one</li><li>two</li></ul>`},
		{`<ol start="3"><li>x</li></ol>`, `<ol start="3"><li>x</li></ol>`},
		{`<table><tr><td colspan="2">x</td></tr></table>`, `<table><tr><td colspan="2">x</td></tr></table>`},
		{`<img src="https://example.com/a.png" alt="A" width="10">`, `<img src="https://example.com/a.png" alt="A" width="10">`},
		{`<pre><code>if a &lt; b {}</code></pre>`, `<pre><code>if a &lt; b {}</code></pre>`},
		{`<p class="x" id="y" style="color:red">t</p>`, `<p>t</p>`},
		{`<h2 title="t" lang="en-GB" dir="rtl">h</h2>`, `<h2 title="t" lang="en-GB" dir="rtl">h</h2>`},
		{`<script>alert(1)</script>after`, `after`},
		{`<p>a<iframe src="https://example.com/"></iframe>b</p>`, `<p>ab</p>`},
		{`a & b`, `a &amp; b`},
	}
	for _, tt := range tests {
		if got := sanitize.HTML(tt.in); got != tt.want {
			t.Errorf("HTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStripHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<p>Hello <b>world</b></p>`, `Hello world`},
		{`a<br>b`, `a b`},
		{`<script>alert(1)</script>text`, `text`},
		{`<style>p{}</style>text`, `text`},
		{`5 < 6 & "q"`, `5 &lt; 6 &amp; &#34;q&#34;`},
		{`<p>one</p><p>two</p>`, `one two`},
		{`<a href="javascript:x">link</a>`, `link`},
		{`&lt;script&gt;`, `&lt;script&gt;`},
	}
	for _, tt := range tests {
		// Every removed tag becomes a space; compare with runs of spaces collapsed.
		if got := strings.Join(strings.Fields(sanitize.StripHTML(tt.in)), " "); got != tt.want {
			t.Errorf("StripHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The policies are built once and shared: concurrent use must be race-free (run with -race)
// and give the same answers.
func TestHTMLConcurrent(t *testing.T) {
	const in = `<p onclick="x">a <a href="https://example.com/">b</a></p>`
	want := sanitize.HTML(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if got := sanitize.HTML(in); got != want {
					t.Errorf("HTML(%q) = %q concurrently, want %q", in, got, want)
					return
				}
				_ = sanitize.StripHTML(in)
			}
		})
	}
	wg.Wait()
}

func TestRichTextPolicyIsFresh(t *testing.T) {
	p := sanitize.RichTextPolicy()
	p.AllowElements("article")
	if got := sanitize.HTML("<article>x</article>"); got != "x" {
		t.Errorf("HTML after extending a RichTextPolicy copy = %q, want %q (the shared policy must not change)", got, "x")
	}
	if got := p.Sanitize("<article>x</article>"); got != "<article>x</article>" {
		t.Errorf("extended policy Sanitize = %q", got)
	}
}

// tutorialEscape is the ordering bug this package's escaping exists to avoid: it replaces
// the other characters first and "&" last, so the ampersands it has just written are
// escaped again.
func tutorialEscape(s string) string {
	for _, r := range [][2]string{{"<", "&lt;"}, {">", "&gt;"}, {`"`, "&quot;"}, {"'", "&#x27;"}, {"&", "&amp;"}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

// escapeCases are exact expectations for EscapeHTML; the tutorial's function fails the
// first ones ("<" became "&amp;lt;").
var escapeCases = []struct{ in, want string }{
	{`<`, `&lt;`},
	{`<script>alert("x")</script>`, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`},
	{`a & b`, `a &amp; b`},
	{`&lt;`, `&amp;lt;`}, // text that looks like an entity is still text
	{`it's`, `it&#39;s`},
	{`"'<>&`, `&#34;&#39;&lt;&gt;&amp;`},
	{"nul\x00", "nul\uFFFD"},
	{`plain text`, `plain text`},
	{``, ``},
	{`Ünïcödé ✓`, `Ünïcödé ✓`},
}

func TestEscapeHTMLOrderingRegression(t *testing.T) {
	for _, tt := range escapeCases {
		if got := sanitize.EscapeHTML(tt.in); got != tt.want {
			t.Errorf("EscapeHTML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The test is able to fail: the tutorial's ordering does not pass it.
	if got := tutorialEscape("<"); got == "&lt;" {
		t.Fatalf("tutorialEscape(%q) = %q; the regression test would not catch the bug", "<", got)
	}
}

// Escaping then unescaping is the identity (apart from NUL): nothing is escaped twice.
func TestEscapeHTMLRoundTrip(t *testing.T) {
	inputs := []string{`<a href="x">&amp;</a>`, `&&&`, `&#34;`, `'"'`, `a<b>c&d`, `&lt;&gt;`}
	for _, in := range inputs {
		if got := html.UnescapeString(sanitize.EscapeHTML(in)); got != in {
			t.Errorf("UnescapeString(EscapeHTML(%q)) = %q", in, got)
		}
		if got := html.UnescapeString(tutorialEscape(in)); got == in && strings.ContainsAny(in, `<>"'`) {
			t.Errorf("tutorialEscape(%q) round-trips; the property would not catch the bug", in)
		}
	}
}

func TestEscapeHTMLNoAlloc(t *testing.T) {
	s := "nothing to escape here"
	if n := testing.AllocsPerRun(100, func() { _ = sanitize.EscapeHTML(s) }); n != 0 {
		t.Errorf("EscapeHTML(%q) allocates %v times, want 0", s, n)
	}
}
