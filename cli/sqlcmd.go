package cli

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/docsgen"
	"github.com/crmhub/crmhub/internal/lake"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// SQLCmd is `crmhub sql`: DuckDB over the last published run's tables.
type SQLCmd struct {
	Lake    string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
	Format  string `help:"Output format." default:"table" enum:"table,csv,json"`
	WriteDB string `name:"write-db" help:"Write a DuckDB database file with a documented view per published table of the last run (any DuckDB client opens it; runs on a local lake keep LAKE/published/crmhub.duckdb up to date)." placeholder:"FILE"`
	Query   string `arg:"" optional:"" help:"SQL to run; the published tables (xref, golden_persons, ...) are views by name."`
}

func (s *SQLCmd) Run(ctx context.Context, g *Globals) error {
	store, err := openLake(ctx, s.Lake)
	if err != nil {
		return err
	}
	if s.WriteDB != "" {
		if err := writeAnalystDB(ctx, store, s.WriteDB); err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "wrote %s\n", s.WriteDB)
	}
	if s.Query == "" {
		if s.WriteDB != "" {
			return nil
		}
		return codedError{errors.New("give a query, or --write-db FILE"), 2}
	}
	db, err := OpenPublished(ctx, store)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, s.Query)
	if err != nil {
		return codedError{fmt.Errorf("query: %w", err), 2}
	}
	defer rows.Close()
	return writeRows(g.stdout, rows, s.Format)
}

// OpenPublished opens DuckDB with one view per table of the last published
// run. File paths reach DuckDB as bound variables, never as SQL text.
func OpenPublished(ctx context.Context, store lake.Store) (*sql.DB, error) {
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil {
		return nil, err
	}
	if latest == nil {
		return nil, errors.New("nothing published in " + store.String() + " yet: run `crmhub demo` or `crmhub run` first")
	}
	db, err := transform.Open(ctx, transform.EngineConfig{})
	if err != nil {
		return nil, err
	}
	tables := make([]string, 0, len(latest.Tables))
	for t := range latest.Tables {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		path, err := store.LocalPath(ctx, latest.Tables[t])
		if err != nil {
			db.Close()
			return nil, err
		}
		v := "path_" + t
		if err := transform.SetVars(ctx, db, map[string]any{v: path}); err != nil {
			db.Close()
			return nil, err
		}
		if _, err := db.ExecContext(ctx, "CREATE VIEW "+transform.QuoteIdent(t)+" AS SELECT * FROM read_parquet(getvariable('"+v+"'))"); err != nil {
			db.Close()
			return nil, fmt.Errorf("view %s: %w", t, err)
		}
	}
	return db, nil
}

// writeAnalystDB writes the analyst database for the last published run.
func writeAnalystDB(ctx context.Context, store lake.Store, dest string) error {
	latest, err := cycle.ReadLatest(ctx, store)
	if err != nil {
		return err
	}
	if latest == nil {
		return errors.New("nothing published in " + store.String() + " yet: run `crmhub demo` or `crmhub run` first")
	}
	files := map[string]string{}
	for t, key := range latest.Tables {
		if files[t], err = store.LocalPath(ctx, key); err != nil {
			return err
		}
	}
	fm, err := docsgen.ReadFieldMap(sqlmodels.Models)
	if err != nil {
		return err
	}
	return docsgen.WriteAnalystDB(ctx, dest, latest.RunID, files, fm)
}

func writeRows(w io.Writer, rows *sql.Rows, format string) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var (
		tw  *tabwriter.Writer
		cw  *csv.Writer
		out []map[string]any
	)
	switch format {
	case "csv":
		cw = csv.NewWriter(w)
		_ = cw.Write(cols)
	case "json":
		out = []map[string]any{}
	default:
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		n++
		switch format {
		case "csv":
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = text(v)
			}
			_ = cw.Write(rec)
		case "json":
			m := make(map[string]any, len(cols))
			for i, c := range cols {
				m[c] = jsonValue(vals[i])
			}
			out = append(out, m)
		default:
			rec := make([]string, len(vals))
			for i, v := range vals {
				rec[i] = strings.ReplaceAll(text(v), "\t", " ")
			}
			fmt.Fprintln(tw, strings.Join(rec, "\t"))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	switch format {
	case "csv":
		cw.Flush()
		return cw.Error()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	default:
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "(%d rows)\n", n)
		return nil
	}
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		return x
	default:
		if b, err := json.Marshal(jsonValue(x)); err == nil && !isScalar(x) {
			return string(b)
		}
		return fmt.Sprint(x)
	}
}

func isScalar(v any) bool {
	switch v.(type) {
	case bool, int, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// jsonValue makes DuckDB values (maps with non-string keys) encodable.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = jsonValue(val)
		}
		return m
	case []any:
		for i := range x {
			x[i] = jsonValue(x[i])
		}
		return x
	case map[string]any:
		for k, val := range x {
			x[k] = jsonValue(val)
		}
		return x
	}
	return v
}
