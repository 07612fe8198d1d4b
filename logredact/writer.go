package logredact

import (
	"bytes"
	"io"
	"sync"
)

// Writer is an io.Writer that redacts text line by line before passing it on: use it under the
// standard log package (log.New(r.Writer(os.Stderr), "", log.LstdFlags)), or around the output of
// third-party code you cannot give a slog handler.
//
// Writer buffers the current line until its '\n' arrives, so a secret split across two Write calls
// is still found; the complete lines of each Write are redacted and passed on in one Write call to
// the underlying writer. A PEM private-key block is suppressed from its BEGIN line to its END line, however many
// lines and writes it spans; a block with no END line ends at the first line that is not key
// material (base64 or an armor header), so a planted BEGIN line cannot silence the log.
//
// # Long lines
//
// A line longer than [Config.MaxLine] bytes (64 KiB by default) is never buffered whole and never
// passed through raw. Writer cuts it after a space, tab or comma in the last three quarters of the
// buffer (avoiding cuts that would separate a key from its value, a Bearer or Basic scheme from its
// token, the words of a "-----BEGIN ...-----" marker, or the digit groups of a card), redacts and writes the part before the cut without
// inserting a newline, and keeps the rest. A sensitive quoted value cut in two is suppressed up to
// its closing quote. When the buffer holds a run of more than a quarter of MaxLine bytes without
// such a separator, the run is replaced by "[REDACTED:overlong]" and dropped up to the next
// separator: a secret inside it cannot be told from its surroundings, so the whole run goes. A
// run that starts right after a sensitive key's separator is taken for its value, which may go
// on after the run (a quoted value with spaces): the rest of the line goes too. A dropped run
// that holds the start of a BEGIN marker makes the lines after it count as a key block's.
//
// [Writer.Flush] writes a pending partial line (redacted). A sensitive value that the flushed (or
// cut) part ends in stays open: what follows of it is dropped, up to the next space or quote for
// a bare value (token=...) or the credentials after a Bearer or Basic scheme, to the end of the
// line for a "key: value" (even when the part ends in spaces inside it), Authorization or
// unclosed structured value, to the closing quote for a quoted one. So does a sensitive key whose
// value has not started when the part ends: after its separator and any spaces, opening quote or
// Bearer or Basic scheme ("password=", `"token": "`, "Authorization: Bearer "), and so does a
// Bearer or Basic scheme in free text. The next part is then scanned after the key, which has
// been written already, so the value is found and redacted as in the whole line. A value under a
// sensitive key that ends at the closing bracket (or brackets) the part ends in
// (map[Password:[abc]) stays open until the next part shows whether the bracket ended it: unless
// a space, a separator or a quote follows, the rest of the value is dropped, as Redact drops it
// (to the end of the line after a bare "key:", up to the next space, separator or quote
// otherwise). A value after "key=" that goes on over several words (password=correct horse
// battery user=bob, see the field detector) goes on over a Flush or a cut too: the words are
// dropped until one looks like the next field, and the blanks or the word that a part ends in
// are held back, and scanned with the next part, until it shows whether they belong to the value,
// so the line comes out as Redact writes it (in Partial and Pseudonym modes, a value cut inside its
// first word is described by the part before the cut); a held word that Flushes keep extending
// past a quarter of MaxLine is dropped as over-long, and a sensitive key in the last 512 bytes of
// a run dropped as over-long makes the words after the run its value's. A
// Flush inside a key, between a key and its separator, between an opening quote and the key it
// quotes, or between a Bearer or Basic scheme and the space after it still parts the value from
// its key or scheme, as a Flush inside any other secret keeps its detector from seeing it whole:
// flush at line ends. [Writer.Close]
// flushes and makes further writes fail with [ErrClosed]; neither closes the underlying writer.
// A Writer is safe for concurrent use; each Write is atomic with respect to the others.
type Writer struct {
	mu      sync.Mutex
	r       *Redactor
	w       io.Writer
	limit   int       // the longest line held, Config.MaxLine
	buf     []byte    // the pending part of the current line
	out     []byte    // redacted output waiting for the underlying writer
	tail    tailState // a sensitive value or PEM block left open by the previous piece
	key     []byte    // with tailKey: the sensitive key the previous piece ended in, and its separator
	joined  []byte    // key followed by the piece after it, for the scanner
	skipRun bool      // dropping an over-long run up to the next separator
	runWin  []byte    // with skipRun: the last runWindow bytes dropped, judged by runTail at the run's end
	gap     []byte    // with tailWordsGap, tailWordsHeld or tailWordsApos: the text after the value's last whole word, held
	last    byte      // with tailWords: the last byte of the word cut so far
	pemSeen bool      // a cut dropped a private-key BEGIN marker of the current line unread
	midLine bool      // the last piece did not end its line
	err     error     // the first error of the underlying writer; sticky
	closed  bool
}

