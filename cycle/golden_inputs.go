package cycle

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// ErrRuleExpression marks a golden rule expression (rule sql, lock when)
// that does not parse or bind; the message names the pipeline file and line.
var ErrRuleExpression = errors.New("golden rule expression")

// goldenInputs are the tables and macros the golden, outbox and report
// models read besides the raw tables:
//
//	cfg_field_rules     one row per golden rule (rule_id numbers the rules)
//	cfg_create          counterparts to create
//	cfg_systems         per setting (merge_duplicates, propagate_deletions) the systems it names
//	golden_rule_score   macro: the score of rule sql's expression for one candidate
//	golden_lock_holds   macro: whether a rule's lock holds for one golden record and field
//	raw_versions        every extracted version of each mapped value field whose text changed (long form);
//	                    without personVersions, no person record's (loadPersonVersions adds them)
//	prev_writes         the last value crmhub wrote per record and field, with its run
//
// Expressions are pipeline code, not data: the pipeline author writes them
// like a SQL model. They are checked to be one expression without subqueries
// (so no table function, no file access) that binds over the documented
// columns, then placed in a macro. Data values always travel as parameters.
func goldenInputs(ctx context.Context, db *sql.DB, store lake.Store, p *pipelines.Pipeline, prev *Latest, o prepareOptions) error {
	if err := loadFieldRules(ctx, db, p); err != nil {
		return err
	}
	if err := loadGoldenSettings(ctx, db, p); err != nil {
		return err
	}
	if err := createRuleMacros(ctx, db, p); err != nil {
		return err
	}
	if err := loadRawVersions(ctx, db, store, o); err != nil {
		return err
	}
	return errors.Join(loadPrevWrites(ctx, db, prevTable(ctx, store, prev, "write_log")), reviewInputs(ctx, db, store, prev))
}

