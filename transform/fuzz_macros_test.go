package transform

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"unicode/utf8"

	sqlmodels "github.com/crmhub/crmhub/sql"
)

// FuzzNormalizers runs the normalising macros of sql/macros/macros.sql on
// DuckDB over arbitrary text: no error, output no longer than a bounded
// multiple of the input, valid UTF-8, and norm_email, norm_name and
// norm_phone idempotent (a normalised value normalises to itself).
func FuzzNormalizers(f *testing.F) {
	for _, s := range []string{"", " ", "Ann.Lee+news@GMail.com", "+@GMAil.Com", "not-an-email", "a@b@c.d", "😀@example.com",
		"+1 (555) 010-0000", "00 44 20 7946 0958", "phone?", "+99999999999999999999", "O'Brien", "Mary-Jane Ünïcödé",
		"مُحَمَّد", "שָׁלוֹם", "\u202eevil\u202c", "123 N. Main St., Apt #4", "9275 University Boulevard Apartment 14",
		"\x00", "\xff\xfe", strings.Repeat("a", 5000), "'; DROP TABLE x; --"} {
		f.Add(s)
	}
	db, err := Open(context.Background(), EngineConfig{TempDir: f.TempDir(), Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	text, err := sqlmodels.Models.ReadFile("macros/macros.sql")
	if err != nil {
		f.Fatal(err)
	}
	for _, st := range splitStatements(string(text)) {
		if _, err := db.Exec(st.sql); err != nil {
			f.Fatalf("macros.sql line %d: %v", st.line, err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			// DuckDB refuses invalid UTF-8 and NUL as VARCHAR parameters
			// (the extract keeps such values out); the error must be clean
			var x sql.NullString
			_ = db.QueryRow(`SELECT norm_email(?)`, s).Scan(&x)
			return
		}
		var email, phone, name, street sql.NullString
		err := db.QueryRow(`SELECT norm_email(?), norm_phone(?), norm_name(?), norm_street(?)`, s, s, s, s).Scan(&email, &phone, &name, &street)
		if err != nil {
			t.Fatalf("normalising %q: %v", s, err)
		}
		for label, v := range map[string]sql.NullString{"email": email, "phone": phone, "name": name, "street": street} {
			if !v.Valid {
				continue
			}
			if v.String == "" {
				t.Errorf("norm_%s(%q) = empty string, want NULL", label, s)
			}
			if !utf8.ValidString(v.String) {
				t.Errorf("norm_%s(%q) is not valid UTF-8", label, s)
			}
			if len(v.String) > 4*len(s)+32 {
				t.Errorf("norm_%s(%q): %d bytes from %d", label, s, len(v.String), len(s))
			}
		}
		for label, v := range map[string]sql.NullString{"email": email, "name": name, "phone": phone} {
			if !v.Valid {
				continue
			}
			var again sql.NullString
			if err := db.QueryRow(`SELECT norm_`+label+`(?)`, v.String).Scan(&again); err != nil { // label: one of three constants
				t.Fatal(err)
			}
			if again != v {
				t.Errorf("norm_%s not idempotent: %q -> %q -> %q", label, s, v.String, again.String)
			}
		}
	})
}
