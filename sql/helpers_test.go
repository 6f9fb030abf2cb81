package sql_test

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"
	"testing/fstest"

	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// testDB opens a small DuckDB engine for one test, closed at its end.
func testDB(ctx context.Context, t *testing.T) *sql.DB {
	t.Helper()
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir(), Threads: 1, MemoryLimit: "500MB"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// embeddedModels loads the named files of the embedded sql/ tree as models.
func embeddedModels(t *testing.T, paths ...string) []transform.Model {
	t.Helper()
	sub := fstest.MapFS{}
	for _, p := range paths {
		b, err := fs.ReadFile(sqlmodels.Models, p)
		if err != nil {
			t.Fatal(err)
		}
		sub[p] = &fstest.MapFile{Data: b}
	}
	models, err := transform.LoadModels(sub)
	if err != nil {
		t.Fatal(err)
	}
	return models
}
