package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzData sends arbitrary bodies and content types to POST /api/data through the whole
// stack, authenticated: the answer must be one of the documented statuses with a JSON body,
// never a panic or a 500, and whatever is stored must be safe to display.
func FuzzData(f *testing.F) {
	a, mw, token := newTestApp(f)
	h := a.routes(mw)
	for _, seed := range []struct{ ct, body string }{
		{"application/json", `{"title":"t","content":"c"}`},
		{"application/json", `{"title":"<script>alert(1)</script>","content":"<img src=x onerror=alert(1)>"}`},
		{"application/json", `{"title":"t","content":"<a href=\"javascript:alert(1)\">x</a>"}`},
		{"application/json", `{"title":"t","content":"c","title":"u"}`},
		{"application/json", `{"title":"t","TITLE":"u","content":"c"}`},
		{"application/json", `{"title":"\ud800","content":"c"}`},
		{"application/json", `{"title":"t\u202e","content":"c"}`},
		{"application/json", `{"title":1,"content":[]}`},
		{"application/json", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"application/json", `{"title":"t","content":"c"} {}`},
		{"application/json; charset=latin1", `{"title":"t","content":"c"}`},
		{"text/plain", `{"title":"t","content":"c"}`},
		{"", ``},
		{"application/x-www-form-urlencoded", `title=t&content=c`},
	} {
		f.Add(seed.ct, seed.body)
	}
	f.Fuzz(func(t *testing.T, ct, body string) {
		req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1:8443/api/data", strings.NewReader(body))
		req.RemoteAddr = "198.51.100.7:40000"
		req.Header.Set("Authorization", "Bearer "+token)
		if ct != "" && !strings.ContainsAny(ct, "\r\n") {
			req.Header.Set("Content-Type", ct)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusCreated, http.StatusBadRequest, http.StatusRequestEntityTooLarge,
			http.StatusUnsupportedMediaType, http.StatusInsufficientStorage:
		default:
			t.Fatalf("POST /api/data (%q, %q) = %d %s", ct, body, w.Code, w.Body)
		}
		var resp struct {
			Error string `json:"error"`
			Data  *item  `json:"data"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response is not JSON: %q", w.Body)
		}
		if w.Code != http.StatusCreated {
			if resp.Error == "" {
				t.Fatalf("%d without an error message: %s", w.Code, w.Body)
			}
			return
		}
		if resp.Data == nil {
			t.Fatalf("201 without data: %s", w.Body)
		}
		if strings.ContainsAny(resp.Data.Title, "<>\"'") {
			t.Errorf("stored title %q holds HTML metacharacters", resp.Data.Title)
		}
		for _, tag := range tags(strings.ToLower(resp.Data.Content)) {
			fields := strings.Fields(tag)
			if len(fields) == 0 {
				continue
			}
			switch strings.TrimPrefix(fields[0], "/") {
			case "script", "style", "iframe", "svg", "math", "object", "embed", "form", "base", "meta", "link":
				t.Errorf("stored content %q holds a <%s> tag", resp.Data.Content, fields[0])
			}
			for _, attr := range fields[1:] {
				url := strings.HasPrefix(attr, "href=") || strings.HasPrefix(attr, "src=")
				if strings.HasPrefix(attr, "on") || strings.HasPrefix(attr, "style=") || (url && strings.Contains(attr, "script:")) {
					t.Errorf("stored content %q holds the attribute %q", resp.Data.Content, attr)
				}
			}
		}
	})
}

// tags returns the insides of the HTML tags in s ("a href=...", "/b").
func tags(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			return out
		}
		s = s[i+1:]
		end := strings.IndexByte(s, '>')
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
}