// Writer returns a redacting Writer that writes to w.
func (r *Redactor) Writer(w io.Writer) *Writer {
	limit := r.maxLine
	if limit == 0 {
		limit = DefaultMaxLine // the zero Redactor
	}
	return &Writer{r: r, w: w, limit: limit}
}

// Write redacts and writes every complete line in p and buffers the rest. It returns len(p) and
// the underlying writer's error, if any; after an error or [Writer.Close] it writes nothing more.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	for len(p) > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			w.add(p)
			break
		}
		if len(w.buf) == 0 && nl <= w.limit {
			w.piece(p[:nl], true)
		} else {
			w.add(p[:nl])
			w.piece(w.buf, true)
			w.buf = w.buf[:0]
		}
		p = p[nl+1:]
	}
	if err := w.emit(); err != nil {
		return n, err
	}
	return n, nil
}

// add appends seg to the pending line, cutting the line whenever it grows past MaxLine. It
// appends at most MaxLine bytes at a time, so a huge write costs linear time.
func (w *Writer) add(seg []byte) {
	for len(seg) > 0 {
		if w.skipRun {
			k := indexSep(seg)
			if k < 0 {
				w.notePEM(seg)
				w.noteRun(seg)
				return
			}
			w.notePEM(seg[:k])
			w.noteRun(seg[:k])
			w.endRun()
			seg = seg[k:]
			w.skipRun = false
		}
		take := min(len(seg), w.limit+1-len(w.buf))
		w.buf = append(w.buf, seg[:take]...)
		seg = seg[take:]
		for len(w.buf) > w.limit {
			w.cut()
		}
	}
}

// Flush redacts and writes the pending partial line, if any. A sensitive value the line ends in
// is kept open, and the rest of it dropped when it arrives; a sensitive key whose value has not
// started is kept too, and the value redacted when it arrives (see [Writer]).
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush()
}

func (w *Writer) flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) > 0 {
		w.piece(w.buf, false)
		w.buf = w.buf[:0]
	}
	return w.emit()
}

// Close flushes the pending partial line and makes later writes fail with [ErrClosed]. It does not
// close the underlying writer. Closing twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	err := w.flush()
	if err == nil && len(w.gap) > 0 {
		// The line ends here: the blanks (or apostrophe) held after a value's last word follow
		// it (a held word was the value's, and is redacted with it).
		held := w.gap
		if w.tail == tailWordsHeld {
			k := len(held)
			for k > 0 && (isBlank(held[k-1]) || held[k-1] == '\'') {
				k--
			}
			held = held[k:]
		}
		w.out = append(w.out, held...)
		err = w.emit()
	}
	w.gap, w.tail = nil, tailNone
	w.closed = true
	w.buf = nil
	return err
}

func (w *Writer) emit() error {
	if len(w.out) == 0 {
		return nil
	}
	_, err := w.w.Write(w.out)
	w.out = w.out[:0]
	if err != nil {
		w.err = err
	}
	return err
}

