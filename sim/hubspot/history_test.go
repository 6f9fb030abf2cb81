package hubspot

import (
	"fmt"
	"net/http/httptest"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func TestPropertiesWithHistory(t *testing.T) {
	var now atomic.Int64
	now.Store(t0.Add(time.Hour).UnixNano())
	s := New(Options{Now: func() time.Time { return time.Unix(0, now.Load()).UTC() }, AppID: "777"})
	recs := make([]seed.Record, 60)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("h%d@example.com", i+1), "firstname": "Ann"},
			CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0}
	}
	if err := s.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	patch := func(at time.Time, props string) {
		t.Helper()
		now.Store(at.UnixNano())
		if resp, body := do(t, ts, "PATCH", "/crm/v3/objects/contacts/1", "test-token", `{"properties":`+props+`}`); resp.StatusCode != 200 {
			t.Fatalf("patch: %d %v", resp.StatusCode, body)
		}
	}
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	patch(t1, `{"firstname":"Anna"}`)
	patch(t2, `{"firstname":"Annie","city":"Oslo","email":"h1@example.com"}`)

	v := func(value string, at time.Time, src, id string) map[string]any {
		m := map[string]any{"value": value, "timestamp": isoTime(at), "sourceType": src}
		if id != "" {
			m["sourceId"] = id
		}
		return m
	}
	want := map[string][]map[string]any{
		"firstname":  {v("Annie", t2, "INTEGRATION", "777"), v("Anna", t1, "INTEGRATION", "777"), v("Ann", t0, "IMPORT", "")},
		"city":       {v("Oslo", t2, "INTEGRATION", "777")},
		"email":      {v("h1@example.com", t0, "IMPORT", "")}, // unchanged values add no version
		"createdate": {v(isoTime(t0.Add(-time.Hour)), t0.Add(-time.Hour), "IMPORT", "")},
	}
	history := func(o map[string]any) map[string][]map[string]any {
		out := map[string][]map[string]any{}
		for name, vs := range o["propertiesWithHistory"].(map[string]any) {
			for _, x := range vs.([]any) {
				out[name] = append(out[name], x.(map[string]any))
			}
		}
		return out
	}
	const names = "firstname,city,email,createdate,lastname,no_such_property"
	t.Run("get", func(t *testing.T) {
		_, body := do(t, ts, "GET", "/crm/v3/objects/contacts/1?propertiesWithHistory="+names, "test-token", "")
		if got := history(body); !reflect.DeepEqual(got, want) {
			t.Fatalf("history = %v\nwant %v", got, want)
		}
	})
	t.Run("list caps the page at 50", func(t *testing.T) {
		_, body := do(t, ts, "GET", "/crm/v3/objects/contacts?limit=100&propertiesWithHistory="+names, "test-token", "")
		results := body["results"].([]any)
		if len(results) != 50 || !reflect.DeepEqual(history(results[0].(map[string]any)), want) {
			t.Fatalf("got %d results, first %v", len(results), results[0])
		}
	})
	t.Run("batch read", func(t *testing.T) {
		_, body := do(t, ts, "POST", "/crm/v3/objects/contacts/batch/read", "test-token",
			`{"inputs":[{"id":"1"}],"properties":["email"],"propertiesWithHistory":["firstname","city","email","createdate"]}`)
		results := body["results"].([]any)
		if len(results) != 1 || !reflect.DeepEqual(history(results[0].(map[string]any)), want) {
			t.Fatalf("batch read = %v", body)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		for i := range 30 {
			patch(t2.Add(time.Duration(i+1)*time.Second), fmt.Sprintf(`{"jobtitle":"T%d"}`, i))
		}
		_, body := do(t, ts, "GET", "/crm/v3/objects/contacts/1?propertiesWithHistory=jobtitle", "test-token", "")
		vs := history(body)["jobtitle"]
		if len(vs) != historyMax || vs[0]["value"] != "T29" || vs[historyMax-1]["value"] != "T10" {
			t.Fatalf("jobtitle history = %v", vs)
		}
	})
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, rec := range s.stores[0].recs {
		if (rec.hist != nil) != (id == 1) {
			t.Fatalf("record %d keeps versions %v", id, rec.hist)
		}
	}
}
