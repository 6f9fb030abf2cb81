package seed

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestLoadRejectsBrokenSeeds(t *testing.T) {
	for _, tc := range []struct {
		dir  string // folder under testdata
		file string // the file the error must name, relative to the folder
		line int    // the line it must name (0: none)
		want string // a fragment of the message
	}{
		{"bad_quote", "hubspot/contacts.csv", 3, `bare " in non-quoted-field`},
		{"unterminated_quote", "salesforce/Contact.csv", 3, `extraneous or missing " in quoted-field`},
		{"field_count", "hubspot/companies.csv", 3, "wrong number of fields"},
		{"duplicate_id", "hubspot/contacts.csv", 4, `id "1" already used on line 2`},
		{"duplicate_id_multiline", "salesforce/Account.csv", 5, `Id "001A" already used on line 2`},
		{"invalid_utf8", "salesforce/Lead.csv", 3, `column "LastName" is not valid UTF-8`},
		{"invalid_utf8_header", "hubspot/deals.csv", 1, "not valid UTF-8"},
		{"empty_file", "salesforce/Opportunity.csv", 1, "empty file"},
		{"empty_column_name", "hubspot/contacts.csv", 1, "column 3 has an empty name"},
		{"duplicate_column", "hubspot/contacts.csv", 1, `column "email" appears twice`},
		{"bad_truth_header", "truth.csv", 1, "header must be system,object,record_id,entity_id"},
		{"truth_unknown_system", "truth.csv", 3, `system "zendesk"`},
		{"truth_unknown_object", "truth.csv", 2, `object "contacts" is not a salesforce object`},
		{"truth_missing_record_id", "truth.csv", 3, "record_id and entity_id are required"},
		{"truth_duplicate", "truth.csv", 4, `"1" already listed on line 2`},
		{"no_files", "", 0, "holds none of"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			d, err := Load(dir)
			if err == nil {
				t.Fatalf("Load(%s) = %d records, want an error", dir, d.Count())
			}
			if !errors.Is(err, ErrBadSeed) {
				t.Errorf("error %q does not wrap ErrBadSeed", err)
			}
			msg := err.Error()
			where := dir
			if tc.file != "" {
				where = filepath.Join(dir, tc.file)
			}
			if tc.line > 0 {
				where += ":" + strconv.Itoa(tc.line) + ":"
			}
			if !strings.Contains(msg, where) {
				t.Errorf("error %q does not name %q", msg, where)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not say %q", msg, tc.want)
			}
		})
	}
}

func TestLoadMissingOrNotADirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "seed.csv")
	if err := os.WriteFile(file, []byte("id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(t.TempDir(), "absent"), file, t.TempDir()} {
		if _, err := Load(dir); !errors.Is(err, ErrBadSeed) || !strings.Contains(err.Error(), dir) {
			t.Errorf("Load(%s) error = %v, want ErrBadSeed naming the folder", dir, err)
		}
	}
}

