package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func TestOAuth(t *testing.T) {
	e := newEnv(t, Options{})
	tests := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"client credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {"test-client"}, "client_secret": {"test-secret"}}, 200, ""},
		{"bad secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {"test-client"}, "client_secret": {"x"}}, 400, "invalid_client"},
		{"password", url.Values{"grant_type": {"password"}, "client_id": {"test-client"}, "client_secret": {"test-secret"},
			"username": {"test-user@example.com"}, "password": {"test-password"}}, 200, ""},
		{"bad password", url.Values{"grant_type": {"password"}, "client_id": {"test-client"}, "client_secret": {"test-secret"},
			"username": {"test-user@example.com"}, "password": {"nope"}}, 400, "invalid_grant"},
		{"unsupported grant", url.Values{"grant_type": {"magic"}}, 400, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.PostForm(e.srv.URL+"/services/oauth2/token", tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode != tc.status || out["error"] != tc.err {
				t.Fatalf("status %d body %v", resp.StatusCode, out)
			}
			if tc.status == 200 && (out["instance_url"] != e.srv.URL || out["token_type"] != "Bearer" ||
				out["access_token"] == "" || out["signature"] == "" || out["issued_at"] == "" || out["id"] == "") {
				t.Fatalf("token answer %v", out)
			}
			if tc.name == "password" {
				resp2, err := http.PostForm(e.srv.URL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"},
					"client_id": {"test-client"}, "client_secret": {"test-secret"}, "refresh_token": {out["refresh_token"]}})
				if err != nil {
					t.Fatal(err)
				}
				resp2.Body.Close()
				if resp2.StatusCode != 200 {
					t.Fatalf("refresh: %d", resp2.StatusCode)
				}
			}
		})
	}
	// Expired token: 401 INVALID_SESSION_ID.
	e.clk.Add(3 * time.Hour)
	st, _, raw := e.do("GET", "/services/data/v62.0/sobjects/Contact/describe", nil)
	if st != 401 || errorCode(raw) != "INVALID_SESSION_ID" {
		t.Fatalf("expired: %d %s", st, raw)
	}
}

func TestDescribe(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.Load("Contact", []seed.Record{{Values: map[string]string{"LastName": "x", "Legacy_Code__c": "7"}}}); err != nil {
		t.Fatal(err)
	}
	st, _, raw := e.do("GET", "/services/data/v58.0/sobjects/Contact/describe", nil)
	if st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	var d struct {
		Name      string           `json:"name"`
		KeyPrefix string           `json:"keyPrefix"`
		Fields    []map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, f := range d.Fields {
		for _, k := range []string{"name", "label", "type", "length", "nillable", "externalId", "unique", "custom", "updateable", "createable", "picklistValues"} {
			if _, ok := f[k]; !ok {
				t.Fatalf("field %v lacks %s", f["name"], k)
			}
		}
		byName[f["name"].(string)] = f
	}
	checks := []struct {
		field, key string
		want       any
	}{
		{"Id", "type", "id"}, {"IsDeleted", "type", "boolean"}, {"SystemModstamp", "type", "datetime"},
		{"LastName", "nillable", false}, {"Email", "type", "email"}, {"AccountId", "type", "reference"},
		{"Birthdate", "type", "date"}, {"Legacy_Code__c", "custom", true}, {"Legacy_Code__c", "type", "string"},
		{"CreatedDate", "updateable", false},
	}
	for _, c := range checks {
		if got := byName[c.field][c.key]; got != c.want {
			t.Errorf("%s.%s = %v, want %v", c.field, c.key, got, c.want)
		}
	}
	if d.Name != "Contact" || d.KeyPrefix != "003" {
		t.Fatalf("describe header %s %s", d.Name, d.KeyPrefix)
	}
	if st, _, _ := e.do("GET", "/services/data/v62.0/sobjects/Nope/describe", nil); st != 404 {
		t.Fatalf("unknown object status %d", st)
	}
}

func TestQueryPagingAndLocators(t *testing.T) {
	e := newEnv(t, Options{})
	recs := make([]seed.Record, 4500)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"LastName": fmt.Sprint("L", i)}}
	}
	if err := e.sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
	st, _, raw := e.do("GET", "/services/data/v62.0/query?q="+url.QueryEscape("SELECT Id FROM Contact"), nil,
		"Sforce-Query-Options", "batchSize=500")
	var page struct {
		TotalSize int    `json:"totalSize"`
		Done      bool   `json:"done"`
		Next      string `json:"nextRecordsUrl"`
		Records   []any  `json:"records"`
	}
	if err := json.Unmarshal(raw, &page); err != nil || st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	if page.TotalSize != 4500 || page.Done || len(page.Records) != 500 || !strings.HasSuffix(page.Next, "-500") {
		t.Fatalf("page: total %d done %v n %d next %s", page.TotalSize, page.Done, len(page.Records), page.Next)
	}
	first := page.Next
	// Eleven more open cursors push the first one out.
	for i := 0; i < 10; i++ {
		e.query("SELECT Id FROM Contact")
	}
	st, _, raw = e.do("GET", first, nil)
	if st != 400 || errorCode(raw) != "INVALID_QUERY_LOCATOR" {
		t.Fatalf("stale locator: %d %s", st, raw)
	}
	st, _, raw = e.do("GET", "/services/data/v62.0/query/01gBOGUS-2000", nil)
	if st != 400 || errorCode(raw) != "INVALID_QUERY_LOCATOR" {
		t.Fatalf("bogus locator: %d %s", st, raw)
	}
}

