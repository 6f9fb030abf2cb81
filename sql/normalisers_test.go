package sql_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/crmhub/crmhub/transform"
)

// TestNormalisersOverEmptyColumns: a column that holds only NULLs (the
// febrl seeds have no email, a CRM may have no phone) normalises to NULLs.
// DuckDB's optimiser knows such a column is all NULL and folds what it
// feeds; DuckDB 2.0.0 then failed to bind list_contains over split_part
// ("BindBuiltinScalarFunction did not return a BoundFunctionExpression").
func TestNormalisersOverEmptyColumns(t *testing.T) {
	ctx := context.Background()
	db := testDB(ctx, t)
	if _, err := (&transform.Runner{DB: db}).Run(ctx, embeddedModels(t, "macros/macros.sql")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TEMP TABLE empty_values AS SELECT NULL::VARCHAR AS s FROM range(100)`); err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{"norm_email(s)", "norm_phone(s)", "norm_name(s)", "norm_street(s)", "norm_text(s)",
		"norm_company(s)", "norm_domain(s)"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(v) FROM (SELECT `+expr+` AS v FROM empty_values)`).Scan(&n); err != nil {
			t.Errorf("%s over a column of NULLs: %v", expr, err)
		} else if n != 0 {
			t.Errorf("%s over a column of NULLs: %d values, want none", expr, n)
		}
	}
	// and the result is the same where values are present; a mailbox that
	// is only a tag or dots is no address ("" stands for NULL here; the
	// first was found by FuzzNormalizers: "@gmail.com" normalised to NULL)
	for in, want := range map[string]string{"Jo.Smith+news@GMail.com": "josmith@gmail.com", "a+b@hotmail.com": "a@hotmail.com",
		"x.y+z@acme.com": "x.y+z@acme.com", "+@GMAil.Com": "", ".+x@gmail.com": "", "+news@outlook.com": ""} {
		var got sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT norm_email(?)`, in).Scan(&got); err != nil || got.String != want || got.Valid != (want != "") {
			t.Errorf("norm_email(%q) = %v, %v; want %q", in, got, err, want)
		}
	}
}
