package hubspot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	client "github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func do(t *testing.T, ts *httptest.Server, method, path, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, data)
		}
	}
	return resp, m
}

func TestErrorBodies(t *testing.T) {
	ts := httptest.NewServer(New(Options{}))
	defer ts.Close()
	tests := []struct {
		name, method, path, token, body string
		status                          int
		category, code                  string
	}{
		{"no token", "GET", "/crm/v3/objects/contacts", "", "", 401, "INVALID_AUTHENTICATION", ""},
		{"wrong token", "GET", "/crm/v3/objects/contacts", "nope", "", 401, "INVALID_AUTHENTICATION", ""},
		{"unknown property", "POST", "/crm/v3/objects/contacts", "test-token", `{"properties":{"email":"a@b.co","shoe_size":"42"}}`, 400, "VALIDATION_ERROR", "PROPERTY_DOESNT_EXIST"},
		{"read-only property", "POST", "/crm/v3/objects/0-1", "test-token", `{"properties":{"hs_object_id":"9"}}`, 400, "VALIDATION_ERROR", "READ_ONLY_VALUE"},
		{"invalid email", "POST", "/crm/v3/objects/contacts", "test-token", `{"properties":{"email":"nope"}}`, 400, "VALIDATION_ERROR", "INVALID_EMAIL"},
		{"missing record", "GET", "/crm/v3/objects/deals/123", "test-token", "", 404, "OBJECT_NOT_FOUND", ""},
		{"unknown type", "GET", "/crm/v3/objects/tickets", "test-token", "", 400, "VALIDATION_ERROR", ""},
		{"too many groups", "POST", "/crm/v3/objects/contacts/search", "test-token", `{"filterGroups":[{},{},{},{},{},{}]}`, 400, "VALIDATION_ERROR", ""},
		{"two sorts", "POST", "/crm/v3/objects/contacts/search", "test-token", `{"sorts":["email","firstname"]}`, 400, "VALIDATION_ERROR", ""},
		{"bad operator", "POST", "/crm/v3/objects/contacts/search", "test-token", `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"LIKE","value":"x"}]}]}`, 400, "VALIDATION_ERROR", ""},
		{"limit over 200", "POST", "/crm/v3/objects/contacts/search", "test-token", `{"limit":201}`, 400, "VALIDATION_ERROR", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, ts, tc.method, tc.path, tc.token, tc.body)
			if resp.StatusCode != tc.status || body["status"] != "error" || body["category"] != tc.category {
				t.Fatalf("status %d body %v", resp.StatusCode, body)
			}
			if id, _ := body["correlationId"].(string); len(id) != 36 || body["message"] == "" {
				t.Fatalf("body %v", body)
			}
			if tc.code != "" {
				errs, _ := body["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["code"] != tc.code {
					t.Fatalf("errors = %v", body["errors"])
				}
			}
		})
	}
}

