package hubspot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
)

// FuzzListPage serves arbitrary bytes as a list page to the client over a
// socket: it returns records or an error; never a panic or a hang.
func FuzzListPage(f *testing.F) {
	for _, s := range []string{
		`{"results":[{"id":"1","properties":{"email":"a@b.c"},"createdAt":"2026-01-01T00:00:00Z","updatedAt":"2026-01-01T00:00:00Z","archived":false}]}`,
		`{"results":[{"id":1,"properties":{"email":null}}],"paging":{"next":{"after":"2"}}}`,
		`{"results":[{"id":null}]}`, `{"results":[{"id":{"x":1}}]}`, `{"results":{}}`, `{"results":[`, `null`, `[]`, ``,
		`{"results":[{"id":"1","properties":{"email":42}}]}`, `{"results":[{"id":"1","updatedAt":"yesterday"}]}`,
		"{\"results\":[{\"id\":\"\xff\",\"properties\":{\"n\":\"\u202e\"}}]}",
	} {
		f.Add([]byte(s))
	}
	var mu sync.Mutex
	var body []byte
	var served int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		served++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b) // every page alike: a cursor that does not advance must end the list

	}))
	defer srv.Close()
	c, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1 << 20, MaxRetries: 1,
		RetryBackoff: time.Millisecond, MaxRetryWait: time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mu.Lock()
		body, served = b, 0
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := c.List(ctx, "contacts", hubspot.ListOptions{Properties: []string{"email"}, PageSize: 100}, func(objs []hubspot.Object) error {
			return nil
		})
		if err != nil && err.Error() == "" {
			t.Fatal("an error without text")
		}
		if ctx.Err() != nil {
			t.Fatalf("the list did not end: %v", err)
		}
	})
}
