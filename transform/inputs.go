package transform

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Inputs are the tables models read but do not build.
type Inputs struct {
	// Raw maps an input table name (raw_hubspot_contacts) to its Parquet
	// files; several files are read by column name, and the latest version
	// of each record (_id) wins.
	Raw map[string][]string
	// Columns lists, per raw table, columns that must exist even when no
	// file has them (fields the mapping names but the CRM lacks); they are
	// added as NULL strings.
	Columns map[string][]string
	// Refs holds reference tables as CSV files (ref/*.csv -> ref_*).
	Refs fs.FS
	// Snapshots maps a raw table to a local Parquet file Prepare writes the
	// table to once its records are collapsed, before the mapped columns
	// are added: the compacted current view, which a later run reads in
	// place of the files it covers (cycle/rawsnap.go).
	Snapshots map[string]string
	// PrevXref is the previous run's published xref file, or "" on a first run.
	PrevXref string
	// Vars are DuckDB variables models read with getvariable().
	Vars map[string]any
	// TempDir receives the reference CSVs so DuckDB can read them.
	TempDir string
}

// RawTable names the input table of one CRM object.
func RawTable(system, object string) string {
	return "raw_" + system + "_" + strings.ToLower(object)
}

// rawMeta are the columns every raw table has, for the empty case.
const rawMeta = `_id VARCHAR, _created_at TIMESTAMP, _updated_at TIMESTAMP, _archived BOOLEAN,
	_extracted_at TIMESTAMP, _run_id VARCHAR, _assoc_companies VARCHAR`

// Prepare creates every input table and variable on db.
func Prepare(ctx context.Context, db *sql.DB, in Inputs) error {
	names := make([]string, 0, len(in.Raw))
	for n := range in.Raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := createRaw(ctx, db, name, in.Raw[name], in.Columns[name], in.Snapshots[name]); err != nil {
			return err
		}
	}
	for name, cols := range in.Columns {
		if _, ok := in.Raw[name]; !ok {
			if err := createRaw(ctx, db, name, nil, cols, ""); err != nil {
				return err
			}
		}
	}
	if err := createRefs(ctx, db, in.Refs, in.TempDir); err != nil {
		return err
	}
	if err := createPrevXref(ctx, db, in.PrevXref); err != nil {
		return err
	}
	return SetVars(ctx, db, in.Vars)
}

