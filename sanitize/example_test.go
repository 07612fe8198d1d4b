package sanitize_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/rampart-go/rampart/sanitize"
)

// 1. HTML: clean user rich text, strip markup, escape text.
func ExampleHTML() {
	comment := `<p onclick="steal()">Nice <b>post</b>! <a href="https://example.com/">more</a>` +
		` <a href="java&#x09;script:alert(1)">click</a><script>alert(1)</script></p>`
	fmt.Println(sanitize.HTML(comment))
	// Output:
	// <p>Nice <b>post</b>! <a href="https://example.com/" rel="nofollow noopener noreferrer">more</a> click</p>
}

func ExampleStripHTML() {
	fmt.Println(sanitize.StripHTML(`<h1>Title</h1><script>alert(1)</script>Fish &amp; chips`))
	// Output:
	// Title Fish &amp; chips
}

func ExampleEscapeHTML() {
	name := `<script>alert("Tom & Jerry's")</script>`
	fmt.Printf("<p title=\"%s\">%s</p>\n", sanitize.EscapeHTML(name), sanitize.EscapeHTML(name))
	// Output:
	// <p title="&lt;script&gt;alert(&#34;Tom &amp; Jerry&#39;s&#34;)&lt;/script&gt;">&lt;script&gt;alert(&#34;Tom &amp; Jerry&#39;s&#34;)&lt;/script&gt;</p>
}

// 2. Strings: compose rules per field and collect the errors.
func ExampleRule() {
	usernameRule := sanitize.Rule{
		Required:   true,
		MinLen:     3,
		MaxLen:     32,
		Allow:      sanitize.Letters | sanitize.Marks | sanitize.Digits,
		Extra:      "_-.",
		Identifier: true, // "Ａdmin" and "admin" are the same user name
	}
	for _, in := range []string{"Ａdmin", "ADMIN", "ad", "admin\u202e", "a b"} {
		v, err := usernameRule.Check(in)
		fmt.Printf("%q %v\n", v, err)
	}
	// Output:
	// "admin" <nil>
	// "admin" <nil>
	// "" sanitize: must be at least 3 characters
	// "" sanitize: must not contain bidirectional control characters
	// "" sanitize: contains a character that is not allowed
}

func ExampleErrors() {
	var errs sanitize.Errors
	errs.Check("username", "", sanitize.Rule{Required: true, MaxLen: 32})
	errs.Check("bio", strings.Repeat("x", 501), sanitize.Rule{MaxLen: 500, Multiline: true})
	err := errs.Err()
	fmt.Println(errors.Is(err, sanitize.ErrRequired), errors.Is(err, sanitize.ErrTooLong))
	b, _ := errs.MarshalJSON()
	fmt.Println(string(b))
	// Output:
	// true true
	// {"errors":[{"field":"username","message":"is required"},{"field":"bio","message":"must be at most 500 characters"}]}
}

// 3. E-mail: a bare address, normalized.
func ExampleEmail() {
	for _, in := range []string{"Alice@Bücher.Example", "Alice <alice@example.com>", "alice@localhost"} {
		addr, err := sanitize.Email(in)
		fmt.Printf("%q %v\n", addr, err)
	}
	// Output:
	// "Alice@xn--bcher-kva.example" <nil>
	// "" sanitize: must be a bare address such as name@example.com, without a display name
	// "" sanitize: has an invalid domain
}

// 4. URLs: absolute, allowlisted, normalized.
func ExampleURLRule() {
	links := sanitize.URLRule{Hosts: []string{"example.com", ".example.com"}}
	for _, in := range []string{
		"HTTPS://Docs.Example.COM:443/guide?q=1",
		"JaVaScRiPt:alert(1)",
		"https://example.com@evil.example/",
		"https://evil.example/",
	} {
		u, err := links.Check(in)
		fmt.Printf("%q %v\n", u, err)
	}
	// Output:
	// "https://docs.example.com/guide?q=1" <nil>
	// "" sanitize: uses a scheme that is not allowed
	// "" sanitize: must not contain a user name or password
	// "" sanitize: uses a host that is not allowed
}

// 5. File names and paths: check the name, then open through os.Root, which refuses any
// path (symbolic links included) that leads outside the directory.
func ExampleJoinPath() {
	dir, err := os.MkdirTemp("", "uploads")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	name := "report.txt" // from the user
	if err := (sanitize.FileNameRule{}).Check(name); err != nil {
		fmt.Println(err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte("quarterly figures"), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	root, err := os.OpenRoot(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(f)
	f.Close()
	fmt.Println(string(b))

	_, err = root.Open("../../etc/passwd")
	fmt.Println("os.Root refuses escape:", err != nil)
	_, err = sanitize.JoinPath(dir, "../../etc/passwd")
	fmt.Println(err)
	fmt.Println((sanitize.FileNameRule{}).Check("CON.txt"))
	// Output:
	// quarterly figures
	// os.Root refuses escape: true
	// sanitize: must be a relative path inside the directory
	// sanitize: is a reserved device name
}

// 6. JSON bodies: a body with a case-variant duplicate key is refused before decoding.
func ExampleJSON_Decode() {
	var body struct {
		Role string `json:"role"`
	}
	dec := sanitize.JSON{MaxBytes: 4 << 10, MaxDepth: 8}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"role":"user","ROLE":"admin"}`))
	r.Header.Set("Content-Type", "application/json")
	err := dec.Decode(httptest.NewRecorder(), r, &body)

	var re *sanitize.RequestError
	fmt.Println(errors.As(err, &re), re.Status, errors.Is(err, sanitize.ErrDuplicateKey), body.Role == "")
	// Output:
	// true 400 true true
}
