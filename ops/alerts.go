package ops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
)

// Lake keys of the monitoring state.
const (
	// HistoryKey holds the metrics of the last runs (the alert baseline).
	HistoryKey = "ops/history.json"
	// AlertStateKey holds each alert's state, so a change is sent once.
	AlertStateKey = "ops/alerts.json"
	historyKeep   = 200
)

// Alert names.
const (
	AlertErrorRate   = "error_rate_spike"
	AlertVolumeDrop  = "volume_drop"
	AlertDuplicates  = "duplicate_rate_jump"
	AlertReviewQueue = "review_queue_growth"
	AlertParity      = "parity_below_threshold"
	AlertRunFailed   = "run_failed"
)

// Finding is one alert's judgement on one run.
type Finding struct {
	Alert     string  `json:"alert"`
	Firing    bool    `json:"firing"`
	Value     float64 `json:"value"`
	Baseline  float64 `json:"baseline"`
	Threshold float64 `json:"threshold"`
	Summary   string  `json:"summary"`
}

// AlertState is one alert's last sent state.
type AlertState struct {
	State string    `json:"state"` // firing or resolved
	Since time.Time `json:"since"`
	RunID string    `json:"run_id"`
	Value float64   `json:"value"`
}

// Notification is the JSON body sent to the webhook: Slack incoming
// webhooks read text; generic receivers read the other fields.
type Notification struct {
	Text      string    `json:"text"`
	Status    string    `json:"status"` // firing or resolved
	Alert     string    `json:"alert"`
	Pipeline  string    `json:"pipeline"`
	RunID     string    `json:"run_id"`
	Value     float64   `json:"value"`
	Baseline  float64   `json:"baseline"`
	Threshold float64   `json:"threshold"`
	Summary   string    `json:"summary"`
	Since     time.Time `json:"since"`
}

// ReadHistory returns the stored run metrics, oldest first.
func ReadHistory(ctx context.Context, store lake.Store) ([]RunMetrics, error) {
	var h []RunMetrics
	if err := readJSON(ctx, store, HistoryKey, &h); err != nil {
		return nil, err
	}
	return h, nil
}

// AppendHistory adds m (replacing an earlier attempt of the same run).
func AppendHistory(ctx context.Context, store lake.Store, m *RunMetrics) error {
	h, err := ReadHistory(ctx, store)
	if err != nil {
		return err
	}
	h = slices.DeleteFunc(h, func(x RunMetrics) bool { return x.RunID == m.RunID })
	h = append(h, *m)
	if len(h) > historyKeep {
		h = h[len(h)-historyKeep:]
	}
	return writeJSON(ctx, store, HistoryKey, h)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func sum(m map[string]int64) float64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return float64(t)
}

// Evaluate judges m against the trailing history (runs before m that
// completed, dry runs excluded). With fewer than min_history runs only the
// parity alert is judged.
func Evaluate(cfg pipelines.Alerts, auditThreshold float64, history []RunMetrics, m *RunMetrics) []Finding {
	var base []RunMetrics
	for _, h := range history {
		if h.RunID != m.RunID && h.RunID < m.RunID && h.Status == "succeeded" && !h.DryRun {
			base = append(base, h)
		}
	}
	if n := cfg.History; n > 0 && len(base) > n {
		base = base[len(base)-n:]
	}
	col := func(f func(RunMetrics) float64) float64 {
		xs := make([]float64, len(base))
		for i, h := range base {
			xs[i] = f(h)
		}
		return median(xs)
	}
	var out []Finding
	if len(base) >= max(cfg.MinHistory, 1) {
		b := col(func(h RunMetrics) float64 { return h.SyncErrorRate })
		limit := max(cfg.ErrorRateFloor, b*cfg.ErrorRateSpike)
		out = append(out, Finding{Alert: AlertErrorRate, Firing: m.SyncErrorRate > limit, Value: m.SyncErrorRate, Baseline: b, Threshold: limit,
			Summary: fmt.Sprintf("push error rate %.1f%% (baseline %.1f%%, limit %.1f%%)", 100*m.SyncErrorRate, 100*b, 100*limit)})

		b = col(func(h RunMetrics) float64 { return sum(h.RecordsExtracted) })
		v, limit := sum(m.RecordsExtracted), b*cfg.VolumeDrop
		out = append(out, Finding{Alert: AlertVolumeDrop, Firing: b > 0 && v < limit, Value: v, Baseline: b, Threshold: limit,
			Summary: fmt.Sprintf("%.0f records extracted (baseline %.0f, limit %.0f)", v, b, limit)})

		b = col(func(h RunMetrics) float64 { return h.DuplicateRate })
		limit = b + cfg.DuplicateRateJump
		out = append(out, Finding{Alert: AlertDuplicates, Firing: m.NewRecords > 0 && m.DuplicateRate > limit, Value: m.DuplicateRate, Baseline: b, Threshold: limit,
			Summary: fmt.Sprintf("duplicate creation rate %.1f%% of %d new records (baseline %.1f%%, limit %.1f%%)", 100*m.DuplicateRate, m.NewRecords, 100*b, 100*limit)})

		b = col(func(h RunMetrics) float64 { return float64(h.ReviewQueueDepth) })
		limit = max(float64(cfg.ReviewQueueFloor), b*cfg.ReviewQueueGrowth)
		out = append(out, Finding{Alert: AlertReviewQueue, Firing: float64(m.ReviewQueueDepth) > limit, Value: float64(m.ReviewQueueDepth), Baseline: b, Threshold: limit,
			Summary: fmt.Sprintf("review queue %d (baseline %.0f, limit %.0f)", m.ReviewQueueDepth, b, limit)})
	}
	if m.Parity != nil {
		out = append(out, ParityFinding(*m.Parity, auditThreshold))
	}
	if !m.DryRun {
		out = append(out, Finding{Alert: AlertRunFailed, Firing: m.Status == "failed", Summary: "run " + m.Status + " (attempt " + fmt.Sprint(m.Attempt) + ")"})
	}
	return out
}

