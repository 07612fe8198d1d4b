package logredact

import (
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
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
		if out, changed, _, _ := scan(r, x, nil); changed {
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
	case time.Time, time.Duration, bool, int, int8, int16, int32, uint8, uint16, uint32:
		return x, false
	case float64:
		if floatIsCard(x) {
			return r.cardNumber(strconv.FormatUint(uint64(x), 10)), true
		}
		return x, false
	case float32:
		if floatIsCard(float64(x)) {
			return r.cardNumber(strconv.FormatUint(uint64(x), 10)), true
		}
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

// printerTypes are the interfaces through which a handler may print a value: slog's JSON handler
// prints MarshalJSON (of an error too, when it has one) and otherwise Error or json.Marshal, which
// calls MarshalJSON and MarshalText; the text handler prints MarshalText before Error; fmt prints
// Error, then String.
var printerTypes = [...]reflect.Type{
	errorType,
	reflect.TypeFor[json.Marshaler](),
	reflect.TypeFor[encoding.TextMarshaler](),
	reflect.TypeFor[fmt.Stringer](),
}

// printer returns v as an interface value whose method set is the widest a handler may call: a
// pointer to v when v is addressable (encoding/json calls pointer-receiver methods of the fields of
// a value logged by pointer), a pointer to a copy of v when only *T has one of the printing
// methods, and v itself otherwise. ok is false when v may not be used as an interface value or is
// a nil pointer or interface.
func printer(v reflect.Value) (x any, ok bool) {
	if !v.CanInterface() {
		return nil, false
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		return v.Interface(), true
	}
	if v.CanAddr() {
		return v.Addr().Interface(), true
	}
	t := v.Type()
	if pt := reflect.PointerTo(t); pt.NumMethod() > t.NumMethod() {
		for _, it := range printerTypes {
			if pt.Implements(it) && !t.Implements(it) {
				c := reflect.New(t)
				c.Elem().Set(v)
				return c.Interface(), true
			}
		}
	}
	return v.Interface(), true
}

// forms gathers the redacted texts of a value's printing methods for methodText.
type forms struct {
	text    string // the redacted first text
	n       int
	changed bool
}

func (f *forms) add(r *Redactor, t string) {
	rt := r.Redact(t)
	if f.n == 0 {
		f.text = rt
	}
	f.n++
	f.changed = f.changed || rt != t
}

// methodText calls every method through which a handler may print v (Error, MarshalJSON,
// MarshalText and String, from the method set of v or of a pointer to v, see printer) and redacts
// each text. has reports whether v has any of them and isErr whether it is an error; when any of
// the texts changes, changed is set and text is the redacted form of the first of them in that
// order (the Error text of an error). A panicking method, or a Marshal method returning an error,
// sets panicked.
func (r *Redactor) methodText(v reflect.Value) (text string, has, isErr, changed, panicked bool) {
	x, ok := printer(v)
	if !ok {
		return "", false, false, false, false
	}
	defer func() {
		if p := recover(); p != nil {
			text, has, changed, panicked = "", true, true, true
		}
	}()
	var f forms
	if m, ok := x.(error); ok {
		isErr = true
		f.add(r, m.Error())
	}
	// A marshaler that fails leaves a handler with nothing printable, except for an error,
	// which handlers then print by its Error text (judged above).
	if m, ok := x.(json.Marshaler); ok {
		b, err := m.MarshalJSON()
		switch {
		case err == nil:
			f.add(r, string(b))
		case !isErr:
			return "", true, isErr, true, true
		}
	}
	if m, ok := x.(encoding.TextMarshaler); ok {
		b, err := m.MarshalText()
		switch {
		case err == nil:
			f.add(r, string(b))
		case !isErr:
			return "", true, isErr, true, true
		}
	}
	if m, ok := x.(fmt.Stringer); ok {
		f.add(r, m.String())
	}
	text, has, changed = f.text, f.n > 0, f.changed
	return text, has, isErr, changed, false
}

// reflectValue inspects v and returns its redacted form and true when it needs redacting, or nil
// and false when it does not: a caller that rebuilds a container takes an unchanged element from
// the original (plain), so that clean values are never copied into interface values.
func (r *Redactor) reflectValue(v reflect.Value, depth int, b *budget) (any, bool) {
	return r.inspect(v, depth, b, true)
}

// inspect is reflectValue; methods is false for the element of a pointer, whose printing methods
// (those of the pointer, the same set) have been checked already.
func (r *Redactor) inspect(v reflect.Value, depth int, b *budget, methods bool) (any, bool) {
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
		return nil, false
	}
	if !methods {
		return r.kindValue(v, t, depth, b)
	}
	// Types that print themselves: inspect every form a handler may print, their texts and then
	// their fields (json.Marshal prints the exported fields of an error nested in a struct, slice
	// or map). A value any of whose forms changes is replaced by the redacted text; so is an error
	// whose fields change, since an error is logged by its text.
	text, has, isErr, changed, panicked := r.methodText(v)
	if panicked {
		return unprintable, true
	}
	if changed {
		return text, true
	}
	nv, changed := r.kindValue(v, t, depth, b)
	if changed && isErr && has {
		return text, true
	}
	return nv, changed
}

// kindValue is reflectValue for the value v of type t, by its kind.
func (r *Redactor) kindValue(v reflect.Value, t reflect.Type, depth int, b *budget) (any, bool) {
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
	case reflect.Float64, reflect.Float32:
		if f := v.Float(); floatIsCard(f) {
			return r.cardNumber(strconv.FormatUint(uint64(f), 10)), true
		}
	case reflect.Pointer:
		if !v.IsNil() {
			// The pointer's method set, checked before this, holds its element's value
			// methods; an element that is itself a pointer has methods of its own (a **T
			// logged, whose *T has MarshalJSON), which must be checked too.
			return r.inspect(v.Elem(), depth+1, b, v.Elem().Kind() == reflect.Pointer)
		}
	case reflect.Interface:
		if !v.IsNil() {
			return r.reflectValue(v.Elem(), depth+1, b)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if t.Kind() == reflect.Slice {
				if out, changed, _, _ := scan(r, v.Bytes(), nil); changed {
					return string(out), true
				}
			}
			return nil, false
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
			switch {
			case changed:
				out[i] = nv
			case out != nil:
				out[i] = plain(v.Index(i))
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
	return nil, false
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
		return nil, false
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
		} else if kk, c := r.reflectValue(k, depth+1, b); c {
			ks = fmt.Sprint(kk)
		} else {
			ks = fmt.Sprint(plain(k))
		}
		var nv any
		c := false
		if r.SensitiveKey(ks) {
			nv, c = r.keyReplacement(reflectText(val)), true
		} else {
			nv, c = r.reflectValue(val, depth+1, b)
			if !c {
				nv = plain(val)
			}
		}
		if rk := r.Redact(ks); rk != ks {
			ks, c = rk, true
		}
		changed = changed || c
		entries = append(entries, kv{ks, nv})
	}
	if !changed {
		return nil, false
	}
	m := make(map[string]any, len(entries))
	for _, e := range entries {
		// Keys that print alike (1 and "1") or redact alike (two e-mail addresses) must not
		// overwrite each other: a later one is numbered, "[REDACTED:email]#2".
		k := e.k
		for n := 2; ; n++ {
			if _, dup := m[k]; !dup {
				break
			}
			k = e.k + "#" + strconv.Itoa(n)
		}
		m[k] = e.v
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
	var red []any // the redacted values of changed fields, allocated at the first change
	changed := false
	for i := 0; i < n; i++ {
		sf := t.Field(i)
		fv := v.Field(i)
		name, keep := fieldName(sf)
		var nv any
		c := false
		switch rt := sf.Tag.Get("redact"); {
		case rt == "-":
			nv, c = r.reflectValue(fv, depth+1, b)
		case rt == "true" || rt != "false" && (r.SensitiveKey(sf.Name) || r.SensitiveKey(name)):
			if !fv.IsZero() {
				nv, c = r.keyReplacement(reflectText(fv)), true
			}
		default:
			nv, c = r.reflectValue(fv, depth+1, b)
		}
		if !c {
			continue
		}
		// An unexported or json:"-" field that needs redaction counts too: text handlers print
		// such fields through fmt, so the struct must be rebuilt without it.
		changed = true
		if keep {
			if red == nil {
				red = make([]any, n)
			}
			red[i] = nv
		}
	}
	if !changed {
		return nil, false
	}
	m := make(map[string]any, n)
	for i := 0; i < n; i++ {
		name, keep := fieldName(t.Field(i))
		switch {
		case !keep:
		case red != nil && red[i] != nil:
			m[name] = red[i]
		default:
			m[name] = plain(v.Field(i))
		}
	}
	return m, true
}

// fieldName returns the name under which json.Marshal prints the struct field sf, and whether a
// rebuilt value keeps it: exported fields are kept unless tagged json:"-" or redact:"-".
func fieldName(sf reflect.StructField) (name string, keep bool) {
	name, keep = sf.Name, sf.IsExported()
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
	if sf.Tag.Get("redact") == "-" {
		keep = false
	}
	return name, keep
}
