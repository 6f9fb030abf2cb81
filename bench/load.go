package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/seed"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
	simsf "github.com/crmhub/crmhub/sim/salesforce"
)

// The documented limits the load benchmark measures against (see
// ratelimits.go and ../shared/API-NOTES.md).
const (
	// HubSpot private apps on Professional/Enterprise: 190 requests in any
	// rolling ten seconds; the simulator enforces exactly this.
	hubspotWindowRequests = 190
	hubspotWindow         = 10 * time.Second
)

// LoadOptions size the load benchmark: Records changed records pushed to
// each system's simulator, with its rate limits on.
type LoadOptions struct {
	Records int
	// Systems to push to: hubspot, salesforce (default both).
	Systems []string
	// HubSpotPer10s is the client-side limit (hubspot.Config.RequestsPer10s);
	// 0 takes the client's default (180, under the documented 190).
	HubSpotPer10s int
	// BulkThreshold is load.bulk_threshold: Salesforce writes of more
	// records than this per object go through one Bulk API 2.0 job (0:
	// sObject Collections only).
	BulkThreshold int
	// BulkPoll is the Bulk API 2.0 job poll interval (default 2 s, the
	// client's default).
	BulkPoll time.Duration
	Logger   *slog.Logger
}

// LoadFigures are one system's figures.
type LoadFigures struct {
	System  string `json:"system"`
	Object  string `json:"object"`
	Records int    `json:"records"`
	Path    string `json:"path"` // how the records went: batch update, collections, bulk
	// WriteCalls are the load's write calls (a bulk job counts once);
	// MinWriteCalls is ceil(records / batch size) per object and kind.
	WriteCalls    int `json:"write_calls"`
	MinWriteCalls int `json:"min_write_calls"`
	// APICalls are every HTTP request the load sent (prepare, writes, bulk
	// polls and results; retries count), from the client's own counters.
	APICalls int         `json:"api_calls"`
	Status   map[int]int `json:"http_status"`
	// Limit names the limit that bounds the load; BoundSec is the least
	// wall time it allows: API calls divided by the allowed rate.
	// BurstBoundSec is the strict minimum of a rolling window that admits
	// a full window at once: (ceil(calls / per window) - 1) x window.
	Limit         string  `json:"limit"`
	BoundSec      float64 `json:"bound_seconds"`
	BurstBoundSec float64 `json:"burst_bound_seconds"`
	WallSec       float64 `json:"wall_seconds"`
	Ratio         float64 `json:"wall_over_bound"` // 0 when the limits set no time bound
	// Salesforce daily API usage from Sforce-Limit-Info after the load.
	DailyUsed  int `json:"daily_api_used,omitempty"`
	DailyLimit int `json:"daily_api_limit,omitempty"`
	// Verified counts the simulator's records holding the new value after
	// the load; Errors the records the CRM refused.
	Verified   int       `json:"verified_in_simulator"`
	Errors     int       `json:"record_errors"`
	LoadBefore [3]string `json:"load_average_before"`
	LoadAfter  [3]string `json:"load_average_after"`
	ClientRate string    `json:"client_rate"`
}

// LoadReport is one benchmark's figures.
type LoadReport struct {
	StartedAt time.Time     `json:"started_at"`
	CPUs      int           `json:"cpus"`
	Systems   []LoadFigures `json:"systems"`
}