// loadFieldRules puts the pipeline's golden rules in table cfg_field_rules.
func loadFieldRules(ctx context.Context, db *sql.DB, p *pipelines.Pipeline) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE cfg_field_rules (rule_id INTEGER, entity VARCHAR, field VARCHAR,
		rule VARCHAR, owner VARCHAR, direction VARCHAR, priority VARCHAR[], on_conflict VARCHAR, lock_system VARCHAR)`); err != nil {
		return err
	}
	for i, r := range p.Golden.Rules {
		dir := r.Direction
		if dir == "" {
			dir = "both"
		}
		onConflict := r.OnConflict
		if onConflict == "" {
			onConflict = "decide"
		}
		var lockSystem any
		if r.Lock != nil {
			lockSystem = r.Lock.System
		}
		// the priority list travels as JSON text and becomes a list in SQL
		prio, _ := json.Marshal(append([]string{}, r.Priority...))
		if _, err := db.ExecContext(ctx, `INSERT INTO cfg_field_rules VALUES (?, ?, ?, ?, ?, ?, CAST(json(?) AS VARCHAR[]), ?, ?)`,
			i+1, r.Entity, r.Field, r.Rule, nullable(r.Owner), dir, string(prio), onConflict, lockSystem); err != nil {
			return err
		}
	}
	return nil
}

func loadGoldenSettings(ctx context.Context, db *sql.DB, p *pipelines.Pipeline) error {
	stmts := []string{
		`CREATE OR REPLACE TABLE cfg_create (entity VARCHAR, from_system VARCHAR, to_system VARCHAR, object VARCHAR)`,
		`CREATE OR REPLACE TABLE cfg_systems (setting VARCHAR, system VARCHAR)`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	for _, c := range p.Golden.Create {
		to := "salesforce"
		if c.From == "salesforce" {
			to = "hubspot"
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO cfg_create VALUES (?, ?, ?, ?)`, c.Entity, c.From, to, c.Object); err != nil {
			return err
		}
	}
	for setting, systems := range map[string][]string{"merge_duplicates": p.Golden.MergeDuplicates, "propagate_deletions": p.Golden.PropagateDeletions} {
		for _, s := range systems {
			if _, err := db.ExecContext(ctx, `INSERT INTO cfg_systems VALUES (?, ?)`, setting, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// The columns an expression may use, typed as the models pass them.
const (
	scoreColumns = `value VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR, changed_at TIMESTAMP, updated_at TIMESTAMP`
	scoreParams  = `value, system, object, record_id, changed_at, updated_at`
	lockColumns  = `has_hubspot BOOLEAN, has_salesforce BOOLEAN, hubspot_value VARCHAR, salesforce_value VARCHAR`
	lockParams   = `has_hubspot, has_salesforce, hubspot_value, salesforce_value`
)

// createRuleMacros validates every rule expression and builds the two macros
// that evaluate them: CASE rule_id WHEN 1 THEN (expression) ... END.
func createRuleMacros(ctx context.Context, db *sql.DB, p *pipelines.Pipeline) error {
	for _, s := range []string{
		`CREATE OR REPLACE TEMP TABLE golden_score_probe (` + scoreColumns + `)`,
		`CREATE OR REPLACE TEMP TABLE golden_lock_probe (` + lockColumns + `)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	var score, lock []string
	var errs []error
	for i, r := range p.Golden.Rules {
		where := fmt.Sprintf("%s:%d: %s.%s", p.Source, r.Line(), r.Entity, r.Field)
		if r.Rule == "sql" {
			if err := checkExpression(ctx, db, r.Expression, "golden_score_probe", "DOUBLE"); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: expression %q: %v", ErrRuleExpression, where, r.Expression, err))
				continue
			}
			score = append(score, fmt.Sprintf("WHEN %d THEN TRY_CAST((%s) AS DOUBLE)", i+1, r.Expression))
		}
		if r.Lock != nil {
			if err := checkExpression(ctx, db, r.Lock.When, "golden_lock_probe", "BOOLEAN"); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: lock when %q: %v", ErrRuleExpression, where, r.Lock.When, err))
				continue
			}
			lock = append(lock, fmt.Sprintf("WHEN %d THEN coalesce(TRY_CAST((%s) AS BOOLEAN), false)", i+1, r.Lock.When))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	body := func(cases []string, def string) string {
		if len(cases) == 0 {
			return def
		}
		return "CASE rule_id " + strings.Join(cases, " ") + " ELSE " + def + " END"
	}
	for _, s := range []string{
		`CREATE OR REPLACE MACRO golden_rule_score(rule_id, ` + scoreParams + `) AS ` + body(score, "NULL::DOUBLE"),
		`CREATE OR REPLACE MACRO golden_lock_holds(rule_id, ` + lockParams + `) AS ` + body(lock, "false"),
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%w: %v", ErrRuleExpression, err)
		}
	}
	return nil
}

// checkExpression parses expr as the only item of a select list over probe
// (DuckDB's own parser, through json_serialize_sql with the text bound as a
// parameter), refuses subqueries and anything but one plain expression, then
// binds it against the probe's typed columns and the wanted type.
func checkExpression(ctx context.Context, db *sql.DB, expr, probe, want string) error {
	var js string
	if err := db.QueryRowContext(ctx, `SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)`, "SELECT ("+expr+") FROM "+probe).Scan(&js); err != nil {
		return err
	}
	var tree struct {
		Error      bool   `json:"error"`
		ErrorMsg   string `json:"error_message"`
		Statements []struct {
			Node struct {
				SelectList []json.RawMessage `json:"select_list"`
				FromTable  struct {
					TableName string `json:"table_name"`
				} `json:"from_table"`
			} `json:"node"`
		} `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		return err
	}
	if tree.Error {
		return errors.New(tree.ErrorMsg)
	}
	if len(tree.Statements) != 1 || len(tree.Statements[0].Node.SelectList) != 1 || tree.Statements[0].Node.FromTable.TableName != probe {
		return errors.New("want one expression")
	}
	if strings.Contains(js, `"SUBQUERY"`) {
		return errors.New("subqueries are not allowed")
	}
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT CAST(("+expr+") AS "+want+") FROM "+probe+")").Scan(&n)
	return err
}

// loadRawVersions lands every extracted version of the value fields the
// field map names, from every committed raw file (the current view keeps
// only the latest): one row per system, object, record, version and field.
// With o.DeferPersons it leaves out the objects of person records, which
// loadPersonVersions adds later for the golden persons the run rebuilds.
// The other objects are read through their versions snapshot
// (historyVersions).
func loadRawVersions(ctx context.Context, db *sql.DB, store lake.Store, o prepareOptions) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE raw_versions (system VARCHAR, object VARCHAR,
		record_id VARCHAR, updated_at TIMESTAMP, crm_field VARCHAR, value VARCHAR)`); err != nil {
		return err
	}
	personObjects, err := entityObjects(ctx, db, "person")
	if err != nil {
		return err
	}
	for sys, objs := range objects {
		for _, obj := range objs {
			if o.DeferPersons && personObjects[sys+"/"+obj] {
				continue
			}
			if err := historyVersions(ctx, db, store, sys, obj, o); err != nil {
				return fmt.Errorf("raw versions %s %s: %w", sys, obj, err)
			}
		}
	}
	return nil
}

// historyVersions loads one object's versions. With a versions snapshot
// (rawsnap.go) it reads the snapshot's rows of the records no later run
// read, and recomputes from every file the records the later runs read:
// a record's versions depend on its own rows only. With o.Compact it
// writes a new snapshot when there was none or the runs it did not cover
// reached snapshotShare of it.
func historyVersions(ctx context.Context, db *sql.DB, store lake.Store, sys, obj string, o prepareOptions) error {
	ms, err := extract.Manifests(ctx, store, sys, obj)
	if err != nil || len(ms) == 0 {
		return err
	}
	fields, err := valueFields(ctx, db, sys, obj)
	if err != nil || len(fields) == 0 {
		return err
	}
	all, err := manifestFiles(ctx, store, ms)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return nil
	}
	types, err := fileTypes(ctx, db, all)
	if err != nil {
		return err
	}
	sig := fieldSignature(fields, types)
	var base *rawSnapshot
	if !o.RawFiles {
		if base, err = usableVersions(ctx, store, sys, obj, ms, sig, o.Log); err != nil {
			return err
		}
	}
	covered := map[string]bool{}
	if base != nil {
		for _, r := range base.Runs {
			covered[r.RunID] = true
		}
	}
	var later []string
	var coveredRows, laterRows int64
	for _, m := range ms {
		if covered[m.RunID] {
			coveredRows += m.Records
			continue
		}
		local, err := localFiles(ctx, store, m.Files)
		if err != nil {
			return err
		}
		later, laterRows = append(later, local...), laterRows+m.Records
	}
	if base == nil {
		err = versionsTyped(ctx, db, sys, obj, fields, types, all, "")
	} else {
		err = snapshotVersions(ctx, db, store, sys, obj, fields, types, all, later, base)
	}
	if err != nil || !o.Compact || (base != nil && !worthSnapshot(coveredRows, laterRows)) {
		return err
	}
	if err := writeVersionsSnapshot(ctx, db, store, snapshotFor(sys, obj, snapVersions, ms), sig, o.Log); err != nil {
		o.Log.Warn("versions snapshot not saved", "system", sys, "object", obj, "err", err)
	}
	return nil
}

// usableVersions is the versions snapshot of the object that covers most of
// its runs ms, unchanged, with the fields read as sig says; nil if none.
func usableVersions(ctx context.Context, store lake.Store, sys, obj string, ms []extract.Manifest, sig []string, log *slog.Logger) (*rawSnapshot, error) {
	snaps, err := readSnapshots(ctx, store, sys, obj, snapVersions)
	if err != nil {
		return nil, err
	}
	same := snaps[:0]
	for _, s := range snaps {
		if slices.Equal(s.Fields, sig) {
			same = append(same, s)
		}
	}
	return snapshotPresent(ctx, store, usableSnapshot(same, ms), log)
}

// snapshotVersions loads an object's versions from snapshot base, and those
// of the records the later files read from every file.
func snapshotVersions(ctx context.Context, db *sql.DB, store lake.Store, sys, obj string, fields []string, types map[string]string, files, later []string, base *rawSnapshot) error {
	snap, err := store.LocalPath(ctx, base.File)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE versions_touched (system VARCHAR, object VARCHAR, record_id VARCHAR)`); err != nil {
		return err
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS versions_touched`)
	if len(later) > 0 {
		if _, err := db.ExecContext(ctx, `INSERT INTO versions_touched SELECT DISTINCT ?, ?, _id FROM read_parquet(?::VARCHAR[], union_by_name = true)`,
			sys, obj, later); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO raw_versions SELECT ?, ?, record_id, updated_at, crm_field, value
		FROM read_parquet(?) ANTI JOIN versions_touched USING (record_id)`, sys, obj, snap); err != nil {
		return err
	}
	if len(later) == 0 {
		return nil
	}
	return versionsTyped(ctx, db, sys, obj, fields, types, files, "versions_touched")
}

