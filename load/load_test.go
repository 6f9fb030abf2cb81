package load

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// writeOutbox writes the rows of query to a Parquet file with DuckDB.
func writeOutbox(t *testing.T, query string) string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	path := filepath.Join(t.TempDir(), "outbox.parquet")
	if _, err := db.Exec("COPY (" + query + ") TO '" + path + "' (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadOutbox(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		query string
		want  []Change
	}{
		{"grouped per record and sorted", `SELECT * FROM (VALUES
			('salesforce', 'Contact', '003B', 'g2', 'Email', 'b@x.com'),
			('hubspot', 'contacts', '20', 'g2', 'email', 'b@x.com'),
			('hubspot', 'contacts', '3', 'g1', 'firstname', 'Zoë'),
			('salesforce', 'Contact', '003B', 'g2', 'crmhub_hubspot_id__c', '20'),
			('hubspot', 'companies', '7', 'g9', 'name', 'Acme'),
			('hubspot', 'contacts', '3', 'g1', 'email', ''),
			('salesforce', 'Account', '001A', 'g9', 'Name', 'Acme')
		) t(system, object, record_id, golden_id, crm_field, new_value)`, []Change{
			{System: "hubspot", Object: "companies", RecordID: "7", GoldenID: "g9", Values: map[string]string{"name": "Acme"}, Kind: KindUpdate},
			{System: "hubspot", Object: "contacts", RecordID: "20", GoldenID: "g2", Values: map[string]string{"email": "b@x.com"}, Kind: KindUpdate},
			{System: "hubspot", Object: "contacts", RecordID: "3", GoldenID: "g1", Values: map[string]string{"firstname": "Zoë", "email": ""}, Kind: KindUpdate},
			{System: "salesforce", Object: "Account", RecordID: "001A", GoldenID: "g9", Values: map[string]string{"Name": "Acme"}, Kind: KindUpdate},
			{System: "salesforce", Object: "Contact", RecordID: "003B", GoldenID: "g2", Values: map[string]string{"Email": "b@x.com", "crmhub_hubspot_id__c": "20"}, Kind: KindUpdate},
		}},
		// The models decide the column order and may add columns.
		{"columns in another order, with extras", `SELECT 'set' AS reason, 'x@y.z' AS new_value, 'email' AS crm_field, 1 AS n,
			'g1' AS golden_id, '5' AS record_id, 'contacts' AS object, 'hubspot' AS system`, []Change{
			{System: "hubspot", Object: "contacts", RecordID: "5", GoldenID: "g1", Values: map[string]string{"email": "x@y.z"}, Kind: KindUpdate},
		}},
		// kinds and write-backs: a create names where its id goes; a
		// record's rows can sit in different Arrow batches (64 Ki rows)
		{"kinds, back references and a record across batches", `SELECT * FROM (
			SELECT 'salesforce' AS system, 'Contact' AS object, 'new:g1' AS record_id, 'g1' AS golden_id, 'LastName' AS crm_field,
			       'Smith' AS new_value, 'create' AS kind, 'contacts' AS backref_object, '7' AS backref_record_id,
			       'crmhub_salesforce_id' AS backref_field, 0 AS o
			UNION ALL SELECT 'hubspot', 'contacts', 'filler', 'g0', 'f' || i, 'v', 'field', NULL, NULL, NULL, i FROM range(1, 70000) r(i)
			UNION ALL SELECT 'salesforce', 'Contact', 'new:g1', 'g1', 'Email', 'a@b.co', 'create', 'contacts', '7', 'crmhub_salesforce_id', 70000
			UNION ALL SELECT 'hubspot', 'contacts', '9', 'g2', '_archive', 'true', 'archive', NULL, NULL, NULL, 70001
		) ORDER BY o`, nil},
		{"empty outbox", `SELECT 'hubspot' AS system, 'contacts' AS object, '1' AS record_id, 'g' AS golden_id, 'email' AS crm_field, 'v' AS new_value WHERE false`, []Change{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadOutbox(ctx, writeOutbox(t, tc.query))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil { // the case with 70,000 filler fields
				// (digits sort before letters: the filler is second)
				if len(got) != 3 || got[1].RecordID != "filler" || len(got[1].Values) != 69999 {
					t.Fatalf("ReadOutbox: %d changes, want 3, the filler with 69999 fields second", len(got))
				}
				got = slices.Delete(got, 1, 2)
				tc.want = []Change{
					{System: "hubspot", Object: "contacts", RecordID: "9", GoldenID: "g2", Values: map[string]string{"_archive": "true"}, Kind: KindArchive},
					{System: "salesforce", Object: "Contact", RecordID: "new:g1", GoldenID: "g1", Values: map[string]string{"LastName": "Smith", "Email": "a@b.co"},
						Kind: KindCreate, BackRef: &BackRef{System: "hubspot", Object: "contacts", RecordID: "7", Field: "crmhub_salesforce_id"}},
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadOutbox =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestReadOutboxRejects(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		query string
		want  string
	}{
		{"missing column", `SELECT 'hubspot' AS system, 'contacts' AS object, '1' AS record_id, 'email' AS crm_field, 'v' AS new_value`, "column golden_id missing"},
		{"wrong type", `SELECT 'hubspot' AS system, 'contacts' AS object, 1 AS record_id, 'g' AS golden_id, 'email' AS crm_field, 'v' AS new_value`, "column record_id is int"},
		// The null sits past the first Arrow batch: its row number counts
		// from the start of the file.
		{"null field far in", `SELECT 'hubspot' AS system, 'contacts' AS object, i::VARCHAR AS record_id, 'g' AS golden_id,
			CASE WHEN i = 70000 THEN NULL ELSE 'email' END AS crm_field, 'v' AS new_value FROM range(1, 70001) r(i)`, "row 70000 lacks system, record_id or crm_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeOutbox(t, tc.query)
			_, err := ReadOutbox(ctx, path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error = %v, want %q naming the file", err, tc.want)
			}
		})
	}
	if _, err := ReadOutbox(ctx, filepath.Join(t.TempDir(), "absent.parquet")); err == nil {
		t.Fatal("reading a missing outbox succeeded")
	}
}

func changes(system, object string, n int) []Change {
	out := make([]Change, n)
	for i := range out {
		out[i] = Change{System: system, Object: object, RecordID: fmt.Sprintf("%s-%03d", object, i), Values: map[string]string{"f": "v", "g": "w"}}
	}
	return out
}

func TestGuardCheck(t *testing.T) {
	hs := changes("hubspot", "contacts", 30)
	sf := changes("salesforce", "Contact", 5)
	all := append(slices.Clone(hs), sf...)
	totals := map[string]int64{"hubspot": 100, "salesforce": 1000}
	for _, tc := range []struct {
		name  string
		guard Guard
		ch    []Change
		tot   map[string]int64
		want  []string // fragments; nil means it passes
	}{
		{"within both limits", Guard{MaxShare: 0.5, MaxCount: 100}, all, totals, nil},
		{"at the share limit", Guard{MaxShare: 0.3, MaxCount: 100}, all, totals, nil},
		{"above share", Guard{MaxShare: 0.1, MaxCount: 1000}, all, totals,
			[]string{"hubspot: 30 of 100 records would be updated, above the limit of 10 (max_update_share 10%, max_updates 1000)"}},
		{"above count", Guard{MaxShare: 1, MaxCount: 20}, all, totals,
			[]string{"hubspot: 30 of 100 records would be updated, above the limit of 20"}},
		{"both systems", Guard{MaxShare: 0.001, MaxCount: 1000}, all, totals,
			[]string{"hubspot: 30 of 100", "salesforce: 5 of 1000 records would be updated, above the limit of 1"}},
		{"no total known", Guard{MaxShare: 0.5, MaxCount: 100}, sf, map[string]int64{}, []string{"salesforce: 5 of 0 records"}},
		{"approved", Guard{MaxShare: 0.001, MaxCount: 1, Approved: true, Reason: "migration"}, all, totals, nil},
		{"nothing to do", Guard{}, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.guard.Check(tc.ch, tc.tot)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrGuard) {
				t.Fatalf("error = %v, want ErrGuard", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), "--approve") {
				t.Errorf("error %q does not say how to approve", err)
			}
		})
	}
}

// recorder is a Target that records its calls; it refuses the records
// listed in refuse and fails whole batches from failAt on.
type recorder struct {
	system  string
	size    int
	refuse  map[string]bool
	failAt  int // batch number (1-based) that fails as a whole; 0 never
	batches []string
	fields  map[string][]string
}

func (r *recorder) System() string { return r.system }
func (r *recorder) BatchSize() int { return r.size }
func (r *recorder) Prepare(ctx context.Context, fields map[string][]string) error {
	r.fields = map[string][]string{}
	for obj, fs := range fields {
		r.fields[obj] = slices.Sorted(slices.Values(fs))
	}
	return nil
}
func (r *recorder) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	ids := make([]string, len(batch))
	var errs []RecordError
	for i, c := range batch {
		if c.Object != object || c.System != r.system {
			return nil, fmt.Errorf("batch for %s holds %s/%s", object, c.System, c.Object)
		}
		ids[i] = c.RecordID
		if r.refuse[c.RecordID] {
			errs = append(errs, RecordError{System: r.system, Object: object, RecordID: c.RecordID, Code: "INVALID_EMAIL", Message: "bad email"})
		}
	}
	r.batches = append(r.batches, object+":"+strings.Join(ids, ","))
	if len(r.batches) == r.failAt {
		return nil, errors.New("503 service unavailable")
	}
	return errs, nil
}

