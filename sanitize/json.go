package sanitize

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by the [*RequestError]s that [JSON.Decode] returns.
var (
	ErrBodyTooLarge    = errors.New("sanitize: request body too large")
	ErrMediaType       = errors.New("sanitize: unsupported content type")
	ErrJSON            = errors.New("sanitize: malformed JSON request body")
	ErrUnknownField    = errors.New("sanitize: unknown JSON field")
	ErrDuplicateKey    = errors.New("sanitize: duplicate JSON key")
	ErrInvalidJSONType = errors.New("sanitize: JSON value of the wrong type")
)

// Defaults of a zero [JSON].
const (
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB
	DefaultMaxDepth     = 32
	maxDepthLimit       = 1000 // a larger MaxDepth is lowered to this; the checker recurses
)

// RequestError is the error for a request body that [JSON.Decode] refuses. Status is the HTTP
// status to answer with: 413 (body too large), 415 (wrong Content-Type) or 400 (everything
// else). Message is safe to show the client; Field names the offending JSON field when there
// is one. Err is one of ErrBodyTooLarge, ErrMediaType, ErrJSON, ErrUnknownField,
// ErrDuplicateKey or ErrInvalidJSONType. [WriteError] writes it as a response.
type RequestError struct {
	Status  int
	Field   string
	Message string
	Err     error
}

// Error implements error.
func (e *RequestError) Error() string {
	if e.Field == "" {
		return "sanitize: " + e.Message
	}
	return "sanitize: " + e.Message + " (field " + strconv.Quote(e.Field) + ")"
}

// Unwrap returns the sentinel error.
func (e *RequestError) Unwrap() error { return e.Err }

// JSON decodes JSON request bodies defensively. The zero value is ready to use with secure
// defaults; [DecodeJSON] uses it.
//
// A JSON value is a plain value, safe to share between goroutines.
type JSON struct {
	// MaxBytes caps the body size; 0 means DefaultMaxBodyBytes. A larger body is refused
	// with 413 as soon as the limit is crossed, without reading the rest.
	MaxBytes int64

	// MaxDepth caps the nesting of objects and arrays; 0 means DefaultMaxDepth, and values
	// above 1000 are lowered to 1000.
	MaxDepth int

	// AllowUnknownFields accepts object keys that match no field of the target struct.
	// Leave it false: an unexpected field is usually a client bug or an attack probing for
	// mass-assignment ("is_admin": true).
	AllowUnknownFields bool
}

// DecodeJSON decodes the body of r into dst (a pointer) with the zero [JSON]'s defaults.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return JSON{}.Decode(w, r, dst)
}

// Decode reads the body of r into dst, which must be a non-nil pointer. It requires the
// Content-Type application/json or application/<something>+json (with charset utf-8 if a
// charset is given), caps the body at MaxBytes with [http.MaxBytesReader] (so w is told to
// close the connection), and refuses, before anything is stored in dst:
//
//   - a body that is empty, not valid JSON, not valid UTF-8, or holds an unpaired
//     surrogate escape such as "\ud800";
//   - a body that is just null (ErrInvalidJSONType), which encoding/json would accept
//     without touching dst;
//   - anything after the first JSON value except whitespace ({"a":1}{"a":2});
//   - nesting deeper than MaxDepth;
//   - an object with two keys that are equal, or equal ignoring case (as encoding/json
//     compares them, with Unicode simple folding): {"role":"user","ROLE":"admin"} would
//     otherwise set Role to "admin", since encoding/json matches keys case-insensitively and
//     the last one wins. The check applies at every depth, also to objects decoded into maps;
//
// and while decoding: keys that match no struct field (unless AllowUnknownFields), and values
// of the wrong type. A refused request yields a [*RequestError]. A dst that is not a pointer
// yields encoding/json's *json.InvalidUnmarshalError, a programming error. If decoding fails
// after the checks, dst may be partly filled; discard it.
func (j JSON) Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	maxBytes := j.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	maxDepth := j.MaxDepth
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	maxDepth = min(maxDepth, maxDepthLimit)

	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := readBody(w, r, maxBytes)
	if err != nil {
		return err
	}
	if err := checkJSON(body, maxDepth); err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		// encoding/json decodes a null into a pointer as "leave it unchanged" and reports
		// success, so the handler would see a zero (or pre-filled) dst as if the client
		// had sent it.
		return &RequestError{Status: http.StatusBadRequest,
			Message: "request body must not be null", Err: ErrInvalidJSONType}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if !j.AllowUnknownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	return nil
}

