package logredact

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"time"
)

// Limits of the inspection of composite values. Whatever lies beyond them is replaced, not passed
// through uninspected.
const (
	maxDepth = 16     // nesting of maps, structs, slices and pointers
	maxNodes = 10_000 // values visited in one attribute
)

// truncated replaces what lies beyond the inspection limits.
const truncated = "[REDACTED:truncated]"

// unprintable replaces a value whose Error, String or Marshal method panicked.
const unprintable = "[REDACTED:unprintable]"

type budget struct{ nodes int }

func newBudget() *budget { return &budget{nodes: maxNodes} }

var (
	secretType = reflect.TypeFor[Secret]()
	timeType   = reflect.TypeFor[time.Time]()
	errorType  = reflect.TypeFor[error]()
)

// anyValue inspects x and returns its redacted form and whether it differs from x. A changed
// composite value comes back as plain data (map[string]any, []any, string) holding only exported
// struct fields, which every slog handler can print.
func (r *Redactor) anyValue(x any, depth int, b *budget) (any, bool) {
	switch x := x.(type) {
	case nil:
		return nil, false
	case string:
		if rs := r.Redact(x); rs != x {
			return rs, true
		}
		return x, false
	case []byte:
		if out, changed, _ := scan(r, x, nil); changed {
			return string(out), true
		}
		return x, false
	case Secret:
		return redacted, true
	case *Secret:
		return redacted, true
	case slog.LogValuer:
		v := slog.AnyValue(x).Resolve()
		a, _ := r.attr(slog.Attr{Key: "", Value: v})
		return valueToAny(a.Value), true
	case time.Time, time.Duration, bool, int, int8, int16, int32, uint8, uint16, uint32, float32, float64:
		return x, false
	case int64:
		if intIsCard(x) {
			return r.cardNumber(fmt.Sprint(x)), true
		}
		return x, false
	case uint64:
		if uintIsCard(x) {
			return r.cardNumber(fmt.Sprint(x)), true
		}
		return x, false
	}
	return r.reflectValue(reflect.ValueOf(x), depth, b)
}

// valueToAny turns a resolved slog.Value into plain data.
func valueToAny(v slog.Value) any {
	if v.Kind() != slog.KindGroup {
		return v.Any()
	}
	m := make(map[string]any, len(v.Group()))
	for _, a := range v.Group() {
		m[a.Key] = valueToAny(a.Value)
	}
	return m
}

// methodText returns the text a handler would print for v through its Error, MarshalJSON,
// MarshalText or String method, and whether v has one. A panicking method reports ok with
// panicked set.
func methodText(v reflect.Value) (text string, ok, panicked bool) {
	if !v.CanInterface() {
		return "", false, false
	}
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return "", false, false
	}
	defer func() {
		if p := recover(); p != nil {
			text, ok, panicked = "", true, true
		}
	}()
	switch m := v.Interface().(type) {
	case error:
		return m.Error(), true, false
	case json.Marshaler:
		b, err := m.MarshalJSON()
		if err != nil {
			return "", true, true
		}
		return string(b), true, false
	case encoding.TextMarshaler:
		b, err := m.MarshalText()
		if err != nil {
			return "", true, true
		}
		return string(b), true, false
	case fmt.Stringer:
		return m.String(), true, false
	}
	return "", false, false
}

func (r *Redactor) reflectValue(v reflect.Value, depth int, b *budget) (any, bool) {
	b.nodes--
	if depth > maxDepth || b.nodes < 0 {
		return truncated, true
	}
	if !v.IsValid() {
		return nil, false
	}
	t := v.Type()
	if t == secretType || t.Kind() == reflect.Pointer && t.Elem() == secretType {
		return redacted, true
	}
	if t == timeType {
		return orig(v), false
	}
	// Types that print themselves: inspect what they print. Errors are always inspected by their
	// text; other printers are inspected by their text and then by their fields, since which of the
	// two a handler uses depends on the handler.
	text, has, panicked := methodText(v)
	if panicked {
		return unprintable, true
	}
	if has {
		if rs := r.Redact(text); rs != text {
			return rs, true
		}
		if t.Implements(errorType) {
			return orig(v), false
		}
	}
	switch t.Kind() {
	case reflect.String:
		s := v.String()
		if rs := r.Redact(s); rs != s {
			return rs, true
		}
	case reflect.Int64, reflect.Int:
		if intIsCard(v.Int()) {
			return r.cardNumber(fmt.Sprint(v.Int())), true
		}
	case reflect.Uint64, reflect.Uint:
		if uintIsCard(v.Uint()) {
			return r.cardNumber(fmt.Sprint(v.Uint())), true
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return orig(v), false
		}
		if nv, changed := r.reflectValue(v.Elem(), depth+1, b); changed {
			return nv, true
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if t.Kind() == reflect.Slice {
				if out, changed, _ := scan(r, v.Bytes(), nil); changed {
					return string(out), true
				}
				return orig(v), false
			}
			return orig(v), false
		}
		n := v.Len()
		var out []any
		for i := 0; i < n; i++ {
			nv, changed := r.reflectValue(v.Index(i), depth+1, b)
			if changed && out == nil {
				out = make([]any, n)
				for k := 0; k < i; k++ {
					out[k] = plain(v.Index(k))
				}
			}
			if out != nil {
				out[i] = nv
			}
		}
		if out != nil {
			return out, true
		}
	case reflect.Map:
		return r.mapValue(v, depth, b)
	case reflect.Struct:
		return r.structValue(v, depth, b)
	}
	return orig(v), false
}

