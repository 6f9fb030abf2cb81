package transform

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/crmhub/crmhub/extract"
)

func writeRaw(t *testing.T, path string, fields []string, runID string, at time.Time, rows []extract.Row) string {
	t.Helper()
	w, err := extract.NewRawWriter(path, fields, runID, at)
	if err != nil {
		t.Fatal(err)
	}
	return closeRaw(t, w, path, rows)
}

// closeRaw writes rows with w, closes it and returns the file's path.
func closeRaw(t *testing.T, w *extract.RawWriter, path string, rows []extract.Row) string {
	t.Helper()
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s.Valid {
			out = append(out, s.String)
		} else {
			out = append(out, "NULL")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPrepareCreatesInputs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	// Run 1 lands three contacts; run 2 (incremental, overlapping) re-reads
	// contact 2 unchanged and contact 3 updated, with a new field.
	f1 := writeRaw(t, filepath.Join(dir, "r1.parquet"), []string{"email", "firstname"}, "run1", t0, []extract.Row{
		{ID: "1", UpdatedAt: t0.Add(-3 * time.Hour), Values: map[string]string{"email": "a@x.com", "firstname": "Ann"}},
		{ID: "2", UpdatedAt: t0.Add(-2 * time.Hour), Values: map[string]string{"email": "b@x.com"}},
		{ID: "3", UpdatedAt: t0.Add(-1 * time.Hour), Values: map[string]string{"email": "old@x.com", "firstname": "Cy"}},
	})
	f2 := writeRaw(t, filepath.Join(dir, "r2.parquet"), []string{"email", "phone"}, "run2", t0.Add(time.Hour), []extract.Row{
		{ID: "2", UpdatedAt: t0.Add(-2 * time.Hour), Values: map[string]string{"email": "b@x.com", "phone": "555"}},
		{ID: "3", UpdatedAt: t0.Add(30 * time.Minute), Values: map[string]string{"email": "new@x.com"}, Archived: true},
	})
	// A stale re-read: an older version of 1 in a later file loses.
	f3 := writeRaw(t, filepath.Join(dir, "r3.parquet"), []string{"email"}, "run3", t0.Add(2*time.Hour), []extract.Row{
		{ID: "1", UpdatedAt: t0.Add(-4 * time.Hour), Values: map[string]string{"email": "stale@x.com"}},
	})

	db := openDB(t)
	prev := filepath.Join(dir, "xref.parquet")
	exec(t, db, `COPY (SELECT 'person' AS entity, 'g1' AS golden_id, 'hubspot' AS system, 'contacts' AS object, '1' AS record_id, 'exact' AS how, false AS deleted)
		TO '`+prev+`' (FORMAT parquet)`)

	in := Inputs{
		Raw: map[string][]string{
			RawTable("hubspot", "contacts"): {f1, f2, f3},
		},
		Columns: map[string][]string{
			RawTable("hubspot", "contacts"): {"email", "lastname", "phone"},
			RawTable("salesforce", "Lead"):  {"Email", "Company"},
		},
		Refs: fstest.MapFS{
			"nicknames.csv": file("name,nickname\nrobert,bob\nwilliam,bill\n"),
			"stage_map.csv": file("hubspot_stage,salesforce_stage\nclosedwon,Closed Won\n"),
			"README.md":     file("not a table"),
			"sub/x.csv":     file("a\n1\n"),
		},
		PrevXref: prev,
		Vars:     map[string]any{"person_match_threshold": 14.5, "max_block_size": 1000, "label": "it's"},
		TempDir:  t.TempDir(),
	}
	if err := Prepare(ctx, db, in); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name  string
		query string
		want  []string
	}{
		{"latest version wins", "SELECT _id || ':' || email || ':' || _run_id FROM raw_hubspot_contacts ORDER BY _id",
			[]string{"1:a@x.com:run1", "2:b@x.com:run2", "3:new@x.com:run2"}},
		// Same _updated_at: the later extraction wins.
		{"ties go to the later extraction", "SELECT coalesce(phone, 'NULL') FROM raw_hubspot_contacts WHERE _id = '2'", []string{"555"}},
		{"columns from every file", "SELECT coalesce(firstname, 'NULL') FROM raw_hubspot_contacts ORDER BY _id", []string{"Ann", "NULL", "NULL"}},
		{"archived carried", "SELECT _id FROM raw_hubspot_contacts WHERE _archived", []string{"3"}},
		{"missing mapped column is NULL", "SELECT count(*)::VARCHAR FROM raw_hubspot_contacts WHERE lastname IS NULL", []string{"3"}},
		{"mapped column type", "SELECT data_type FROM duckdb_columns() WHERE table_name = 'raw_hubspot_contacts' AND column_name = 'lastname'", []string{"VARCHAR"}},
		{"table with no files", "SELECT column_name FROM duckdb_columns() WHERE table_name = 'raw_salesforce_lead' ORDER BY column_index",
			[]string{"_id", "_created_at", "_updated_at", "_archived", "_extracted_at", "_run_id", "_assoc_companies", "Email", "Company"}},
		{"table with no files is empty", "SELECT count(*)::VARCHAR FROM raw_salesforce_lead", []string{"0"}},
		{"ref table", "SELECT nickname FROM ref_nicknames ORDER BY name", []string{"bob", "bill"}},
		{"ref with spaces", "SELECT salesforce_stage FROM ref_stage_map", []string{"Closed Won"}},
		{"only top-level csv are refs", "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'ref_%' ORDER BY 1", []string{"ref_nicknames", "ref_stage_map"}},
		{"prev_xref from file", "SELECT golden_id || '/' || record_id FROM prev_xref", []string{"g1/1"}},
		{"prev_xref keeps its columns", "SELECT column_name FROM duckdb_columns() WHERE table_name = 'prev_xref' ORDER BY column_index",
			[]string{"entity", "golden_id", "system", "object", "record_id"}},
		{"vars", "SELECT getvariable('person_match_threshold')::VARCHAR || ' ' || getvariable('max_block_size')::VARCHAR || ' ' || getvariable('label')",
			[]string{"14.5 1000 it's"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := queryStrings(t, db, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s\n got %q\nwant %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestPrepareEmptyPrevXref(t *testing.T) {
	db := openDB(t)
	if err := Prepare(context.Background(), db, Inputs{}); err != nil {
		t.Fatal(err)
	}
	if got := queryStrings(t, db, "SELECT count(*)::VARCHAR FROM prev_xref"); !slices.Equal(got, []string{"0"}) {
		t.Errorf("prev_xref rows = %q", got)
	}
	got := queryStrings(t, db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'prev_xref' ORDER BY column_index")
	if !slices.Equal(got, []string{"entity", "golden_id", "system", "object", "record_id"}) {
		t.Errorf("prev_xref columns = %q", got)
	}
}

// TestPrepareWritesSnapshot: a snapshot holds the collapsed records with
// every field as text, but not the mapped columns no file has, and read
// back as a raw file it gives the same table.
func TestPrepareWritesSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	cols := []extract.Column{{Name: "email", Type: extract.TypeString}, {Name: "amount", Type: extract.TypeDecimal}}
	write := func(name, run string, at time.Time, rows []extract.Row) string {
		w, err := extract.NewTypedRawWriter(filepath.Join(dir, name), cols, run, at)
		if err != nil {
			t.Fatal(err)
		}
		return closeRaw(t, w, filepath.Join(dir, name), rows)
	}
	f1 := write("r1.parquet", "run1", t0, []extract.Row{
		{ID: "1", UpdatedAt: t0, Values: map[string]string{"email": "a@x", "amount": "1.50"}},
		{ID: "2", UpdatedAt: t0, Values: map[string]string{"email": "b@x", "amount": "not a number"}},
	})
	f2 := write("r2.parquet", "run2", t0.Add(time.Hour), []extract.Row{
		{ID: "1", UpdatedAt: t0.Add(time.Hour), Values: map[string]string{"email": "a2@x", "amount": "2"}},
	})
	snap := filepath.Join(dir, "snap.parquet")
	table := RawTable("hubspot", "contacts")
	db := openDB(t)
	in := Inputs{Raw: map[string][]string{table: {f1, f2}}, Columns: map[string][]string{table: {"email", "lastname"}},
		Snapshots: map[string]string{table: snap}, TempDir: t.TempDir()}
	if err := Prepare(ctx, db, in); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `CREATE TABLE from_files AS FROM raw_hubspot_contacts`)
	if got := queryStrings(t, db, `SELECT name || ' ' || type FROM parquet_schema(?)
		WHERE name IN ('email', 'amount', 'lastname') ORDER BY name`, snap); !slices.Equal(got, []string{"amount BYTE_ARRAY", "email BYTE_ARRAY"}) {
		t.Errorf("snapshot columns %q, want amount and email as text", got)
	}
	in.Raw, in.Snapshots = map[string][]string{table: {snap}}, nil
	if err := Prepare(ctx, db, in); err != nil {
		t.Fatal(err)
	}
	const sel = `SELECT _id, _updated_at, _extracted_at, _run_id, _invalid, email, amount, lastname FROM `
	// (ordered: a UNION ALL's branches may arrive in any order)
	if got := queryStrings(t, db, `SELECT v FROM (
		SELECT 1 AS i, count(*)::VARCHAR AS v FROM (`+sel+`from_files EXCEPT ALL `+sel+`raw_hubspot_contacts)
		UNION ALL SELECT 2, count(*)::VARCHAR FROM (`+sel+`raw_hubspot_contacts EXCEPT ALL `+sel+`from_files)
		UNION ALL SELECT 3, string_agg(_id || ':' || amount, ' ' ORDER BY _id) FROM raw_hubspot_contacts) ORDER BY i`); !slices.Equal(got, []string{"0", "0", "1:2 2:not a number"}) {
		t.Errorf("read back from the snapshot: %q rows only from the files, only from the snapshot, and the amounts", got)
	}
}

func TestPrepareErrorsNameTheInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		in   Inputs
		want string
	}{
		{"missing raw file", Inputs{Raw: map[string][]string{"raw_hubspot_deals": {filepath.Join(dir, "absent.parquet")}}}, "input raw_hubspot_deals"},
		{"missing prev xref", Inputs{PrevXref: filepath.Join(dir, "absent.parquet")}, "input prev_xref"},
		{"bad var", Inputs{Vars: map[string]any{"x; DROP TABLE prev_xref; --": 1}}, "not an identifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Prepare(context.Background(), openDB(t), tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSetVars(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vars    map[string]any
		query   string
		want    string
		wantErr string
	}{
		{"string is bound, not spliced", map[string]any{"v": "'); DROP TABLE t; --"}, "SELECT getvariable('v')", "'); DROP TABLE t; --", ""},
		{"number", map[string]any{"_n2": 42}, "SELECT (getvariable('_n2') + 1)::VARCHAR", "43", ""},
		{"bool", map[string]any{"flag": true}, "SELECT getvariable('flag')::VARCHAR", "true", ""},
		{"space in name", map[string]any{"my var": 1}, "", "", `"my var" is not an identifier`},
		{"injection in name", map[string]any{"x = 1; DROP TABLE t; SET VARIABLE y": 1}, "", "", "is not an identifier"},
		{"starts with a digit", map[string]any{"1x": 1}, "", "", "is not an identifier"},
		{"empty name", map[string]any{"": 1}, "", "", "is not an identifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			exec(t, db, "CREATE TABLE t (x INT)")
			err := SetVars(context.Background(), db, tc.vars)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if !tableExists(t, db, "t") {
					t.Fatal("table t was dropped")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := queryStrings(t, db, tc.query); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("%s = %q, want %q", tc.query, got, tc.want)
			}
			if !tableExists(t, db, "t") {
				t.Fatal("table t was dropped")
			}
		})
	}
}