// RunLoad seeds each simulator with Records records, changes one field on
// every one of them, and times load.Run pushing the changes over loopback
// sockets with the simulators' rate limits on.
func RunLoad(ctx context.Context, o LoadOptions) (*LoadReport, error) {
	if o.Records < 1 {
		return nil, errors.New("bench load: records must be at least 1")
	}
	if len(o.Systems) == 0 {
		o.Systems = []string{seed.HubSpot, seed.Salesforce}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.BulkPoll <= 0 {
		o.BulkPoll = 2 * time.Second
	}
	rep := &LoadReport{StartedAt: time.Now().UTC(), CPUs: runtime.NumCPU()}
	for _, sys := range o.Systems {
		var f *LoadFigures
		var err error
		switch sys {
		case seed.HubSpot:
			f, err = loadHubSpot(ctx, o)
		case seed.Salesforce:
			f, err = loadSalesforce(ctx, o)
		default:
			return rep, fmt.Errorf("bench load: unknown system %q (hubspot, salesforce)", sys)
		}
		if f != nil {
			rep.Systems = append(rep.Systems, *f)
		}
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// serveLoopback serves h on a free loopback port; stop shuts it down.
func serveLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

func loadHubSpot(ctx context.Context, o LoadOptions) (*LoadFigures, error) {
	sim := simhs.New(simhs.Options{RateLimit: true, Logger: o.Logger})
	recs := make([]seed.Record, o.Records)
	for i := range recs {
		id := strconv.Itoa(i + 1)
		recs[i] = seed.Record{ID: id, Values: map[string]string{"email": "p" + id + "@example.com",
			"firstname": "First" + id, "lastname": "Last" + id, "jobtitle": "Old title"}}
	}
	if err := sim.Load("contacts", recs); err != nil {
		return nil, err
	}
	url, stop, err := serveLoopback(sim)
	if err != nil {
		return nil, err
	}
	defer stop()
	client, err := hubspot.New(hubspot.Config{BaseURL: url, Token: "test-token", RequestsPer10s: o.HubSpotPer10s, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	changes := make([]load.Change, o.Records)
	for i := range changes {
		id := strconv.Itoa(i + 1)
		changes[i] = load.Change{System: seed.HubSpot, Object: "contacts", RecordID: id, GoldenID: "g" + id, Kind: load.KindUpdate,
			Values: map[string]string{"jobtitle": newTitle(id)}}
	}
	rate := o.HubSpotPer10s
	if rate == 0 {
		rate = 180
	}
	f := &LoadFigures{System: seed.HubSpot, Object: "contacts", Records: o.Records, Path: "batch update, 100 per call",
		Limit:      fmt.Sprintf("%d requests per rolling %s (private app, Professional/Enterprise)", hubspotWindowRequests, hubspotWindow),
		ClientRate: fmt.Sprintf("client limiter %d per 10 s", rate)}
	wall, err := timedLoad(ctx, f, changes, &load.HubSpotTarget{Client: client, Batch: 100}, 0, o.Logger)
	for _, st := range client.Calls() {
		f.APICalls += st.Calls + st.Retries
		addStatus(f, st.Status)
	}
	f.BoundSec = float64(f.APICalls) / (float64(hubspotWindowRequests) / hubspotWindow.Seconds())
	windows := (f.APICalls + hubspotWindowRequests - 1) / hubspotWindowRequests
	f.BurstBoundSec = float64(windows-1) * hubspotWindow.Seconds()
	f.Ratio = wall / f.BoundSec
	for _, r := range sim.Snapshot()["contacts"] {
		if r.Values["jobtitle"] == newTitle(r.ID) {
			f.Verified++
		}
	}
	return f, err
}

func loadSalesforce(ctx context.Context, o LoadOptions) (*LoadFigures, error) {
	sim := simsf.New(simsf.Options{Logger: o.Logger}) // daily API limit 100,000 (Enterprise base)
	recs := make([]seed.Record, o.Records)
	for i := range recs {
		n := strconv.Itoa(i + 1)
		recs[i] = seed.Record{Values: map[string]string{"Email": "p" + n + "@example.com", "FirstName": "First" + n,
			"LastName": "Last" + n, "Title": "Old title"}}
	}
	if err := sim.Load("Contact", recs); err != nil {
		return nil, err
	}
	url, stop, err := serveLoopback(sim)
	if err != nil {
		return nil, err
	}
	defer stop()
	client, err := salesforce.New(salesforce.Config{LoginURL: url, ClientID: "test-client", ClientSecret: "test-secret",
		BulkPollInterval: o.BulkPoll, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	var changes []load.Change
	for _, r := range sim.Snapshot()["Contact"] {
		changes = append(changes, load.Change{System: seed.Salesforce, Object: "Contact", RecordID: r.ID, GoldenID: "g" + r.ID,
			Kind: load.KindUpdate, Values: map[string]string{"Title": newTitle(r.ID)}})
	}
	f := &LoadFigures{System: seed.Salesforce, Object: "Contact", Records: len(changes), Path: "sObject Collections update, 200 per call",
		Limit: "daily API requests (Sforce-Limit-Info api-usage, 100,000 per 24 h); no per-second limit, so no time bound"}
	if o.BulkThreshold > 0 && len(changes) > o.BulkThreshold {
		f.Path = fmt.Sprintf("Bulk API 2.0 ingest job (update), above bulk_threshold %d; polled every %s", o.BulkThreshold, o.BulkPoll)
	}
	_, err = timedLoad(ctx, f, changes, &load.SalesforceTarget{Client: client, Batch: 200}, o.BulkThreshold, o.Logger)
	for kind, st := range client.Calls() {
		if kind != "token" { // the OAuth exchange is no API request
			f.APICalls += st.Count + st.Retries
		}
		addStatus(f, st.Status)
	}
	f.DailyUsed, f.DailyLimit = client.Usage()
	for _, r := range sim.Snapshot()["Contact"] {
		if r.Values["Title"] == newTitle(r.ID) {
			f.Verified++
		}
	}
	return f, err
}

func newTitle(id string) string { return "Title " + id + " v2" }

func addStatus(f *LoadFigures, st map[int]int) {
	if f.Status == nil {
		f.Status = map[int]int{}
	}
	for k, v := range st {
		f.Status[k] += v
	}
}

// timedLoad runs load.Run with one target and fills the write figures.
func timedLoad(ctx context.Context, f *LoadFigures, changes []load.Change, t load.Target, bulk int, log *slog.Logger) (float64, error) {
	f.LoadBefore = loadAverage()
	start := time.Now()
	res, err := load.Run(ctx, changes, load.Options{Targets: []load.Target{t}, BulkThreshold: bulk, Logger: log,
		Guard:  load.Guard{MaxShare: 1, MaxCount: len(changes), Approved: true, Reason: "bench load"},
		Totals: map[string]int64{t.System(): int64(len(changes))}})
	wall := time.Since(start).Seconds()
	f.WallSec = wall
	f.LoadAfter = loadAverage()
	if len(res) > 0 {
		f.WriteCalls, f.MinWriteCalls, f.Errors = res[0].Batches, res[0].MinBatches, len(res[0].Errors)
	}
	return wall, err
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() [3]string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return [3]string{"?", "?", "?"}
	}
	var out [3]string
	copy(out[:], strings.Fields(string(b)))
	return out
}

// Print writes the report as a Markdown table.
func (r *LoadReport) Print(w io.Writer) {
	fmt.Fprintf(w, "| system | records | path | write calls (min) | API calls | limit | bound s | wall s | wall/bound | HTTP status | verified | load avg before → after |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range r.Systems {
		bound, ratio := fmt.Sprintf("%.1f (burst %.0f)", f.BoundSec, f.BurstBoundSec), fmt.Sprintf("%.3f", f.Ratio)
		if f.BoundSec == 0 {
			bound, ratio = "none", "n/a"
		}
		limit := f.Limit
		if f.DailyLimit > 0 {
			limit += fmt.Sprintf("; used %d of %d", f.DailyUsed, f.DailyLimit)
		}
		if f.ClientRate != "" {
			limit += "; " + f.ClientRate
		}
		status, _ := json.Marshal(f.Status)
		fmt.Fprintf(w, "| %s %s | %d | %s | %d (%d) | %d | %s | %s | %.1f | %s | %s | %d | %s → %s |\n",
			f.System, f.Object, f.Records, f.Path, f.WriteCalls, f.MinWriteCalls, f.APICalls, limit, bound, f.WallSec, ratio,
			status, f.Verified, strings.Join(f.LoadBefore[:], " "), strings.Join(f.LoadAfter[:], " "))
	}
}

// WriteJSON writes the report to path.
func (r *LoadReport) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
