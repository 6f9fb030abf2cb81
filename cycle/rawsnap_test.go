package cycle

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/internal/testenv/testlakes"
	"github.com/crmhub/crmhub/pipelines"
	sqlmodels "github.com/crmhub/crmhub/sql"
	"github.com/crmhub/crmhub/transform"
)

// snapLake lands extract runs of hubspot contacts as extract.Run would:
// the Parquet file, then the manifest that commits it.
type snapLake struct {
	t     *testing.T
	ctx   context.Context
	store lake.Store
	at    time.Time
}

func (l *snapLake) land(run, mode string, cols []extract.Column, rows []extract.Row) {
	l.t.Helper()
	l.at = l.at.Add(24 * time.Hour)
	local := filepath.Join(l.t.TempDir(), run+".parquet")
	w, err := extract.NewTypedRawWriter(local, cols, run, l.at)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		l.t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		l.t.Fatal(err)
	}
	key := extract.ObjectPrefix("hubspot", "contacts") + "/" + run + ".parquet"
	if err := l.store.PutFile(l.ctx, key, local); err != nil {
		l.t.Fatal(err)
	}
	m := extract.Manifest{System: "hubspot", Object: "contacts", RunID: run, Mode: mode, Files: []string{key},
		Records: int64(len(rows)), Schema: cols, StartedAt: l.at, FinishedAt: l.at}
	b, err := json.Marshal(m)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := l.store.Put(l.ctx, extract.ObjectPrefix("hubspot", "contacts")+"/_manifests/"+run+".json", bytes.NewReader(b)); err != nil {
		l.t.Fatal(err)
	}
}

// prepare builds the raw tables and raw_versions as a run does (compact) or
// from the raw files only, and returns the sources hubspot contacts was read from.
func (l *snapLake) prepare(db *sql.DB, o prepareOptions) []string {
	l.t.Helper()
	o.Log = slog.New(slog.DiscardHandler)
	src, err := objectSource(l.ctx, l.store, "hubspot", "contacts", !o.RawFiles, o.Log)
	if err != nil {
		l.t.Fatal(err)
	}
	in, writes, err := transformInputs(l.ctx, l.store, sqlmodels.Models, pipelines.Default(), "", time.Time{}, l.t.TempDir(), o)
	if err != nil {
		l.t.Fatal(err)
	}
	if err := transform.Prepare(l.ctx, db, in); err != nil {
		l.t.Fatal(err)
	}
	saveSnapshots(l.ctx, db, l.store, in, writes, o.Log)
	if err := loadRawVersions(l.ctx, db, l.store, o); err != nil {
		l.t.Fatal(err)
	}
	var names []string
	for _, k := range src.Keys {
		names = append(names, path.Base(path.Dir(k))+"/"+path.Base(k))
	}
	return names
}

// TestRawSnapshotReadsAsFiles: a run reading hubspot contacts through a
// snapshot builds the same raw table, column for column and row for row,
// as one reading every raw file of the view, across duplicates within a
// file, stale re-reads, a field changing type (DECIMAL, text, DECIMAL
// again), values kept in _invalid, a new field, and a new full extract
// that starts the view again; on a local lake and on S3.
func TestRawSnapshotReadsAsFiles(t *testing.T) {
	testlakes.Each(t, snapshotsReadAsFiles)
}

