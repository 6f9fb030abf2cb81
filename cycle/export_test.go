package cycle

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// MatchStateQueries are the queries that export each part of a run's
// match state, by part.
var MatchStateQueries = matchStateQueries

// RecomputeFull runs a full transform over the lake as the run after prev
// saw it (the run's own extract included), for comparing with what that
// run published.
func RecomputeFull(ctx context.Context, store lake.Store, models fs.FS, p *pipelines.Pipeline, prev *Latest, work string) (*sql.DB, error) {
	m, err := withMappings(models, p.Mappings)
	if err != nil {
		return nil, err
	}
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: work})
	if err != nil {
		return nil, err
	}
	if err := prepareModels(ctx, db, store, m, p, prev, work, prepareOptions{RawFiles: true}); err != nil {
		db.Close()
		return nil, err
	}
	ms, err := transform.LoadModels(m)
	if err == nil {
		_, err = (&transform.Runner{DB: db}).Run(ctx, ms)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
