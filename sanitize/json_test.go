package sanitize_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rampart-go/rampart/sanitize"
)

type account struct {
	Name  string            `json:"name"`
	Role  string            `json:"role"`
	Age   int               `json:"age"`
	Tags  []string          `json:"tags"`
	Prefs map[string]string `json:"prefs"`
	Inner *struct {
		Kind string `json:"kind"`
	} `json:"inner"`
}

func jsonRequest(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestDecodeJSONAccepts(t *testing.T) {
	tests := []struct {
		body string
		want account
	}{
		{`{"name":"alice","role":"user","age":30}`, account{Name: "alice", Role: "user", Age: 30}},
		{" \n\t{\"name\" : \"bob\"}\r\n ", account{Name: "bob"}},
		{`{"NAME":"carol"}`, account{Name: "carol"}}, // one key, any case: as encoding/json
		{`{"tags":["a","b"],"inner":{"kind":"k"}}`, account{Tags: []string{"a", "b"}, Inner: &struct {
			Kind string `json:"kind"`
		}{"k"}}},
		{`{"name":"\u00e9\ud83d\ude00"}`, account{Name: "é😀"}},
		{`{"name":"caf\u00e9"}`, account{Name: "café"}},
		{`{"prefs":{"a":"1","b":"2"}}`, account{Prefs: map[string]string{"a": "1", "b": "2"}}},
		{`{"age":-2,"name":null}`, account{Age: -2}},
	}
	for _, tt := range tests {
		var got account
		if err := sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(tt.body), &got); err != nil {
			t.Errorf("DecodeJSON(%q) = %v", tt.body, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("DecodeJSON(%q) mismatch (-want +got):\n%s", tt.body, diff)
		}
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON; charset=UTF-8", "application/problem+json"} {
		r := jsonRequest(`{}`)
		r.Header.Set("Content-Type", ct)
		var v account
		if err := sanitize.DecodeJSON(httptest.NewRecorder(), r, &v); err != nil {
			t.Errorf("Content-Type %q: %v", ct, err)
		}
	}
}

func TestDecodeJSONRefuses(t *testing.T) {
	deep := strings.Repeat("[", 33) + strings.Repeat("]", 33)
	ok32 := `{"tags":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`
	var manyKeys strings.Builder
	manyKeys.WriteString(`{"prefs":{`)
	for i := range 40 {
		fmt.Fprintf(&manyKeys, `"key%d":"v",`, i)
	}
	manyKeys.WriteString(`"KEY17":"dup"}}`)

	tests := []struct {
		name, body string
		status     int
		err        error
	}{
		{"empty", ``, 400, sanitize.ErrJSON},
		{"whitespace only", " \n ", 400, sanitize.ErrJSON},
		{"not JSON", `name=alice`, 400, sanitize.ErrJSON},
		{"truncated", `{"name":"al`, 400, sanitize.ErrJSON},
		{"trailing comma", `{"name":"a",}`, 400, sanitize.ErrJSON},
		{"single quotes", `{'name':'a'}`, 400, sanitize.ErrJSON},
		{"bad escape", `{"name":"\x"}`, 400, sanitize.ErrJSON},
		{"raw control in string", "{\"name\":\"a\x01\"}", 400, sanitize.ErrJSON},
		{"leading zero", `{"age":01}`, 400, sanitize.ErrJSON},
		{"NaN", `{"age":NaN}`, 400, sanitize.ErrJSON},
		{"two values", `{"role":"user"}{"role":"admin"}`, 400, sanitize.ErrJSON},
		{"trailing garbage", `{"role":"user"} x`, 400, sanitize.ErrJSON},
		{"trailing value", `{} []`, 400, sanitize.ErrJSON},
		{"invalid UTF-8", "{\"name\":\"a\xff\"}", 400, sanitize.ErrJSON},
		{"invalid UTF-8 key", "{\"n\xffame\":\"a\"}", 400, sanitize.ErrJSON},
		{"lone high surrogate", `{"name":"\ud800"}`, 400, sanitize.ErrJSON},
		{"lone low surrogate", `{"name":"\udc00x"}`, 400, sanitize.ErrJSON},
		{"reversed surrogates", `{"name":"\ude00\ud83d"}`, 400, sanitize.ErrJSON},
		{"too deep", deep, 400, sanitize.ErrJSON},
		{"duplicate key", `{"role":"user","role":"admin"}`, 400, sanitize.ErrDuplicateKey},
		{"case-insensitive duplicate", `{"role":"user","ROLE":"admin"}`, 400, sanitize.ErrDuplicateKey},
		{"mixed-case duplicate", `{"Role":"user","rOlE":"admin"}`, 400, sanitize.ErrDuplicateKey},
		{"escaped duplicate", `{"role":"user","r\u006fle":"admin"}`, 400, sanitize.ErrDuplicateKey},
		{"escaped upper duplicate", `{"role":"user","\u0052OLE":"admin"}`, 400, sanitize.ErrDuplicateKey},
		{"Kelvin sign duplicate", `{"k":1,"\u212a":2}`, 400, sanitize.ErrDuplicateKey},
		{"long s duplicate", `{"tags":[],"tag\u017f":[]}`, 400, sanitize.ErrDuplicateKey},
		{"nested duplicate", `{"inner":{"kind":"a","KIND":"b"}}`, 400, sanitize.ErrDuplicateKey},
		{"duplicate in array element", `{"tags":[],"x":[{"a":1,"A":2}]}`, 400, sanitize.ErrDuplicateKey},
		{"duplicate among many keys", manyKeys.String(), 400, sanitize.ErrDuplicateKey},
		{"unknown field", `{"name":"a","is_admin":true}`, 400, sanitize.ErrUnknownField},
		{"wrong type", `{"age":"thirty"}`, 400, sanitize.ErrInvalidJSONType},
		{"float into int", `{"age":1.5}`, 400, sanitize.ErrInvalidJSONType},
		{"overflow", `{"age":1e400}`, 400, sanitize.ErrInvalidJSONType},
		{"array at top", `[1,2]`, 400, sanitize.ErrInvalidJSONType},
		// Review finding (issue 13): a null body decoded "successfully" into an untouched dst.
		{"null body", `null`, 400, sanitize.ErrInvalidJSONType},
		{"null body with spaces", " \r\n null \t", 400, sanitize.ErrInvalidJSONType},
		{"deep but allowed then unknown", ok32, 400, sanitize.ErrInvalidJSONType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got account
			err := sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(tt.body), &got)
			var re *sanitize.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("DecodeJSON(%q) = %v, want a *RequestError", tt.body, err)
			}
			if re.Status != tt.status || !errors.Is(err, tt.err) {
				t.Errorf("DecodeJSON(%q) = %d %v, want %d %v", tt.body, re.Status, err, tt.status, tt.err)
			}
			if re.Message == "" {
				t.Errorf("DecodeJSON(%q): empty message", tt.body)
			}
			if errors.Is(tt.err, sanitize.ErrDuplicateKey) && got.Role != "" {
				t.Errorf("DecodeJSON(%q) stored Role = %q before refusing", tt.body, got.Role)
			}
		})
	}
}