func TestMalformedJSONNeverPanics(t *testing.T) {
	s := New(Options{})
	if err := s.Load("contacts", []seed.Record{{ID: "1", Values: map[string]string{"email": "a@b.co"}}}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	paths := []struct{ method, path string }{
		{"POST", "/crm/v3/objects/contacts"}, {"PATCH", "/crm/v3/objects/contacts/1"},
		{"POST", "/crm/v3/objects/contacts/search"}, {"POST", "/crm/v3/objects/contacts/batch/read"},
		{"POST", "/crm/v3/objects/contacts/batch/create"}, {"POST", "/crm/v3/objects/contacts/batch/update"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert"}, {"POST", "/crm/v3/objects/contacts/batch/archive"},
		{"POST", "/crm/v3/properties/contacts"}, {"POST", "/crm/v4/associations/contacts/companies/batch/create"},
		{"POST", "/crm/v4/associations/contacts/companies/batch/read"},
	}
	bodies := []string{"", "{", "[]", "null", `{"inputs":"x"}`, `{"inputs":[{"properties":{"a":{"b":1}}}]}`,
		`{"properties":[1]}`, `{"filterGroups":[{"filters":[{"value":{}}]}]}`, `{"after":true}`, "\xff\xfe", `{"limit":"abc"}`, `{} {}`}
	for _, p := range paths {
		for _, b := range bodies {
			resp, body := do(t, ts, p.method, p.path, "test-token", b)
			if resp.StatusCode >= 500 {
				t.Fatalf("%s %s %q: status %d %v", p.method, p.path, b, resp.StatusCode, body)
			}
			if resp.StatusCode == 400 && body["category"] != "VALIDATION_ERROR" {
				t.Fatalf("%s %s %q: body %v", p.method, p.path, b, body)
			}
		}
	}
}

func TestRateLimit(t *testing.T) {
	s := New(Options{RateLimit: true, limits: limitConfig{window: 400 * time.Millisecond, perWindow: 5}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	for i := range 5 {
		resp, _ := do(t, ts, "GET", "/crm/v3/objects/contacts", "test-token", "")
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
		if got := resp.Header.Get("X-HubSpot-RateLimit-Remaining"); got != string(rune('4'-i)) {
			t.Fatalf("request %d remaining = %q", i, got)
		}
	}
	resp, body := do(t, ts, "GET", "/crm/v3/objects/contacts", "test-token", "")
	if resp.StatusCode != 429 || body["policyName"] != "TEN_SECONDLY_ROLLING" || body["errorType"] != "RATE_LIMIT" ||
		body["message"] != "You have reached your ten_secondly_rolling limit." || body["correlationId"] == "" {
		t.Fatalf("status %d body %v", resp.StatusCode, body)
	}
	for h, want := range map[string]string{"X-HubSpot-RateLimit-Max": "5", "X-HubSpot-RateLimit-Remaining": "0",
		"X-HubSpot-RateLimit-Interval-Milliseconds": "400", "X-HubSpot-RateLimit-Daily": "1000000",
		"X-HubSpot-RateLimit-Daily-Remaining": "999995"} {
		if got := resp.Header.Get(h); got != want {
			t.Fatalf("%s = %q, want %q", h, got, want)
		}
	}
	for _, h := range []string{"X-HubSpot-RateLimit-Secondly", "X-HubSpot-RateLimit-Secondly-Remaining"} {
		if resp.Header.Get(h) == "" {
			t.Fatalf("missing %s", h)
		}
	}

	// The client retries past the limit using the headers.
	c, err := client.New(client.Config{BaseURL: ts.URL, Token: "test-token", RequestsPer10s: 100000, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 12 {
		if _, err := c.Properties(ctx, "deals"); err != nil {
			t.Fatal(err)
		}
	}
	if st := c.Calls()["properties"]; st.Retries == 0 || st.Errors != 0 {
		t.Fatalf("client stats = %+v", st)
	}
}

func TestDailyLimitNotRetried(t *testing.T) {
	var now atomic.Int64
	now.Store(t0.UnixNano())
	s := New(Options{RateLimit: true, Now: func() time.Time { return time.Unix(0, now.Load()) }, limits: limitConfig{daily: 2}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, _ := client.New(client.Config{BaseURL: ts.URL, Token: "test-token"})
	ctx := context.Background()
	for range 2 {
		if _, err := c.Properties(ctx, "contacts"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Properties(ctx, "contacts")
	var apiErr *client.APIError
	if !errorsAs(err, &apiErr) || apiErr.PolicyName != "DAILY" || c.Calls()["properties"].Retries != 0 {
		t.Fatalf("err = %v, stats %+v", err, c.Calls())
	}
	now.Store(t0.Add(24 * time.Hour).UnixNano())
	if _, err := c.Properties(ctx, "contacts"); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestSnapshotLoadRoundTrip(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Load("companies", []seed.Record{{ID: "5", Values: map[string]string{"name": "Acme", "industry_code": "A1"}}}))
	must(s.Load("contacts", []seed.Record{
		{Values: map[string]string{"email": "a@acme.com", "associatedcompanyid": "5", "legacy_flag": "y"}, CreatedAt: t0.Add(-time.Hour)},
		{ID: "40", Values: map[string]string{"email": "not-an-email"}, Archived: true},
	}))
	must(s.Load("deals", []seed.Record{{Values: map[string]string{"dealname": "Big", "associatedcompanyid": "5"}}}))
	ts := httptest.NewServer(s)
	defer ts.Close()
	if resp, _ := do(t, ts, "PATCH", "/crm/v3/objects/contacts/41", "test-token", `{"properties":{"city":"Oslo"}}`); resp.StatusCode != 200 {
		t.Fatalf("patch: %d", resp.StatusCode)
	}
	if resp, _ := do(t, ts, "POST", "/crm/v3/objects/contacts", "test-token",
		`{"properties":{"email":"b@acme.com"},"associations":[{"to":{"id":"5"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":279}]}]}`); resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	snap := s.Snapshot()
	if len(snap["contacts"]) != 3 || snap["contacts"][2].ID != "42" || snap["contacts"][2].Values["associatedcompanyid"] != "5" {
		t.Fatalf("contacts = %+v", snap["contacts"])
	}
	if snap["deals"][0].Values["associatedcompanyid"] != "5" || !snap["contacts"][0].Archived || snap["contacts"][1].Values["city"] != "Oslo" {
		t.Fatalf("snapshot = %+v", snap)
	}
	s2 := New(Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	for _, obj := range seed.HubSpotObjects {
		must(s2.Load(obj, snap[obj]))
	}
	if again := s2.Snapshot(); !reflect.DeepEqual(again, snap) {
		t.Fatalf("round trip differs:\n%+v\n%+v", again, snap)
	}
}

func errorsAs(err error, target **client.APIError) bool {
	for err != nil {
		if e, ok := err.(*client.APIError); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// A portal restored from a snapshot of records plus its custom property
// definitions keeps unique properties unique, and a record edited after the
// snapshot (a new UpdatedAt, the old lastmodifieddate still among its
// values) is found by a search on its new time.
func TestRestoreKeepsSchemaAndSeededTimes(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	ts := httptest.NewServer(s)
	defer ts.Close()
	if resp, body := do(t, ts, "POST", "/crm/v3/properties/contacts", "test-token",
		`{"name":"crmhub_golden_id","label":"Golden ID","type":"string","fieldType":"text","groupName":"contactinformation","hasUniqueValue":true}`); resp.StatusCode != 201 {
		t.Fatalf("create property: %d %v", resp.StatusCode, body)
	}
	if err := s.Load("contacts", []seed.Record{{ID: "7", Values: map[string]string{"email": "a@acme.test", "crmhub_golden_id": "P1"}}}); err != nil {
		t.Fatal(err)
	}
	props := s.CustomProperties()
	if len(props["contacts"]) != 1 || !props["contacts"][0].HasUniqueValue {
		t.Fatalf("custom properties = %+v", props)
	}
	snap := s.Snapshot()
	edited := t0.Add(48 * time.Hour)
	snap["contacts"][0].UpdatedAt = edited
	snap["contacts"][0].Values["jobtitle"] = "CEO"

	s2 := New(Options{Now: func() time.Time { return edited }})
	if err := s2.DefineProperties("contacts", props["contacts"]); err != nil {
		t.Fatal(err)
	}
	if err := s2.Load("contacts", snap["contacts"]); err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	since := strconv.FormatInt(t0.Add(24*time.Hour).UnixMilli(), 10)
	resp, body := do(t, ts2, "POST", "/crm/v3/objects/contacts/search", "test-token",
		`{"filterGroups":[{"filters":[{"propertyName":"lastmodifieddate","operator":"GTE","value":"`+since+`"}]}]}`)
	if resp.StatusCode != 200 || body["total"] != 1.0 {
		t.Fatalf("search for the record edited after the snapshot: %d %v", resp.StatusCode, body)
	}
	resp, body = do(t, ts2, "POST", "/crm/v3/objects/contacts/batch/upsert", "test-token",
		`{"inputs":[{"id":"P1","idProperty":"crmhub_golden_id","properties":{"phone":"1"}}]}`)
	if res, _ := body["results"].([]any); resp.StatusCode != 200 || len(res) != 1 || res[0].(map[string]any)["id"] != "7" {
		t.Fatalf("upsert on the restored unique property: %d %v", resp.StatusCode, body)
	}
	if err := s2.DefineProperties("widgets", nil); err == nil {
		t.Fatal("unknown object accepted")
	}
}