func snapshotsReadAsFiles(t *testing.T, store lake.Store) {
	ctx := context.Background()
	l := &snapLake{t: t, ctx: ctx, store: store, at: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// amount is no mapped field; date_of_birth is, and its type moves too
	dec := []extract.Column{{Name: "email", Type: extract.TypeString}, {Name: "amount", Type: extract.TypeDecimal}, {Name: "date_of_birth", Type: extract.TypeDate}}
	txt := []extract.Column{{Name: "email", Type: extract.TypeString}, {Name: "amount", Type: extract.TypeString}, {Name: "date_of_birth", Type: extract.TypeString}}
	wide := append(dec[:3:3], extract.Column{Name: "jobtitle", Type: extract.TypeString})
	t0 := l.at
	row := func(id string, hours int, email, amount string) extract.Row {
		return extract.Row{ID: id, UpdatedAt: t0.Add(time.Duration(hours) * time.Hour),
			Values: map[string]string{"email": email, "amount": amount, "jobtitle": "t" + id, "date_of_birth": "1990-01-0" + id[:1]}}
	}

	type night struct {
		run, mode string
		cols      []extract.Column
		rows      []extract.Row
		// sources hubspot contacts is read from, and whether a snapshot is written
		want     []string
		snapshot bool
	}
	for _, n := range []night{
		{"r1", extract.ModeFull, dec, []extract.Row{
			row("1", 1, "a@x", "10.50"), row("2", 1, "b@x", "2"), row("2", 1, "b2@x", "3"), // the later row of a file wins a tie
			row("3", 1, "c@x", "not a number"), row("4", 1, "d@x", "4"), row("5", 1, "e@x", "5"), row("6", 1, "f@x", "6"),
		}, []string{"contacts/r1.parquet"}, false},
		{"r2", extract.ModeIncremental, txt, []extract.Row{
			row("1", 30, "a2@x", "eleven"), row("3", 1, "c-stale@x", "3"), row("4", -5, "d-old@x", "0"), row("7", 30, "g@x", "7.0"),
		}, []string{"contacts/r1.parquet", "contacts/r2.parquet"}, true},
		{"r3", extract.ModeIncremental, wide, []extract.Row{
			row("1", 60, "a3@x", "12.25"), row("5", 60, "e3@x", "bad"), row("8", 60, "h@x", "8"),
		}, []string{"_snapshots/r2.parquet", "contacts/r3.parquet"}, true},
		{"r4", extract.ModeIncremental, wide, []extract.Row{row("2", 90, "b4@x", "20")},
			[]string{"_snapshots/r3.parquet", "contacts/r4.parquet"}, true},
		// a night below snapshotShare reads the snapshot and its file, and writes none
		{"r5", extract.ModeIncremental, wide, nil, []string{"_snapshots/r4.parquet", "contacts/r5.parquet"}, false},
		{"r6", extract.ModeFull, dec, []extract.Row{row("1", 100, "a5@x", "1"), row("9", 100, "i@x", "9")},
			[]string{"contacts/r6.parquet"}, false},
	} {
		l.land(n.run, n.mode, n.cols, n.rows)
		got := l.prepare(db, prepareOptions{Compact: true})
		if strings.Join(got, " ") != strings.Join(n.want, " ") {
			t.Errorf("%s: read %v, want %v", n.run, got, n.want)
		}
		snaps, err := store.List(ctx, snapshotPrefix("hubspot", "contacts", snapRecords))
		if err != nil {
			t.Fatal(err)
		}
		wrote := len(snaps) == 2 && strings.HasSuffix(snaps[0], "/"+n.run+".json")
		if wrote != n.snapshot {
			t.Errorf("%s: snapshots after the run %v, want one written by this run: %v", n.run, snaps, n.snapshot)
		}
		if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE via_snapshot AS FROM raw_hubspot_contacts;
			CREATE OR REPLACE TABLE versions_via_snapshot AS FROM raw_versions`); err != nil {
			t.Fatal(err)
		}
		l.prepare(db, prepareOptions{RawFiles: true})
		// compare by name: the column order may differ
		var sel string
		if err := db.QueryRowContext(ctx, `SELECT string_agg('"' || replace(column_name, '"', '""') || '"', ', ' ORDER BY column_name)
			FROM duckdb_columns() WHERE table_name = 'raw_hubspot_contacts'`).Scan(&sel); err != nil {
			t.Fatal(err)
		}
		var cols string
		var onlySnap, onlyFiles, rows int64
		err = db.QueryRowContext(ctx, `SELECT
			(SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM duckdb_columns() WHERE table_name = 'via_snapshot')
			  = (SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_name) FROM duckdb_columns() WHERE table_name = 'raw_hubspot_contacts'),
			(SELECT count(*) FROM (SELECT `+sel+` FROM via_snapshot EXCEPT ALL SELECT `+sel+` FROM raw_hubspot_contacts)),
			(SELECT count(*) FROM (SELECT `+sel+` FROM raw_hubspot_contacts EXCEPT ALL SELECT `+sel+` FROM via_snapshot)),
			(SELECT count(*) FROM raw_hubspot_contacts)`).Scan(&cols, &onlySnap, &onlyFiles, &rows)
		if err != nil {
			t.Fatal(err)
		}
		if cols != "true" || onlySnap != 0 || onlyFiles != 0 || rows == 0 {
			t.Errorf("%s: via the snapshot vs the raw files: same columns %s, %d rows only via the snapshot, %d only via the files (of %d)",
				n.run, cols, onlySnap, onlyFiles, rows)
		}
		err = db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (FROM versions_via_snapshot EXCEPT ALL FROM raw_versions)),
			(SELECT count(*) FROM (FROM raw_versions EXCEPT ALL FROM versions_via_snapshot)), (SELECT count(*) FROM raw_versions)`).Scan(&onlySnap, &onlyFiles, &rows)
		if err != nil {
			t.Fatal(err)
		}
		if onlySnap != 0 || onlyFiles != 0 || rows == 0 {
			t.Errorf("%s: raw_versions via the snapshot vs the raw files: %d rows only via the snapshot, %d only via the files (of %d)",
				n.run, onlySnap, onlyFiles, rows)
		}
		vs, err := readSnapshots(ctx, store, "hubspot", "contacts", snapVersions)
		if err != nil || len(vs) != 1 {
			t.Errorf("%s: versions snapshots %v %v, want one", n.run, vs, err)
		}
	}
}