func isSep(c byte) bool { return c == ' ' || c == '\t' || c == ',' }

// piece redacts b, a whole line without its '\n' (eol) or a part of one, into w.out.
func (w *Writer) piece(b []byte, eol bool) {
	if w.skipRun {
		k := 0
		for k < len(b) && !isSep(b[k]) {
			k++
		}
		w.noteRun(b[:k])
		if k < len(b) || eol {
			w.skipRun = false
			w.endRun()
		}
		b = b[k:]
	}
	switch w.tail {
	case tailPEM:
		if e := pemEnd(b, 0); e >= 0 {
			w.tail = tailNone
			b = b[e:]
		} else if pemBodyLine(b) {
			w.midLine = !eol
			return // the whole piece is inside the key block
		} else {
			// Ordinary text: the block had no END line and ended before this line.
			w.tail = tailNone
			if !w.midLine {
				w.out = append(w.out, '\n')
			}
		}
	case tailBare:
		// A bare sensitive value cut by a Flush or a long line: it goes on up to a space or quote.
		k := 0
		for k < len(b) && !isSpace(b[k]) && b[k] != '"' && b[k] != '\'' {
			k++
		}
		if k < len(b) || eol {
			w.tail = tailNone
		}
		b = b[k:]
		if w.tail == tailBare {
			w.midLine = true
			return
		}
	case tailWords, tailWordsGap, tailWordsHeld, tailWordsApos:
		// A bare value after a sensitive "key=" cut by a Flush or a long line (valueWords) goes
		// on here as in Redact: the rest of the word it was cut in (tailWords), then its words up
		// to one that looks like the next field or the end of the line. What the previous piece
		// held back (the blanks after the value's last word, or a last word that may be the next
		// field's key, with its blanks) is scanned again with this piece, never written unscanned.
		if w.tail == tailWordsApos {
			// The apostrophe held after the value's first word: a letter or digit after it makes
			// it part of the word (don't); anything else shows that it ended the value.
			if len(b) == 0 || !isAlnum(b[0]) {
				w.out = append(w.out, w.gap...)
				w.gap = w.gap[:0]
				w.tail = tailNone
				break
			}
			w.tail, w.gap = tailWords, w.gap[:0]
		}
		if w.tail == tailWords {
			k := wordRest(b, w.last)
			if k == len(b) && !eol {
				if k > 0 {
					w.last = b[k-1]
				}
				w.midLine = true
				return // still inside the word
			}
			if k+1 == len(b) && b[k] == '\'' && !eol && isAlnum(prevByte(b, k, w.last)) {
				w.tail, w.gap = tailWordsApos, append(w.gap[:0], '\'') // don|'t: undecided
				w.midLine = true
				return
			}
			b = b[k:]
			w.gap = w.gap[:0]
			if len(b) == 0 || !isBlank(b[0]) {
				w.tail = tailNone // a quote or the line's end ends the value
				break
			}
		}
		joined := append(append(w.joined[:0], w.gap...), b...)
		w.joined = joined
		e, tail := valueWords(joined, 0)
		if tail != tailNone && !eol {
			held := joined[e:] // blanks after the value's last word
			if tail == tailWordsHeld {
				held = heldWord(joined)
			}
			if len(held) > w.limit/4 {
				// Too long to hold back (Flushes that keep extending one word): dropped as an
				// over-long run, fail closed, with the rest of its word.
				w.out = append(w.out, "[REDACTED:"+kindOverlong+"]"...)
				held, tail = nil, tailWords
				if w.last = joined[len(joined)-1]; isBlank(w.last) {
					tail = tailWordsGap
				}
			}
			w.gap = append(w.gap[:0], held...)
			w.tail = tail
			w.midLine = true
			return
		}
		w.gap = w.gap[:0]
		w.tail = tailNone
		b = joined[e:]
	case tailClose, tailCloseRun:

		// A value under a sensitive key closed by the brackets that ended the previous piece
		// (map[Password:[abc]|def]): unless what follows ends the value too (closedAt), they were
		// part of it, and the value goes on, as in Redact: to the end of the line after a bare
		// "key:" (tailClose), up to what ends a value (runValue) otherwise.
		closed, atEnd := closedAt(b, 0)
		switch {
		case atEnd && !eol:
			w.out = append(w.out, b...) // more closing brackets: still undecided
			w.midLine = true
			return
		case !closed && w.tail == tailClose:
			w.tail = tailLine
			w.midLine = !eol
			if eol {
				w.tail = tailNone
				w.out = append(w.out, '\n')
			}
			return
		case !closed:
			k := 0
			for k < len(b) && !endsValue(b[k]) {
				k++
			}
			b = b[k:]
			w.tail = tailNone
			if len(b) == 0 && !eol {
				w.tail = tailBare // the value may go on in the next piece
				w.midLine = true
				return
			}
		default:
			w.tail = tailNone
		}
	case tailLine:
		// A sensitive value that runs to the end of its line (a structured value whose closing
		// bracket was not found, a "key: value" or Authorization value): the rest of the line goes.
		w.midLine = !eol
		if eol {
			w.tail = tailNone
			w.out = append(w.out, '\n')
		}
		return
	case tailQuote, tailSQuote, tailEQuote:
		e := closingQuote(b, w.tail)
		if e < 0 {
			if eol {
				w.tail = tailNone
				w.out = append(w.out, '\n')
			}
			return
		}
		w.tail = tailNone
		b = b[e:]
	}
	w.midLine = !eol
	ctx := 0
	if w.tail == tailKey {
		// The previous piece ended after a sensitive key's separator, before its value: this one
		// is scanned after the key, as Redact scans the whole line, and the key, written
		// already, is cut from the output.
		w.joined = append(append(w.joined[:0], w.key...), b...)
		b, ctx = w.joined, len(w.key)
	}
	mark := len(w.out)
	out, changed, tail, key := scan(w.r, b, w.out)
	switch {
	case !changed:
		out = append(out, b[ctx:]...)
	case ctx > 0 && !bytes.HasPrefix(out[mark:], b[:ctx]):
		// A detection reached back into the key, which is written already: the key's own piece
		// lacked the text before it that ruled the detection out ("+4111-1111-1111-1111-token="
		// is no card, but the key alone is). Fail closed: drop the rest of the line.
		out, tail = out[:mark], tailLine
	case ctx > 0:
		out = append(out[:mark], out[mark+ctx:]...)
	}
	w.out = out
	w.tail = tail
	switch {
	case eol: // no next piece: what the scan wrote stands
	case tail == tailWordsGap:
		// The blanks after a value's last word are held: they belong to the value if the next
		// piece goes on with more of its words, and are written if it does not.
		k := len(w.out)
		for k > mark && isBlank(w.out[k-1]) {
			k--
		}
		w.gap = append(w.gap[:0], w.out[k:]...)
		w.out = w.out[:k]
	case tail == tailWordsHeld:
		// The value's last word was cut by the end of this piece and replaced with the value,
		// but it may be the next field's key (u|ser=bob): it is held, with the blanks before it,
		// and scanned with the next piece, which shows whether it was. Blanks after it, or an
		// apostrophe (don|'t), are held too.
		w.gap = append(w.gap[:0], heldWord(b)...)
		k := len(w.out)
		for k > mark && (isBlank(w.out[k-1]) || w.out[k-1] == '\'') {
			k--
		}
		w.out = w.out[:k]
	case tail == tailWords:
		w.last = b[len(b)-1] // the value's first word goes on in the next piece
	case tail == tailWordsApos:
		w.gap = append(w.gap[:0], '\'')
		w.out = w.out[:len(w.out)-1]
	}
	if tail == tailKey {
		w.key = append(w.key[:0], b[key:]...)
	}
	if eol {
		if w.tail != tailPEM {
			w.tail = tailNone
			w.out = append(w.out, '\n')
		}
		if w.pemSeen {
			// A cut dropped this line's BEGIN marker unread: the lines after it are taken for
			// the key block's, as after a BEGIN line that was read.
			w.tail, w.pemSeen = tailPEM, false
		}
	}
}

