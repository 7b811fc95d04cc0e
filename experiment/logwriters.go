package experiment

import (
	"bytes"
	"io"
	"sync"
)

// SyncWriter returns a writer that serialises concurrent writes to w, for a
// log shared by a sweep's runs and its caller (a Sweep's Log may be one).
func SyncWriter(w io.Writer) io.Writer { return syncWriter(w) }

// syncWriter wraps w in a lockedWriter unless it is one; nil discards.
func syncWriter(w io.Writer) *lockedWriter {
	if lw, ok := w.(*lockedWriter); ok {
		return lw
	}
	if w == nil {
		w = io.Discard
	}
	return &lockedWriter{w: w}
}

// lockedWriter serialises the writes of concurrent runs to one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter writes each non-empty line with a run's prefix, so the
// messages of runs working side by side stay apart.
type prefixWriter struct {
	lw      *lockedWriter
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.lw.mu.Lock()
	defer p.lw.mu.Unlock()
	var buf bytes.Buffer
	for rest := b; len(rest) > 0; {
		line, after, nl := bytes.Cut(rest, []byte{'\n'})
		rest = after
		if len(line) > 0 && !p.midLine {
			buf.WriteString(p.prefix)
		}
		buf.Write(line)
		switch {
		case nl && (len(line) > 0 || p.midLine):
			buf.WriteByte('\n')
			p.midLine = false
		case !nl:
			p.midLine = len(line) > 0 || p.midLine
		}
	}
	if _, err := p.lw.w.Write(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(b), nil
}
