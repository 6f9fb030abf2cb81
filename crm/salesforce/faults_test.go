package salesforce

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/sim/fault"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

// TestFaultyRun drives a 5,000-record paged query and a 1,000-record update
// through 2% server errors, 1% connection resets, 5% locked rows and
// session expiries: every record is read exactly once, and every update is
// either applied or reported for its record.
func TestFaultyRun(t *testing.T) {
	tests := []struct {
		name   string
		faults fault.Config
		expire int
	}{
		{"faults and expiry", fault.Config{Seed: 7, ServerError: 0.02, Reset: 0.01, RateLimited: 0.01, RecordFailure: 0.05}, 20},
		{"heavy faults", fault.Config{Seed: 11, ServerError: 0.10, Reset: 0.05, RateLimited: 0.05, RecordFailure: 0.20}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sim := simsf.New(simsf.Options{Faults: tc.faults, ExpireSessionsEvery: tc.expire})
			recs := make([]seed.Record, 5000)
			for i := range recs {
				recs[i] = seed.Record{Values: map[string]string{"LastName": fmt.Sprintf("L%05d", i)}}
			}
			if err := sim.Load("Contact", recs); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			c, err := New(Config{LoginURL: srv.URL, ClientID: "test-client", ClientSecret: "test-secret",
				HTTPClient: srv.Client(), MaxRetries: 10, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			seen := map[string]int{}
			var ids []string
			err = c.Query(ctx, "SELECT Id, LastName FROM Contact", QueryOptions{BatchSize: 200}, func(rs []Record) error {
				for _, r := range rs {
					id := r["Id"].(string)
					if seen[id] == 0 {
						ids = append(ids, id)
					}
					seen[id]++
				}
				return nil
			})
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("record %s read %d times", id, n)
				}
			}
			if len(seen) != 5000 {
				t.Fatalf("read %d distinct records, want 5000", len(seen))
			}
			applied, reported := map[string]bool{}, 0
			for start := 0; start < 1000; start += MaxCollection {
				batch := make([]Record, 0, MaxCollection)
				for _, id := range ids[start : start+MaxCollection] {
					batch = append(batch, Record{"Id": id, "Title": "T-" + id})
				}
				res, err := c.Update(ctx, "Contact", batch, false)
				if err != nil {
					t.Fatalf("update: %v", err)
				}
				for i, r := range res {
					switch {
					case r.Success:
						applied[batch[i]["Id"].(string)] = true
					case len(r.Errors) > 0 && r.Errors[0].StatusCode == "UNABLE_TO_LOCK_ROW":
						reported++
					default:
						t.Fatalf("record %d: unexpected result %+v", i, r)
					}
				}
			}
			if len(applied)+reported != 1000 || reported == 0 {
				t.Fatalf("applied %d, reported %d", len(applied), reported)
			}
			// The simulator holds exactly the applied updates.
			got := map[string]string{}
			err = c.Query(ctx, "SELECT Id, Title FROM Contact WHERE Title != null", QueryOptions{}, func(rs []Record) error {
				for _, r := range rs {
					got[r["Id"].(string)] = r["Title"].(string)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for id := range applied {
				if got[id] != "T-"+id {
					t.Fatalf("update of %s not applied: %q", id, got[id])
				}
			}
			if len(got) != len(applied) {
				t.Fatalf("%d records changed, %d updates applied", len(got), len(applied))
			}
			byKind, failed := sim.FaultCounts()
			calls := c.Calls()
			t.Logf("faults %v, record failures %d, token calls %d, retries query %d queryMore %d update %d",
				byKind, failed, calls["token"].Count, calls["query"].Retries, calls["queryMore"].Retries, calls["update"].Retries)
			if byKind[fault.ServerError]+byKind[fault.Reset]+byKind[fault.RateLimited] == 0 || calls["token"].Count < 2 {
				t.Fatalf("the run crossed no request fault or no token expiry: %v, %d logins", byKind, calls["token"].Count)
			}
		})
	}
}

// TestFaultAnswers checks the bodies written for injected faults.
func TestFaultAnswers(t *testing.T) {
	tests := []struct {
		cfg    fault.Config
		status int
		code   string
	}{
		{fault.Config{Seed: 1, RateLimited: 1}, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED"},
		{fault.Config{Seed: 1, ServerError: 1}, 0, ""},
	}
	for _, tc := range tests {
		sim := simsf.New(simsf.Options{Faults: tc.cfg})
		srv := httptest.NewServer(sim)
		resp, err := http.Get(srv.URL + "/services/data/v62.0/sobjects")
		if err != nil {
			t.Fatal(err)
		}
		apiErr := parseError(resp.StatusCode, readAll(t, resp))
		srv.Close()
		if tc.status != 0 && (resp.StatusCode != tc.status || apiErr.Code != tc.code) {
			t.Errorf("%+v: %d %+v", tc.cfg, resp.StatusCode, apiErr)
		}
		if tc.status == 0 && (resp.StatusCode < 500 || !retryable(apiErr)) {
			t.Errorf("%+v: %d %+v not a retryable server error", tc.cfg, resp.StatusCode, apiErr)
		}
	}
	// The daily allocation is not retried, the concurrent limit is.
	if retryable(&APIError{Status: 403, Code: "REQUEST_LIMIT_EXCEEDED", Message: "TotalRequests Limit exceeded."}) {
		t.Error("daily limit must not be retried")
	}
}