func TestDecodeJSONDuplicateFieldNamed(t *testing.T) {
	var v account
	err := sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(`{"role":"user","ROLE":"admin"}`), &v)
	var re *sanitize.RequestError
	if !errors.As(err, &re) || re.Field != "ROLE" {
		t.Fatalf("DecodeJSON = %v, want Field ROLE", err)
	}
	err = sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(`{"is_admin":true}`), &v)
	if !errors.As(err, &re) || re.Field != "is_admin" {
		t.Fatalf("DecodeJSON = %v, want Field is_admin", err)
	}
	err = sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(`{"inner":{"kind":3}}`), &v)
	if !errors.As(err, &re) || re.Field != "inner.kind" {
		t.Fatalf("DecodeJSON = %v, want Field inner.kind", err)
	}
}

func TestDecodeJSONContentType(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"application/json; charset=latin1", "application/jsonx", "text/json", "application/json;;", "application/+json+xml"} {
		r := jsonRequest(`{}`)
		if ct == "" {
			r.Header.Del("Content-Type")
		} else {
			r.Header.Set("Content-Type", ct)
		}
		var v account
		err := sanitize.DecodeJSON(httptest.NewRecorder(), r, &v)
		var re *sanitize.RequestError
		if !errors.As(err, &re) || re.Status != http.StatusUnsupportedMediaType || !errors.Is(err, sanitize.ErrMediaType) {
			t.Errorf("Content-Type %q: %v, want 415 ErrMediaType", ct, err)
		}
	}
}

