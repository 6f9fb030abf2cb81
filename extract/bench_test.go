package extract_test

// Benchmarks of the extract against the simulators. The simulator runs in
// a child process (this test binary re-executed as TestBenchSimProcess),
// so the peak RSS reported (getrusage of this process) is the extractor's
// alone. Figures: records/s, peak RSS, API calls against the minimum.
//
//	go test ./extract -run '^$' -bench . -benchtime 1x -timeout 60m
//	CRMHUB_BENCH_N=1000000 (default) sets the size of the full benchmarks.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/seed"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

func benchN(def int) int {
	if v, err := strconv.Atoi(os.Getenv("CRMHUB_BENCH_N")); err == nil && v > 0 {
		return v
	}
	return def
}

// simProc is a simulator in a child process.
type simProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	URL string
}

func startSim(b *testing.B, system string, n int, limits bool) *simProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchSimProcess$", "-test.timeout=0")
	cmd.Env = append(os.Environ(), "CRMHUB_BENCH_SIM="+system, "CRMHUB_BENCH_SIM_N="+strconv.Itoa(n), "CRMHUB_BENCH_SIM_LIMITS="+strconv.FormatBool(limits))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &simProc{cmd: cmd, in: in, out: bufio.NewReader(outPipe)}
	b.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	for {
		line, err := p.out.ReadString('\n')
		if err != nil {
			b.Fatalf("simulator process: %v", err)
		}
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "URL "); ok {
			p.URL = u
			return p
		}
	}
}

// mutate asks the simulator process to edit k records through its API.
func (p *simProc) mutate(b *testing.B, k int) {
	b.Helper()
	fmt.Fprintf(p.in, "mutate %d\n", k)
	for {
		line, err := p.out.ReadString('\n')
		if err != nil {
			b.Fatalf("simulator process: %v", err)
		}
		if strings.HasPrefix(line, "OK") {
			return
		}
	}
}

// TestBenchSimProcess is the child side of the benchmarks: it serves a
// simulator loaded with N contacts until its stdin closes. It does nothing
// when not started by a benchmark.
func TestBenchSimProcess(t *testing.T) {
	system := os.Getenv("CRMHUB_BENCH_SIM")
	if system == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv("CRMHUB_BENCH_SIM_N"))
	limits := os.Getenv("CRMHUB_BENCH_SIM_LIMITS") == "true"
	ctx := context.Background()
	// modification times spread over 30 days before now
	base := time.Now().Add(-30 * 24 * time.Hour)
	step := 30 * 24 * time.Hour / time.Duration(n)
	const chunk = 100_000
	var mutate func(k, round int) error
	var url string
	switch system {
	case "hubspot":
		sim := simhs.New(simhs.Options{RateLimit: limits, Logger: quiet})
		for start := 0; start < n; start += chunk {
			recs := make([]seed.Record, min(chunk, n-start))
			for i := range recs {
				k := start + i
				at := base.Add(time.Duration(k) * step)
				recs[i] = seed.Record{Values: benchValues(k), CreatedAt: at, UpdatedAt: at}
			}
			if err := sim.Load("contacts", recs); err != nil {
				t.Fatal(err)
			}
		}
		url = serve(t, sim)
		c, _ := hubspot.New(hubspot.Config{BaseURL: url, Token: "test-token", RequestsPer10s: 1 << 30, Logger: quiet})
		mutate = func(k, round int) error {
			for lo := 0; lo < k; lo += 100 {
				var in []hubspot.BatchInput
				for i := lo; i < min(k, lo+100); i++ {
					in = append(in, hubspot.BatchInput{ID: strconv.Itoa(1 + i*(n/k)), Properties: map[string]string{"jobtitle": fmt.Sprint("Edited ", round)}})
				}
				if _, err := c.BatchUpdate(ctx, "contacts", in); err != nil {
					return err
				}
			}
			return nil
		}
	default:
		sim := simsf.New(simsf.Options{DailyAPILimit: 10_000_000})
		for start := 0; start < n; start += chunk {
			recs := make([]seed.Record, min(chunk, n-start))
			for i := range recs {
				k := start + i
				at := base.Add(time.Duration(k) * step)
				v := benchValues(k)
				recs[i] = seed.Record{Values: map[string]string{"Email": v["email"], "FirstName": v["firstname"], "LastName": v["lastname"],
					"Phone": v["phone"], "Title": v["jobtitle"], "MailingCity": v["city"], "MailingCountry": v["country"],
					"MailingPostalCode": v["zip"], "Birthdate": "1980-01-01"}, CreatedAt: at, UpdatedAt: at}
			}
			if err := sim.Load("Contact", recs); err != nil {
				t.Fatal(err)
			}
		}
		url = serve(t, sim)
		c, _ := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "test-client", ClientSecret: "test-secret"})
		mutate = func(k, round int) error {
			var ids []string
			i := 0
			err := c.Query(ctx, "SELECT Id FROM Contact", salesforce.QueryOptions{}, func(recs []salesforce.Record) error {
				for _, r := range recs {
					if i%(n/k) == 0 && len(ids) < k {
						id, _ := salesforce.String(r["Id"])
						ids = append(ids, id)
					}
					i++
				}
				return nil
			})
			if err != nil {
				return err
			}
			for lo := 0; lo < len(ids); lo += 200 {
				var recs []salesforce.Record
				for _, id := range ids[lo:min(len(ids), lo+200)] {
					recs = append(recs, salesforce.Record{"Id": id, "Title": fmt.Sprint("Edited ", round)})
				}
				if _, err := c.Update(ctx, "Contact", recs, false); err != nil {
					return err
				}
			}
			return nil
		}
	}
	fmt.Printf("URL %s\n", url)
	sc := bufio.NewScanner(os.Stdin)
	round := 0
	for sc.Scan() {
		var k int
		if _, err := fmt.Sscanf(sc.Text(), "mutate %d", &k); err == nil {
			round++
			if err := mutate(k, round); err != nil {
				t.Fatal(err)
			}
			fmt.Println("OK")
		}
	}
}