func TestCollectionsValidation(t *testing.T) {
	e := newEnv(t, Options{})
	body := map[string]any{"allOrNone": false, "records": []map[string]any{
		{"attributes": map[string]string{"type": "Lead"}, "LastName": "Ok", "Company": "Acme", "Email": "ok@example.com"},
		{"attributes": map[string]string{"type": "Lead"}, "LastName": "NoCompany"},
		{"attributes": map[string]string{"type": "Lead"}, "LastName": "x", "Company": "y", "Email": "not-an-email"},
		{"attributes": map[string]string{"type": "Lead"}, "LastName": strings.Repeat("z", 81), "Company": "y"},
		{"attributes": map[string]string{"type": "Lead"}, "LastName": "x", "Company": "y", "Bogus__c": "1"},
		{"attributes": map[string]string{"type": "Lead"}, "LastName": "x", "Company": "y", "CreatedDate": "2020-01-01T00:00:00Z"},
		{"LastName": "no type"},
	}}
	st, _, raw := e.do("POST", "/services/data/v62.0/composite/sobjects", body)
	if st != 200 {
		t.Fatalf("%d %s", st, raw)
	}
	res := decodeResults(t, raw)
	want := []string{"", "REQUIRED_FIELD_MISSING", "INVALID_EMAIL_ADDRESS", "STRING_TOO_LONG", "INVALID_FIELD",
		"INVALID_FIELD_FOR_INSERT_UPDATE", "INVALID_TYPE"}
	for i, w := range want {
		got := ""
		if len(res[i].Errors) > 0 {
			got = res[i].Errors[0].StatusCode
		}
		if got != w || res[i].Success != (w == "") {
			t.Errorf("record %d: %+v, want %s", i, res[i], w)
		}
	}
	if !strings.HasPrefix(res[0].ID, "00Q") || len(res[0].ID) != 18 {
		t.Fatalf("lead id %q", res[0].ID)
	}
	// More than 200 records: the request fails as a whole.
	many := make([]map[string]any, 201)
	for i := range many {
		many[i] = map[string]any{"attributes": map[string]string{"type": "Account"}, "Name": "n"}
	}
	st, _, raw = e.do("POST", "/services/data/v62.0/composite/sobjects", map[string]any{"records": many})
	if st != 400 || errorCode(raw) != "EXCEEDED_ID_LIMIT" {
		t.Fatalf("201 records: %d %s", st, raw)
	}
	ids := make([]string, 201)
	for i := range ids {
		ids[i] = makeID("003", uint64(i+1))
	}
	st, _, raw = e.do("DELETE", "/services/data/v62.0/composite/sobjects?ids="+strings.Join(ids, ","), nil)
	if st != 400 || errorCode(raw) != "EXCEEDED_ID_LIMIT" {
		t.Fatalf("201 deletes: %d %s", st, raw)
	}
}

func TestMalformedJSONNeverPanics(t *testing.T) {
	e := newEnv(t, Options{})
	bodies := []string{"", "{", "[]", "null", `{"records":null}`, `{"records":[null]}`, `{"records":[1,"x"]}`,
		`{"records":[{"attributes":"x"}]}`, `{"records":[{"attributes":{"type":5}}]}`, `{"allOrNone":"yes"}`,
		`{"records":[{"attributes":{"type":"Account"},"Name":{"a":1}}]}`, `{} {}`, "\x00\xff", `{"FullName":5}`}
	paths := []struct{ method, path string }{
		{"POST", "/services/data/v62.0/composite/sobjects"}, {"PATCH", "/services/data/v62.0/composite/sobjects"},
		{"PATCH", "/services/data/v62.0/composite/sobjects/Contact/Email"},
		{"POST", "/services/data/v62.0/sobjects/Account"}, {"POST", "/services/data/v62.0/tooling/sobjects/CustomField"},
	}
	for _, p := range paths {
		for _, b := range bodies {
			st, _, raw := e.do(p.method, p.path, b)
			if st >= 500 {
				t.Errorf("%s %s %q: %d %s", p.method, p.path, b, st, raw)
			}
		}
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, Options{DailyAPILimit: 3})
	for i := 1; i <= 4; i++ {
		st, h, raw := e.do("GET", "/services/data/v62.0/sobjects/Account/describe", nil)
		wantUsage := fmt.Sprintf("api-usage=%d/3", min(i, 3))
		if h.Get("Sforce-Limit-Info") != wantUsage {
			t.Fatalf("call %d: header %q, want %q", i, h.Get("Sforce-Limit-Info"), wantUsage)
		}
		if i <= 3 && st != 200 {
			t.Fatalf("call %d: %d", i, st)
		}
		if i == 4 && (st != 403 || errorCode(raw) != "REQUEST_LIMIT_EXCEEDED") {
			t.Fatalf("over limit: %d %s", st, raw)
		}
	}
	if e.sim.Calls()["describe"] != 4 || e.sim.Calls()["token"] != 1 {
		t.Fatalf("calls %v", e.sim.Calls())
	}
	e.clk.Add(24 * time.Hour)
	e.token = e.login()
	if st, _, _ := e.do("GET", "/services/data/v62.0/sobjects/Account/describe", nil); st != 200 {
		t.Fatalf("next day: %d", st)
	}
}

