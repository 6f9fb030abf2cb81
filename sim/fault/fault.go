// Package fault injects failures into the simulators, deterministically for
// a seed number: answers of 429 and 5xx, connection resets, added latency,
// and per-record failures inside batch writes. Each simulator writes its own
// documented error bodies; this package only decides when.
package fault

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Config sets the share of requests that fail and how.
type Config struct {
	// Seed makes the sequence of decisions repeatable.
	Seed uint64
	// RateLimited is the share of requests answered 429.
	RateLimited float64
	// ServerError is the share of requests answered 500, 502 or 503.
	ServerError float64
	// Reset is the share of requests whose connection is dropped unanswered.
	Reset float64
	// Latency is added to every request.
	Latency time.Duration
	// RecordFailure is the share of records in a batch write that fail alone
	// (the simulator answers 207 or a per-record error).
	RecordFailure float64
}

// Enabled reports whether any fault is configured.
func (c Config) Enabled() bool {
	return c.RateLimited > 0 || c.ServerError > 0 || c.Reset > 0 || c.Latency > 0 || c.RecordFailure > 0
}

// Kind is one decision for a request.
type Kind int

const (
	None Kind = iota
	RateLimited
	ServerError
	Reset
)

// Injector draws decisions from a seeded generator; it is safe for
// concurrent use (decisions are then repeatable per request order).
type Injector struct {
	cfg Config
	mu  sync.Mutex
	rng *rand.Rand
	// Counts of injected faults, for reports.
	counts map[Kind]int
	failed int
}

// New returns an injector for cfg.
func New(cfg Config) *Injector {
	return &Injector{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), counts: map[Kind]int{}}
}

// Config returns the configuration.
func (in *Injector) Config() Config { return in.cfg }

// Decide picks the fault for the next request.
func (in *Injector) Decide() Kind {
	if in == nil {
		return None
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	x := in.rng.Float64()
	k := None
	switch {
	case x < in.cfg.RateLimited:
		k = RateLimited
	case x < in.cfg.RateLimited+in.cfg.ServerError:
		k = ServerError
	case x < in.cfg.RateLimited+in.cfg.ServerError+in.cfg.Reset:
		k = Reset
	}
	if k != None {
		in.counts[k]++
	}
	return k
}

// ServerStatus picks which 5xx to answer.
func (in *Injector) ServerStatus() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[in.rng.IntN(3)]
}

// FailRecord says whether the next record of a batch write fails alone.
func (in *Injector) FailRecord() bool {
	if in == nil || in.cfg.RecordFailure <= 0 {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.rng.Float64() < in.cfg.RecordFailure {
		in.failed++
		return true
	}
	return false
}

// Counts returns how many faults of each kind were injected and how many
// records were failed.
func (in *Injector) Counts() (byKind map[Kind]int, records int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[Kind]int, len(in.counts))
	for k, v := range in.counts {
		out[k] = v
	}
	return out, in.failed
}

// Wrap returns a handler that applies latency and request-level faults
// before next; tooMany and serverError write the simulator's own bodies.
func (in *Injector) Wrap(next http.Handler, tooMany func(http.ResponseWriter), serverError func(http.ResponseWriter, int)) http.Handler {
	if in == nil || !in.cfg.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.cfg.Latency > 0 {
			select {
			case <-time.After(in.cfg.Latency):
			case <-r.Context().Done():
				return
			}
		}
		switch in.Decide() {
		case RateLimited:
			tooMany(w)
		case ServerError:
			serverError(w, in.ServerStatus())
		case Reset:
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			serverError(w, http.StatusBadGateway)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
