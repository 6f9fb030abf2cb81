package extract

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func TestRawWriterReadsBackInDuckDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.parquet")
	now := time.Date(2026, 11, 1, 10, 0, 0, 123e6, time.UTC)
	w, err := NewRawWriter(path, []string{"email", "firstname", "zip"}, "run1", now)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]Row, 0, rowGroupSize+10)
	for i := 0; i < rowGroupSize+10; i++ {
		r := Row{ID: "id" + string(rune('a'+i%26)), UpdatedAt: now.Add(time.Duration(i) * time.Millisecond), Values: map[string]string{"email": "a@b.c"}}
		if i%2 == 0 {
			r.Values["firstname"] = "Zoë"
			r.AssocCompanies = "42"
			r.CreatedAt = now
		}
		rows = append(rows, r)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, named, nulls, groups int
	var maxUpd time.Time
	err = db.QueryRow(`SELECT count(*), count(firstname) FILTER (firstname = 'Zoë'), count(*) FILTER (zip IS NULL), max(_updated_at)
		FROM read_parquet(?)`, path).Scan(&n, &named, &nulls, &maxUpd)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(rows) || named != (len(rows)+1)/2 || nulls != len(rows) {
		t.Fatalf("got n=%d named=%d nulls=%d", n, named, nulls)
	}
	if want := now.Add(time.Duration(len(rows)-1) * time.Millisecond); !maxUpd.Equal(want) {
		t.Fatalf("max _updated_at = %v, want %v", maxUpd, want)
	}
	if err := db.QueryRow(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(?)`, path).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	if groups != 2 {
		t.Fatalf("row groups = %d, want 2", groups)
	}
}