// chunked hides the length, so the cap must be enforced while reading.
type chunked struct{ io.Reader }

func TestDecodeJSONTooLarge(t *testing.T) {
	big := `{"name":"` + strings.Repeat("a", 2000) + `"}`
	dec := sanitize.JSON{MaxBytes: 1024}

	r := jsonRequest(big)
	assertStatus(t, "with Content-Length", dec.Decode(httptest.NewRecorder(), r, &account{}), 413, sanitize.ErrBodyTooLarge)

	r = jsonRequest("")
	r.Body = io.NopCloser(chunked{strings.NewReader(big)})
	r.ContentLength = -1
	assertStatus(t, "chunked", dec.Decode(httptest.NewRecorder(), r, &account{}), 413, sanitize.ErrBodyTooLarge)

	r = jsonRequest("")
	r.Body = io.NopCloser(chunked{strings.NewReader(big[:1000] + `"}`)})
	r.ContentLength = -1
	if err := dec.Decode(httptest.NewRecorder(), r, &account{}); err != nil {
		t.Errorf("chunked body under the cap: %v", err)
	}
	exact := `{"name":"` + strings.Repeat("a", 1024-len(`{"name":""}`)) + `"}`
	if err := dec.Decode(httptest.NewRecorder(), jsonRequest(exact), &account{}); err != nil {
		t.Errorf("body of exactly MaxBytes: %v", err)
	}
	// Default cap: 1 MiB.
	huge := `{"name":"` + strings.Repeat("a", sanitize.DefaultMaxBodyBytes) + `"}`
	assertStatus(t, "default cap", sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(huge), &account{}), 413, sanitize.ErrBodyTooLarge)
}

func TestDecodeJSONMaxDepth(t *testing.T) {
	body := `{"tags":` + strings.Repeat("[", 5) + strings.Repeat("]", 5) + `}`
	err := sanitize.JSON{MaxDepth: 5}.Decode(httptest.NewRecorder(), jsonRequest(body), &account{})
	assertStatus(t, "depth 6 > 5", err, 400, sanitize.ErrJSON)
	err = sanitize.JSON{MaxDepth: 6}.Decode(httptest.NewRecorder(), jsonRequest(body), &map[string]any{})
	if err != nil {
		t.Errorf("depth 6 with MaxDepth 6: %v", err)
	}
	// A body nested far beyond any limit fails fast without exhausting the stack.
	huge := strings.Repeat("[", 500000)
	err = sanitize.JSON{MaxDepth: 1 << 30, MaxBytes: 1 << 20}.Decode(httptest.NewRecorder(), jsonRequest(huge), &account{})
	assertStatus(t, "huge depth", err, 400, sanitize.ErrJSON)
}

func TestDecodeJSONAllowUnknownFields(t *testing.T) {
	var v account
	err := sanitize.JSON{AllowUnknownFields: true}.Decode(httptest.NewRecorder(), jsonRequest(`{"name":"a","extra":1}`), &v)
	if err != nil || v.Name != "a" {
		t.Errorf("AllowUnknownFields: %v, %+v", err, v)
	}
	err = sanitize.JSON{AllowUnknownFields: true}.Decode(httptest.NewRecorder(), jsonRequest(`{"x":1,"X":2}`), &v)
	assertStatus(t, "duplicates still refused", err, 400, sanitize.ErrDuplicateKey)
}

func TestDecodeJSONNotPointer(t *testing.T) {
	var v account
	err := sanitize.DecodeJSON(httptest.NewRecorder(), jsonRequest(`{}`), v)
	var inv *json.InvalidUnmarshalError
	if !errors.As(err, &inv) {
		t.Errorf("DecodeJSON(non-pointer) = %v, want *json.InvalidUnmarshalError", err)
	}
}

func assertStatus(t *testing.T, what string, err error, status int, target error) {
	t.Helper()
	var re *sanitize.RequestError
	if !errors.As(err, &re) || re.Status != status || !errors.Is(err, target) {
		t.Errorf("%s: %v, want status %d and %v", what, err, status, target)
	}
}

