// Package review lets people act on the review queue: list the open items
// of the last published run (uncertain match pairs, duplicates inside one
// system, field conflicts held for review, loads refused by the mass-update
// safeguard), show one with both records side by side and its explanation,
// and decide it. Decisions are data in the lake (package decisions); the
// next run obeys them (cycle/review_inputs.go). The same service backs the
// command line (crmhub review) and the local web page (Server).
package review

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/review/decisions"
	"github.com/crmhub/crmhub/transform"
)

// Item kinds (review_queue.reason, plus refused loads from sync_runs).
const (
	KindMatch       = "uncertain_match"
	KindDuplicate   = "duplicate_in_system"
	KindConflict    = "field_conflict"
	KindRefusedLoad = "refused_load"
)

// Kinds lists the item kinds in the order the help shows them.
var Kinds = []string{KindMatch, KindDuplicate, KindConflict, KindRefusedLoad}

// Errors a decision can be refused with; the message says what to do.
var (
	ErrNothingPublished = errors.New("nothing published yet: run `crmhub demo` or `crmhub run` first")
	ErrNotOpen          = errors.New("not an open review item")
	ErrStale            = errors.New("the item changed since it was shown")
	ErrBadDecision      = errors.New("decision refused")
)

// Comparison is one compared field of a pair: its level and weight.
type Comparison struct {
	Field  string  `json:"field"`
	Level  string  `json:"level"`
	Weight float64 `json:"weight"`
}

// Item is one open review item of the last published run.
type Item struct {
	ID              string       `json:"id"`
	Kind            string       `json:"kind"`
	Entity          string       `json:"entity"`
	GroupKey        string       `json:"group_key"`
	GroupSize       int          `json:"group_size"`
	LeftKey         string       `json:"left_key"`
	RightKey        string       `json:"right_key"`
	LeftGoldenID    string       `json:"left_golden_id"`
	RightGoldenID   string       `json:"right_golden_id"`
	Score           *float64     `json:"score,omitempty"`
	Probability     *float64     `json:"probability,omitempty"`
	Explanation     []Comparison `json:"explanation,omitempty"`
	Field           string       `json:"field,omitempty"`
	LeftValue       *string      `json:"left_value,omitempty"`
	RightValue      *string      `json:"right_value,omitempty"`
	LeftChangedAt   *time.Time   `json:"left_changed_at,omitempty"`
	RightChangedAt  *time.Time   `json:"right_changed_at,omitempty"`
	SuggestedAction string       `json:"suggested_action"`
	ImpactRecords   int64        `json:"impact_records"`
	ImpactFields    int64        `json:"impact_fields"`
	FirstSeenAt     time.Time    `json:"first_seen_at"`
	Fingerprint     string       `json:"fingerprint"`
	// Refusal is the safeguard's message (refused_load).
	Refusal string `json:"refusal,omitempty"`
	// RunID is the published run the item comes from.
	RunID string `json:"run_id"`
	// Decision is the live decision that settled the item, if any.
	Decision *decisions.Decision `json:"decision,omitempty"`
}

// Age is how long the item has waited at now (never negative).
func (it Item) Age(now time.Time) time.Duration {
	if d := now.Sub(it.FirstSeenAt); d > 0 {
		return d
	}
	return 0
}

// Filter selects items; zero values select everything.
type Filter struct {
	Kind     string
	Entity   string
	MinScore *float64
	MaxScore *float64
	// MinAge and MaxAge bound how long an item has waited.
	MinAge, MaxAge time.Duration
	// All includes items already decided (applied by the next run).
	All bool
}

// Queue is the open items of the last published run, ordered by impact
// (records, then fields the group's decision affects), groups together.
type Queue struct {
	RunID string
	Items []Item
	// Total is the number of open items before the filter.
	Total int
}

// Service reads the lake's last published run and its decisions.
type Service struct {
	Store lake.Store
	// Now is the clock of decisions (default time.Now).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// published is an open DuckDB with views over the last published run.
type published struct {
	db     *sql.DB
	latest *cycle.Latest
}

func (s *Service) open(ctx context.Context) (*published, error) {
	latest, err := cycle.ReadLatest(ctx, s.Store)
	if err != nil {
		return nil, err
	}
	if latest == nil {
		return nil, fmt.Errorf("%s: %w", s.Store, ErrNothingPublished)
	}
	db, err := transform.Open(ctx, transform.EngineConfig{Threads: 2})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(latest.Tables))
	for t := range latest.Tables {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		local, err := s.Store.LocalPath(ctx, latest.Tables[t])
		if err != nil {
			db.Close()
			return nil, err
		}
		v := "file_" + t
		if _, err := db.ExecContext(ctx, "SET VARIABLE "+transform.QuoteIdent(v)+" = ?", local); err != nil {
			db.Close()
			return nil, err
		}
		if _, err := db.ExecContext(ctx, "CREATE VIEW "+transform.QuoteIdent(t)+" AS SELECT * FROM read_parquet(getvariable('"+v+"'))"); err != nil {
			db.Close()
			return nil, err
		}
	}
	return &published{db: db, latest: latest}, nil
}