// writeVersionsSnapshot writes the object's raw_versions rows as snapshot s
// of the fields with their types (sig).
func writeVersionsSnapshot(ctx context.Context, db *sql.DB, store lake.Store, s *rawSnapshot, sig []string, log *slog.Logger) error {
	dir, err := os.MkdirTemp("", "crmhub-versions-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	local := filepath.Join(dir, "versions.parquet")
	// numbered: DuckDB binds COPY's target before the query's parameters
	if _, err := db.ExecContext(ctx, `COPY (SELECT record_id, updated_at, crm_field, value FROM raw_versions WHERE system = $1 AND object = $2)
		TO $3 (FORMAT parquet, COMPRESSION zstd)`, s.System, s.Object, local); err != nil {
		return err
	}
	var rows int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM raw_versions WHERE system = ? AND object = ?`, s.System, s.Object).Scan(&rows); err != nil {
		return err
	}
	s.Fields = sig
	if err := saveSnapshot(ctx, store, *s, local, rows, time.Now()); err != nil {
		return err
	}
	log.Info("versions snapshot saved", "system", s.System, "object", s.Object, "runs", len(s.Runs), "rows", rows)
	return nil
}

// manifestFiles returns local copies of every file the manifests list, in
// manifest order.
func manifestFiles(ctx context.Context, store lake.Store, ms []extract.Manifest) ([]string, error) {
	var out []string
	for _, m := range ms {
		local, err := localFiles(ctx, store, m.Files)
		if err != nil {
			return nil, err
		}
		out = append(out, local...)
	}
	return out, nil
}

func localFiles(ctx context.Context, store lake.Store, keys []string) ([]string, error) {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		p, err := store.LocalPath(ctx, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// loadPersonVersions adds to raw_versions the versions of the person
// records in the golden persons the run rebuilds (person_scope, after the
// models that make it): an incremental night reads the history of a few
// thousand records instead of every person's. It runs just before
// person_field_changes (transform.Runner.Before).
func loadPersonVersions(ctx context.Context, db *sql.DB, store lake.Store) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE person_scope_records AS
		SELECT s.system, s.object, s.record_id FROM stg_persons s
		JOIN person_clusters c USING (record_key) SEMI JOIN person_scope USING (golden_id)`); err != nil {
		return fmt.Errorf("person versions: %w", err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS person_scope_records`)
	personObjects, err := entityObjects(ctx, db, "person")
	if err != nil {
		return err
	}
	for sys, objs := range objects {
		for _, obj := range objs {
			if personObjects[sys+"/"+obj] {
				if err := objectVersions(ctx, db, store, sys, obj); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// entityObjects are the system/object pairs the field map gives an entity.
func entityObjects(ctx context.Context, db *sql.DB, entity string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT system || '/' || object FROM ref_field_map WHERE entity = ?`, entity)
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// objectVersions loads the versions of one object's records in
// person_scope_records from every file its manifests list.
func objectVersions(ctx context.Context, db *sql.DB, store lake.Store, sys, obj string) error {
	ms, err := extract.Manifests(ctx, store, sys, obj)
	if err != nil {
		return err
	}
	files, err := manifestFiles(ctx, store, ms)
	if err != nil {
		return err
	}
	fields, err := valueFields(ctx, db, sys, obj)
	if err != nil || len(files) == 0 || len(fields) == 0 {
		return err
	}
	if err := versionsOf(ctx, db, sys, obj, fields, files, "person_scope_records"); err != nil {
		return fmt.Errorf("raw versions %s %s: %w", sys, obj, err)
	}
	return nil
}

// valueFields are the object's value fields in the field map, sorted.
func valueFields(ctx context.Context, db *sql.DB, sys, obj string) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT crm_field FROM ref_field_map WHERE system = ? AND object = ? AND role = 'value' ORDER BY 1`, sys, obj)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fields []string
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, err
		}
		fields = append(fields, f)
	}
	return fields, rows.Err()
}

// versionsOf inserts the versions of fields read from files; with scope (a
// table of system, object, record_id) only those records'.
func versionsOf(ctx context.Context, db *sql.DB, sys, obj string, fields, files []string, scope string) error {
	types, err := fileTypes(ctx, db, files)
	if err != nil {
		return err
	}
	return versionsTyped(ctx, db, sys, obj, fields, types, files, scope)
}

// fileTypes are the columns of files read together by name, with their types.
func fileTypes(ctx context.Context, db *sql.DB, files []string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?::VARCHAR[], union_by_name = true))`, files)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types := map[string]string{}
	for rows.Next() {
		var c, t string
		if err := rows.Scan(&c, &t); err != nil {
			return nil, err
		}
		types[c] = t
	}
	return types, rows.Err()
}

