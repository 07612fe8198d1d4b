package logredact

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// redacted is what a Secret prints, whatever the mode.
const redacted = "[REDACTED]"

// Secret holds a string that must never be printed: a password, a token, a connection string. It
// prints as "[REDACTED]" through log/slog (it is a [slog.LogValuer]), every fmt verb (%v %+v %#v
// %s %q %x %d ... through [fmt.Formatter] and [fmt.GoStringer]), encoding/json and
// encoding.TextMarshaler (so encoding/xml and most YAML and TOML encoders too). Only [Secret.Reveal]
// returns the value.
//
// A Secret can be decoded from JSON or text, so configuration structs can hold one; encoding it
// again writes "[REDACTED]", so such a struct does not round-trip. The zero Secret is empty.
//
// The value is held behind a pointer. fmt bypasses every method where it falls back to
// reflection (a verb the type cannot take, such as %p, and a Secret in an unexported struct
// field), and there it prints a memory address, not the value. For the same reason == compares
// identity, not content: two Secrets made from the same string are not equal (compare revealed
// values with crypto/subtle if you must). encoding/gob refuses a Secret (it has no exported
// fields); unsafe code and memory dumps still see the value, which Go cannot wipe.
type Secret struct {
	value *string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: &s} }

// Reveal returns the secret value. Call it only where the value is used, never to log it.
func (s Secret) Reveal() string {
	if s.value == nil {
		return ""
	}
	return *s.value
}

// String returns "[REDACTED]".
func (Secret) String() string { return redacted }

// GoString returns a redacted Go-syntax form, for %#v.
func (Secret) GoString() string { return `logredact.Secret{[REDACTED]}` }

// Format writes "[REDACTED]" for every verb: quoted for %q, in Go syntax for %#v.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = fmt.Fprint(f, s.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", redacted)
	default:
		_, _ = fmt.Fprint(f, redacted)
	}
}

// LogValue returns "[REDACTED]" as a string value.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON returns the JSON string "[REDACTED]".
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[REDACTED]".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalJSON decodes a JSON string into s.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("logredact: Secret: %w", err)
	}
	s.value = &v
	return nil
}

// UnmarshalText sets s to text.
func (s *Secret) UnmarshalText(text []byte) error {
	v := string(text)
	s.value = &v
	return nil
}