// closingQuote returns the index of the quote that closes a value left open by a previous piece.
func closingQuote(b []byte, t tailState) int {
	for i := 0; i < len(b); i++ {
		switch {
		case t == tailEQuote && b[i] == '\\' && i+1 < len(b) && b[i+1] == '"':
			return i
		case b[i] == '\\':
			i++
		case t == tailQuote && b[i] == '"', t == tailSQuote && b[i] == '\'':
			return i
		}
	}
	return -1
}

// cut redacts and emits the front of an over-long buffered line (see [Writer], "Long lines").
func (w *Writer) cut() {
	b := w.buf
	limit := w.limit
	if p := safeCut(b, limit/4, limit); p > 0 {
		w.piece(b[:p], false)
		w.buf = b[:copy(b, b[p:])]
		return
	}
	// No usable separator in the last three quarters: the run after the last separator is too
	// long to judge, so it is replaced.
	p := lastSep(b[:limit])
	for p >= 0 && insideBegin(b, p+1) {
		p = lastSep(b[:p]) // never part a BEGIN marker from the piece that would read it
	}
	if p >= 0 {
		w.piece(b[:p+1], false)
	}
	w.out = append(w.out, "[REDACTED:"+kindOverlong+"]"...)
	switch w.tail {
	case tailKey:
		// The run is the value of the key before it, and may not end with the run: the rest of
		// the line goes.
		w.tail = tailLine
	case tailWords, tailWordsGap, tailWordsHeld, tailWordsApos:
		// The run goes on with a value's words (or its held word, which may not then be shown
		// as a key): what follows it is judged as after any word of the value.
		w.tail, w.gap = tailWordsGap, w.gap[:0]
	}
	rest := b[p+1:]
	k := indexSep(rest)
	if w.tail == tailNone {
		run := rest
		if k >= 0 {
			run = rest[:k]
		}
		if w.tail = runTail(w.r, run); w.tail == tailWords {
			w.last = run[len(run)-1]
		}
	}
	if k >= 0 {
		w.notePEM(rest[:k])
		w.buf = b[:copy(b, rest[k:])]
		return
	}
	w.notePEM(rest)
	w.skipRun = true
	w.runWin = w.runWin[:0]
	w.noteRun(rest)
	w.buf = w.buf[:0]
}

