package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// objectProgress is one object's extract as the status line shows it.
type objectProgress struct {
	done, total int64
	started     time.Time
}

// Extract shows the records landed per object, the rate and, when the API
// announced a total, an ETA, on one status line refreshed at most five
// times a second. It fits extract.Options.ProgressTotal.
func (p *Progress) Extract(system, object string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.enabled {
		return
	}
	if p.objects == nil {
		p.objects = map[string]*objectProgress{}
	}
	key := system + " " + object
	o := p.objects[key]
	if o == nil {
		o = &objectProgress{started: time.Now()}
		p.objects[key] = o
	}
	o.done, o.total = done, total
	now := time.Now()
	if now.Sub(p.lastLine) < 200*time.Millisecond && !(total > 0 && done >= total) {
		return
	}
	p.lastLine = now
	keys := make([]string, 0, len(p.objects))
	for k := range p.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+describeProgress(p.objects[k], now))
	}
	fmt.Fprintf(p.w, "\r\033[K  %s", strings.Join(parts, " · "))
}

func describeProgress(o *objectProgress, now time.Time) string {
	el := now.Sub(o.started).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(o.done) / el
	}
	s := groupDigits(o.done)
	if o.total > 0 {
		s += "/" + groupDigits(o.total)
	}
	s += fmt.Sprintf(" (%s/s", groupDigits(int64(rate)))
	if o.total > o.done && rate > 0 {
		eta := time.Duration(float64(o.total-o.done) / rate * float64(time.Second)).Round(time.Second)
		s += ", ETA " + eta.String()
	}
	return s + ")"
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
