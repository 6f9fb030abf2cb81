package normalize_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/crmhub/crmhub/normalize"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/nyaruka/phonenumbers"
)

func openDB(t testing.TB) *sql.DB {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	if err := normalize.Register(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestPhoneE164(t *testing.T) {
	db := openDB(t)
	tests := []struct {
		phone, region any
		want          any
	}{
		{"(415) 555-0134", "US", "+14155550134"},
		{"+1 415 555 0134", "US", "+14155550134"},
		{"1-415-555-0134", nil, "+14155550134"},
		{"415.555.0134", "", "+14155550134"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"+44 20 7946 0958", "US", "+442079460958"},
		{"0044 20 7946 0958", "US", "+442079460958"},
		{"+44 (0)20 7946 0958", "US", "+442079460958"},
		{"030/12345678", "de", "+493012345678"},
		{"12-34", "US", nil},                               // too short
		{"n/a", "US", nil},                                 // no digits
		{nil, "US", nil},                                   // null in, null out
		{"123456789012345678", "US", "123456789012345678"}, // no plan allows it: digits
	}
	for _, tc := range tests {
		var got any
		if err := db.QueryRow(`SELECT phone_e164(?::VARCHAR, ?::VARCHAR)`, tc.phone, tc.region).Scan(&got); err != nil {
			t.Fatalf("%v: %v", tc.phone, err)
		}
		if got != tc.want {
			t.Errorf("phone_e164(%v, %v) = %v, want %v", tc.phone, tc.region, got, tc.want)
		}
	}
}

func TestDigits(t *testing.T) {
	for in, want := range map[string]string{"1 (415) 555-0134": "4155550134", "0049 30 1234567": "49301234567", "555-01": "", "": ""} {
		if got := normalize.Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkPhoneE164SQL formats 200,000 generated numbers through DuckDB.
func BenchmarkPhoneE164SQL(b *testing.B) {
	db := openDB(b)
	if _, err := db.Exec(`CREATE TABLE ph AS SELECT '(' || (200 + i % 700)::VARCHAR || ') 555-' || lpad((i % 10000)::VARCHAR, 4, '0') AS p FROM range(200000) t(i)`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		var n int64
		if err := db.QueryRow(`SELECT count(phone_e164(p, 'US')) FROM ph`).Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(200000, "rows/op")
}

func BenchmarkE164(b *testing.B) {
	var num phonenumbers.PhoneNumber
	for b.Loop() {
		normalize.E164(&num, "(415) 555-0134", "US")
	}
}