// runWindow is how much of the end of an over-long run the Writer keeps to judge whether the run
// ends inside a sensitive value (runTail).
const runWindow = 512

// noteRun records dropped, more of an over-long run that is being dropped.
func (w *Writer) noteRun(dropped []byte) {
	if len(dropped) >= runWindow {
		w.runWin = append(w.runWin[:0], dropped[len(dropped)-runWindow:]...)
		return
	}
	if extra := len(w.runWin) + len(dropped) - runWindow; extra > 0 {
		w.runWin = w.runWin[:copy(w.runWin, w.runWin[extra:])]
	}
	w.runWin = append(w.runWin, dropped...)
}

// endRun judges the end of a dropped over-long run: when a sensitive key in its last runWindow
// bytes leaves a value open, what follows is taken for the rest of that value (see runTail).
func (w *Writer) endRun() {
	if t := runTail(w.r, w.runWin); t != tailNone && w.tail == tailNone {
		w.tail = t
		if t == tailWords {
			w.last = w.runWin[len(w.runWin)-1]
		}
	}
	w.runWin = w.runWin[:0]
}

// notePEM records that dropped, text an over-long run's cut drops unread, holds the start of a
// private-key block's BEGIN marker, so that the lines after the current one are taken for the
// block's (fail closed).
func (w *Writer) notePEM(dropped []byte) {
	if bytes.Contains(dropped, []byte("-----BEGIN")) {
		w.pemSeen = true
	}
}

