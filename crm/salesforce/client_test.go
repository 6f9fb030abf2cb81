package salesforce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	sim    *simsf.Server
	srv    *httptest.Server
	client *Client
	clk    *clock
}

func newFixture(t *testing.T, opts simsf.Options, wrap func(http.Handler) http.Handler) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts.Now = clk.Now
	sim := simsf.New(opts)
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{LoginURL: srv.URL, ClientID: "test-client", ClientSecret: "test-secret",
		HTTPClient: srv.Client(), RetryBaseDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sim: sim, srv: srv, client: c, clk: clk}
}

func (f *fixture) loadContacts(t *testing.T, n int) {
	t.Helper()
	recs := make([]seed.Record, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"LastName": fmt.Sprintf("Last%05d", i),
			"Email": fmt.Sprintf("p%d@example.com", i)}, CreatedAt: base, UpdatedAt: base.Add(time.Duration(i%50) * time.Minute)}
	}
	if err := f.sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
}

func queryAll(t *testing.T, c *Client, soql string, opts QueryOptions) []Record {
	t.Helper()
	var out []Record
	err := c.Query(context.Background(), soql, opts, func(recs []Record) error {
		out = append(out, recs...)
		return nil
	})
	if err != nil {
		t.Fatalf("query %q: %v", soql, err)
	}
	return out
}

