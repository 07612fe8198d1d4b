package logredact

import (
	"context"
	"log/slog"
	"math"
	"strconv"
)

// Handler returns a slog.Handler that redacts every record before passing it to next: the
// message, and every attribute of the record, of [slog.Logger.With] (redacted once, when the
// attributes are added) and of groups, at any depth. Attributes whose key is sensitive are replaced
// whole, and so is every attribute below a WithGroup whose name is sensitive; other values are
// scanned by the detectors. LogValuers are resolved before inspection;
// maps, structs, slices, pointers, []byte and errors are inspected too, values with printing
// methods by every text they may print (see the package documentation, "What is inspected").
//
// A record with nothing to redact is passed to next unchanged, without copying. The returned
// handler is safe for concurrent use if next is.
func (r *Redactor) Handler(next slog.Handler) slog.Handler {
	return &handler{r: r, next: next}
}

type handler struct {
	r    *Redactor
	next slog.Handler
	// whole is set under a WithGroup whose name is sensitive ("credentials", "password"): every
	// attribute added below it is replaced whole, as in a group attribute of that name.
	whole bool
}

func (h *handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.redactAttr(a)
	}
	return &handler{r: h.r, next: h.next.WithAttrs(red), whole: h.whole}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{r: h.r, next: h.next.WithGroup(name), whole: h.whole || h.r.SensitiveKey(name)}
}

// redactAttr is the redacted form of a, an attribute added by Handle or WithAttrs.
func (h *handler) redactAttr(a slog.Attr) slog.Attr {
	if h.whole {
		return h.r.wholeAttr(a)
	}
	ra, _ := h.r.attr(a)
	return ra
}

// wholeAttr replaces the value of a whole, as under a sensitive key; the members of an inline
// group (empty key) are replaced one by one, since they land in the enclosing group.
func (r *Redactor) wholeAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		if len(g) == 0 {
			return a // handlers drop empty groups
		}
		if a.Key == "" {
			out := make([]slog.Attr, len(g))
			for i, ga := range g {
				out[i] = r.wholeAttr(ga)
			}
			return slog.Attr{Value: slog.GroupValue(out...)}
		}
		return slog.String(a.Key, r.keyReplacement(v.String()))
	}
	return slog.String(a.Key, r.keyReplacement(valueText(v)))
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	r := h.r
	msg := rec.Message
	changed := r.changes(msg)
	if changed {
		msg = r.Redact(msg)
	}
	if !changed && h.whole {
		changed = rec.NumAttrs() > 0
	}
	if !changed {
		rec.Attrs(func(a slog.Attr) bool {
			if r.attrChanges(a) {
				changed = true
				return false
			}
			return true
		})
	}
	if !changed {
		return h.next.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, msg, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// attrChanges reports whether attr would change, without building the redacted form. A LogValuer
// always counts as a change, so the value inspected is the value logged: resolving it twice could
// give two different answers.
func (r *Redactor) attrChanges(a slog.Attr) bool {
	switch a.Value.Kind() {
	case slog.KindString:
		if r.SensitiveKey(a.Key) {
			return true
		}
		return r.changes(a.Value.String())
	case slog.KindInt64:
		return r.SensitiveKey(a.Key) || intIsCard(a.Value.Int64())
	case slog.KindUint64:
		return r.SensitiveKey(a.Key) || uintIsCard(a.Value.Uint64())
	case slog.KindFloat64:
		return r.SensitiveKey(a.Key) || floatIsCard(a.Value.Float64())
	case slog.KindBool, slog.KindDuration, slog.KindTime:
		return r.SensitiveKey(a.Key)
	case slog.KindGroup:
		if a.Key != "" && r.SensitiveKey(a.Key) {
			return len(a.Value.Group()) > 0
		}
		for _, ga := range a.Value.Group() {
			if r.attrChanges(ga) {
				return true
			}
		}
		return false
	case slog.KindLogValuer:
		return true
	}
	if r.SensitiveKey(a.Key) {
		return true
	}
	_, changed := r.anyValue(a.Value.Any(), 0, newBudget())
	return changed
}

// attr returns the redacted form of a and whether it differs from a.
func (r *Redactor) attr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value
	resolved := false
	if v.Kind() == slog.KindLogValuer {
		v = v.Resolve()
		resolved = true
	}
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		if a.Key != "" && len(g) > 0 && r.SensitiveKey(a.Key) {
			return slog.String(a.Key, r.keyReplacement(v.String())), true
		}
		changed := resolved
		out := make([]slog.Attr, len(g))
		for i, ga := range g {
			var c bool
			out[i], c = r.attr(ga)
			changed = changed || c
		}
		if !changed {
			return a, false
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
	}
	if r.SensitiveKey(a.Key) {
		return slog.String(a.Key, r.keyReplacement(valueText(v))), true
	}
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		if rs := r.Redact(s); rs != s {
			return slog.String(a.Key, rs), true
		}
	case slog.KindInt64:
		if intIsCard(v.Int64()) {
			return slog.String(a.Key, r.cardNumber(v.String())), true
		}
	case slog.KindUint64:
		if uintIsCard(v.Uint64()) {
			return slog.String(a.Key, r.cardNumber(v.String())), true
		}
	case slog.KindFloat64:
		if f := v.Float64(); floatIsCard(f) {
			return slog.String(a.Key, r.cardNumber(strconv.FormatUint(uint64(f), 10))), true
		}
	case slog.KindAny:
		if nv, changed := r.anyValue(v.Any(), 0, newBudget()); changed {
			return slog.Any(a.Key, nv), true
		}
	}
	if resolved {
		return slog.Attr{Key: a.Key, Value: v}, true
	}
	return a, false
}

// valueText is the text of a value as Partial and Pseudonym modes see it.
func valueText(v slog.Value) string {
	if v.Kind() == slog.KindAny {
		if s, ok := v.Any().(string); ok {
			return s
		}
		if b, ok := v.Any().([]byte); ok {
			return string(b)
		}
		return ""
	}
	return v.String()
}

// keyReplacement is the replacement for a value redacted because of its key.
func (r *Redactor) keyReplacement(v string) string {
	return string(appendReplacement(r, nil, "", v))
}

func (r *Redactor) cardNumber(digits string) string {
	return string(appendReplacement(r, nil, kindCard, digits))
}

// intIsCard reports whether an integer, written in decimal, is a payment card number.
func intIsCard(v int64) bool {
	if v < 1_000_000_000_000 {
		return false
	}
	return uintIsCard(uint64(v))
}

// floatIsCard reports whether a float is a whole number between 1e12 and 1e19 whose decimal
// digits are a payment card number: json.Unmarshal into an interface value gives every number as
// a float64.
func floatIsCard(f float64) bool {
	if f < 1e12 || f >= 1e19 || f != math.Trunc(f) {
		return false
	}
	return uintIsCard(uint64(f))
}

func uintIsCard(v uint64) bool {
	if v < 1_000_000_000_000 {
		return false
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	_, ok, _ := cardAt(buf[i:], 0)
	return ok
}
