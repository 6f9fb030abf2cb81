package report

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html/template"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/transform"
)

// RunRow is one row of sync_runs, read by column name so that columns
// added later (metrics) show up without a change here.
type RunRow struct {
	ID         string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string
	DryRun     bool
	// Numbers holds every numeric column, and errors_recorded (the run's
	// rows in sync_errors).
	Numbers map[string]float64
	// Text holds the other text columns (approved_reason, guard_refusal, ...).
	Text map[string]string
	// Steps are seconds per step (the steps JSON column).
	Steps map[string]float64
	// Extract is the per-object extract summary (the extract JSON column).
	Extract []ExtractRow
}

// ExtractRow is one object's extract in a run.
type ExtractRow struct {
	System  string
	Object  string
	Mode    string
	Records int64
}

// Seconds is the run's wall time.
func (r RunRow) Seconds() float64 {
	if r.FinishedAt.IsZero() || r.StartedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt).Seconds()
}

// Num returns a numeric column, 0 when absent.
func (r RunRow) Num(col string) float64 { return r.Numbers[col] }

// loadHistory reads every run of a sync_runs file (oldest first) and the
// numeric columns seen, in file order.
func loadHistory(ctx context.Context, db *sql.DB, runsFile, errorsFile string) ([]RunRow, []string, error) {
	rows, err := db.QueryContext(ctx, `SELECT * FROM read_parquet(?) ORDER BY started_at, run_id`, runsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("sync_runs: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []RunRow
	numeric := map[string]bool{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		r := RunRow{Numbers: map[string]float64{}, Text: map[string]string{}, Steps: map[string]float64{}}
		for i, c := range cols {
			switch v := vals[i].(type) {
			case nil:
			case string:
				r.setText(c, v)
			case []byte:
				r.setText(c, string(v))
			case time.Time:
				switch c {
				case "started_at":
					r.StartedAt = v.UTC()
				case "finished_at":
					r.FinishedAt = v.UTC()
				default:
					r.Text[c] = v.UTC().Format(time.RFC3339)
				}
			case bool:
				if c == "dry_run" {
					r.DryRun = v
				} else if v {
					r.Numbers[c], numeric[c] = 1, true
				} else {
					r.Numbers[c], numeric[c] = 0, true
				}
			default:
				if f, ok := toFloat(v); ok {
					r.Numbers[c], numeric[c] = f, true
				} else if b, err := json.Marshal(v); err == nil {
					r.setText(c, string(b))
				}
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var numCols []string
	for _, c := range cols {
		if numeric[c] {
			numCols = append(numCols, c)
		}
	}
	if errorsFile != "" {
		counts := map[string]float64{}
		er, err := db.QueryContext(ctx, `SELECT run_id, count(*) FROM read_parquet(?) GROUP BY run_id`, errorsFile)
		if err != nil {
			return nil, nil, fmt.Errorf("sync_errors: %w", err)
		}
		defer er.Close()
		for er.Next() {
			var id string
			var n int64
			if err := er.Scan(&id, &n); err != nil {
				return nil, nil, err
			}
			counts[id] = float64(n)
		}
		if err := er.Err(); err != nil {
			return nil, nil, err
		}
		for i := range out {
			out[i].Numbers["errors_recorded"] = counts[out[i].ID]
		}
	}
	return out, numCols, nil
}

// addStepFigures adds the API figures of sync_run_steps to each run:
// api_calls, api_errors, api_retries and api_latency_ms (mean per call).
func addStepFigures(ctx context.Context, db *sql.DB, runs []RunRow, stepsFile string) error {
	if stepsFile == "" {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT run_id, sum(api_calls), sum(api_errors), sum(api_retries),
		1000 * sum(api_latency_seconds) / nullif(sum(api_calls), 0)
		FROM read_parquet(?) GROUP BY run_id`, stepsFile)
	if err != nil {
		return fmt.Errorf("sync_run_steps: %w", err)
	}
	defer rows.Close()
	byRun := map[string]int{}
	for i, r := range runs {
		byRun[r.ID] = i
	}
	for rows.Next() {
		var id string
		var calls, errs, retries, latency sql.NullFloat64
		if err := rows.Scan(&id, &calls, &errs, &retries, &latency); err != nil {
			return err
		}
		i, ok := byRun[id]
		if !ok {
			continue
		}
		for k, v := range map[string]sql.NullFloat64{"api_calls": calls, "api_errors": errs, "api_retries": retries, "api_latency_ms": latency} {
			if v.Valid {
				runs[i].Numbers[k] = v.Float64
			}
		}
	}
	return rows.Err()
}

func (r *RunRow) setText(col, v string) {
	switch col {
	case "run_id":
		r.ID = v
	case "status":
		r.Status = v
	case "steps":
		var m map[string]float64
		if json.Unmarshal([]byte(v), &m) == nil {
			r.Steps = m
		}
	case "extract":
		var ex []ExtractRow
		if json.Unmarshal([]byte(v), &ex) == nil {
			r.Extract = ex
		}
	default:
		r.Text[col] = v
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case interface{ Float64() float64 }: // duckdb.Decimal
		return x.Float64(), true
	case *big.Int: // HUGEINT
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

// Breakdown is a count of one published table's rows by some columns.
type Breakdown struct {
	Title   string
	Table   string
	Columns []string
	Rows    [][]string
	Chart   template.HTML
	Total   int64
	// Err says why the breakdown could not be read (the page shows it).
	Err string
}

type breakdownSpec struct {
	title, table string
	cols         []string
	thisRunOnly  bool // filter on run_id (history tables)
}

var breakdowns = []breakdownSpec{
	{"Source records by entity and object", "xref", []string{"entity", "system", "object"}, false},
	{"How records were matched", "xref", []string{"entity", "matched_by"}, false},
	{"Candidate pairs by decision", "match_pairs", []string{"entity", "decision"}, false},
	{"Review queue by reason", "review_queue", []string{"entity", "reason"}, false},
	{"Conflicts by field and resolution", "conflicts", []string{"entity", "field", "resolution"}, false},
	{"Outbox: field writes by system and object", "outbox", []string{"system", "object"}, false},
	{"Errors of this run by code", "sync_errors", []string{"system", "object", "code"}, true},
}

// readBreakdowns counts each breakdown over the run's table files.
func readBreakdowns(ctx context.Context, db *sql.DB, runID string, files map[string]string) []Breakdown {
	var out []Breakdown
	for _, spec := range breakdowns {
		b := Breakdown{Title: spec.title, Table: spec.table, Columns: append(slices.Clone(spec.cols), "rows")}
		file, ok := files[spec.table]
		if !ok {
			b.Err = "table " + spec.table + " was not published by this run"
			out = append(out, b)
			continue
		}
		sel := make([]string, len(spec.cols))
		for i, c := range spec.cols {
			sel[i] = "coalesce(CAST(" + transform.QuoteIdent(c) + " AS VARCHAR), '(none)')"
		}
		q := "SELECT " + strings.Join(sel, ", ") + ", count(*) AS n FROM read_parquet(?)"
		args := []any{file}
		if spec.thisRunOnly {
			q += " WHERE run_id = ?"
			args = append(args, runID)
		}
		order := make([]string, len(spec.cols))
		for i := range order {
			order[i] = fmt.Sprint(i + 1)
		}
		q += " GROUP BY ALL ORDER BY n DESC, " + strings.Join(order, ", ") + " LIMIT 40"
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			b.Err = err.Error()
			out = append(out, b)
			continue
		}
		var bars []Bar
		for rows.Next() {
			vals := make([]string, len(spec.cols))
			ptrs := make([]any, len(spec.cols)+1)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			var n int64
			ptrs[len(vals)] = &n
			if err := rows.Scan(ptrs...); err != nil {
				b.Err = err.Error()
				break
			}
			b.Total += n
			b.Rows = append(b.Rows, append(vals, fmt.Sprint(n)))
			if len(bars) < 15 {
				bars = append(bars, Bar{Label: strings.Join(vals, " · "), Value: float64(n)})
			}
		}
		if err := rows.Err(); err != nil && b.Err == "" {
			b.Err = err.Error()
		}
		rows.Close()
		if len(bars) > 0 {
			b.Chart = BarChart(spec.title, "rows", bars)
		}
		out = append(out, b)
	}
	return out
}

// ErrorRow is one sync_errors row of the run.
type ErrorRow struct {
	System, Object, RecordID, Code, Message, RetryState string
}

func readErrors(ctx context.Context, db *sql.DB, runID, file string, limit int) ([]ErrorRow, error) {
	if file == "" {
		return nil, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT coalesce(system, ''), coalesce(object, ''), coalesce(record_id, ''), coalesce(code, ''),
		coalesce(message, ''), coalesce(retry_state, '') FROM read_parquet(?) WHERE run_id = ? ORDER BY system, object, record_id LIMIT ?`, file, runID, limit)
	if err != nil {
		return nil, fmt.Errorf("sync_errors: %w", err)
	}
	defer rows.Close()
	var out []ErrorRow
	for rows.Next() {
		var e ErrorRow
		if err := rows.Scan(&e.System, &e.Object, &e.RecordID, &e.Code, &e.Message, &e.RetryState); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// sortedKeys returns a map's keys in a stable order, known steps first.
func sortedKeys(m map[string]float64, first ...string) []string {
	var out []string
	for _, f := range first {
		if _, ok := m[f]; ok {
			out = append(out, f)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}
