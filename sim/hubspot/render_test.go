package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func TestAppendISOMillis(t *testing.T) {
	check := func(ms int64) {
		t.Helper()
		want := time.UnixMilli(ms).UTC().Format(isoLayout)
		if got := isoMillis(ms); got != want {
			t.Fatalf("isoMillis(%d) = %s, want %s", ms, got, want)
		}
	}
	for _, ms := range []int64{0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 4_107_542_399_999,
		maxFastMs - 1, maxFastMs, -1, -62135596800000, time.Date(2024, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()} {
		check(ms)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		check(rng.Int64N(maxFastMs + 1000))
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "plain", `q"uote\back`, "<a href='x'>&amp;</a>", "\b\f\n\r\t\x00\x01\x1f\x7f",
		"caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf8 \xe2\x82", "tab\tend"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20_000 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

// TestAppendRecordMatchesEncodingJSON checks the fast page encoder against
// encoding/json on the apiObject the other endpoints render.
func TestAppendRecordMatchesEncodingJSON(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Load("contacts", []seed.Record{
		{ID: "1", Values: map[string]string{"email": "a@x.com", "firstname": "A<b>&\u2028", "custom_prop": "c"}, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0},
		{ID: "2", Values: map[string]string{"lastname": "Bad \xff", "phone": ""}, Archived: true},
		{ID: "3", Values: map[string]string{}},
	}))
	st := s.stores[0]
	for _, names := range [][]string{nil, {"email", "email", "firstname", "nope", "custom_prop", "createdate"}, {"lastname", "phone", "hs_object_id"}} {
		pn := propNames(0, names)
		plan := st.plan(pn)
		for _, rec := range st.order {
			want, _ := json.Marshal(st.render(rec, pn))
			got := append(plan.appendRecord(nil, rec), '}')
			if string(got) != string(want) {
				t.Fatalf("names %v record %d:\n got %s\nwant %s", names, rec.id, got, want)
			}
		}
	}
}

// TestPageBodiesMatchEncodingJSON compares whole list and search bodies with
// what encoding/json writes for the same page built as maps (the encoding
// the simulator used before pages were rendered by hand).
func TestPageBodiesMatchEncodingJSON(t *testing.T) {
	now := t0
	s := New(Options{Now: func() time.Time { return now }})
	var recs []seed.Record
	for i := range 30 {
		recs = append(recs, seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@x.com", i), "firstname": "F&<" + fmt.Sprint(i),
			"associatedcompanyid": "1"}, Archived: i%7 == 3})
	}
	if err := s.Load("companies", []seed.Record{{ID: "1", Values: map[string]string{"name": "Acme"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	now = t0.Add(time.Minute)
	do(t, ts, "PATCH", "/crm/v3/objects/contacts/2", "test-token", `{"properties":{"firstname":"G"}}`)

	get := func(method, path, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	encode := func(v any) string {
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(v)
		return buf.String()
	}
	st := s.stores[0]
	for _, tc := range []struct {
		query    string
		archived bool
		hist     []string
		to       []int
	}{
		{query: "limit=5&after=3&properties=email,firstname", to: nil},
		{query: "limit=4&archived=true", archived: true},
		{query: "limit=3&after=2&propertiesWithHistory=firstname&associations=companies", hist: []string{"firstname"}, to: []int{1}},
		{query: "limit=100"},
	} {
		got := get("GET", "/crm/v3/objects/contacts?"+tc.query, "")
		q, _ := url.ParseQuery(tc.query)
		limit, _ := strconv.Atoi(q.Get("limit"))
		after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
		names := propNames(0, splitList(q["properties"]))
		var results []apiObject
		next := uint64(0)
		for _, rec := range st.order {
			if rec.id < after || rec.archived != tc.archived {
				continue
			}
			if len(results) == limit {
				next = rec.id
				break
			}
			o := st.render(rec, names)
			if len(tc.hist) > 0 {
				o.PropertiesWithHistory = st.renderHistory(rec, tc.hist, s.appID)
			}
			s.withAssociations(&o, 0, rec.id, tc.to)
			results = append(results, o)
		}
		body := map[string]any{"results": results}
		if next != 0 {
			q.Set("after", strconv.FormatUint(next, 10))
			body["paging"] = map[string]any{"next": map[string]string{"after": strconv.FormatUint(next, 10),
				"link": ts.URL + "/crm/v3/objects/contacts?" + q.Encode()}}
		}
		if (tc.to != nil && !strings.Contains(got, `"associations":{"companies"`)) || (tc.hist != nil && !strings.Contains(got, `"propertiesWithHistory":{"firstname"`)) {
			t.Fatalf("list %s: no associations or history in %s", tc.query, got)
		}
		if want := encode(body); got != want {
			t.Fatalf("list %s:\n got %s\nwant %s", tc.query, got, want)
		}
	}

	got := get("POST", "/crm/v3/objects/contacts/search", `{"limit":4,"after":"2","properties":["email"]}`)
	var page []apiObject
	live := 0
	for _, rec := range st.order {
		if rec.archived {
			continue
		}
		if live >= 2 && live < 6 {
			page = append(page, st.render(rec, propNames(0, []string{"email"})))
		}
		live++
	}
	want := encode(map[string]any{"total": live, "results": page, "paging": map[string]any{"next": map[string]string{"after": "6"}}})
	if got != want {
		t.Fatalf("search:\n got %s\nwant %s", got, want)
	}
}

func TestParseISOMillis(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		ms := rng.Int64N(maxFastMs)
		v := isoMillis(ms)
		if got, ok := parseISOMillis(v); !ok || got != ms {
			t.Fatalf("parseISOMillis(%s) = %d %v, want %d", v, got, ok, ms)
		}
	}
	for _, v := range []string{"2026-02-29T00:00:00.000Z", "2024-02-30T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-01-01T24:00:00.000Z",
		"1969-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000+", "2026-01-01 00:00:00.000Z", "2026-0a-01T00:00:00.000Z"} {
		if _, ok := parseISOMillis(v); ok {
			t.Errorf("parseISOMillis(%q) accepted", v)
		}
	}
	for _, v := range []string{"2024-02-29T10:11:12.345Z", "1700000000000", "-5", "+7", "2026-03-01", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00.123456+02:00", "x", "12a"} {
		got, ok := parseMillis(v)
		want, wok := int64(0), false
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			want, wok = ms, true
		} else if tm, err := time.Parse(time.RFC3339Nano, v); err == nil {
			want, wok = tm.UnixMilli(), true
		} else if tm, err := time.Parse("2006-01-02", v); err == nil {
			want, wok = tm.UnixMilli(), true
		}
		if got != want || ok != wok {
			t.Errorf("parseMillis(%q) = %d %v, want %d %v", v, got, ok, want, wok)
		}
	}
}

// TestSearchPagesSeeWrites: the matches a search keeps for its next pages
// are dropped by any write, and an hs_object_id bound only skips records
// that cannot match.
func TestSearchPagesSeeWrites(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	var recs []seed.Record
	for i := range 10 {
		recs = append(recs, seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@x.com", i), "city": "Lyon"}})
	}
	if err := s.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	search := func(after int) map[string]any {
		t.Helper()
		_, body := do(t, ts, "POST", "/crm/v3/objects/contacts/search", "test-token", fmt.Sprintf(
			`{"filterGroups":[{"filters":[{"propertyName":"city","operator":"EQ","value":"lyon"},{"propertyName":"hs_object_id","operator":"GT","value":"2.5"}]},
			  {"filters":[{"propertyName":"hs_object_id","operator":"GTE","value":"9"}]}],
			  "sorts":["hs_object_id"],"limit":3,"after":%d}`, after))
		return body
	}
	ids := func(b map[string]any) (out []string) {
		for _, r := range b["results"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	first := search(0)
	if fmt.Sprint(ids(first), first["total"]) != "[3 4 5] 8" {
		t.Fatalf("first page %v total %v", ids(first), first["total"])
	}
	do(t, ts, "PATCH", "/crm/v3/objects/contacts/6", "test-token", `{"properties":{"city":"Oslo"}}`)
	second := search(3)
	if fmt.Sprint(ids(second), second["total"]) != "[7 8 9] 7" {
		t.Fatalf("second page after a write %v total %v", ids(second), second["total"])
	}
}