func createRaw(ctx context.Context, db *sql.DB, name string, files, cols []string, snapshot string) error {
	tbl := quoteIdent(name)
	// Raw files may type their fields (DECIMAL, BIGINT, DATE, TIMESTAMP,
	// BOOLEAN); models read VARCHAR. canonical renders a typed column as
	// text: dates YYYY-MM-DD, timestamps YYYY-MM-DDTHH:MM:SS.mmmZ, numbers
	// in plain decimals without exponent or trailing zeros, booleans
	// true/false.
	canonical := func(col, typ string) string {
		switch {
		case typ == "DATE":
			return "strftime(" + col + ", '%Y-%m-%d')"
		case typ == "TIMESTAMP WITH TIME ZONE":
			return "strftime(make_timestamp(epoch_us(" + col + ")), '%Y-%m-%dT%H:%M:%S.%gZ')"
		case strings.HasPrefix(typ, "TIMESTAMP"):
			return "strftime(" + col + "::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%gZ')"
		case strings.HasPrefix(typ, "DECIMAL") && !strings.HasSuffix(typ, ",0)"):
			return "rtrim(rtrim(CAST(" + col + " AS VARCHAR), '0'), '.')"
		case typ == "DOUBLE" || typ == "FLOAT":
			return "coalesce(rtrim(rtrim(TRY_CAST(TRY_CAST(" + col + " AS DECIMAL(38,9)) AS VARCHAR), '0'), '.'), CAST(" + col + " AS VARCHAR))"
		}
		return "CAST(" + col + " AS VARCHAR)"
	}
	// selectFiles groups the files by schema (a field whose type changed
	// between runs reads from each file in its own type) and selects every
	// field as text; a value kept in _invalid because it did not parse as
	// its type shows as its original text. Metadata columns (_*) keep
	// their types.
	selectFiles := func() (string, []any, error) {
		rows, err := db.QueryContext(ctx, `SELECT file_name,
			string_agg(name || ':' || coalesce(type, '') || ':' || coalesce(logical_type, ''), ',' ORDER BY name)
			FROM parquet_schema(?::VARCHAR[]) GROUP BY file_name`, files)
		if err != nil {
			return "", nil, err
		}
		groups := map[string][]string{}
		var sigs []string
		for rows.Next() {
			var file, sig string
			if err := rows.Scan(&file, &sig); err != nil {
				rows.Close()
				return "", nil, err
			}
			if _, ok := groups[sig]; !ok {
				sigs = append(sigs, sig)
			}
			groups[sig] = append(groups[sig], file)
		}
		if err := rows.Close(); err != nil {
			return "", nil, err
		}
		sort.Strings(sigs)
		var parts []string
		var args []any
		for _, sig := range sigs {
			desc, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?::VARCHAR[]))", groups[sig])
			if err != nil {
				return "", nil, err
			}
			var names, types []string
			for desc.Next() {
				var n, t string
				if err := desc.Scan(&n, &t); err != nil {
					desc.Close()
					return "", nil, err
				}
				names, types = append(names, n), append(types, t)
			}
			if err := desc.Close(); err != nil {
				return "", nil, err
			}
			hasInvalid := false
			for _, n := range names {
				hasInvalid = hasInvalid || n == "_invalid"
			}
			sel := make([]string, 0, len(names)+1)
			var partArgs []any // bound in the order of the ? below
			for i, n := range names {
				q := quoteIdent(n)
				if strings.HasPrefix(n, "_") || types[i] == "VARCHAR" {
					sel = append(sel, q)
					continue
				}
				expr := canonical(q, types[i])
				if hasInvalid {
					// the field name comes from the CRM's schema: bound, not spliced
					expr = "coalesce(" + expr + ", _invalid ->> ?::VARCHAR)"
					partArgs = append(partArgs, n)
				}
				sel = append(sel, expr+" AS "+q)
			}
			sel = append(sel, "file_row_number", fileColumn)
			parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM read_parquet(?::VARCHAR[], file_row_number = true, filename = '"+fileColumn+"')")
			args = append(append(args, partArgs...), groups[sig])
		}
		return strings.Join(parts, "\nUNION ALL BY NAME\n"), args, nil
	}
	var err error
	if len(files) == 0 {
		_, err = db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+tbl+" ("+rawMeta+")")
	} else {
		var query string
		var args []any
		if query, args, err = selectFiles(); err == nil {
			// Re-read records (incremental overlap, repeated runs) collapse
			// to their latest version; ties go to the later extract, then
			// the later run, then the later row of the file. The losing
			// rows are found over the narrow key columns (sorting the wide
			// rows of every re-read record cost most of this step), then
			// the files are read once, without them.
			if err = findLosers(ctx, db, files); err == nil {
				_, err = db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+tbl+` AS
					SELECT * EXCLUDE (file_row_number, `+fileColumn+`) FROM (`+query+`)
					ANTI JOIN raw_losers USING (`+fileColumn+`, file_row_number)`, args...)
				db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS raw_losers`)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("input %s: %w", name, err)
	}
	if snapshot != "" && len(files) > 0 {
		// fields are text already: a snapshot reads back as the same table
		if _, err := db.ExecContext(ctx, "COPY "+tbl+" TO ? (FORMAT parquet, COMPRESSION zstd)", snapshot); err != nil {
			return fmt.Errorf("input %s: snapshot: %w", name, err)
		}
	}
	for _, c := range cols {
		if _, err := db.ExecContext(ctx, "ALTER TABLE "+tbl+" ADD COLUMN IF NOT EXISTS "+quoteIdent(c)+" VARCHAR"); err != nil {
			return fmt.Errorf("input %s: add column %s: %w", name, c, err)
		}
	}
	return nil
}

// fileColumn names the file a raw row was read from.
const fileColumn = "_crmhub_file"

// findLosers fills temp table raw_losers with the rows (file, row) of files
// that a later version of their record supersedes.
func findLosers(ctx context.Context, db *sql.DB, files []string) error {
	_, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE raw_losers AS
		WITH k AS (SELECT _id, _updated_at, _extracted_at, _run_id, `+fileColumn+`, file_row_number
			FROM read_parquet(?::VARCHAR[], union_by_name = true, file_row_number = true, filename = '`+fileColumn+`')),
		dup AS (SELECT _id FROM k GROUP BY _id HAVING count(*) > 1)
		SELECT `+fileColumn+`, file_row_number FROM k SEMI JOIN dup USING (_id)
		QUALIFY row_number() OVER (PARTITION BY _id
			ORDER BY _updated_at DESC, _extracted_at DESC, _run_id DESC, file_row_number DESC) > 1`, files)
	return err
}

func createRefs(ctx context.Context, db *sql.DB, refs fs.FS, tempDir string) error {
	if refs == nil {
		return nil
	}
	entries, err := fs.ReadDir(refs, ".")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(tempDir, "crmhub-ref-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".csv") {
			continue
		}
		b, err := fs.ReadFile(refs, e.Name())
		if err != nil {
			return err
		}
		local := filepath.Join(dir, e.Name())
		if err := os.WriteFile(local, b, 0o644); err != nil {
			return err
		}
		name := "ref_" + strings.TrimSuffix(path.Base(e.Name()), ".csv")
		if _, err := db.ExecContext(ctx, "CREATE OR REPLACE TABLE "+quoteIdent(name)+
			" AS SELECT * FROM read_csv(?, header = true, auto_detect = true)", local); err != nil {
			return fmt.Errorf("reference table %s: %w", e.Name(), err)
		}
	}
	return nil
}

func createPrevXref(ctx context.Context, db *sql.DB, file string) error {
	var err error
	if file == "" {
		_, err = db.ExecContext(ctx, `CREATE OR REPLACE TABLE prev_xref (entity VARCHAR, golden_id VARCHAR,
			system VARCHAR, object VARCHAR, record_id VARCHAR)`)
	} else {
		_, err = db.ExecContext(ctx, `CREATE OR REPLACE TABLE prev_xref AS
			SELECT entity, golden_id, system, object, record_id FROM read_parquet(?)`, file)
	}
	if err != nil {
		return fmt.Errorf("input prev_xref: %w", err)
	}
	return nil
}

// SetVars sets DuckDB variables; values are bound, names must be identifiers.
func SetVars(ctx context.Context, db *sql.DB, vars map[string]any) error {
	for k, v := range vars {
		if !identRe.MatchString(k) {
			return fmt.Errorf("variable name %q is not an identifier", k)
		}
		if _, err := db.ExecContext(ctx, "SET VARIABLE "+k+" = ?", v); err != nil {
			return fmt.Errorf("variable %s: %w", k, err)
		}
	}
	return nil
}
