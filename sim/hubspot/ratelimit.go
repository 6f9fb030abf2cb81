package hubspot

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limitConfig is the simulated rate-limit policy.
type limitConfig struct {
	window       time.Duration // rolling window (10 s)
	perWindow    int           // requests per window (190)
	searchPerSec int           // search requests per second (5)
	daily        int           // requests per UTC day (1,000,000)
}

func (c limitConfig) withDefaults() limitConfig {
	if c.window <= 0 {
		c.window = 10 * time.Second
	}
	if c.perWindow <= 0 {
		c.perWindow = 190
	}
	if c.searchPerSec <= 0 {
		c.searchPerSec = 5
	}
	if c.daily <= 0 {
		c.daily = 1_000_000
	}
	return c
}

// rolling remembers the times of the last n admitted requests.
type rolling struct {
	ring []time.Time
	next int
	size int
}

func newRolling(n int) *rolling { return &rolling{ring: make([]time.Time, n)} }

// used counts admitted requests newer than now-window.
func (r *rolling) used(now time.Time, window time.Duration) int {
	cut := now.Add(-window)
	n := 0
	for i := 0; i < r.size; i++ {
		if r.ring[i].After(cut) {
			n++
		}
	}
	return n
}

func (r *rolling) record(now time.Time) {
	r.ring[r.next] = now
	r.next = (r.next + 1) % len(r.ring)
	r.size = min(r.size+1, len(r.ring))
}

type limiter struct {
	cfg      limitConfig
	mu       sync.Mutex
	general  *rolling
	search   *rolling
	day      string
	dayCount int
}

func newLimiter(cfg limitConfig) *limiter {
	return &limiter{cfg: cfg, general: newRolling(cfg.perWindow), search: newRolling(cfg.searchPerSec)}
}

// admit applies the policies, sets the rate-limit headers and answers 429
// when a limit is reached; it reports whether the request may proceed.
func (l *limiter) admit(w http.ResponseWriter, now time.Time, search bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := now.UTC().Format(time.DateOnly); d != l.day {
		l.day, l.dayCount = d, 0
	}
	secondly := max(1, l.cfg.perWindow*int(time.Second)/int(l.cfg.window))
	secondlyUsed := l.general.used(now, time.Second)
	generalUsed := l.general.used(now, l.cfg.window)
	policy := ""
	switch {
	case l.dayCount >= l.cfg.daily:
		policy = "DAILY"
	case search:
		secondly = l.cfg.searchPerSec
		secondlyUsed = l.search.used(now, time.Second)
		if secondlyUsed >= secondly {
			policy = "SECONDLY"
		}
	case generalUsed >= l.cfg.perWindow:
		policy = "TEN_SECONDLY_ROLLING"
	}
	if policy == "" {
		l.dayCount++
		if search {
			l.search.record(now)
			secondlyUsed++
		} else {
			l.general.record(now)
			generalUsed++
			secondlyUsed++
		}
	}
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(l.cfg.daily))
	h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(max(0, l.cfg.daily-l.dayCount)))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(l.cfg.window.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(l.cfg.perWindow))
	h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(max(0, l.cfg.perWindow-generalUsed)))
	h.Set("X-HubSpot-RateLimit-Secondly", strconv.Itoa(secondly))
	h.Set("X-HubSpot-RateLimit-Secondly-Remaining", strconv.Itoa(max(0, secondly-secondlyUsed)))
	if policy == "" {
		return true
	}
	msg := map[string]string{
		"DAILY":                "You have reached your daily limit.",
		"SECONDLY":             "You have reached your secondly limit.",
		"TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
	}[policy]
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"status": "error", "message": msg, "errorType": "RATE_LIMIT",
		"correlationId": newCorrelationID(), "policyName": policy,
	})
	return false
}
