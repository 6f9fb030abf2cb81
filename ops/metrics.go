// Package ops watches crmhub's runs: per-run metrics (Prometheus text
// format, to a file, the lake and a Pushgateway), anomaly alerts against
// the trailing run history sent to a webhook, and the parity audit that
// reads golden records back from both CRMs.
package ops

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/review"
	"github.com/crmhub/crmhub/transform"
)

// RunMetrics are one run's figures; the history of them (HistoryKey) is
// the baseline alerts compare against.
type RunMetrics struct {
	RunID    string    `json:"run_id"`
	Pipeline string    `json:"pipeline"`
	Time     time.Time `json:"time"`
	Status   string    `json:"status"`
	Attempt  int       `json:"attempt"`
	DryRun   bool      `json:"dry_run"`

	RecordsExtracted map[string]int64 `json:"records_extracted"` // per system
	RecordsChanged   map[string]int64 `json:"records_changed"`   // outbox records per system
	RecordsPushed    map[string]int64 `json:"records_pushed"`
	PushErrors       map[string]int64 `json:"push_errors"`
	// SyncSuccessRate and SyncErrorRate are over the records the load tried.
	SyncSuccessRate float64 `json:"sync_success_rate"`
	SyncErrorRate   float64 `json:"sync_error_rate"`

	API map[string]APIFigures `json:"api"` // per system

	// NewRecords are source records absent from the previous run's xref;
	// DuplicatesCreated those of them that this run matched to a record of
	// the same system that existed before (a duplicate someone created).
	NewRecords         int64   `json:"new_records"`
	DuplicatesCreated  int64   `json:"duplicates_created"`
	DuplicateRate      float64 `json:"duplicate_rate"`
	ErrorQueueDepth    int64   `json:"error_queue_depth"`
	ValidationFailures int64   `json:"validation_failures"`
	ReviewQueueDepth   int64   `json:"review_queue_depth"`
	// ReviewQueueOldestSeconds is how long the oldest open review item has
	// waited at the run's start; ReviewQueueAges counts items per age
	// bucket (lt_1d, 1d_7d, 7d_30d, ge_30d).
	ReviewQueueOldestSeconds float64          `json:"review_queue_oldest_seconds"`
	ReviewQueueAges          map[string]int64 `json:"review_queue_ages,omitempty"`
	Conflicts                int64            `json:"conflicts"`

	StepSeconds map[string]float64 `json:"step_seconds"`
	// Parity is the audit's share of agreeing fields (nil: no audit).
	Parity *float64 `json:"parity,omitempty"`
}

// APIFigures are one system's API use in a run.
type APIFigures struct {
	Calls          int64   `json:"calls"`
	Errors         int64   `json:"errors"`
	Retries        int64   `json:"retries"`
	LatencySeconds float64 `json:"latency_seconds"` // total
}

// MeanLatency is seconds per call.
func (a APIFigures) MeanLatency() float64 {
	if a.Calls == 0 {
		return 0
	}
	return a.LatencySeconds / float64(a.Calls)
}

var validationCode = regexp.MustCompile(`(?i)invalid|validation|required|field_|malformed|format`)

