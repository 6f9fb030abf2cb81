package cycle

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"sort"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/transform"
)

// The match state is what a run leaves for the next one to stage and
// compare persons incrementally (docs/scaling.md): its staged person
// records and the levels of every scored person pair, and the keys of its
// staged companies and the names of its staged deals. It is published in
// the run's folder under _state/, beside the tables but not among them (no
// analyst reads it), and named in _latest.json's transform state, so it
// flips with the tables it was computed with.
const (
	stateStagedPersons   = "stg_persons"
	statePersonPairs     = "person_pairs"
	stateStagedCompanies = "stg_companies"
	stateStagedDeals     = "stg_deals"
)

// stagedStateColumns are the columns of the staged rows the state keeps:
// what person_pairs compares and stg_persons carries, and the updated_at
// and digest of the raw values that tell stg_persons a record is
// unchanged (not the raw values: two fifths of the state's size, and
// seventeen columns to read back and compare).
const stagedStateColumns = `record_key, system, object, record_id, updated_at, deleted, raw_digest,
	email_n, phone_n, first_n, first_key, last_n, birthdate_d, street_n, city_n, postal_n, state_n,
	company_n, cross_id_n, email_key, mobile_n, rid`

// companyStateColumns are what stg_companies carries of an unchanged
// company record (its normalised keys) and what tells it the record is
// unchanged (updated_at and raw_digest, as for persons).
const companyStateColumns = `system, object, record_id, updated_at, raw_digest,
	name_n, domain_n, phone_n, street_n, city_n, postal_n, cross_id_n, house_n, street_core_n, name_tokens`

// dealStateColumns are what stg_deals carries of a deal whose name and
// company name are unchanged: its two normalised names, the dear part of
// staging a deal (the rest is casts and a join).
const dealStateColumns = `system, object, record_id, updated_at, name_digest, name_full_n, name_n`

// matchStateQueries export each part of the state: the staged rows'
// digest and keys, and per scored pair the blocking rules that found it
// (person_candidates carries the pairs of unchanged blocks) and what its
// comparison gave (the cross-id flags are the decisions they forced: the
// two never hold together).
var matchStateQueries = map[string]string{
	stateStagedPersons: `SELECT ` + stagedStateColumns + ` FROM stg_persons`,
	statePersonPairs: `SELECT left_rid, right_rid, rule_mask, pattern, decided_by = 'cross_id' AS same_cross_id,
		decided_by = 'conflicting_cross_id' AS conflicting_cross_id FROM person_pairs`,
	stateStagedCompanies: `SELECT ` + companyStateColumns + ` FROM stg_companies`,
	stateStagedDeals:     `SELECT ` + dealStateColumns + ` FROM stg_deals`,
}

// matchStateInputs creates prev_stg_persons, prev_person_pairs,
// prev_stg_companies and prev_stg_deals, which stg_persons,
// person_candidates, stg_companies and stg_deals read: views over the last run's state on an
// incremental run, else empty tables with the columns the models name.
func matchStateInputs(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest, incremental bool) error {
	if !incremental {
		for _, ddl := range []string{
			`CREATE OR REPLACE TABLE prev_stg_persons (record_key VARCHAR, system VARCHAR, object VARCHAR, record_id VARCHAR,
				updated_at TIMESTAMP, deleted BOOLEAN, raw_digest UBIGINT, email_n VARCHAR, phone_n VARCHAR, first_n VARCHAR, first_key VARCHAR,
				last_n VARCHAR, birthdate_d DATE, street_n VARCHAR, city_n VARCHAR, postal_n VARCHAR, state_n VARCHAR,
				company_n VARCHAR, cross_id_n VARCHAR, email_key VARCHAR, mobile_n VARCHAR, rid BIGINT)`,
			`CREATE OR REPLACE TABLE prev_person_pairs (left_rid BIGINT, right_rid BIGINT, rule_mask BIGINT, pattern INTEGER,
				same_cross_id BOOLEAN, conflicting_cross_id BOOLEAN)`,
			`CREATE OR REPLACE TABLE prev_stg_companies (system VARCHAR, object VARCHAR, record_id VARCHAR, updated_at TIMESTAMP,
				raw_digest UBIGINT, name_n VARCHAR, domain_n VARCHAR, phone_n VARCHAR, street_n VARCHAR, city_n VARCHAR, postal_n VARCHAR,
				cross_id_n VARCHAR, house_n VARCHAR, street_core_n VARCHAR, name_tokens VARCHAR[])`,
			`CREATE OR REPLACE TABLE prev_stg_deals (system VARCHAR, object VARCHAR, record_id VARCHAR, updated_at TIMESTAMP,
				name_digest UBIGINT, name_full_n VARCHAR, name_n VARCHAR)`,
		} {
			if _, err := db.ExecContext(ctx, ddl); err != nil {
				return fmt.Errorf("match state: %w", err)
			}
		}
		return nil
	}
	// a view reads the file once, where the model uses it, instead of
	// holding a copy in memory for the whole transform
	for _, v := range []struct{ part, variable, view string }{
		{stateStagedPersons, "prev_stg_persons_file", `CREATE OR REPLACE VIEW prev_stg_persons AS SELECT * FROM read_parquet(getvariable('prev_stg_persons_file'))`},
		{statePersonPairs, "prev_person_pairs_file", `CREATE OR REPLACE VIEW prev_person_pairs AS SELECT * FROM read_parquet(getvariable('prev_person_pairs_file'))`},
		{stateStagedCompanies, "prev_stg_companies_file", `CREATE OR REPLACE VIEW prev_stg_companies AS SELECT * FROM read_parquet(getvariable('prev_stg_companies_file'))`},
		{stateStagedDeals, "prev_stg_deals_file", `CREATE OR REPLACE VIEW prev_stg_deals AS SELECT * FROM read_parquet(getvariable('prev_stg_deals_file'))`},
	} {
		file, err := store.LocalPath(ctx, prev.Transform.State[v.part])
		if err != nil {
			return fmt.Errorf("match state: last run's %s: %w", v.part, err)
		}
		if _, err := db.ExecContext(ctx, `SET VARIABLE `+transform.QuoteIdent(v.variable)+` = ?`, file); err != nil {
			return fmt.Errorf("match state: %w", err)
		}
		if _, err := db.ExecContext(ctx, v.view); err != nil {
			return fmt.Errorf("match state: %w", err)
		}
	}
	return nil
}