// insideBegin reports whether cutting b before b[p] would part a "-----BEGIN ...-----" marker
// (its words are separated by spaces) from the piece that would read it whole.
func insideBegin(b []byte, p int) bool {
	lo := max(0, p-64)
	q := bytes.LastIndex(b[lo:p], []byte("-----BEGIN"))
	if q < 0 {
		return false
	}
	return !bytes.Contains(b[lo+q+len("-----BEGIN"):p], []byte("-----"))
}

func lastSep(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if isSep(b[i]) {
			return i
		}
	}
	return -1
}

func indexSep(b []byte) int {
	for i, c := range b {
		if isSep(c) {
			return i
		}
	}
	return -1
}

// safeCut returns the position just after the last separator in b[lo:hi] at which the line can be
// cut without separating a secret from its context, or 0.
func safeCut(b []byte, lo, hi int) int {
	for p := hi - 1; p >= lo; p-- {
		if !isSep(b[p]) {
			continue
		}
		if p == 0 {
			break
		}
		prev := b[p-1]
		if prev == ':' || prev == '=' || isSep(prev) {
			continue
		}
		// Perhaps a key and its separator ("password   = x"); when the spaces run to the end of b,
		// what follows them is not known yet.
		k := p + 1
		for k < len(b) && k-p <= maxSpace && (b[k] == ' ' || b[k] == '\t') {
			k++
		}
		if k == len(b) || b[k] == ':' || b[k] == '=' {
			continue
		}
		if isDigit(prev) && p+1 < len(b) && isDigit(b[p+1]) {
			continue // perhaps the digit groups of a card
		}
		ws := p
		for ws > 0 && isAlpha(b[ws-1]) {
			ws--
		}
		if equalFold(b, ws, p, "bearer") || equalFold(b, ws, p, "basic") {
			continue
		}
		if insideBegin(b, p+1) {
			continue // "-----BEGIN PRIVATE| KEY-----" would be read by neither piece
		}
		return p + 1
	}
	return 0
}

// heldWord returns the word that ends b, with the blanks before and after it: the text
// tailWordsHeld holds.
func heldWord(b []byte) []byte {
	k := len(b)
	for k > 0 && isBlank(b[k-1]) {
		k--
	}
	for k > 0 && !isSpace(b[k-1]) {
		k--
	}
	for k > 0 && isBlank(b[k-1]) {
		k--
	}
	return b[k:]
}

// wordRest returns the length of the rest of a word cut at the start of b, whose byte before b
// was last: up to a blank, a line end or a quote (but not an apostrophe between letters:
// do|n't).
func wordRest(b []byte, last byte) int {
	k := 0
	for k < len(b) && !isSpace(b[k]) && !isBlank(b[k]) && b[k] != '"' {
		if b[k] == '\'' && (k+1 >= len(b) || !isAlnum(b[k+1]) || !isAlnum(prevByte(b, k, last))) {
			break
		}
		k++
	}
	return k
}

// prevByte returns b[k-1], or last when k is 0.
func prevByte(b []byte, k int, last byte) byte {
	if k > 0 {
		return b[k-1]
	}
	return last
}

// runTail is the tail state after an over-long run that cut() drops unread: when the run ends
// inside a sensitive value or right after a sensitive key (";password=correct" in one run), what
// follows it is taken for the rest of that value, as Redact takes it (fail closed: after a key,
// the rest of the line).
func runTail(r *Redactor, run []byte) tailState {
	_, _, t, _ := scan(r, run, nil)
	switch t {
	case tailWords, tailWordsGap, tailWordsHeld, tailWordsApos:
		if len(run) > 0 {
			return tailWords
		}
	case tailKey, tailClose, tailCloseRun, tailLine:
		return tailLine
	case tailBare, tailQuote, tailSQuote, tailEQuote:
		return t
	}
	return tailNone
}