func TestLoadValidSeeds(t *testing.T) {
	type count struct {
		system, object string
		n              int
	}
	for _, tc := range []struct {
		dir    string
		counts []count
		truth  int
		check  func(t *testing.T, d *Dataset)
	}{
		{dir: "only_truth", truth: 2},
		{dir: "only_lead", counts: []count{{Salesforce, "Lead", 2}}, check: func(t *testing.T, d *Dataset) {
			want := []Record{
				{ID: "00QA", Values: map[string]string{"LastName": "Smith", "Company": "Acme"}},
				{ID: "00QB", Values: map[string]string{"LastName": "Müller", "Company": "Beta, Inc."}},
			}
			if got := d.Records(Salesforce, "Lead"); !reflect.DeepEqual(got, want) {
				t.Errorf("Lead records = %+v, want %+v", got, want)
			}
			if got := d.ColumnsOf(Salesforce, "Lead"); !slices.Equal(got, []string{"LastName", "Company"}) {
				t.Errorf("Lead columns = %q", got)
			}
		}},
		{dir: "bom_multiline", counts: []count{{HubSpot, "contacts", 3}, {Salesforce, "Contact", 1}, {Salesforce, "Account", 1}}, check: func(t *testing.T, d *Dataset) {
			want := []Record{
				{ID: "1", Values: map[string]string{"email": "a@x.com", "address": "1 Main St\nFlat 2"}},
				{ID: "2", Values: map[string]string{"address": `He said "hi"`}},
				{ID: "", Values: map[string]string{"email": "noid@x.com"}},
			}
			if got := d.Records(HubSpot, "contacts"); !reflect.DeepEqual(got, want) {
				t.Errorf("contacts = %+v, want %+v", got, want)
			}
			// The BOM and the spaces around " email " are not part of names.
			if got := d.ColumnsOf(HubSpot, "contacts"); !slices.Equal(got, []string{"email", "address"}) {
				t.Errorf("contacts columns = %q", got)
			}
			if got := d.Records(Salesforce, "Account")[0]; got.ID != "001A" || got.Values["Name"] != "Acme" {
				t.Errorf("CRLF Account = %+v", got)
			}
		}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			d, err := Load(filepath.Join("testdata", tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, c := range tc.counts {
				total += c.n
				if got := len(d.Records(c.system, c.object)); got != c.n {
					t.Errorf("%s/%s: %d records, want %d", c.system, c.object, got, c.n)
				}
			}
			if d.Count() != total {
				t.Errorf("Count() = %d, want %d", d.Count(), total)
			}
			if len(d.Truth) != tc.truth {
				t.Errorf("%d truth rows, want %d", len(d.Truth), tc.truth)
			}
			if tc.check != nil {
				tc.check(t, d)
			}
		})
	}
}

// TestLoadFebrl1 loads a real benchmark seed from the shared datasets.
func TestLoadFebrl1(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "datasets", "febrl1")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("benchmark seed missing: %v (the shared datasets live beside the repository)", err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		system, object string
		n              int
	}{
		{HubSpot, "contacts", 487}, {Salesforce, "Contact", 349}, {Salesforce, "Lead", 164},
		{HubSpot, "companies", 0}, {Salesforce, "Account", 0},
	} {
		if got := len(d.Records(c.system, c.object)); got != c.n {
			t.Errorf("%s/%s: %d records, want %d", c.system, c.object, got, c.n)
		}
	}
	if d.Count() != 1000 || len(d.Truth) != 1000 {
		t.Errorf("Count() = %d, truth = %d; want 1000 and 1000", d.Count(), len(d.Truth))
	}
	first := d.Records(HubSpot, "contacts")[0]
	if first.ID != "100001" || first.Values["firstname"] != "lachlan" || first.Values["date_of_birth"] != "1999-02-19" {
		t.Errorf("first contact = %+v", first)
	}
	// An empty cell is a null: Contact 003Dn0000000001AAA has no FirstName.
	if _, ok := d.Records(Salesforce, "Contact")[0].Values["FirstName"]; ok {
		t.Errorf("empty FirstName loaded as a value")
	}
	// Every truth row names a loaded record.
	ids := map[[3]string]bool{}
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			for _, r := range recs {
				ids[[3]string{sys, obj, r.ID}] = true
			}
		}
	}
	for _, tr := range d.Truth {
		if !ids[[3]string{tr.System, tr.Object, tr.RecordID}] {
			t.Errorf("truth row %+v names no record", tr)
			break
		}
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	d := NewDataset()
	d.Add(HubSpot, "contacts",
		Record{ID: "1", Values: map[string]string{"email": "a@x.com", "firstname": "Zoë", "address": "1 Main St\nFlat 2"}},
		Record{ID: "2", Values: map[string]string{"email": `quote"d,comma@x.com`}},
	)
	d.Columns[HubSpot]["contacts"] = []string{"firstname", "email"} // "address" only in values
	d.Add(HubSpot, "companies", Record{ID: "10", Values: map[string]string{"name": "Acme"}})
	d.Add(Salesforce, "Contact", Record{ID: "003A", Values: map[string]string{"Email": "a@x.com", "AccountId": "001A"}})
	d.Add(Salesforce, "Account", Record{ID: "001A", Values: map[string]string{"Name": " Acme  "}})
	d.Truth = []TruthRow{
		{HubSpot, "contacts", "1", "e1"},
		{Salesforce, "Contact", "003A", "e1"},
		{HubSpot, "contacts", "2", "e2"},
	}
	dir := t.TempDir()
	if err := Write(d, dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			if g := got.Records(sys, obj); !reflect.DeepEqual(g, recs) {
				t.Errorf("%s/%s after round trip = %+v, want %+v", sys, obj, g, recs)
			}
		}
	}
	if got.Count() != d.Count() {
		t.Errorf("Count() = %d, want %d", got.Count(), d.Count())
	}
	if !reflect.DeepEqual(got.Truth, d.Truth) {
		t.Errorf("truth = %+v, want %+v", got.Truth, d.Truth)
	}
	if cols := got.ColumnsOf(HubSpot, "contacts"); !slices.Equal(cols, []string{"firstname", "email", "address"}) {
		t.Errorf("contacts columns = %q, want the kept order then the extra column", cols)
	}
	// Writing what was loaded gives the same files again.
	dir2 := t.TempDir()
	if err := Write(got, dir2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"hubspot/contacts.csv", "hubspot/companies.csv", "salesforce/Contact.csv", "salesforce/Account.csv", "truth.csv"} {
		a, err1 := os.ReadFile(filepath.Join(dir, f))
		b, err2 := os.ReadFile(filepath.Join(dir2, f))
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("%s differs after a second round trip (%v, %v)", f, err1, err2)
		}
	}
}

func TestWriteRefusesUnknownObjects(t *testing.T) {
	for _, tc := range []struct{ system, object string }{
		{HubSpot, "tickets"}, {Salesforce, "contacts"}, {"zendesk", "tickets"},
	} {
		d := NewDataset()
		d.Add(tc.system, tc.object, Record{ID: "1"})
		if err := Write(d, t.TempDir()); !errors.Is(err, ErrBadSeed) {
			t.Errorf("Write %s/%s: error = %v, want ErrBadSeed", tc.system, tc.object, err)
		}
	}
}
