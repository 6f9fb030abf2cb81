package cycle

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
)

// ArchiveHoldKey keeps the counts before a refused mass archive, so the
// refusal holds on the next runs until a run is approved (the refused run
// publishes its xref, which would otherwise become the new baseline).
const ArchiveHoldKey = "runs/_archive_hold.json"

// objectCounts are one object's records in xref: live and deleted.
type objectCounts struct {
	Live    int64 `json:"live"`
	Deleted int64 `json:"deleted"`
}

// xrefCounts counts this run's xref, or the xref file given.
func xrefCounts(ctx context.Context, db *sql.DB, file string) (map[string]objectCounts, error) {
	from, args := "xref", []any{}
	if file != "" {
		from, args = "read_parquet(?)", []any{file}
	}
	rows, err := db.QueryContext(ctx, `SELECT system, object, count(*) FILTER (WHERE NOT coalesce(deleted, false)),
		count(*) FILTER (WHERE coalesce(deleted, false)) FROM `+from+` GROUP BY ALL`, args...)
	if err != nil {
		return nil, fmt.Errorf("archive guard: %s: %w", from, err)
	}
	defer rows.Close()
	out := map[string]objectCounts{}
	for rows.Next() {
		var sys, obj string
		var c objectCounts
		if err := rows.Scan(&sys, &obj, &c.Live, &c.Deleted); err != nil {
			return nil, err
		}
		out[sys+" "+obj] = c
	}
	return out, rows.Err()
}

// checkArchives is the extract-side safeguard: an object of which the
// sources archived (deleted) more records since the last run than the
// guard's limits allow (load.max_update_share of the object's live records,
// at most load.max_updates) stops the run before the load unless approved.
func checkArchives(ctx context.Context, db *sql.DB, store lake.Store, prev *Latest, g load.Guard) error {
	now, err := xrefCounts(ctx, db, "")
	if err != nil {
		return err
	}
	var base map[string]objectCounts
	held := false
	b, err := lake.ReadAll(ctx, store, ArchiveHoldKey)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &base); err != nil {
			return fmt.Errorf("%s: %w", ArchiveHoldKey, err)
		}
		held = true
	case errors.Is(err, lake.ErrNotFound):
		if prev == nil || prev.Tables["xref"] == "" {
			return nil // first run: nothing to compare with
		}
		file, err := store.LocalPath(ctx, prev.Tables["xref"])
		if err != nil {
			return fmt.Errorf("archive guard: previous xref: %w", err)
		}
		if base, err = xrefCounts(ctx, db, file); err != nil {
			return err
		}
	default:
		return err
	}
	keys := make([]string, 0, len(now))
	for k := range now {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		was, ok := base[k]
		if !ok || was.Live == 0 {
			continue
		}
		archived := now[k].Deleted - was.Deleted
		limit := int64(g.MaxShare * float64(was.Live))
		if g.MaxCount > 0 && int64(g.MaxCount) < limit {
			limit = int64(g.MaxCount)
		}
		if archived > limit {
			errs = append(errs, fmt.Errorf("%w: %s: %d of %d records archived in the source since the last run, above the limit of %d (max_update_share %.0f%%, max_updates %d); approve this run with --approve \"reason\"",
				load.ErrGuard, k, archived, was.Live, limit, 100*g.MaxShare, g.MaxCount))
		}
	}
	if len(errs) > 0 && !g.Approved {
		if !held {
			b, _ := json.Marshal(base)
			if err := store.Put(ctx, ArchiveHoldKey, bytes.NewReader(b)); err != nil {
				return err
			}
		}
		return errors.Join(errs...)
	}
	if held {
		return store.Delete(ctx, ArchiveHoldKey)
	}
	return nil
}
