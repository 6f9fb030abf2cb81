package hubspot

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	client "github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
)

// benchProps are the ten properties each benchmark contact carries.
var benchProps = []string{"email", "firstname", "lastname", "phone", "jobtitle", "company", "city", "country", "zip", "lifecyclestage"}

// loadMillion loads 1,000,000 contacts with ten properties each and returns
// the heap held per record after a GC.
func loadMillion(b *testing.B) (*Server, float64) {
	b.Helper()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New(Options{Logger: slog.New(slog.DiscardHandler)})
	const n = 1_000_000
	const chunk = 100_000
	for start := 0; start < n; start += chunk {
		recs := make([]seed.Record, chunk)
		for i := range recs {
			k := start + i
			recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("p%d@example.com", k),
				"firstname": "P", "lastname": fmt.Sprint(k), "phone": "+33 4 72 00 00 00", "jobtitle": "Engineer",
				"company": "Acme", "city": "Lyon", "country": "France", "zip": "69001", "lifecyclestage": "lead"},
				CreatedAt: t0, UpdatedAt: t0}
		}
		if err := s.Load("contacts", recs); err != nil {
			b.Fatal(err)
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	return s, float64(after.HeapAlloc-before.HeapAlloc) / n
}

// BenchmarkListPages pages through 1,000,000 contacts 100 at a time with
// ten properties, over a real socket through crmhub's client.
func BenchmarkListPages(b *testing.B) {
	s, perRecord := loadMillion(b)
	pageThrough(b, s, 0, func(ctx context.Context, c *client.Client, page func([]client.Object) error) error {
		return c.List(ctx, "contacts", client.ListOptions{Properties: benchProps}, page)
	})
	b.ReportMetric(perRecord, "heapB/record")
}

// pageThrough serves s on a real socket and reads 10,000 records an
// iteration through crmhub's client with scan (which calls page per page),
// reporting records/s and CPU per record. searchPerSec 0 keeps the
// client's default search limit.
func pageThrough(b *testing.B, s *Server, searchPerSec float64, scan func(context.Context, *client.Client, func([]client.Object) error) error) {
	b.Helper()
	ts := httptest.NewServer(s)
	defer ts.Close()
	c, err := client.New(client.Config{BaseURL: ts.URL, Token: "test-token", RequestsPer10s: 1 << 30,
		SearchPerSecond: searchPerSec, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	records := 0
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		n := 0
		err := scan(ctx, c, func(objs []client.Object) error {
			records += len(objs)
			if n += len(objs); n >= 10_000 {
				return errStop
			}
			return nil
		})
		if err != errStop {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(records), "cpu-ns/record")
}

var errStop = fmt.Errorf("stop")

func BenchmarkListPage1M(b *testing.B) {
	s, _ := loadMillion(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest("GET", fmt.Sprintf("/crm/v3/objects/contacts?limit=100&after=%d", 1+(i*100)%999_000), nil)
		req.Header.Set("Authorization", "Bearer test-token")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkSearchScan1M(b *testing.B) {
	s, _ := loadMillion(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// a new value each time: the simulator keeps a query's matches
		// until the next write, and this measures the scan
		body := fmt.Sprintf(`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"p%d@example.com"}]}]}`, 999_999-i%1000)
		req := httptest.NewRequest("POST", "/crm/v3/objects/contacts/search", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"total":1`) {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkSearchPages pages through live contacts modified since a time
// as the extractor does (crmhub's client ScanModified: last-modified GTE,
// hs_object_id GT a floor, sorted by id, 200 per page), over a real socket.
func BenchmarkSearchPages(b *testing.B) {
	s, _ := loadMillion(b)
	// HubSpot allows 5 searches a second and the client keeps to that;
	// lift it to measure the simulator.
	pageThrough(b, s, 1<<30, func(ctx context.Context, c *client.Client, page func([]client.Object) error) error {
		return c.ScanModified(ctx, "contacts", t0.Add(-time.Hour), benchProps, nil, page)
	})
}

// cpuTime is the process's user and system CPU time so far: on a shared
// machine it moves less with other load than records/s does (it still
// counts the client, the simulator and the GC, all in this process).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
