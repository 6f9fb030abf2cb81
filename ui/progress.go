// Package ui shows progress on a terminal: one line per step and a live
// counter for long work. Off a terminal it stays silent; logs carry the
// same facts in structured form.
package ui

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress implements cycle.Progress for a terminal.
type Progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	bar     *progressbar.ProgressBar
	label   string
	// per-object extract progress (Extract)
	objects  map[string]*objectProgress
	lastLine time.Time
}

// New returns a progress display on w, live only when w is a terminal.
func New(w io.Writer) *Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &Progress{w: w, enabled: tty}
}

// Step starts a named step.
func (p *Progress) Step(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.enabled {
		return
	}
	p.finish()
	fmt.Fprintf(p.w, "▸ %s\n", name)
}

// Count updates the counter for label; total 0 means unknown.
func (p *Progress) Count(label string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.enabled {
		return
	}
	if p.bar == nil || p.label != label {
		p.finish()
		max := total
		if max <= 0 {
			max = -1
		}
		p.bar = progressbar.NewOptions64(max, progressbar.OptionSetWriter(p.w), progressbar.OptionSetDescription("  "+label),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rec"),
			progressbar.OptionThrottle(100_000_000), progressbar.OptionClearOnFinish())
		p.label = label
	} else if total > 0 && p.bar.GetMax64() != total {
		p.bar.ChangeMax64(total)
	}
	_ = p.bar.Set64(done)
}

// Done clears any live counter.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
}

func (p *Progress) finish() {
	if p.objects != nil {
		fmt.Fprint(p.w, "\r\033[K")
		p.objects = nil
	}
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
		p.label = ""
	}
}