// Collect computes a run's metrics from its report and its published
// tables in the lake (duplicates, error queue, validation failures).
func Collect(ctx context.Context, store lake.Store, pipeline string, rep *cycle.Report, dryRun bool) (*RunMetrics, error) {
	m := &RunMetrics{RunID: rep.RunID, Pipeline: pipeline, Time: rep.StartedAt, Status: "failed", Attempt: rep.Attempt, DryRun: dryRun,
		RecordsExtracted: map[string]int64{}, RecordsChanged: map[string]int64{}, RecordsPushed: map[string]int64{},
		PushErrors: map[string]int64{}, API: map[string]APIFigures{}, StepSeconds: map[string]float64{}}
	if rep.Published != nil {
		m.Status = "succeeded"
	}
	if rep.GuardError != nil {
		m.Status = "refused_by_guard"
	}
	for _, e := range rep.Extract {
		m.RecordsExtracted[e.System] += e.Records
	}
	for sys, n := range rep.Counts.OutboxRecords {
		m.RecordsChanged[sys] = n
	}
	var pushed, failed int64
	for _, l := range rep.Load {
		m.RecordsPushed[l.System] += int64(l.Records)
		m.PushErrors[l.System] += int64(len(l.Errors))
		pushed += int64(l.Records)
		failed += int64(len(l.Errors))
		for _, e := range l.Errors {
			if validationCode.MatchString(e.Code) {
				m.ValidationFailures++
			}
		}
	}
	if pushed+failed > 0 {
		m.SyncSuccessRate = float64(pushed) / float64(pushed+failed)
		m.SyncErrorRate = float64(failed) / float64(pushed+failed)
	} else if m.Status == "succeeded" {
		m.SyncSuccessRate = 1
	}
	for _, s := range rep.StepRecords {
		if s.FinishedAt.IsZero() {
			continue
		}
		m.StepSeconds[s.Name] += s.FinishedAt.Sub(s.StartedAt).Seconds()
		for sys, a := range s.API {
			f := m.API[sys]
			f.Calls += a.Calls
			f.Errors += a.Errors
			f.Retries += a.Retries
			f.LatencySeconds += a.Latency.Seconds()
			m.API[sys] = f
		}
	}
	m.ReviewQueueDepth = rep.Counts.ReviewItems
	m.Conflicts = rep.Counts.Conflicts
	if rep.Published == nil {
		return m, nil
	}
	if err := m.fromTables(ctx, store, rep.Published); err != nil {
		return m, err
	}
	return m, nil
}

// fromTables reads the published tables with DuckDB.
func (m *RunMetrics) fromTables(ctx context.Context, store lake.Store, pub *cycle.Latest) error {
	db, err := transform.Open(ctx, transform.EngineConfig{})
	if err != nil {
		return err
	}
	defer db.Close()
	local := func(table string) (string, error) { return store.LocalPath(ctx, pub.Tables[table]) }
	errs, err := local("sync_errors")
	if err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM read_parquet(?) WHERE retry_state = 'pending_retry'`, errs).Scan(&m.ErrorQueueDepth); err != nil {
		return fmt.Errorf("error queue: %w", err)
	}
	if err := m.reviewAges(ctx, db, local); err != nil {
		return err
	}
	if err := m.refusedLoad(ctx, store); err != nil {
		return err
	}
	runs, err := local("sync_runs")
	if err != nil {
		return err
	}
	var prevID sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT max(run_id) FROM read_parquet(?) WHERE run_id < ? AND status <> 'failed'`, runs, m.RunID).Scan(&prevID); err != nil {
		return fmt.Errorf("previous run: %w", err)
	}
	if !prevID.Valid {
		return nil // first run: every record is new, none is a created duplicate
	}
	cur, err := local("xref")
	if err != nil {
		return err
	}
	prev, err := store.LocalPath(ctx, path.Join("published", prevID.String, "xref.parquet"))
	if err != nil {
		return nil // the previous run's files were pruned
	}
	// A new record is a duplicate created when its cluster holds a record
	// of the same system that the previous run already knew.
	err = db.QueryRowContext(ctx, `
		WITH cur AS (SELECT * FROM read_parquet(?) WHERE NOT deleted),
		     old AS (SELECT system, object, record_id FROM read_parquet(?)),
		     fresh AS (SELECT c.* FROM cur c ANTI JOIN old o USING (system, object, record_id)),
		     known AS (SELECT c.* FROM cur c SEMI JOIN old o USING (system, object, record_id))
		SELECT (SELECT count(*) FROM fresh),
		       (SELECT count(*) FROM fresh f WHERE EXISTS (SELECT 1 FROM known k
		            WHERE k.entity = f.entity AND k.golden_id = f.golden_id AND k.system = f.system))`, cur, prev).
		Scan(&m.NewRecords, &m.DuplicatesCreated)
	if err != nil {
		return fmt.Errorf("duplicates: %w", err)
	}
	if m.NewRecords > 0 {
		m.DuplicateRate = float64(m.DuplicatesCreated) / float64(m.NewRecords)
	}
	return nil
}