func TestWriteError(t *testing.T) {
	var errs sanitize.Errors
	errs.Check("username", "", sanitize.Rule{Required: true})
	tests := []struct {
		err    error
		status int
		body   string
	}{
		{&sanitize.RequestError{Status: 413, Message: "request body is too large", Err: sanitize.ErrBodyTooLarge}, 413,
			`{"errors":[{"message":"request body is too large"}]}`},
		{fmt.Errorf("wrapped: %w", &sanitize.RequestError{Status: 400, Field: "x<", Message: "unknown field", Err: sanitize.ErrUnknownField}), 400,
			`{"errors":[{"field":"x\u003c","message":"unknown field"}]}`},
		{errs.Err(), 400, `{"errors":[{"field":"username","message":"is required"}]}`},
		{&sanitize.FieldError{Message: "is invalid", Err: sanitize.ErrURL}, 400, `{"errors":[{"message":"is invalid"}]}`},
		{errors.New("pq: password authentication failed for user admin"), 500, `{"errors":[{"message":"internal server error"}]}`},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		sanitize.WriteError(w, tt.err)
		if w.Code != tt.status || strings.TrimSpace(w.Body.String()) != tt.body {
			t.Errorf("WriteError(%v) = %d %s, want %d %s", tt.err, w.Code, w.Body, tt.status, tt.body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
	}
	w := httptest.NewRecorder()
	sanitize.WriteError(w, nil)
	if w.Body.Len() != 0 {
		t.Errorf("WriteError(nil) wrote %q", w.Body)
	}
}

// Differential check of the pre-decoding validator against encoding/json: it must accept
// exactly what json.Valid accepts, except duplicates, depth, invalid UTF-8 and unpaired
// surrogates, which it refuses on purpose.
func TestCheckMatchesEncodingJSON(t *testing.T) {
	inputs := []string{
		`0`, `-0`, `1.5`, `-1.5e+10`, `1E5`, `1.`, `.5`, `-`, `01`, `1e`, `1e+`, `+1`,
		`true`, `false`, `null`, `tru`, `nul`, `"a"`, `"`, `"\u00zz"`, `"\/"`, `"\a"`,
		`[]`, `[1,]`, `[,1]`, `[1 2]`, `{}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{1:2}`,
		`{"a":{"b":[1,{"c":null}]}}`, ` [ 1 , 2 ] `, "[1]\n", `[1]]`, `{"a":1}}`, `[`, `]`,
		`"\ud83d\ude00"`, `"\uD83D\uDE00"`, "\"\t\"", `{"a" : 1 , "b" : [ ] }`,
	}
	for _, in := range inputs {
		body := `{"v":` + in + `}`
		var v map[string]any
		err := sanitize.JSON{AllowUnknownFields: true}.Decode(httptest.NewRecorder(), jsonRequest(body), &v)
		valid := json.Valid([]byte(body))
		if valid != (err == nil) {
			t.Errorf("Decode(%q) = %v, json.Valid = %v", body, err, valid)
		}
	}
}

// A client's Content-Length is only a hint: claiming a huge body must not make the server
// allocate it up front.
func TestDecodeJSONContentLengthLie(t *testing.T) {
	dec := sanitize.JSON{MaxBytes: 1 << 40}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := jsonRequest(`{"name":"a"}`)
	r.ContentLength = 1 << 39
	var v account
	if err := dec.Decode(httptest.NewRecorder(), r, &v); err != nil || v.Name != "a" {
		t.Fatalf("Decode = %v, %+v", err, v)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("Decode allocated %d bytes for a 12-byte body claiming 512 GiB", grew)
	}
}

// Review finding (issue 13): with MaxBytes at math.MaxInt64 (no practical cap), a request
// claiming Content-Length 9223372036854775807 overflowed the buffer-size computation
// (ContentLength+1) and made Decode panic in makeslice.
func TestDecodeJSONContentLengthMaxInt64(t *testing.T) {
	dec := sanitize.JSON{MaxBytes: math.MaxInt64}
	r := jsonRequest(`{"name":"a"}`)
	r.ContentLength = math.MaxInt64
	var v account
	if err := dec.Decode(httptest.NewRecorder(), r, &v); err != nil || v.Name != "a" {
		t.Fatalf("Decode = %v, %+v", err, v)
	}
}
