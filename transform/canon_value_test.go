package transform

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"

	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestCanonValue: the form two systems must agree on, for the fields whose
// canonical form needs a reference table (state and country aliases), a
// normaliser, or a number or date parse; and same_value over it.
func TestCanonValue(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, EngineConfig{TempDir: t.TempDir(), Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	refs, err := fs.Sub(sqlmodels.Models, "ref")
	if err != nil {
		t.Fatal(err)
	}
	if err := createRefs(ctx, db, refs, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"macros/macros.sql", "macros/golden_macros.sql"} {
		text, err := sqlmodels.Models.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range splitStatements(string(text)) {
			if _, err := db.ExecContext(ctx, st.sql); err != nil {
				t.Fatalf("%s line %d: %v", file, st.line, err)
			}
		}
	}
	for _, tc := range []struct {
		field, a, b string
		same        bool
	}{
		{"state", "Pennsylvania", "PA", true},
		{"state", " pa ", "PA", true},
		{"state", "Pennsylvania", "Ohio", false},
		{"state", "Atlantis", "atlantis", true}, // no alias: text form
		{"country", "USA", "United States", true},
		{"country", "us", "Germany", false},
		{"email", "Ann@Example.com ", "ann@example.com", true},
		{"phone", "+1 (415) 555-0100", "4155550100", true},
		{"amount", "1500.50", "1500.5", true},
		{"amount", "1500", "1501", false},
		{"close_date", "2026-03-01T00:00:00Z", "2026-03-01", true},
		{"title", "VP  Sales", "vp sales", true},
		{"title", "", " ", true}, // both blank
		{"title", "CEO", "", false},
		// what normalises to nothing is blank, whatever its text
		{"street", "---", "", true},
		{"street", "Suite 5, North Main Street", "ste 5 n main st", true},
		{"state", " - ", "", true},
		{"title", "\t", " ", true},
		{"phone", "abc", " ABC ", true}, // no number: its text
		{"phone", "12", "", false},
	} {
		var same sql.NullBool
		if err := db.QueryRowContext(ctx, `SELECT same_value(?, ?, ?)`, tc.field, tc.a, tc.b).Scan(&same); err != nil {
			t.Fatalf("same_value(%s, %q, %q): %v", tc.field, tc.a, tc.b, err)
		}
		if !same.Valid || same.Bool != tc.same {
			t.Errorf("same_value(%s, %q, %q) = %v, want %v", tc.field, tc.a, tc.b, same, tc.same)
		}
	}
}
