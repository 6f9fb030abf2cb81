package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/salesforce"
)

// usageServer answers describe with the given Sforce-Limit-Info usage and
// status sequence.
func usageServer(t *testing.T, usage string, hdr map[string]string, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/services/oauth2/token" {
			fmt.Fprintf(w, `{"access_token":"tok","instance_url":%q}`, srv.URL)
			return
		}
		i := int(n.Add(1)) - 1
		w.Header().Set("Sforce-Limit-Info", "api-usage="+usage)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		st := http.StatusOK
		if i < len(statuses) {
			st = statuses[i]
		}
		w.WriteHeader(st)
		if st == http.StatusOK {
			fmt.Fprint(w, `{"name":"Contact","fields":[]}`)
			return
		}
		fmt.Fprint(w, `[{"message":"Server is unavailable","errorCode":"SERVER_UNAVAILABLE"}]`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestUsageSlowsAndStops: near the daily allocation calls wait (here past
// their deadline, so they are never sent); at StopAt they fail with
// ErrLimitExceeded before being sent.
func TestUsageSlowsAndStops(t *testing.T) {
	ctx := context.Background()
	srv, n := usageServer(t, "99/100", nil)
	c, _ := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "a", ClientSecret: "b"})
	if _, err := c.Describe(ctx, "Contact"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Describe(ctx, "Contact"); !errors.Is(err, salesforce.ErrLimitExceeded) || n.Load() != 1 {
		t.Fatalf("at 99%%: err %v after %d requests", err, n.Load())
	}
	srv2, n2 := usageServer(t, "95/100", nil)
	c2, _ := salesforce.New(salesforce.Config{LoginURL: srv2.URL, ClientID: "a", ClientSecret: "b", SlowdownDelay: time.Minute})
	if _, err := c2.Describe(ctx, "Contact"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c2.Describe(short, "Contact"); !errors.Is(err, context.DeadlineExceeded) || n2.Load() != 1 {
		t.Fatalf("at 95%%: err %v after %d requests", err, n2.Load())
	}
	// Well under the allocation nothing waits.
	srv3, _ := usageServer(t, "10/100", nil)
	c3, _ := salesforce.New(salesforce.Config{LoginURL: srv3.URL, ClientID: "a", ClientSecret: "b", SlowdownDelay: time.Minute})
	quick, cancel3 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel3()
	for range 3 {
		if _, err := c3.Describe(quick, "Contact"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRetryAfterAndStatus: a 503 with Retry-After is retried after the
// server's wait; attempts are counted by status.
func TestRetryAfterAndStatus(t *testing.T) {
	srv, n := usageServer(t, "1/100", map[string]string{"Retry-After": "0"}, http.StatusServiceUnavailable, http.StatusServiceUnavailable)
	c, _ := salesforce.New(salesforce.Config{LoginURL: srv.URL, ClientID: "a", ClientSecret: "b", RetryBaseDelay: time.Millisecond})
	if _, err := c.Describe(context.Background(), "Contact"); err != nil || n.Load() != 3 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
	st := c.Calls()["describe"]
	if st.Status[503] != 2 || st.Status[200] != 1 || st.Retries != 2 || st.Count != 1 {
		t.Errorf("stats %+v", st)
	}
}
