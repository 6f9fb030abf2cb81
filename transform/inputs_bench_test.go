package transform

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/crmhub/crmhub/extract"
)

var benchRows = flag.Int("rows", 200_000, "records per object in BenchmarkPrepareRaw")

// BenchmarkPrepareRaw lands one object as a first run would (one full
// file) plus two nightly incremental files that re-read 1% of it, with the
// width of HubSpot contacts, then times Prepare collapsing them to the
// latest version per record.
//
//	go test ./transform -run '^$' -bench PrepareRaw -benchtime 3x -rows 1000000
func BenchmarkPrepareRaw(b *testing.B) {
	n := *benchRows
	fields := make([]string, 24)
	for i := range fields {
		fields[i] = fmt.Sprintf("field_%02d", i)
	}
	dir := b.TempDir()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	write := func(name, run string, at time.Time, from, count, step int) string {
		w, err := extract.NewRawWriter(filepath.Join(dir, name), fields, run, at)
		if err != nil {
			b.Fatal(err)
		}
		rows := make([]extract.Row, 0, 10_000)
		for i := from; i < from+count*step; i += step {
			v := make(map[string]string, len(fields))
			for j, f := range fields {
				v[f] = "value " + strconv.Itoa(i*31+j)
			}
			rows = append(rows, extract.Row{ID: strconv.Itoa(i), UpdatedAt: at.Add(-time.Duration(i%1000) * time.Second), Values: v})
			if len(rows) == cap(rows) {
				if err := w.Write(rows); err != nil {
					b.Fatal(err)
				}
				rows = rows[:0]
			}
		}
		if err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	files := []string{
		write("first.parquet", "run1", t0, 0, n, 1),
		write("night2.parquet", "run2", t0.Add(24*time.Hour), 0, n/100, 100),
		write("night3.parquet", "run3", t0.Add(48*time.Hour), 50, n/100, 100),
	}
	ctx := context.Background()
	db, err := Open(ctx, EngineConfig{MemoryLimit: "4GB", TempDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	in := Inputs{Raw: map[string][]string{RawTable("hubspot", "contacts"): files}, TempDir: b.TempDir()}
	b.ResetTimer()
	for range b.N {
		if err := Prepare(ctx, db, in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var got int
	if err := db.QueryRow("SELECT count(*) FROM raw_hubspot_contacts").Scan(&got); err != nil || got != n {
		b.Fatalf("%d rows, want %d (%v)", got, n, err)
	}
}