func benchValues(k int) map[string]string {
	return map[string]string{"email": fmt.Sprintf("p%d@example.com", k), "firstname": "P" + strconv.Itoa(k%1000),
		"lastname": "L" + strconv.Itoa(k), "phone": "+33 4 72 00 00 00", "jobtitle": "Engineer", "company": "Acme",
		"city": "Lyon", "country": "France", "zip": "69001", "lifecyclestage": "lead"}
}

// peakRSS is this process's peak resident set size in bytes.
func peakRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}

// heapPeak samples the Go heap in use while fn runs.
func heapPeak(fn func()) uint64 {
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				mu.Lock()
				peak = max(peak, ms.HeapInuse)
				mu.Unlock()
			}
		}
	}()
	fn()
	close(done)
	mu.Lock()
	defer mu.Unlock()
	return peak
}

func reportRun(b *testing.B, r extract.Result, wall time.Duration) {
	calls := 0
	for k, c := range r.Calls {
		if k != "token" { // OAuth, not API usage
			calls += c.Calls
		}
	}
	b.ReportMetric(float64(r.Records)/wall.Seconds(), "records/s")
	b.ReportMetric(float64(r.Records), "records")
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(wall.Seconds(), "wall_s")
	b.Logf("%s %s %s: %d records in %v, calls %v", r.System, r.Object, r.Mode, r.Records, wall.Round(time.Millisecond), r.Calls)
}

func benchExtract(b *testing.B, system string) {
	n := benchN(1_000_000)
	p := startSim(b, system, n, false)
	var src extract.Source
	if system == "hubspot" {
		c, err := hubspot.New(hubspot.Config{BaseURL: p.URL, Token: "test-token", RequestsPer10s: 1 << 30, SearchPerSecond: 1 << 30, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		src = extract.HubSpotSource{Client: c, Obj: "contacts"}
	} else {
		c, err := salesforce.New(salesforce.Config{LoginURL: p.URL, ClientID: "test-client", ClientSecret: "test-secret", Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		src = extract.SalesforceSource{Client: c, Obj: "Contact"}
	}
	for b.Loop() {
		store := localLake(b)
		opts := extract.Options{Store: store, RunID: "full", Sources: []extract.Source{src}, Overlap: time.Minute, TempDir: b.TempDir(), Logger: quiet}
		var res []extract.Result
		var err error
		start := time.Now()
		heap := heapPeak(func() { res, err = extract.Run(context.Background(), opts) })
		wall := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		reportRun(b, res[0], wall)
		b.ReportMetric(float64(peakRSS())/(1<<20), "peakRSS_MiB")
		b.ReportMetric(float64(heap)/(1<<20), "peakHeap_MiB")
		// pages + the schema call (+ HubSpot's archived list, one page)
		pageSize := map[string]int{"hubspot": 100, "salesforce": 2000}[system]
		b.ReportMetric(float64((n+pageSize-1)/pageSize+1+map[string]int{"hubspot": 1}[system]), "min_calls")

		// 1% of the records change; the next run fetches them (and the
		// few inside the overlap window).
		changed := n / 100
		p.mutate(b, changed)
		opts.RunID = "incr"
		start = time.Now()
		res, err = extract.Run(context.Background(), opts)
		wall = time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		r := res[0]
		b.ReportMetric(float64(r.Records)/float64(changed), "incr_fetched/changed")
		b.ReportMetric(wall.Seconds(), "incr_wall_s")
		b.Logf("incremental after %d changes: %d records in %v, calls %v", changed, r.Records, wall.Round(time.Millisecond), r.Calls)
	}
}

func BenchmarkExtractHubSpotContacts(b *testing.B)    { benchExtract(b, "hubspot") }
func BenchmarkExtractSalesforceContacts(b *testing.B) { benchExtract(b, "salesforce") }

// BenchmarkExtractHubSpotRateLimited extracts contacts from a simulator
// enforcing the documented limits (190 requests per rolling 10 s) with
// the client's default limits, against the bound the limits set: calls at
// 19 per second.
func BenchmarkExtractHubSpotRateLimited(b *testing.B) {
	n := benchN(30_000)
	if n > 100_000 {
		n = 30_000
	}
	p := startSim(b, "hubspot", n, true)
	c, err := hubspot.New(hubspot.Config{BaseURL: p.URL, Token: "test-token", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	src := extract.HubSpotSource{Client: c, Obj: "contacts"}
	for b.Loop() {
		opts := extract.Options{Store: localLake(b), RunID: "full", Sources: []extract.Source{src}, TempDir: b.TempDir(), Logger: quiet}
		start := time.Now()
		res, err := extract.Run(context.Background(), opts)
		wall := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		reportRun(b, res[0], wall)
		calls := 0
		for _, cs := range res[0].Calls {
			calls += cs.Calls
		}
		bound := float64(calls) / 19 // 190 per 10 s
		b.ReportMetric(bound, "bound_s")
		b.ReportMetric(wall.Seconds()/bound, "wall/bound")
		b.ReportMetric(float64(res[0].Calls["list"].Status[429]), "429s")
	}
}