func (p *published) Close() error { return p.db.Close() }

// state reads the decisions.
func (s *Service) state(ctx context.Context) (*decisions.State, error) {
	ds, err := decisions.Load(ctx, s.Store)
	if err != nil {
		return nil, err
	}
	return decisions.Derive(ds), nil
}

// items reads every item of the published run, decided or not.
func (p *published) items(ctx context.Context, st *decisions.State) ([]Item, error) {
	if p.latest.Tables["review_queue"] == "" {
		return nil, errors.New("the last run published no review_queue")
	}
	var n int
	if err := p.db.QueryRowContext(ctx, `SELECT count(*) FROM (DESCRIBE review_queue) WHERE column_name = 'item_id'`).Scan(&n); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("run %s published its review queue before review ids existed: run crmhub once more", p.latest.RunID)
	}
	rows, err := p.db.QueryContext(ctx, `SELECT item_id, reason, entity, group_key, group_size, left_key, right_key,
		coalesce(left_golden_id, ''), coalesce(right_golden_id, ''), score, probability, CAST(to_json(explanation) AS VARCHAR),
		coalesce(field, ''), left_value, right_value, left_changed_at, right_changed_at, suggested_action,
		impact_records, impact_fields, first_seen_at, fingerprint
		FROM review_queue`)
	if err != nil {
		return nil, fmt.Errorf("review_queue: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var score, prob sql.NullFloat64
		var expl, lv, rv sql.NullString
		var lt, rt sql.NullTime
		if err := rows.Scan(&it.ID, &it.Kind, &it.Entity, &it.GroupKey, &it.GroupSize, &it.LeftKey, &it.RightKey,
			&it.LeftGoldenID, &it.RightGoldenID, &score, &prob, &expl, &it.Field, &lv, &rv, &lt, &rt,
			&it.SuggestedAction, &it.ImpactRecords, &it.ImpactFields, &it.FirstSeenAt, &it.Fingerprint); err != nil {
			return nil, fmt.Errorf("review_queue: %w", err)
		}
		if score.Valid {
			it.Score = &score.Float64
		}
		if prob.Valid {
			it.Probability = &prob.Float64
		}
		if expl.Valid && expl.String != "" && expl.String != "null" {
			if err := json.Unmarshal([]byte(expl.String), &it.Explanation); err != nil {
				return nil, fmt.Errorf("review_queue %s explanation: %w", it.ID, err)
			}
		}
		if lv.Valid {
			it.LeftValue = &lv.String
		}
		if rv.Valid {
			it.RightValue = &rv.String
		}
		if lt.Valid {
			t := lt.Time.UTC()
			it.LeftChangedAt = &t
		}
		if rt.Valid {
			t := rt.Time.UTC()
			it.RightChangedAt = &t
		}
		it.RunID = p.latest.RunID
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	load, err := p.refusedLoad(ctx, st)
	if err != nil {
		return nil, err
	}
	if load != nil { // a refused load stops every write: first
		out = append([]Item{*load}, out...)
	}
	return out, nil
}

// refusedLoad is the item of the last run's load when the safeguard refused
// it. The item stands for the whole streak of refused runs up to the last
// one (dry runs aside): its id and first_seen_at come from the streak's
// first run, so it keeps its id and ages honestly while the same change is
// refused night after night. The streak ends with a run that loaded (the
// change was approved, or is gone) or a refusal someone rejected in review
// (the next refusal is a new item). Decisions apply to the last run
// (RunID), which the next run consumes.
func (p *published) refusedLoad(ctx context.Context, st *decisions.State) (*Item, error) {
	if p.latest.Tables["sync_runs"] == "" {
		return nil, nil
	}
	rows, err := p.db.QueryContext(ctx, `SELECT run_id, status, started_at, coalesce(guard_refusal, ''), coalesce(outbox_fields, 0)
		FROM sync_runs WHERE run_id <= ? AND NOT coalesce(dry_run, false) ORDER BY run_id DESC`, p.latest.RunID)
	if err != nil {
		return nil, fmt.Errorf("sync_runs: %w", err)
	}
	type run struct {
		id, status, refusal string
		started             time.Time
		fields              int64
	}
	var streak []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.id, &r.status, &r.started, &r.refusal, &r.fields); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sync_runs: %w", err)
		}
		if r.status != "refused_by_guard" {
			break
		}
		if len(streak) > 0 {
			if d := st.Loads[r.id]; d != nil && d.Action == decisions.Reject {
				break
			}
		}
		streak = append(streak, r)
	}
	// the engine has one connection: close before the next query
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("sync_runs: %w", err)
	}
	if len(streak) == 0 || streak[0].id != p.latest.RunID {
		return nil, nil
	}
	last, first := streak[0], streak[len(streak)-1]
	var records int64
	if p.latest.Tables["outbox"] != "" {
		if err := p.db.QueryRowContext(ctx, `SELECT count(DISTINCT (system, object, record_id)) FROM outbox`).Scan(&records); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
	}
	return &Item{ID: "L" + hash(first.id)[:12], Kind: KindRefusedLoad, GroupKey: "load:" + first.id, GroupSize: 1,
		SuggestedAction: "approve_or_reject", ImpactRecords: records, ImpactFields: last.fields, FirstSeenAt: first.started.UTC(),
		Fingerprint: hash(last.refusal)[:16], Refusal: last.refusal, RunID: last.id}, nil
}

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// settle marks the items a live decision settled.
func settle(items []Item, st *decisions.State) {
	for i := range items {
		it := &items[i]
		switch it.Kind {
		case KindMatch, KindDuplicate:
			if d := st.Pairs[decisions.NewPair(it.Entity, it.LeftKey, it.RightKey)]; d != nil {
				it.Decision = d
			}
		case KindConflict:
			if o, ok := st.Overrides[decisions.OverrideKey(it.Entity, it.LeftGoldenID, it.Field)]; ok {
				for _, ref := range o.Decision.Items {
					if ref.ID == it.ID && ref.Fingerprint == it.Fingerprint {
						it.Decision = o.Decision
					}
				}
			}
		case KindRefusedLoad:
			it.Decision = st.Loads[it.RunID]
		}
	}
}

