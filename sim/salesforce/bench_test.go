package salesforce

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	sfclient "github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/seed"
)

const benchRecords = 1_000_000

// BenchmarkQueryPages loads one million Contacts and reads them all with
// SELECT of ten fields, in pages of 2,000, over a real socket through
// crmhub's client. It reports records per second and the simulator's heap
// per stored record. Run: go test -bench QueryPages -benchtime 1x ./sim/salesforce/
func BenchmarkQueryPages(b *testing.B) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sim := New(Options{DailyAPILimit: 1 << 30})
	const chunk = 100_000
	for start := 0; start < benchRecords; start += chunk {
		recs := make([]seed.Record, chunk)
		for i := range recs {
			n := start + i
			recs[i] = seed.Record{Values: map[string]string{
				"FirstName": fmt.Sprintf("First%d", n), "LastName": fmt.Sprintf("Last%d", n),
				"Email": fmt.Sprintf("p%d@example.com", n), "Phone": fmt.Sprintf("+1 555 %07d", n),
				"Title": "Engineer", "MailingCity": "Springfield", "MailingCountry": "US",
				"Birthdate": "1980-02-29",
			}, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
		}
		if err := sim.Load("Contact", recs); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	perRecord := float64(after.HeapAlloc-before.HeapAlloc) / benchRecords

	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := sfclient.New(sfclient.Config{LoginURL: srv.URL, ClientID: "test-client", ClientSecret: "test-secret", HTTPClient: srv.Client()})
	if err != nil {
		b.Fatal(err)
	}
	soql := "SELECT Id, FirstName, LastName, Email, Phone, Title, MailingCity, MailingCountry, Birthdate, SystemModstamp FROM Contact"
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	total := 0
	for i := 0; i < b.N; i++ {
		err := c.Query(context.Background(), soql, sfclient.QueryOptions{}, func(recs []sfclient.Record) error {
			total += len(recs)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if total != benchRecords*b.N {
		b.Fatalf("read %d records, want %d", total, benchRecords*b.N)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "records/s")
	b.ReportMetric(perRecord, "sim-heap-B/record")
	b.ReportMetric(0, "ns/op")
}
