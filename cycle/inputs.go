package cycle

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"time"

	"github.com/crmhub/crmhub/extract"
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
func transformInputs(ctx context.Context, store lake.Store, models fs.FS, p *pipelines.Pipeline, prevXref string, lastRunAt time.Time, tempDir string) (transform.Inputs, error) {
	in := transform.Inputs{Raw: map[string][]string{}, PrevXref: prevXref, TempDir: tempDir}
	for sys, objs := range objects {
		for _, obj := range objs {
			keys, err := extract.CurrentFiles(ctx, store, sys, obj)
			if err != nil {
				return in, err
			}
			var local []string
			for _, k := range keys {
				pth, err := store.LocalPath(ctx, k)
				if err != nil {
					return in, err
				}
				local = append(local, pth)
			}
			in.Raw[transform.RawTable(sys, obj)] = local
		}
	}
	refs, err := fs.Sub(models, "ref")
	if err != nil {
		return in, err
	}
	in.Refs = refs
	cols, err := mappedColumns(refs)
	if err != nil {
		return in, err
	}
	in.Columns = cols
	in.Vars = p.Vars()
	in.Vars["last_run_at"] = lastRunAt.UTC()
	return in, nil
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