// openSettled opens the last published run and lists its items with the
// decisions already taken settled on them; the caller closes p.
func (s *Service) openSettled(ctx context.Context) (*published, []Item, error) {
	p, err := s.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	st, err := s.state(ctx)
	if err == nil {
		var items []Item
		if items, err = p.items(ctx, st); err == nil {
			settle(items, st)
			return p, items, nil
		}
	}
	p.Close()
	return nil, nil, err
}

// Queue lists the items of the last published run that match f, open ones
// only unless f.All.
func (s *Service) Queue(ctx context.Context, f Filter) (*Queue, error) {
	p, items, err := s.openSettled(ctx)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	q := &Queue{RunID: p.latest.RunID}
	now := s.now()
	for _, it := range items {
		if it.Decision == nil {
			q.Total++
		}
		if !f.match(it, now) {
			continue
		}
		q.Items = append(q.Items, it)
	}
	return q, nil
}

func (f Filter) match(it Item, now time.Time) bool {
	if !f.All && it.Decision != nil {
		return false
	}
	if f.Kind != "" && f.Kind != it.Kind {
		return false
	}
	if f.Entity != "" && f.Entity != it.Entity {
		return false
	}
	if f.MinScore != nil && (it.Score == nil || *it.Score < *f.MinScore) {
		return false
	}
	if f.MaxScore != nil && (it.Score == nil || *it.Score > *f.MaxScore) {
		return false
	}
	age := it.Age(now)
	if f.MinAge > 0 && age < f.MinAge {
		return false
	}
	if f.MaxAge > 0 && age > f.MaxAge {
		return false
	}
	return true
}

// NormalizeKind accepts the short names pair, match, duplicate, conflict, load.
func NormalizeKind(k string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(k)) {
	case "":
		return "", nil
	case "pair", "match", KindMatch:
		return KindMatch, nil
	case "duplicate", "dup", KindDuplicate:
		return KindDuplicate, nil
	case "conflict", KindConflict:
		return KindConflict, nil
	case "load", "refused", KindRefusedLoad:
		return KindRefusedLoad, nil
	}
	return "", fmt.Errorf("kind %q: want one of %s (or pair, duplicate, conflict, load)", k, strings.Join(Kinds, ", "))
}

// GroupFingerprint is the fingerprint of a group: its items' together.
func GroupFingerprint(items []Item) string {
	fps := make([]string, 0, len(items))
	for _, it := range items {
		fps = append(fps, it.ID+"="+it.Fingerprint)
	}
	sort.Strings(fps)
	return hash(strings.Join(fps, ","))[:16]
}
