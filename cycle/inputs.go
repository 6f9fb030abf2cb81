package cycle

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
	"github.com/crmhub/crmhub/transform"
)

// objects in scope, per system.
var objects = map[string][]string{seed.HubSpot: seed.HubSpotObjects, seed.Salesforce: seed.SalesforceObjects}

// transformInputs gathers the tables the models read: the current raw files
// of every object (local copies), the columns the field map names, the
// reference CSVs, the previous run's xref and the pipeline's variables.
//
// An object's current view is read through its raw snapshot where there
// is one (cycle/rawsnap.go), unless o.RawFiles. With o.Compact, Prepare
// writes a snapshot of each view worth compacting (in.Snapshots); the
// returned map says which, for saveSnapshots.
func transformInputs(ctx context.Context, store lake.Store, models fs.FS, p *pipelines.Pipeline, prevXref string, lastRunAt time.Time, tempDir string, o prepareOptions) (transform.Inputs, map[string]rawSnapshot, error) {
	in := transform.Inputs{Raw: map[string][]string{}, Snapshots: map[string]string{}, PrevXref: prevXref, TempDir: tempDir}
	writes := map[string]rawSnapshot{}
	for sys, objs := range objects {
		for _, obj := range objs {
			src, err := objectSource(ctx, store, sys, obj, !o.RawFiles, o.Log)
			if err != nil {
				return in, nil, err
			}
			var local []string
			for _, k := range src.Keys {
				pth, err := store.LocalPath(ctx, k)
				if err != nil {
					return in, nil, err
				}
				local = append(local, pth)
			}
			table := transform.RawTable(sys, obj)
			in.Raw[table] = local
			if o.Compact && src.Write != nil {
				in.Snapshots[table] = filepath.Join(tempDir, table+".snapshot.parquet")
				writes[table] = *src.Write
			}
		}
	}
	refs, err := fs.Sub(models, "ref")
	if err != nil {
		return in, nil, err
	}
	in.Refs = refs
	cols, err := mappedColumns(refs)
	if err != nil {
		return in, nil, err
	}
	in.Columns = cols
	in.Vars = p.Vars()
	in.Vars["last_run_at"] = lastRunAt.UTC()
	return in, writes, nil
}

// saveSnapshots puts the snapshots Prepare wrote into the lake. A snapshot
// only saves later runs work, so one that fails to land is logged and the
// run goes on: the raw files stay the truth.
func saveSnapshots(ctx context.Context, db *sql.DB, store lake.Store, in transform.Inputs, writes map[string]rawSnapshot, log *slog.Logger) {
	tables := make([]string, 0, len(writes))
	for t := range writes {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		s := writes[t]
		var rows int64
		err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+transform.QuoteIdent(t)).Scan(&rows)
		if err == nil {
			err = saveSnapshot(ctx, store, s, in.Snapshots[t], rows, time.Now())
		}
		if err != nil {
			log.Warn("raw snapshot not saved", "system", s.System, "object", s.Object, "err", err)
			continue
		}
		log.Info("raw snapshot saved", "system", s.System, "object", s.Object, "runs", len(s.Runs), "rows", rows)
	}
}

// mappedColumns reads ref/field_map.csv: every CRM field it names must exist
// in its raw table, even when the CRM or seed lacks it.
func mappedColumns(refs fs.FS) (map[string][]string, error) {
	f, err := refs.Open("field_map.csv")
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	if len(rows) < 1 || len(rows[0]) < 6 {
		return nil, fmt.Errorf("field map: want header entity,field,system,object,crm_field,role")
	}
	out := map[string][]string{}
	for i, r := range rows[1:] {
		if len(r) < 6 {
			return nil, fmt.Errorf("field map line %d: want 6 columns", i+2)
		}
		t := transform.RawTable(r[2], r[3])
		out[t] = append(out[t], r[4])
	}
	return out, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
