package fault

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDeterministicAndProportional(t *testing.T) {
	cfg := Config{Seed: 42, RateLimited: 0.10, ServerError: 0.02, Reset: 0.01}
	a, b := New(cfg), New(cfg)
	counts := map[Kind]int{}
	for i := 0; i < 20000; i++ {
		ka, kb := a.Decide(), b.Decide()
		if ka != kb {
			t.Fatalf("decision %d differs for the same seed: %v vs %v", i, ka, kb)
		}
		counts[ka]++
	}
	for k, want := range map[Kind]float64{RateLimited: 0.10, ServerError: 0.02, Reset: 0.01} {
		got := float64(counts[k]) / 20000
		if got < want*0.8 || got > want*1.2 {
			t.Errorf("kind %d: share %.4f, want about %.2f", k, got, want)
		}
	}
}

func TestWrapOverRealSockets(t *testing.T) {
	in := New(Config{Seed: 1, RateLimited: 0.3, ServerError: 0.3, Reset: 0.2})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(in.Wrap(ok,
		func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
		func(w http.ResponseWriter, code int) { w.WriteHeader(code) }))
	defer srv.Close()
	// no keep-alive: Go's transport would silently retry a request whose
	// reused connection was reset
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]int{}
	for i := 0; i < 200; i++ {
		resp, err := client.Get(srv.URL)
		if err != nil {
			seen["reset"]++
			continue
		}
		resp.Body.Close()
		seen[resp.Status]++
	}
	for _, want := range []string{"reset", "200 OK", "429 Too Many Requests"} {
		if seen[want] == 0 {
			t.Errorf("no %q among %v", want, seen)
		}
	}
	byKind, _ := in.Counts()
	if byKind[Reset] != seen["reset"] {
		t.Errorf("resets counted %d, seen %d", byKind[Reset], seen["reset"])
	}
}
