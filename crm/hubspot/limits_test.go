package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
)

// headerServer answers properties calls with the given status sequence and
// rate-limit headers, counting requests.
func headerServer(t *testing.T, hdr map[string]string, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		st := http.StatusOK
		if i < len(statuses) {
			st = statuses[i]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		switch st {
		case http.StatusOK:
			fmt.Fprint(w, `{"results":[{"name":"email","type":"string"}]}`)
		case http.StatusUnauthorized:
			fmt.Fprint(w, `{"status":"error","message":"expired","category":"EXPIRED_AUTHENTICATION"}`)
		case http.StatusTooManyRequests:
			fmt.Fprint(w, `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"}`)
		default:
			fmt.Fprint(w, `{"status":"error","message":"boom"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTokenRefreshOn401(t *testing.T) {
	srv, n := headerServer(t, nil, http.StatusUnauthorized)
	refreshed := 0
	c, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "old", RequestsPer10s: 1000,
		RefreshToken: func(ctx context.Context) (string, error) { refreshed++; return "new", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Properties(context.Background(), "contacts"); err != nil || refreshed != 1 || n.Load() != 2 {
		t.Fatalf("err %v, refreshed %d, requests %d", err, refreshed, n.Load())
	}
	st := c.Calls()["properties"]
	if st.Status[401] != 1 || st.Status[200] != 1 || st.Calls != 1 {
		t.Errorf("stats %+v", st)
	}
	// Without a refresher a 401 cannot succeed: no retry.
	srv2, n2 := headerServer(t, nil, http.StatusUnauthorized, http.StatusUnauthorized)
	c2, _ := hubspot.New(hubspot.Config{BaseURL: srv2.URL, Token: "old", RequestsPer10s: 1000})
	if _, err := c2.Properties(context.Background(), "contacts"); !errors.Is(err, hubspot.ErrUnauthorized) || n2.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, n2.Load())
	}
}

// TestHeadersHoldCalls: an answer saying the shared rolling window is used
// up holds the next call back (here past its deadline, so it is never
// sent); a daily remainder at the reserve refuses calls.
func TestHeadersHoldCalls(t *testing.T) {
	srv, n := headerServer(t, map[string]string{"X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Max": "190",
		"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Daily-Remaining": "5000"})
	c, _ := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1000, DailyReserve: 5000})
	ctx := context.Background()
	if _, err := c.Properties(ctx, "contacts"); err != nil {
		t.Fatal(err)
	}
	if c.DailyRemaining() != 5000 {
		t.Errorf("daily remaining %d", c.DailyRemaining())
	}
	if _, err := c.Properties(ctx, "contacts"); !errors.Is(err, hubspot.ErrDailyBudget) || n.Load() != 1 {
		t.Fatalf("at the reserve: err %v after %d requests", err, n.Load())
	}
	c2, _ := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1000})
	if _, err := c2.Properties(ctx, "contacts"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	before := n.Load()
	if _, err := c2.Properties(short, "contacts"); !errors.Is(err, context.DeadlineExceeded) || n.Load() != before {
		t.Fatalf("window used up: err %v, %d requests sent", err, n.Load()-before)
	}
}

// TestRateLimitedRetriedWithStatus: 429 and 5xx answers are retried with
// backoff and counted by status; a DAILY 429 is not retried.
func TestRateLimitedRetriedWithStatus(t *testing.T) {
	srv, _ := headerServer(t, map[string]string{"Retry-After": "0"}, http.StatusTooManyRequests, http.StatusBadGateway)
	c, _ := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "t", RequestsPer10s: 1000, RetryBackoff: time.Millisecond, MaxRetryWait: 10 * time.Millisecond})
	if _, err := c.Properties(context.Background(), "contacts"); err != nil {
		t.Fatal(err)
	}
	st := c.Calls()["properties"]
	if st.Retries != 2 || st.Status[429] != 1 || st.Status[502] != 1 || st.Status[200] != 1 {
		t.Errorf("stats %+v", st)
	}
}
