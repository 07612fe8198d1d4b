package main

import (
	"fmt"
	"io"
	"strings"
)

// progress draws a progress bar on a terminal as bytes pass through Write:
//
//	[##########----------]  50%   32.0 MiB / 64.0 MiB
//
// It redraws only when the shown percentage changes.
type progress struct {
	w           io.Writer
	total, read int64
	shown       int
}

func newProgress(w io.Writer, total int64) *progress {
	return &progress{w: w, total: max(total, 1), shown: -1}
}

// Write counts len(p) bytes; it never fails, so it can sit in an io.TeeReader.
func (p *progress) Write(b []byte) (int, error) {
	p.read += int64(len(b))
	p.draw()
	return len(b), nil
}

func (p *progress) draw() {
	pct := int(min(p.read*100/p.total, 100))
	if pct == p.shown {
		return
	}
	p.shown = pct
	const width = 30
	n := pct * width / 100
	fmt.Fprintf(p.w, "\r[%s%s] %3d%% %8.1f MiB / %.1f MiB", strings.Repeat("#", n), strings.Repeat("-", width-n),
		pct, float64(p.read)/(1<<20), float64(p.total)/(1<<20))
}

// finish ends the bar's line.
func (p *progress) finish() {
	fmt.Fprintln(p.w)
}