// orig returns v as an interface value when that is allowed (it is not for unexported fields).
func orig(v reflect.Value) any {
	if v.CanInterface() {
		return v.Interface()
	}
	return nil
}

// plain returns the unchanged element v for a rebuilt container.
func plain(v reflect.Value) any {
	if v.CanInterface() {
		return v.Interface()
	}
	return redacted
}

func (r *Redactor) mapValue(v reflect.Value, depth int, b *budget) (any, bool) {
	if v.IsNil() {
		return orig(v), false
	}
	type kv struct {
		k string
		v any
	}
	var entries []kv
	changed := false
	it := v.MapRange()
	for it.Next() {
		k, val := it.Key(), it.Value()
		var ks string
		if k.Kind() == reflect.String {
			ks = k.String()
		} else {
			kk, _ := r.reflectValue(k, depth+1, b)
			ks = fmt.Sprint(kk)
		}
		var nv any
		c := false
		if r.SensitiveKey(ks) {
			nv, c = r.keyReplacement(reflectText(val)), true
		} else {
			nv, c = r.reflectValue(val, depth+1, b)
		}
		if rk := r.Redact(ks); rk != ks {
			ks, c = rk, true
		}
		changed = changed || c
		entries = append(entries, kv{ks, nv})
	}
	if !changed {
		return orig(v), false
	}
	m := make(map[string]any, len(entries))
	for _, e := range entries {
		m[e.k] = e.v
	}
	return m, true
}

// reflectText is the text of v for Partial and Pseudonym modes.
func reflectText(v reflect.Value) string {
	for (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.String:
		return v.String()
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8:
		return string(v.Bytes())
	}
	return ""
}

// structValue inspects the fields of a struct, exported or not. The redact struct tag opts a field
// in (`redact:"true"`: always replaced) or out (`redact:"false"`: its name does not make it
// sensitive, though its value is still scanned); `redact:"-"` drops it from a rebuilt value.
func (r *Redactor) structValue(v reflect.Value, depth int, b *budget) (any, bool) {
	t := v.Type()
	n := t.NumField()
	type field struct {
		name string
		v    any
		keep bool
	}
	fields := make([]field, 0, n)
	changed := false
	for i := 0; i < n; i++ {
		sf := t.Field(i)
		fv := v.Field(i)
		name := sf.Name
		keep := sf.IsExported()
		if tag, ok := sf.Tag.Lookup("json"); ok {
			tn, _, _ := strings.Cut(tag, ",")
			switch tn {
			case "-":
				keep = false
			case "":
			default:
				name = tn
			}
		}
		var nv any
		c := false
		switch rt := sf.Tag.Get("redact"); {
		case rt == "-":
			keep = false
			nv, c = r.reflectValue(fv, depth+1, b)
		case rt == "true" || rt != "false" && (r.SensitiveKey(sf.Name) || r.SensitiveKey(name)):
			if !fv.IsZero() {
				nv, c = r.keyReplacement(reflectText(fv)), true
			}
		default:
			nv, c = r.reflectValue(fv, depth+1, b)
		}
		if !keep && c {
			// An unexported or json:"-" field that needs redaction: text handlers print such fields
			// through fmt, so the struct must be rebuilt without it.
			changed = true
			continue
		}
		changed = changed || c
		if keep {
			if !c {
				nv = plain(fv)
			}
			fields = append(fields, field{name, nv, true})
		}
	}
	if !changed {
		return orig(v), false
	}
	m := make(map[string]any, len(fields))
	for _, f := range fields {
		m[f.name] = f.v
	}
	return m, true
}