func checkContentType(ct string) error {
	fail := &RequestError{
		Status:  http.StatusUnsupportedMediaType,
		Message: "Content-Type must be application/json",
		Err:     ErrMediaType,
	}
	if ct == "" {
		return fail
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fail
	}
	suffixed := strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
	if mt != "application/json" && !suffixed {
		return fail
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fail
	}
	return nil
}

// readBody reads at most maxBytes of the body.
func readBody(w http.ResponseWriter, r *http.Request, maxBytes int64) ([]byte, error) {
	tooLarge := &RequestError{
		Status:  http.StatusRequestEntityTooLarge,
		Message: "request body is too large (limit " + strconv.FormatInt(maxBytes, 10) + " bytes)",
		Err:     ErrBodyTooLarge,
	}
	if r.ContentLength > maxBytes {
		return nil, tooLarge
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, emptyBody()
	}
	body := http.MaxBytesReader(w, r.Body, maxBytes)
	// Content-Length is only a hint from the client: trust it to size the buffer only up
	// to 64 KiB, and grow beyond that as bytes actually arrive.
	size := int64(512)
	if r.ContentLength > 0 {
		// +1 so the final read sees EOF without growing; added after the min, so that a
		// Content-Length of math.MaxInt64 (allowed when MaxBytes is) cannot overflow.
		size = min(r.ContentLength, 64<<10-1) + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge
			}
			return nil, &RequestError{Status: http.StatusBadRequest, Message: "could not read request body", Err: ErrJSON}
		}
	}
	if len(buf) == 0 {
		return nil, emptyBody()
	}
	return buf, nil
}

func emptyBody() error {
	return &RequestError{Status: http.StatusBadRequest, Message: "request body must not be empty", Err: ErrJSON}
}

// decodeError turns an encoding/json error into a client-safe *RequestError.
func decodeError(err error) error {
	var invalid *json.InvalidUnmarshalError
	if errors.As(err, &invalid) {
		return err
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := clip(typeErr.Field)
		msg := "value has the wrong type, expected " + jsonKind(typeErr.Type)
		if field != "" {
			msg = "field " + strconv.Quote(field) + " must be " + jsonKind(typeErr.Type)
		}
		return &RequestError{Status: http.StatusBadRequest, Field: field, Message: msg, Err: ErrInvalidJSONType}
	}
	// encoding/json reports unknown fields only as an error string.
	if rest, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
		name := clip(strings.TrimSuffix(rest, `"`))
		return &RequestError{Status: http.StatusBadRequest, Field: name,
			Message: "unknown field " + strconv.Quote(name), Err: ErrUnknownField}
	}
	return &RequestError{Status: http.StatusBadRequest, Message: "request body has an invalid value", Err: ErrInvalidJSONType}
}

// clip bounds a client-supplied name echoed back in an error.
func clip(s string) string {
	const maxEcho = 64
	if len(s) <= maxEcho {
		return s
	}
	return strings.ToValidUTF8(s[:maxEcho], "") + "..."
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}

// WriteError answers a request whose input was refused, with a JSON body of the form
// {"errors":[{"field":"...","message":"..."}]}:
//
//   - a [*RequestError] with its Status (400, 413 or 415);
//   - an [Errors] or a [*FieldError] with 400 Bad Request;
//   - any other error with 500 Internal Server Error and a generic message, so that internal
//     details never reach the client (log the error yourself before calling WriteError).
//
// It writes nothing if err is nil.
func WriteError(w http.ResponseWriter, err error) {
	if err == nil {
		return
	}
	status := http.StatusInternalServerError
	var b []byte
	var re *RequestError
	var errs Errors
	var fe *FieldError
	switch {
	case errors.As(err, &re):
		status = re.Status
		b = appendFieldJSON([]byte(`{"errors":[`), re.Field, re.Message)
		b = append(b, "]}"...)
	case errors.As(err, &errs):
		status = http.StatusBadRequest
		b, _ = errs.MarshalJSON()
	case errors.As(err, &fe):
		status = http.StatusBadRequest
		b, _ = Errors{fe}.MarshalJSON()
	default:
		b = []byte(`{"errors":[{"message":"internal server error"}]}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