func TestConfigValidation(t *testing.T) {
	tests := []Config{
		{ClientID: "a"},
		{ClientID: "a", ClientSecret: "b", LoginURL: "ftp://x"},
		{ClientID: "a", ClientSecret: "b", APIVersion: "62"},
	}
	for _, cfg := range tests {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestAuthAndReauth(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	if _, err := f.client.Describe(ctx, "Contact"); err != nil {
		t.Fatal(err)
	}
	// The session expires: the client logs in again and retries once.
	f.clk.Add(3 * time.Hour)
	if _, err := f.client.Describe(ctx, "Contact"); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	f.sim.ExpireSessions()
	if _, err := f.client.Describe(ctx, "Account"); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if got := f.sim.Calls()["token"]; got != 3 {
		t.Fatalf("token calls = %d, want 3", got)
	}
	bad, err := New(Config{LoginURL: f.srv.URL, ClientID: "test-client", ClientSecret: "wrong", HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Describe(ctx, "Contact")
	var apiErr *APIError
	if !errors.Is(err, ErrAuth) || !errors.As(err, &apiErr) || apiErr.Code != "invalid_client" {
		t.Fatalf("bad secret: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("error text leaks the secret")
	}
}

func TestQueryPaging(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	f.loadContacts(t, 5000)
	var batches []int
	seen := map[string]bool{}
	err := f.client.Query(context.Background(), "SELECT Id, LastName FROM Contact", QueryOptions{}, func(recs []Record) error {
		batches = append(batches, len(recs))
		for _, r := range recs {
			if _, has := r["attributes"]; has {
				t.Fatal("attributes not removed")
			}
			seen[r["Id"].(string)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(batches) != "[2000 2000 1000]" || len(seen) != 5000 {
		t.Fatalf("batches %v, distinct %d", batches, len(seen))
	}
	if got := f.client.Calls()["queryMore"].Count; got != 2 {
		t.Fatalf("queryMore calls %d", got)
	}
	recs := queryAll(t, f.client, "SELECT Id FROM Contact", QueryOptions{BatchSize: 300})
	if len(recs) != 5000 || f.client.Calls()["queryMore"].Count != 2+16 {
		t.Fatalf("batchSize 300: %d records, calls %+v", len(recs), f.client.Calls())
	}
	stop := errors.New("stop")
	if err := f.client.Query(context.Background(), "SELECT Id FROM Contact", QueryOptions{}, func([]Record) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error: %v", err)
	}
}

func TestQueryErrors(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	err := f.client.Query(context.Background(), "SELECT Id FRM Contact", QueryOptions{}, func([]Record) error { return nil })
	if !errors.Is(err, ErrMalformedQuery) {
		t.Fatalf("malformed: %v", err)
	}
	err = f.client.Query(context.Background(), "SELECT Nope FROM Contact", QueryOptions{}, func([]Record) error { return nil })
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "INVALID_FIELD" || apiErr.Status != 400 ||
		!strings.Contains(apiErr.Message, "No such column 'Nope' on entity 'Contact'") {
		t.Fatalf("invalid field: %v", err)
	}
	if got := f.client.Calls()["query"]; got.Retries != 0 || got.Errors != 2 {
		t.Fatalf("4xx must not be retried: %+v", got)
	}
}

func TestIncrementalWindowAndQuoting(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	f.loadContacts(t, 100)
	ctx := context.Background()
	since := time.Date(2026, 1, 1, 0, 45, 0, 0, time.UTC)
	soql := "SELECT Id, SystemModstamp FROM Contact WHERE SystemModstamp >= " + FormatDateTime(since) + " ORDER BY SystemModstamp, Id"
	recs := queryAll(t, f.client, soql, QueryOptions{})
	if len(recs) != 10 { // minutes 45..49, twice each
		t.Fatalf("window: %d records", len(recs))
	}
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1]["SystemModstamp"].(string), recs[i]["SystemModstamp"].(string)
		if a > b || (a == b && recs[i-1]["Id"].(string) >= recs[i]["Id"].(string)) {
			t.Fatalf("not ordered at %d: %v %v", i, recs[i-1], recs[i])
		}
	}
	// Writes bump SystemModstamp past every earlier value.
	res, err := f.client.Create(ctx, "Contact", []Record{{"LastName": `O'Brien \ "quoted"`}}, false)
	if err != nil || !res[0].Success {
		t.Fatalf("create: %v %+v", err, res)
	}
	got := queryAll(t, f.client, "SELECT Id, LastName, SystemModstamp FROM Contact WHERE LastName = "+QuoteString(`O'Brien \ "quoted"`), QueryOptions{})
	if len(got) != 1 || got[0]["Id"] != res[0].ID || got[0]["SystemModstamp"].(string) < "2026-03-01T12:00:00.000+0000" {
		t.Fatalf("quoted lookup: %v", got)
	}
}

func TestQueryAllShowsDeleted(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	res, err := f.client.Create(ctx, "Account", []Record{{"Name": "A"}, {"Name": "B"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	del, err := f.client.Delete(ctx, []string{res[0].ID, "001000000000000AAA"}, false)
	if err != nil || !del[0].Success || del[1].Success || del[1].Errors[0].StatusCode != "INVALID_CROSS_REFERENCE_KEY" {
		t.Fatalf("delete: %v %+v", err, del)
	}
	live := queryAll(t, f.client, "SELECT Id, IsDeleted FROM Account", QueryOptions{})
	all := queryAll(t, f.client, "SELECT Id, IsDeleted FROM Account", QueryOptions{All: true})
	if len(live) != 1 || len(all) != 2 {
		t.Fatalf("live %v all %v", live, all)
	}
	for _, r := range all {
		if (r["Id"] == res[0].ID) != (r["IsDeleted"] == true) {
			t.Fatalf("IsDeleted wrong: %v", r)
		}
	}
}

func TestCollections(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	res, err := f.client.Create(ctx, "Contact", []Record{
		{"LastName": "Ok", "Email": "ok@example.com"},
		{"FirstName": "NoLast"},
		{"LastName": "BadMail", "Email": "nope"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Success || res[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" ||
		res[1].Errors[0].Fields[0] != "LastName" || res[2].Errors[0].StatusCode != "INVALID_EMAIL_ADDRESS" {
		t.Fatalf("partial create: %+v", res)
	}
	// allOrNone: one failure rolls back the others.
	res, err = f.client.Create(ctx, "Contact", []Record{{"LastName": "Rolled"}, {"Email": "x@example.com"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Success || res[0].Errors[0].StatusCode != "ALL_OR_NONE_OPERATION_ROLLED_BACK" ||
		res[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" {
		t.Fatalf("allOrNone: %+v", res)
	}
	if n := len(queryAll(t, f.client, "SELECT Id FROM Contact WHERE LastName = 'Rolled'", QueryOptions{})); n != 0 {
		t.Fatalf("rolled back record persisted (%d)", n)
	}
	first := queryAll(t, f.client, "SELECT Id FROM Contact WHERE LastName = 'Ok'", QueryOptions{})[0]["Id"].(string)
	upd, err := f.client.Update(ctx, "Contact", []Record{
		{"Id": first, "Title": "CEO", "NumberOfEmployees": 5},
		{"Id": first, "Title": strings.Repeat("t", 200)},
		{"Title": "no id"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if upd[0].Success || upd[0].Errors[0].StatusCode != "INVALID_FIELD" ||
		upd[1].Errors[0].StatusCode != "STRING_TOO_LONG" || upd[2].Errors[0].StatusCode != "MISSING_ARGUMENT" {
		t.Fatalf("update: %+v", upd)
	}
	upd, err = f.client.Update(ctx, "Contact", []Record{{"Id": first, "Title": "CEO", "Birthdate": "1980-02-29"}}, true)
	if err != nil || !upd[0].Success || upd[0].ID != first {
		t.Fatalf("update ok: %v %+v", err, upd)
	}
	got := queryAll(t, f.client, "SELECT Title, Birthdate FROM Contact WHERE Id = "+QuoteString(first), QueryOptions{})
	if got[0]["Title"] != "CEO" || got[0]["Birthdate"] != "1980-02-29" {
		t.Fatalf("after update: %v", got)
	}
	// More than 200 records is refused before any call.
	_, err = f.client.Create(ctx, "Contact", make([]Record, 201), false)
	if !errors.Is(err, ErrTooManyRecords) {
		t.Fatalf("201 records: %v", err)
	}
}

func TestCustomFieldUpsert(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	if err := f.client.CreateCustomField(ctx, "Contact", "HubSpot_Id", "HubSpot Id", 64, true, true); err != nil {
		t.Fatal(err)
	}
	var apiErr *APIError
	if err := f.client.CreateCustomField(ctx, "Contact", "HubSpot_Id__c", "again", 64, true, true); !errors.As(err, &apiErr) ||
		apiErr.Code != "DUPLICATE_DEVELOPER_NAME" {
		t.Fatalf("duplicate field: %v", err)
	}
	d, err := f.client.Describe(ctx, "Contact")
	if err != nil {
		t.Fatal(err)
	}
	if fd := d.Field("hubspot_id__c"); fd == nil || !fd.ExternalID || !fd.Unique || !fd.Custom || fd.Length != 64 || fd.Type != "string" {
		t.Fatalf("describe of new field: %+v", fd)
	}
	res, err := f.client.Upsert(ctx, "Contact", "HubSpot_Id__c", []Record{
		{"HubSpot_Id__c": "h1", "LastName": "One"},
		{"HubSpot_Id__c": "h2", "LastName": "Two"},
	}, false)
	if err != nil || !res[0].Success || !res[0].Created || !res[1].Created {
		t.Fatalf("first upsert: %v %+v", err, res)
	}
	res2, err := f.client.Upsert(ctx, "Contact", "HubSpot_Id__c", []Record{
		{"HubSpot_Id__c": "H1", "Title": "updated"},
		{"HubSpot_Id__c": "h3"},
		{"HubSpot_Id__c": "h4", "LastName": "Four"},
		{"HubSpot_Id__c": "h4", "LastName": "Four again"},
		{"LastName": "no key"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res2[0].Success || res2[0].Created || res2[0].ID != res[0].ID ||
		res2[1].Errors[0].StatusCode != "REQUIRED_FIELD_MISSING" ||
		res2[2].Errors[0].StatusCode != "DUPLICATE_VALUE" || res2[3].Errors[0].StatusCode != "DUPLICATE_VALUE" ||
		res2[4].Errors[0].StatusCode != "MISSING_ARGUMENT" {
		t.Fatalf("second upsert: %+v", res2)
	}
	// Unique field: a plain create with an existing value fails.
	cr, err := f.client.Create(ctx, "Contact", []Record{{"LastName": "Dup", "HubSpot_Id__c": "h2"}}, false)
	if err != nil || cr[0].Success || cr[0].Errors[0].StatusCode != "DUPLICATE_VALUE" {
		t.Fatalf("unique: %v %+v", err, cr)
	}
	// Upsert on a field that is not an external id.
	if _, err := f.client.Upsert(ctx, "Contact", "Email", []Record{{"Email": "a@b.co"}}, false); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Fatalf("non external id: %v", err)
	}
}

func TestDuplicateExternalIDFromSeed(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx := context.Background()
	if err := f.client.CreateCustomField(ctx, "Account", "Ext_Id__c", "Ext", 32, true, false); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.Load("Account", []seed.Record{{Values: map[string]string{"Name": "a", "Ext_Id__c": "X"}},
		{Values: map[string]string{"Name": "b", "Ext_Id__c": "x"}}}); err != nil {
		t.Fatal(err)
	}
	res, err := f.client.Upsert(ctx, "Account", "Ext_Id__c", []Record{{"Ext_Id__c": "X", "Name": "c"}}, false)
	if err != nil || res[0].Success || res[0].Errors[0].StatusCode != "DUPLICATE_EXTERNAL_ID" {
		t.Fatalf("duplicate external id: %v %+v", err, res)
	}
}

func TestLimitsAndUsage(t *testing.T) {
	f := newFixture(t, simsf.Options{DailyAPILimit: 2}, nil)
	ctx := context.Background()
	if _, err := f.client.Describe(ctx, "Lead"); err != nil {
		t.Fatal(err)
	}
	if u, m := f.client.Usage(); u != 1 || m != 2 {
		t.Fatalf("usage %d/%d", u, m)
	}
	if _, err := f.client.Describe(ctx, "Lead"); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.Describe(ctx, "Lead")
	if !errors.Is(err, ErrLimitExceeded) {
		t.Fatalf("over limit: %v", err)
	}
	if st := f.client.Calls()["describe"]; st.Count != 3 || st.Errors != 1 || st.Retries != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRetries(t *testing.T) {
	var failures atomic.Int32
	failures.Store(2)
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/describe") && failures.Add(-1) >= 0 {
				if failures.Load() == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW"}]`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	f := newFixture(t, simsf.Options{}, wrap)
	if _, err := f.client.Describe(context.Background(), "Opportunity"); err != nil {
		t.Fatal(err)
	}
	if st := f.client.Calls()["describe"]; st.Retries != 2 || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCancelledContext(t *testing.T) {
	f := newFixture(t, simsf.Options{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.client.Describe(ctx, "Contact"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}