// hasMatchState reports whether the last run left every part of the state
// and every part is still in the lake: `_latest.json` rolled back to an
// older run names state a later run has deleted, and that run must then be
// full rather than fail.
func hasMatchState(ctx context.Context, store lake.Store, ts *TransformState) (bool, error) {
	for part := range matchStateQueries {
		key := ts.State[part]
		if key == "" {
			return false, nil
		}
		keys, err := store.List(ctx, key)
		if err != nil {
			return false, fmt.Errorf("match state: %w", err)
		}
		if !slices.Contains(keys, key) {
			return false, nil
		}
	}
	return true, nil
}

// exportMatchState writes the state of this run's transform to Parquet
// files in dir; none when the models built no person pairs or staged no
// companies or deals (a models tree without matching).
func exportMatchState(ctx context.Context, db *sql.DB, dir string) (map[string]string, error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('stg_persons', 'person_pairs', 'stg_companies', 'stg_deals') AND NOT temporary`).Scan(&n); err != nil {
		return nil, fmt.Errorf("match state: %w", err)
	}
	if n < len(matchStateQueries) {
		return nil, nil
	}
	files := map[string]string{}
	for part, query := range matchStateQueries {
		local := filepath.Join(dir, "_state_"+part+".parquet")
		// Parquet V2 pages (delta-encoded integers: rids, patterns): the
		// pairs' file writes a third faster and is a fifth smaller.
		// Only crmhub reads the state, so no analyst's tool must read V2.
		// zstd's fastest level, as the published tables (exportTable).
		if _, err := db.ExecContext(ctx, `COPY (`+query+`) TO ? (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION V2)`, local); err != nil {
			return nil, fmt.Errorf("match state: export %s: %w", part, err)
		}
		files[part] = local
	}
	return files, nil
}

// publishMatchState puts the exported state into published/RUN/_state/
// and returns its lake keys, for the transform state that _latest.json
// publishes with the tables.
func publishMatchState(ctx context.Context, store lake.Store, runID string, files map[string]string) (map[string]string, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if err := lake.Segment(runID); err != nil {
		return nil, fmt.Errorf("match state: run id: %w", err)
	}
	parts := make([]string, 0, len(files))
	for part := range files {
		parts = append(parts, part)
	}
	sort.Strings(parts)
	keys := map[string]string{}
	for _, part := range parts {
		key := path.Join("published", runID, "_state", part+".parquet")
		if err := store.PutFile(ctx, key, files[part]); err != nil {
			return nil, fmt.Errorf("match state: publish %s: %w", part, err)
		}
		keys[part] = key
	}
	return keys, nil
}

// matchWork reads how many person candidate pairs the run compared, of how
// many (person_match_work, from person_candidates); zeros without matching.
func matchWork(ctx context.Context, db *sql.DB) (compared, candidates int64, err error) {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_match_work'`).Scan(&n); err != nil {
		return 0, 0, fmt.Errorf("match work: %w", err)
	}
	if n == 0 {
		return 0, 0, nil
	}
	if err := db.QueryRowContext(ctx, `SELECT compared_pairs, candidate_pairs FROM person_match_work`).Scan(&compared, &candidates); err != nil {
		return 0, 0, fmt.Errorf("match work: %w", err)
	}
	return compared, candidates, nil
}

// pruneMatchState deletes the state of the run before the one just
// published: only the latest run's state is ever read, and at a million
// persons each is some hundreds of MiB. A failure only costs disk.
func pruneMatchState(ctx context.Context, store lake.Store, prev, published *Latest, log *slog.Logger) {
	if prev == nil || prev.Transform == nil || published == nil {
		return
	}
	keep := map[string]bool{}
	if published.Transform != nil {
		for _, key := range published.Transform.State {
			keep[key] = true
		}
	}
	for _, key := range prev.Transform.State {
		if keep[key] {
			continue
		}
		if err := store.Delete(ctx, key); err != nil {
			log.Warn("match state: could not delete the last run's state", "key", key, "err", err)
		}
	}
}