// fieldSignature names each field with the type it reads as ("-" when no
// file has it): the text of a version is the field cast from that type, so
// a versions snapshot is read only while every field's type is the same.
func fieldSignature(fields []string, types map[string]string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		t, ok := types[f]
		if !ok {
			t = "-"
		}
		out[i] = f + " " + t
	}
	return out
}

// versionsTyped is versionsOf with the files' column types known.
func versionsTyped(ctx context.Context, db *sql.DB, sys, obj string, fields []string, types map[string]string, files []string, scope string) error {
	// read only the mapped columns (a raw file holds every property); one
	// the files lack reads as NULL
	quoted := make([]string, len(fields))
	cols := make([]string, len(fields))
	for i, f := range fields {
		quoted[i] = transform.QuoteIdent(f)
		cols[i] = "CAST(NULL AS VARCHAR) AS " + quoted[i]
		if _, ok := types[f]; ok {
			cols[i] = "CAST(" + quoted[i] + " AS VARCHAR) AS " + quoted[i]
		}
	}
	// One row per version (re-read records, as in overlap windows,
	// collapse) and field, keeping only the versions where the field's text
	// differs from the record's version before: a repeated value can never
	// be a change point in field_changes, and dropping it keeps the table
	// (and field_changes' sort) near one row per record and field however
	// many nights the lake holds. Values that differ only in format stay;
	// field_changes compares them with same_value.
	where, args := "", []any{sys, obj, files}
	if scope != "" {
		where = ` WHERE _id IN (SELECT record_id FROM ` + transform.QuoteIdent(scope) + ` WHERE system = ? AND object = ?)`
		args = append(args, sys, obj)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO raw_versions
		SELECT ?, ?, _id, _updated_at, crm_field, value FROM (
		  SELECT _id, _updated_at, `+strings.Join(cols, ", ")+` FROM read_parquet(?::VARCHAR[], union_by_name = true)`+where+`
		  QUALIFY row_number() OVER (PARTITION BY _id, _updated_at ORDER BY _extracted_at DESC) = 1
		) UNPIVOT INCLUDE NULLS (value FOR crm_field IN (`+strings.Join(quoted, ", ")+`))
		WINDOW w AS (PARTITION BY _id, crm_field ORDER BY _updated_at)
		QUALIFY row_number() OVER w = 1 OR value IS DISTINCT FROM lag(value) OVER w`, args...)
	return err
}

// loadPrevWrites makes prev_writes the previous run's write log (what
// crmhub wrote, per record and field, carried forward run after run), or
// an empty table. A view over the file: at a million people per system
// the log is 9.6 M rows, and copying it into the database took half the
// prepare phase, to be read twice (field_changes_of reads the rows of the
// records it walks, the publish the whole log for the next write log).
func loadPrevWrites(ctx context.Context, db *sql.DB, file string) error {
	const cols = `system VARCHAR, object VARCHAR, record_id VARCHAR, crm_field VARCHAR, value VARCHAR,
		source_changed_at TIMESTAMP, run_id VARCHAR, written_at TIMESTAMP`
	if file == "" {
		_, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE prev_writes (`+cols+`)`)
		return err
	}
	if _, err := db.ExecContext(ctx, `SET VARIABLE prev_writes_file = ?`, file); err != nil {
		return fmt.Errorf("prev_writes: %w", err)
	}
	_, err := db.ExecContext(ctx, `CREATE OR REPLACE VIEW prev_writes AS SELECT * FROM read_parquet(getvariable('prev_writes_file'))`)
	return err
}

// prevTable is the local copy of a table the previous run published, or ""
// when there is none (first run, or a run before the table existed).
func prevTable(ctx context.Context, store lake.Store, prev *Latest, table string) string {
	if prev == nil || prev.Tables[table] == "" {
		return ""
	}
	p, err := store.LocalPath(ctx, prev.Tables[table])
	if err != nil {
		return ""
	}
	return p
}