// Notifier sends alert changes to a webhook and keeps the alert state in
// the lake.
type Notifier struct {
	Store      lake.Store
	WebhookURL string // "" records state changes without sending
	Pipeline   string
	HTTP       *http.Client
}

// Notify sends a notification for every finding whose state differs from
// the stored one (firing after resolved or unseen, resolved after firing)
// and stores the new states. An alert whose send fails keeps its old state,
// so the next run sends it again. It returns what it sent.
func (n *Notifier) Notify(ctx context.Context, runID string, now time.Time, findings []Finding) ([]Notification, error) {
	states := map[string]AlertState{}
	if err := readJSON(ctx, n.Store, AlertStateKey, &states); err != nil {
		return nil, err
	}
	client := n.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	var sent []Notification
	var errs []error
	for _, f := range findings {
		old, seen := states[f.Alert]
		want := "resolved"
		if f.Firing {
			want = "firing"
		}
		if (seen && old.State == want) || (!seen && !f.Firing) {
			continue
		}
		note := Notification{Status: want, Alert: f.Alert, Pipeline: n.Pipeline, RunID: runID, Value: f.Value,
			Baseline: f.Baseline, Threshold: f.Threshold, Summary: f.Summary, Since: now.UTC()}
		icon := ":rotating_light: FIRING"
		if want == "resolved" {
			icon = ":white_check_mark: RESOLVED"
		}
		note.Text = fmt.Sprintf("%s crmhub %s: %s — %s (run %s)", icon, n.Pipeline, f.Alert, f.Summary, runID)
		if n.WebhookURL != "" {
			if err := post(ctx, client, n.WebhookURL, note); err != nil {
				errs = append(errs, fmt.Errorf("alert %s: %w", f.Alert, err))
				continue
			}
		}
		sent = append(sent, note)
		states[f.Alert] = AlertState{State: want, Since: now.UTC(), RunID: runID, Value: f.Value}
	}
	if err := writeJSON(ctx, n.Store, AlertStateKey, states); err != nil {
		errs = append(errs, err)
	}
	return sent, errors.Join(errs...)
}

func post(ctx context.Context, client *http.Client, url string, note Notification) error {
	body, err := json.Marshal(note)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		// the URL may hold a secret (Slack): name the host only
		return fmt.Errorf("webhook %s: %w", req.URL.Host, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s: %s", req.URL.Host, resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

func readJSON(ctx context.Context, store lake.Store, key string, v any) error {
	b, err := lake.ReadAll(ctx, store, key)
	if errors.Is(err, lake.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

func writeJSON(ctx context.Context, store lake.Store, key string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return store.Put(ctx, key, bytes.NewReader(b))
}

// ParityFinding is the audit's judgement alone (crmhub audit).
func ParityFinding(parity, threshold float64) Finding {
	return Finding{Alert: AlertParity, Firing: parity < threshold, Value: parity, Threshold: threshold,
		Summary: fmt.Sprintf("parity audit %.1f%% of critical fields agree (threshold %.1f%%)", 100*parity, 100*threshold)}
}
