package logredact_test

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/logredact"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2-very-secret"
	s := logredact.NewSecret(value)
	type wrap struct {
		Name string
		Pass logredact.Secret
		Ptr  *logredact.Secret
	}
	w := wrap{Name: "n", Pass: s, Ptr: &s}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-10v", "%T"} {
		for _, arg := range []any{s, &s, w, &w, []logredact.Secret{s}, map[string]logredact.Secret{"k": s}} {
			if out := fmt.Sprintf(format, arg); strings.Contains(out, value) || strings.Contains(out, fmt.Sprintf("%x", value)) {
				t.Errorf("Sprintf(%q, %T) = %q leaks the value", format, arg, out)
			}
		}
	}
	if got := fmt.Sprint(s); got != "[REDACTED]" {
		t.Errorf("Sprint = %q", got)
	}
	if got := fmt.Sprintf("%q", s); got != `"[REDACTED]"` {
		t.Errorf("%%q = %q", got)
	}
	if got := fmt.Sprintf("%#v", s); got != "logredact.Secret{[REDACTED]}" {
		t.Errorf("%%#v = %q", got)
	}
	if got := fmt.Sprintln(s, &s); got != "[REDACTED] [REDACTED]\n" {
		t.Errorf("Sprintln = %q", got)
	}
	js, err := json.Marshal(w)
	if err != nil || strings.Contains(string(js), value) {
		t.Errorf("json.Marshal = %s, %v", js, err)
	}
	xs, err := xml.Marshal(struct {
		XMLName xml.Name         `xml:"c"`
		P       logredact.Secret `xml:"p"`
		A       logredact.Secret `xml:"a,attr"`
	}{P: s, A: s})
	if err != nil || strings.Contains(string(xs), value) {
		t.Errorf("xml.Marshal = %s, %v", xs, err)
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("m", "s", s, "w", w, "p", &s)
		if strings.Contains(buf.String(), value) {
			t.Errorf("slog without redaction leaked: %s", buf.String())
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal = %q, want %q", s.Reveal(), value)
	}
}

func TestSecretDecode(t *testing.T) {
	var c struct {
		P logredact.Secret `json:"p"`
	}
	if err := json.Unmarshal([]byte(`{"p":"a\"b"}`), &c); err != nil || c.P.Reveal() != `a"b` {
		t.Errorf("UnmarshalJSON: %q, %v", c.P.Reveal(), err)
	}
	if err := json.Unmarshal([]byte(`{"p":42}`), &c); err == nil {
		t.Error("UnmarshalJSON accepted a number")
	}
	var s logredact.Secret
	if err := s.UnmarshalText([]byte("txt")); err != nil || s.Reveal() != "txt" {
		t.Errorf("UnmarshalText: %q, %v", s.Reveal(), err)
	}
	var zero logredact.Secret
	if zero.Reveal() != "" || zero.String() != "[REDACTED]" {
		t.Error("zero Secret")
	}
}

// TestSecretReflectiveFallback covers the paths where fmt skips a type's methods and prints its
// fields by reflection: a verb the type cannot take (%p is checked before any method), and a
// Secret in an unexported struct field. Neither may show the value.
func TestSecretReflectiveFallback(t *testing.T) {
	const value = "hunter2-very-secret"
	s := logredact.NewSecret(value)
	type hidden struct {
		name string
		pass logredact.Secret
	}
	h := hidden{"n", s}
	cases := []struct {
		format string
		arg    any
	}{
		{"%p", s},
		{"%p", []logredact.Secret{s}},
		{"%v", h},
		{"%+v", h},
		{"%#v", h},
		{"%s", &h},
		{"%v", []hidden{h}},
		{"%p", h},
	}
	for _, c := range cases {
		if out := fmt.Sprintf(c.format, c.arg); strings.Contains(out, value) {
			t.Errorf("Sprintf(%q, %T) = %q leaks the value", c.format, c.arg, out)
		}
	}
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal = %q, want %q", got, value)
	}
	var gb bytes.Buffer
	if err := gob.NewEncoder(&gb).Encode(struct{ S logredact.Secret }{s}); err == nil || strings.Contains(gb.String(), value) {
		t.Errorf("gob encoded a Secret (err %v): %q", err, gb.String())
	}
	var zero logredact.Secret
	if got := zero.Reveal(); got != "" {
		t.Errorf("zero Reveal = %q", got)
	}
	var dec logredact.Secret
	if err := dec.UnmarshalText([]byte(value)); err != nil || dec.Reveal() != value {
		t.Errorf("UnmarshalText: %q, %v", dec.Reveal(), err)
	}
	if err := json.Unmarshal([]byte(`"`+value+`"`), &dec); err != nil || dec.Reveal() != value {
		t.Errorf("UnmarshalJSON: %q, %v", dec.Reveal(), err)
	}
}