func TestRunBatches(t *testing.T) {
	ctx := context.Background()
	var in []Change
	in = append(in, changes("hubspot", "companies", 2)...)
	in = append(in, changes("hubspot", "contacts", 5)...)
	in = append(in, changes("salesforce", "Contact", 3)...)
	in[3].Values = map[string]string{"email": "x"}
	hs := &recorder{system: "hubspot", size: 2, refuse: map[string]bool{"contacts-001": true, "contacts-004": true}}
	sf := &recorder{system: "salesforce", size: 200}
	var progress []string
	res, err := Run(ctx, in, Options{
		Targets: []Target{hs, sf},
		Logger:  slog.New(slog.DiscardHandler),
		Guard:   Guard{MaxShare: 1, MaxCount: 100},
		Totals:  map[string]int64{"hubspot": 10, "salesforce": 10},
		Progress: func(system string, done, total int) {
			progress = append(progress, fmt.Sprintf("%s %d/%d", system, done, total))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantBatches := []string{"companies:companies-000,companies-001", "contacts:contacts-000,contacts-001",
		"contacts:contacts-002,contacts-003", "contacts:contacts-004"}
	if !slices.Equal(hs.batches, wantBatches) {
		t.Errorf("hubspot batches = %q, want %q", hs.batches, wantBatches)
	}
	if !slices.Equal(sf.batches, []string{"Contact:Contact-000,Contact-001,Contact-002"}) {
		t.Errorf("salesforce batches = %q", sf.batches)
	}
	if want := map[string][]string{"companies": {"f", "g"}, "contacts": {"email", "f", "g"}}; !reflect.DeepEqual(hs.fields, want) {
		t.Errorf("hubspot Prepare got %v, want %v", hs.fields, want)
	}
	if len(res) != 2 {
		t.Fatalf("results = %+v", res)
	}
	h, s := res[0], res[1]
	if h.System != "hubspot" || h.Records != 5 || h.Batches != 4 || h.Fields != 10 || // fields of refused records do not count
		len(h.Errors) != 2 {
		t.Errorf("hubspot result = %+v", h)
	}
	if !slices.Equal([]string{h.Errors[0].RecordID, h.Errors[1].RecordID}, []string{"contacts-001", "contacts-004"}) || h.Errors[0].Code != "INVALID_EMAIL" {
		t.Errorf("hubspot errors = %+v", h.Errors)
	}
	if s.System != "salesforce" || s.Records != 3 || s.Batches != 1 || s.Fields != 6 || len(s.Errors) != 0 {
		t.Errorf("salesforce result = %+v", s)
	}
	if want := []string{"hubspot 2/7", "hubspot 4/7", "hubspot 6/7", "hubspot 7/7", "salesforce 3/3"}; !slices.Equal(progress, want) {
		t.Errorf("progress = %q, want %q", progress, want)
	}
}

func TestRunStops(t *testing.T) {
	ctx := context.Background()
	in := changes("hubspot", "contacts", 5)
	for _, tc := range []struct {
		name        string
		guard       Guard
		failAt      int
		wantErr     error
		wantMsg     string
		wantBatches int
	}{
		{"whole batch fails", Guard{MaxShare: 1, MaxCount: 100}, 2, nil, "load hubspot contacts: batch of 2 from record contacts-002: 503 service unavailable", 2},
		{"guard refuses before any write", Guard{MaxShare: 0.1, MaxCount: 100}, 0, ErrGuard, "5 of 10 records", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := &recorder{system: "hubspot", size: 2, failAt: tc.failAt}
			sf := &recorder{system: "salesforce", size: 2}
			res, err := Run(ctx, append(slices.Clone(in), changes("salesforce", "Lead", 1)...), Options{
				Targets: []Target{hs, sf}, Guard: tc.guard, Logger: slog.New(slog.DiscardHandler), Totals: map[string]int64{"hubspot": 10, "salesforce": 10},
			})
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error = %v, want %q", err, tc.wantMsg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error = %v, want %v", err, tc.wantErr)
			}
			// a system whose batch fails stops; the other system still loads
			wantSF := 0
			if tc.failAt > 0 {
				wantSF = 1
			}
			if len(hs.batches) != tc.wantBatches || len(sf.batches) != wantSF {
				t.Errorf("batches sent: hubspot %q, salesforce %q", hs.batches, sf.batches)
			}
			if tc.failAt > 0 && (len(res) != 2 || res[0].Batches != tc.failAt-1 || res[0].Records != 2 || res[1].Records != 1) {
				t.Errorf("results after the failure = %+v, want the batches that went through", res)
			}
		})
	}
}

