package salesforce

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func TestRelationshipSelect(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.Load("Account", []seed.Record{{ID: "001000000000001AAA", Values: map[string]string{"Name": "Acme \"<&>\""}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Load("Contact", []seed.Record{
		{Values: map[string]string{"LastName": "A", "AccountId": "001000000000001AAA"}},
		{Values: map[string]string{"LastName": "B"}},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q, want, code string
	}{
		{"SELECT LastName, Account.Name FROM Contact ORDER BY LastName",
			`{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/ID"},"LastName":"A","Account":{"attributes":{"type":"Account","url":"/services/data/v62.0/sobjects/Account/001000000000001AAA"},"Name":"Acme \"<&>\""}}`, ""},
		{"SELECT Account.Name, Account.Industry, LastName FROM Contact WHERE LastName = 'B'",
			`{"attributes":{"type":"Contact","url":"/services/data/v62.0/sobjects/Contact/ID"},"Account":null,"LastName":"B"}`, ""},
		{"SELECT Owner.Name FROM Contact", "", "INVALID_FIELD"},
		{"SELECT Account.Nope FROM Contact", "", "INVALID_FIELD"},
		{"SELECT Account.Name, account.name FROM Contact", "", "DUPLICATE_FIELD"},
	}
	for _, tc := range tests {
		st, out, raw := e.query(tc.q)
		if tc.code != "" {
			if st != 400 || errorCode(raw) != tc.code {
				t.Errorf("%s: %d %s", tc.q, st, raw)
			}
			continue
		}
		var page struct {
			Records []json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(raw, &page); err != nil || st != 200 {
			t.Fatalf("%s: %d %s", tc.q, st, raw)
		}
		var first struct {
			Attributes struct{ URL string } `json:"attributes"`
		}
		_ = json.Unmarshal(page.Records[0], &first)
		id := first.Attributes.URL[strings.LastIndex(first.Attributes.URL, "/")+1:]
		if got := string(page.Records[0]); got != strings.Replace(tc.want, "ID", id, 1) {
			t.Errorf("%s:\n got %s\nwant %s (%v)", tc.q, got, tc.want, out)
		}
	}
}

func TestReplicationWindows(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clk.Now()
	if err := e.sim.Load("Lead", []seed.Record{
		{Values: map[string]string{"LastName": "old", "Company": "c"}, UpdatedAt: now.Add(-40 * 24 * time.Hour)},
		{Values: map[string]string{"LastName": "new", "Company": "c"}, UpdatedAt: now.Add(-time.Hour)},
		{Values: map[string]string{"LastName": "gone", "Company": "c"}, UpdatedAt: now.Add(-2 * time.Hour), Archived: true},
	}); err != nil {
		t.Fatal(err)
	}
	q := func(kind, start, end string) (int, map[string]any, []byte) {
		st, _, raw := e.do("GET", "/services/data/v62.0/sobjects/Lead/"+kind+"/?start="+url.QueryEscape(start)+"&end="+url.QueryEscape(end), nil)
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		return st, out, raw
	}
	tests := []struct {
		kind, start, end string
		status           int
		n                int
		code             string
	}{
		{"updated", "2026-02-10T00:00:00+00:00", "2026-03-01T12:30:15+00:00", 200, 1, ""},
		{"deleted", "2026-02-20T00:00:00+00:00", "2026-03-02T00:00:00+00:00", 200, 1, ""},
		{"updated", "2026-01-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", 400, 0, "INVALID_REPLICATION_DATE"},
		{"deleted", "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", 400, 0, "INVALID_REPLICATION_DATE"},
		{"updated", "2026-03-01T00:00:00+00:00", "2026-02-28T00:00:00+00:00", 400, 0, "INVALID_REPLICATION_DATE"},
		{"deleted", "yesterday", "2026-02-28T00:00:00+00:00", 400, 0, "INVALID_REPLICATION_DATE"},
	}
	for _, tc := range tests {
		st, out, raw := q(tc.kind, tc.start, tc.end)
		if st != tc.status || (tc.code != "" && errorCode(raw) != tc.code) {
			t.Errorf("%s %s..%s: %d %s", tc.kind, tc.start, tc.end, st, raw)
			continue
		}
		if st != 200 {
			continue
		}
		list := out["ids"]
		if tc.kind == "deleted" {
			list = out["deletedRecords"]
			rec := list.([]any)[0].(map[string]any)
			if rec["deletedDate"] != "2026-03-01T10:00:00.000+0000" || out["earliestDateAvailable"] != "2026-02-14T00:00:00.000+0000" {
				t.Errorf("deleted shape: %s", raw)
			}
		}
		if len(list.([]any)) != tc.n || out["latestDateCovered"] == nil {
			t.Errorf("%s: %s", tc.kind, raw)
		}
		if tc.kind == "updated" && out["latestDateCovered"] != "2026-03-01T12:00:00.000+0000" {
			t.Errorf("latestDateCovered is now at most: %s", raw)
		}
	}
}

func TestSingleUpsertMultipleMatches(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.Load("Account", []seed.Record{{Values: map[string]string{"Name": "a", "Ext__c": "X"}},
		{Values: map[string]string{"Name": "b", "Ext__c": "x"}}}); err != nil {
		t.Fatal(err)
	}
	e.sim.mu.Lock()
	f := e.sim.table("Account").def.lookup("Ext__c")
	f.ExternalID = true
	e.sim.table("Account").reindexField(f)
	e.sim.mu.Unlock()
	tests := []struct {
		value  string
		body   string
		status int
	}{
		{"X", `{"Name":"c"}`, http.StatusMultipleChoices},
		{"new", `{"Name":"n"}`, http.StatusCreated},
		{"new", `{"Name":"n2"}`, http.StatusOK},
		{"other", `{"Nope":"n"}`, http.StatusBadRequest},
	}
	for _, tc := range tests {
		st, _, raw := e.do("PATCH", "/services/data/v62.0/sobjects/Account/Ext__c/"+tc.value, tc.body)
		if st != tc.status {
			t.Errorf("%s: %d %s", tc.value, st, raw)
		}
		if st == http.StatusMultipleChoices && !strings.Contains(string(raw), "/services/data/v62.0/sobjects/Account/001") {
			t.Errorf("300 body: %s", raw)
		}
		if st == http.StatusOK && !strings.Contains(string(raw), `"created":false`) {
			t.Errorf("200 body: %s", raw)
		}
	}
}

func TestExpireSessionsEvery(t *testing.T) {
	e := newEnv(t, Options{ExpireSessionsEvery: 3})
	var got []int
	for i := 0; i < 4; i++ {
		st, _, _ := e.do("GET", "/services/data/v62.0/sobjects", nil)
		got = append(got, st)
	}
	if got[0] != 200 || got[1] != 200 || got[2] != 401 || got[3] != 401 {
		t.Fatalf("statuses %v", got)
	}
}
