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
// Two weak spots of any wrapper type, handled here where possible: fmt prints the fields of an
// unexported struct field by reflection, bypassing every method, so a Secret in an unexported
// field of a struct printed with %v shows its value (the [Redactor.Handler] catches this case for
// slog; avoid it elsewhere); and encoding/gob and unsafe code see the value.
type Secret struct {
	value string
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret value. Call it only where the value is used, never to log it.
func (s Secret) Reveal() string { return s.value }

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
	s.value = v
	return nil
}

// UnmarshalText sets s to text.
func (s *Secret) UnmarshalText(text []byte) error {
	s.value = string(text)
	return nil
}