// TestPrepareIncludesBackRefFields: a system that receives only the ids of
// records created in the other one still prepares the cross-id field, so
// a missing field is created before the write-back (it used to be created
// only on the next run, and every write-back of the first one failed).
func TestPrepareIncludesBackRefFields(t *testing.T) {
	hs := &recorder{system: "hubspot", size: 100}
	sf := &recorder{system: "salesforce", size: 200}
	in := []Change{{System: "hubspot", Object: "companies", RecordID: "new:C1", GoldenID: "C1", Kind: KindCreate,
		Values:  map[string]string{"name": "Acme", "crmhub_golden_id": "C1"},
		BackRef: &BackRef{System: "salesforce", Object: "Account", RecordID: "001A", Field: "HubSpot_Id__c"}}}
	_, err := Run(context.Background(), in, Options{Targets: []Target{hs, sf}, Logger: slog.New(slog.DiscardHandler),
		Guard: Guard{MaxShare: 1, MaxCount: 10}, Totals: map[string]int64{"hubspot": 1, "salesforce": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"Account": {"HubSpot_Id__c"}}; !reflect.DeepEqual(sf.fields, want) {
		t.Errorf("salesforce Prepare got %v, want %v", sf.fields, want)
	}
}

func TestBulkError(t *testing.T) {
	for _, tc := range []struct{ in, code, msg string }{
		{"REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --", "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName] (fields: LastName)"},
		{"UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: 003A: --", "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: 003A"},
		{"INVALID_EMAIL_ADDRESS:Email: invalid email address: x", "INVALID_EMAIL_ADDRESS", "Email: invalid email address: x"},
		{"", "", ""},
	} {
		if code, msg := bulkError(tc.in); code != tc.code || msg != tc.msg {
			t.Errorf("bulkError(%q) = %q, %q; want %q, %q", tc.in, code, msg, tc.code, tc.msg)
		}
	}
}

// TestAddBackRefs: a created record's id lands in its source record's
// update when it has one, else in a new update that later ids join.
func TestAddBackRefs(t *testing.T) {
	hs := []Change{
		{System: "hubspot", Object: "contacts", RecordID: "7", Kind: KindUpdate, Values: map[string]string{"firstname": "Ann"}},
		{System: "hubspot", Object: "contacts", RecordID: "8", Kind: KindArchive, Values: map[string]string{"_archive": "1"}},
	}
	sf := []Change{
		{System: "salesforce", Object: "Contact", RecordID: "new:g1", Kind: KindCreate, CreatedID: "003A",
			BackRef: &BackRef{System: "hubspot", Object: "contacts", RecordID: "7", Field: "crmhub_salesforce_id"}},
		{System: "salesforce", Object: "Lead", RecordID: "new:g2", Kind: KindCreate, CreatedID: "00QB",
			BackRef: &BackRef{System: "hubspot", Object: "contacts", RecordID: "8", Field: "crmhub_salesforce_id"}},
		{System: "salesforce", Object: "Lead", RecordID: "new:g3", Kind: KindCreate, CreatedID: "00QC",
			BackRef: &BackRef{System: "hubspot", Object: "contacts", RecordID: "8", Field: "crmhub_lead_id"}},
		{System: "salesforce", Object: "Lead", RecordID: "new:g4", Kind: KindCreate, // refused: no id
			BackRef: &BackRef{System: "hubspot", Object: "contacts", RecordID: "9", Field: "crmhub_salesforce_id"}},
	}
	mine := addBackRefs([][]Change{hs, sf}, map[string]int{"hubspot": 0, "salesforce": 1})
	got := map[string]map[string]string{}
	for _, c := range mine[0] {
		if kindOf(c) == KindUpdate {
			if got[c.RecordID] != nil {
				t.Fatalf("record %s has two updates", c.RecordID)
			}
			got[c.RecordID] = c.Values
		}
	}
	want := map[string]map[string]string{
		"7": {"firstname": "Ann", "crmhub_salesforce_id": "003A"},
		"8": {"crmhub_salesforce_id": "00QB", "crmhub_lead_id": "00QC"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("updates = %v, want %v", got, want)
	}
	if len(mine[0]) != 3 {
		t.Fatalf("hubspot changes = %d, want 3 (update, archive, new update)", len(mine[0]))
	}
}