// reviewAges reads the age of the published review queue's items
// (first_seen_at, on the run's clock) at the run's start.
func (m *RunMetrics) reviewAges(ctx context.Context, db *sql.DB, local func(string) (string, error)) error {
	q, err := local("review_queue")
	if err != nil {
		return err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet(?)) WHERE column_name = 'first_seen_at'`, q).Scan(&n); err != nil || n == 0 {
		return err // a queue without ages (older models): nothing to report
	}
	m.ReviewQueueAges = map[string]int64{"lt_1d": 0, "1d_7d": 0, "7d_30d": 0, "ge_30d": 0}
	rows, err := db.QueryContext(ctx, `SELECT CASE WHEN age < INTERVAL 1 DAY THEN 'lt_1d' WHEN age < INTERVAL 7 DAY THEN '1d_7d'
		  WHEN age < INTERVAL 30 DAY THEN '7d_30d' ELSE 'ge_30d' END, count(*), max(epoch(age))
		FROM (SELECT greatest(?::TIMESTAMP - first_seen_at, INTERVAL 0 SECOND) AS age FROM read_parquet(?)) GROUP BY 1`, m.Time.UTC(), q)
	if err != nil {
		return fmt.Errorf("review queue ages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var bucket string
		var count int64
		var oldest float64
		if err := rows.Scan(&bucket, &count, &oldest); err != nil {
			return fmt.Errorf("review queue ages: %w", err)
		}
		m.ReviewQueueAges[bucket] = count
		m.ReviewQueueOldestSeconds = max(m.ReviewQueueOldestSeconds, oldest)
	}
	return rows.Err()
}

// refusedLoad adds a load the safeguard refused to the queue's depth and
// ages: it is a review item too (package review), one for the streak of
// refused runs, as old as the first of them.
func (m *RunMetrics) refusedLoad(ctx context.Context, store lake.Store) error {
	if m.Status != "refused_by_guard" || m.ReviewQueueAges == nil {
		return nil
	}
	q, err := (&review.Service{Store: store}).Queue(ctx, review.Filter{Kind: review.KindRefusedLoad})
	if err != nil {
		return fmt.Errorf("refused load: %w", err)
	}
	for _, it := range q.Items {
		age := it.Age(m.Time)
		bucket := "ge_30d"
		switch {
		case age < 24*time.Hour:
			bucket = "lt_1d"
		case age < 7*24*time.Hour:
			bucket = "1d_7d"
		case age < 30*24*time.Hour:
			bucket = "7d_30d"
		}
		m.ReviewQueueDepth++
		m.ReviewQueueAges[bucket]++
		m.ReviewQueueOldestSeconds = max(m.ReviewQueueOldestSeconds, age.Seconds())
	}
	return nil
}

// Registry returns the metrics as a Prometheus registry (gauges labelled
// with the pipeline, and the system where it applies).
func (m *RunMetrics) Registry() *prometheus.Registry { return m.registry(true) }

// registry builds the gauges; without the pipeline label for a push, where
// the grouping key carries it.
func (m *RunMetrics) registry(pipelineLabel bool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	pl := prometheus.Labels{"pipeline": m.Pipeline}
	if !pipelineLabel {
		pl = nil
	}
	gauge := func(name, help string, v float64) {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "crmhub", Name: name, Help: help, ConstLabels: pl})
		g.Set(v)
		reg.MustRegister(g)
	}
	perSystem := func(name, help string, vals map[string]float64) {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "crmhub", Name: name, Help: help, ConstLabels: pl}, []string{"system"})
		for sys, v := range vals {
			g.WithLabelValues(sys).Set(v)
		}
		reg.MustRegister(g)
	}
	ints := func(in map[string]int64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range in {
			out[k] = float64(v)
		}
		return out
	}
	ok := 0.0
	if m.Status == "succeeded" {
		ok = 1
	}
	gauge("last_run_success", "1 when the last run succeeded, else 0.", ok)
	gauge("last_run_timestamp_seconds", "Start of the last run (Unix seconds).", float64(m.Time.Unix()))
	gauge("run_attempt", "Attempt of the last run (above 1 when it resumed a failed run).", float64(m.Attempt))
	gauge("sync_success_rate", "Share of records the load tried that the CRMs accepted.", m.SyncSuccessRate)
	gauge("sync_error_rate", "Share of records the load tried that the CRMs refused.", m.SyncErrorRate)
	perSystem("records_extracted", "Records extracted in the last run.", ints(m.RecordsExtracted))
	perSystem("records_changed", "Records the last run's outbox changes.", ints(m.RecordsChanged))
	perSystem("records_pushed", "Records the CRM accepted in the last run.", ints(m.RecordsPushed))
	perSystem("push_errors", "Records the CRM refused in the last run.", ints(m.PushErrors))
	calls, errs, lat := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for sys, a := range m.API {
		calls[sys], errs[sys], lat[sys] = float64(a.Calls), float64(a.Errors), a.MeanLatency()
	}
	perSystem("api_calls", "API calls in the last run.", calls)
	perSystem("api_errors", "API calls that finally failed in the last run.", errs)
	perSystem("api_latency_seconds", "Mean API call latency in the last run.", lat)
	gauge("new_records", "Source records first seen in the last run.", float64(m.NewRecords))
	gauge("duplicates_created", "New records matched to an existing record of the same system.", float64(m.DuplicatesCreated))
	gauge("duplicate_creation_rate", "duplicates_created / new_records.", m.DuplicateRate)
	gauge("error_queue_depth", "sync_errors rows waiting for a retry.", float64(m.ErrorQueueDepth))
	gauge("validation_failures", "Records refused for invalid values in the last run.", float64(m.ValidationFailures))
	gauge("review_queue_depth", "Open review items: rows in review_queue, and a load the safeguard refused.", float64(m.ReviewQueueDepth))
	gauge("conflicts", "Fields changed in both systems since the previous run.", float64(m.Conflicts))
	gauge("review_queue_oldest_age_seconds", "How long the oldest review_queue item has waited.", m.ReviewQueueOldestSeconds)
	ages := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "crmhub", Name: "review_queue_items", Help: "review_queue items per age bucket.", ConstLabels: pl}, []string{"age"})
	for b, v := range m.ReviewQueueAges {
		ages.WithLabelValues(b).Set(float64(v))
	}
	reg.MustRegister(ages)
	steps := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "crmhub", Name: "step_seconds", Help: "Duration of each step of the last run.", ConstLabels: pl}, []string{"step"})
	for s, v := range m.StepSeconds {
		steps.WithLabelValues(s).Set(v)
	}
	reg.MustRegister(steps)
	if m.Parity != nil {
		gauge("audit_parity", "Share of audited critical fields that agree between the CRMs.", *m.Parity)
	}
	return reg
}

// Text renders the metrics in the Prometheus text exposition format.
func (m *RunMetrics) Text() ([]byte, error) {
	mfs, err := m.Registry().Gather()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// Export writes the metrics to runs/RUN/metrics.prom in the lake, to file
// when set (atomically, for node_exporter's textfile collector) and to a
// Pushgateway when url is set.
func (m *RunMetrics) Export(ctx context.Context, store lake.Store, file, pushURL, job string) error {
	text, err := m.Text()
	if err != nil {
		return err
	}
	if err := store.Put(ctx, path.Join("runs", m.RunID, "metrics.prom"), bytes.NewReader(text)); err != nil {
		return err
	}
	reg := m.Registry()
	if file != "" {
		if err := prometheus.WriteToTextfile(file, reg); err != nil {
			return fmt.Errorf("metrics file: %w", err)
		}
	}
	if pushURL != "" {
		if job == "" {
			job = "crmhub"
		}
		if err := push.New(pushURL, job).Gatherer(m.registry(false)).Grouping("pipeline", m.Pipeline).PushContext(ctx); err != nil {
			return fmt.Errorf("pushgateway: %w", err)
		}
	}
	return nil
}