func TestSnapshotLoadRoundTrip(t *testing.T) {
	e := newEnv(t, Options{})
	created := time.Date(2025, 5, 1, 8, 30, 0, 123456789, time.UTC)
	if err := e.sim.Load("Account", []seed.Record{
		{ID: "001000000000001AAA", Values: map[string]string{"Name": "Acme", "AnnualRevenue": "5e7", "Custom__c": "c"}, CreatedAt: created, UpdatedAt: created},
		{Values: map[string]string{"Name": "Gone"}, Archived: true},
		{Values: map[string]string{"Website": "legacy-without-name"}},
	}); err != nil {
		t.Fatal(err)
	}
	st, _, raw := e.do("PATCH", "/services/data/v62.0/sobjects/Account/001000000000001AAA", map[string]any{"Phone": "+1 555"})
	if st != 204 {
		t.Fatalf("patch: %d %s", st, raw)
	}
	snap := e.sim.Snapshot()
	other := New(Options{Now: e.clk.Now})
	for obj, recs := range snap {
		if err := other.Load(obj, recs); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(snap, other.Snapshot()) {
		t.Fatalf("round trip differs:\n%v\n%v", snap, other.Snapshot())
	}
	acc := snap["Account"]
	if len(acc) != 3 || !acc[1].Archived || acc[0].Values["Phone"] != "+1 555" || !acc[0].CreatedAt.Equal(created) ||
		!acc[0].UpdatedAt.After(created) || !strings.HasPrefix(acc[1].ID, "001") {
		t.Fatalf("snapshot %+v", acc)
	}
	if err := e.sim.Load("Nope", nil); err == nil {
		t.Fatal("unknown object loaded")
	}
	// Seeded numbers render as JSON numbers the way Salesforce prints doubles.
	_, out, raw := e.query("SELECT AnnualRevenue FROM Account WHERE Name = 'Acme'")
	if !strings.Contains(string(raw), `"AnnualRevenue":5.0E7`) {
		t.Fatalf("number rendering: %s (%v)", raw, out)
	}
}

// An org restored from a snapshot plus its custom field definitions keeps
// External ID fields: a GET by the external id finds the restored record.
// Records alone bring the field back as plain text.
func TestRestoreKeepsCustomFields(t *testing.T) {
	e := newEnv(t, Options{})
	const base = "/services/data/v62.0"
	st, _, raw := e.do("POST", base+"/tooling/sobjects/CustomField", map[string]any{
		"FullName": "Lead.Crmhub_Golden_Id__c", "Metadata": map[string]any{"label": "Golden", "type": "Text", "length": 64, "externalId": true, "unique": true}})
	if st != 201 {
		t.Fatalf("custom field: %d %s", st, raw)
	}
	if err := e.sim.Load("Lead", []seed.Record{{ID: "00Q000000000001AAA", Values: map[string]string{"LastName": "Ng", "Company": "X", "Crmhub_Golden_Id__c": "P1"}}}); err != nil {
		t.Fatal(err)
	}
	fields := e.sim.CustomFields()
	if len(fields["Lead"]) != 1 || !fields["Lead"][0].ExternalID || !fields["Lead"][0].Unique || fields["Lead"][0].Length != 64 {
		t.Fatalf("custom fields = %+v", fields)
	}
	snap := e.sim.Snapshot()
	for _, define := range []bool{false, true} {
		e2 := newEnv(t, Options{})
		if define {
			if err := e2.sim.DefineFields("Lead", fields["Lead"]); err != nil {
				t.Fatal(err)
			}
		}
		if err := e2.sim.Load("Lead", snap["Lead"]); err != nil {
			t.Fatal(err)
		}
		st, _, raw := e2.do("GET", base+"/sobjects/Lead/Crmhub_Golden_Id__c/P1", nil)
		if define && st != 200 {
			t.Fatalf("restored with definitions: GET by external id: %d %s", st, raw)
		}
		if !define && st == 200 {
			t.Fatalf("restored from records alone, the field is still an External ID: %s", raw)
		}
	}
	if err := e.sim.DefineFields("Nope", nil); err == nil {
		t.Fatal("unknown object accepted")
	}
}