// TestRawSnapshotNeedsItsRunsUnchanged: a snapshot whose run's manifest no
// longer lists what it covered, or whose file is gone, is not read.
func TestRawSnapshotNeedsItsRunsUnchanged(t *testing.T) {
	ctx := context.Background()
	view := []extract.Manifest{
		{RunID: "r1", Mode: extract.ModeFull, Files: []string{"raw/x/y/r1.parquet"}, Records: 100},
		{RunID: "r2", Mode: extract.ModeIncremental, Files: []string{"raw/x/y/r2.parquet"}, Records: 90},
	}
	run := func(id, file string, records int64) snapshotRun {
		return snapshotRun{RunID: id, Files: []string{file}, Records: records}
	}
	for _, tc := range []struct {
		name  string
		snaps []rawSnapshot
		want  int // index of the snapshot read, -1 for none
	}{
		{"covers the view", []rawSnapshot{{Runs: []snapshotRun{run("r1", "raw/x/y/r1.parquet", 100), run("r2", "raw/x/y/r2.parquet", 90)}}}, 0},
		{"covers part of it", []rawSnapshot{{Runs: []snapshotRun{run("r1", "raw/x/y/r1.parquet", 100)}}}, 0},
		{"the one covering most", []rawSnapshot{
			{Runs: []snapshotRun{run("r1", "raw/x/y/r1.parquet", 100), run("r2", "raw/x/y/r2.parquet", 90)}},
			{Runs: []snapshotRun{run("r1", "raw/x/y/r1.parquet", 100)}}}, 0},
		{"a run no longer in the view", []rawSnapshot{{Runs: []snapshotRun{run("r0", "raw/x/y/r0.parquet", 100), run("r1", "raw/x/y/r1.parquet", 100)}}}, -1},
		{"a run's records changed", []rawSnapshot{{Runs: []snapshotRun{run("r1", "raw/x/y/r1.parquet", 99)}}}, -1},
		{"a run's files changed", []rawSnapshot{{Runs: []snapshotRun{run("r1", "raw/x/y/other.parquet", 100)}}}, -1},
		{"no runs", []rawSnapshot{{}}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := usableSnapshot(tc.snaps, view)
			switch {
			case tc.want < 0 && got != nil:
				t.Errorf("read %+v, want none", *got)
			case tc.want >= 0 && got != &tc.snaps[tc.want]:
				t.Errorf("read %v, want snapshot %d", got, tc.want)
			}
		})
	}

	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l := &snapLake{t: t, ctx: ctx, store: store, at: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	cols := []extract.Column{{Name: "email", Type: extract.TypeString}}
	l.land("r1", extract.ModeFull, cols, []extract.Row{{ID: "1", UpdatedAt: l.at, Values: map[string]string{"email": "a@x"}}})
	l.land("r2", extract.ModeIncremental, cols, []extract.Row{{ID: "1", UpdatedAt: l.at, Values: map[string]string{"email": "b@x"}}})
	db, err := transform.Open(ctx, transform.EngineConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := l.prepare(db, prepareOptions{Compact: true}); len(got) != 2 {
		t.Fatalf("first prepare read %v", got)
	}
	snap := filepath.Join(store.String(), snapshotPrefix("hubspot", "contacts", snapRecords), "r2.parquet")
	if err := os.Remove(snap); err != nil {
		t.Fatal(err)
	}
	if got := l.prepare(db, prepareOptions{}); strings.Join(got, " ") != "contacts/r1.parquet contacts/r2.parquet" {
		t.Errorf("with the snapshot file gone, read %v, want the raw files", got)
	}
}
