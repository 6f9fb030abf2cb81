package review

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/review/decisions"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// Decision verbs a Request may carry.
const (
	VerbSame    = "same"     // pairs: the records are the same (must-link)
	VerbNotSame = "not_same" // pairs: they are not (cannot-link)
	VerbValue   = "value"    // conflicts: this typed value
	VerbUse     = "use"      // conflicts: this system's value
	VerbApprove = "approve"  // refused loads: let the next run load
	VerbReject  = "reject"   // refused loads: the refusal stands
)

// Request is a decision someone asks for.
type Request struct {
	// Target is an item id, or a group key to settle the whole group.
	Target string
	// Fingerprint, when set, is the item's (or the group's) fingerprint
	// the person saw; a different one now refuses the decision.
	Fingerprint string
	Verb        string
	Value       string // VerbValue
	Use         string // VerbUse: hubspot or salesforce
	// ExpiresAt ends a field override (nil: until a system changes the field).
	ExpiresAt *time.Time
	By, Why   string
}

// fieldType is what the CRMs take in a golden field, as load/validate.go
// checks it (email, number, date, picklist), with a length limit.
func fieldType(entity, field string) (typ string, maxLen int, options []string, err error) {
	switch field {
	case "email":
		return "email", 80, nil, nil
	case "amount", "annual_revenue", "employees":
		return "number", 0, nil, nil
	case "birthdate", "close_date":
		return "date", 0, nil, nil
	case "phone", "mobile_phone":
		return "string", 40, nil, nil
	case "stage":
		if entity == "deal" {
			opts, err := stages()
			return "picklist", 0, opts, err
		}
	}
	return "string", 255, nil, nil
}

// stages are the shared stage names (ref/stage_map.csv).
func stages() ([]string, error) {
	f, err := sqlmodels.Models.Open("ref/stage_map.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	col := -1
	for i, h := range rows[0] {
		if h == "stage" {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("stage_map.csv: no stage column")
	}
	var out []string
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if col < len(r) && !seen[r[col]] {
			seen[r[col]] = true
			out = append(out, r[col])
		}
	}
	return out, nil
}

func refuse(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadDecision, fmt.Sprintf(format, a...))
}

// Decide checks a request against the last published run and the decisions
// so far, and records it as one decision object; a request that does not
// hold is refused whole, with the reason, and nothing is written.
func (s *Service) Decide(ctx context.Context, req Request) (*decisions.Decision, error) {
	if strings.TrimSpace(req.By) == "" {
		return nil, refuse("say who decides (--by)")
	}
	if strings.TrimSpace(req.Why) == "" {
		return nil, refuse("say why (--why): the reason stays with the decision")
	}
	p, all, err := s.openSettled(ctx)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var target []Item
	group := false
	for _, it := range all {
		if it.ID == req.Target {
			target = append(target, it)
		}
	}
	if len(target) == 0 {
		for _, it := range all {
			if it.GroupKey == req.Target {
				target, group = append(target, it), true
			}
		}
	}
	if len(target) == 0 {
		return nil, fmt.Errorf("%s: %w: the last run (%s) does not list it; it was settled, or the records changed so it is no longer uncertain: see crmhub review list",
			req.Target, ErrNotOpen, p.latest.RunID)
	}
	if req.Fingerprint != "" {
		now := target[0].Fingerprint
		if group {
			now = GroupFingerprint(target)
		}
		if now != req.Fingerprint {
			return nil, fmt.Errorf("%s: %w (fingerprint %s, now %s in run %s): show it again and decide on what it shows now",
				req.Target, ErrStale, req.Fingerprint, now, p.latest.RunID)
		}
	}
	var open []Item
	for _, it := range target {
		if it.Decision == nil {
			open = append(open, it)
		}
	}
	if len(open) == 0 {
		d := target[0].Decision
		return nil, refuse("%s is already decided (%s %s by %s at %s): undo that decision first (crmhub review undo %s)",
			req.Target, d.ID, d.Action, d.By, d.DecidedAt.Format(time.RFC3339), d.ID)
	}
	kind := open[0].Kind
	for _, it := range open {
		if it.Kind != kind {
			return nil, refuse("group %s mixes %s and %s items: decide them one by one", req.Target, kind, it.Kind)
		}
	}
	now := s.now()
	d := &decisions.Decision{ID: decisions.NewID(now), By: strings.TrimSpace(req.By), Why: strings.TrimSpace(req.Why),
		DecidedAt: now, RunID: p.latest.RunID}
	if group {
		d.GroupKey = req.Target
	}
	for _, it := range open {
		d.Items = append(d.Items, decisions.ItemRef{ID: it.ID, Kind: it.Kind, Fingerprint: it.Fingerprint})
	}
	switch kind {
	case KindMatch, KindDuplicate:
		switch req.Verb {
		case VerbSame:
			d.Action = decisions.MustLink
		case VerbNotSame:
			d.Action = decisions.CannotLink
		default:
			return nil, refuse("%s is a pair: decide --same or --not-same", req.Target)
		}
		for _, it := range open {
			d.Pairs = append(d.Pairs, decisions.NewPair(it.Entity, it.LeftKey, it.RightKey))
		}
	case KindConflict:
		if err := s.overrides(ctx, p, d, open, req); err != nil {
			return nil, err
		}
	case KindRefusedLoad:
		switch req.Verb {
		case VerbApprove:
			d.Action = decisions.Approve
		case VerbReject:
			d.Action = decisions.Reject
		default:
			return nil, refuse("%s is a refused load: decide --approve or --reject", req.Target)
		}
		d.RefusedRun = open[0].RunID
	}
	if err := decisions.Write(ctx, s.Store, d); err != nil {
		return nil, err
	}
	return d, nil
}

// overrides turns a conflict decision into field overrides, every value
// checked as the CRMs would check it before anything is written.
func (s *Service) overrides(ctx context.Context, p *published, d *decisions.Decision, open []Item, req Request) error {
	d.Action = decisions.Override
	d.ExpiresAt = req.ExpiresAt
	if req.ExpiresAt != nil && !req.ExpiresAt.After(d.DecidedAt) {
		return refuse("the expiry %s is not in the future", req.ExpiresAt.Format(time.RFC3339))
	}
	switch req.Verb {
	case VerbValue:
		if len(open) > 1 {
			return refuse("%s holds %d fields: a typed value fits one field; decide one item, or --use a system for all", req.Target, len(open))
		}
	case VerbUse:
		if req.Use != "hubspot" && req.Use != "salesforce" {
			return refuse("--use %q: want hubspot or salesforce", req.Use)
		}
	default:
		return refuse("%s is a field conflict: decide --value V or --use hubspot|salesforce", req.Target)
	}
	for _, it := range open {
		var value string
		from := "typed"
		switch req.Verb {
		case VerbValue:
			value = strings.TrimSpace(req.Value)
		case VerbUse:
			from = req.Use
			v := it.LeftValue
			if req.Use == "salesforce" {
				v = it.RightValue
			}
			if v != nil {
				value = strings.TrimSpace(*v)
			}
		}
		if value == "" {
			return refuse("%s.%s: the chosen value is blank; a golden value cannot be blank here: type one with --value", it.Entity, it.Field)
		}
		typ, maxLen, options, err := fieldType(it.Entity, it.Field)
		if err != nil {
			return err
		}
		if why := load.CheckValue(typ, maxLen, options, value); why != "" {
			hint := ""
			if len(options) > 0 {
				hint = " (allowed: " + strings.Join(options, ", ") + ")"
			}
			return refuse("%s.%s: %s%s; nothing was recorded", it.Entity, it.Field, why, hint)
		}
		rule, err := p.provenanceRule(ctx, it.Entity, it.LeftGoldenID, it.Field)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rule, "lock:") {
			return refuse("%s.%s of %s is locked to %s by the pipeline's golden rules; change it there", it.Entity, it.Field,
				it.LeftGoldenID, strings.TrimPrefix(rule, "lock:"))
		}
		var changed *time.Time
		for _, t := range []*time.Time{it.LeftChangedAt, it.RightChangedAt} {
			if t != nil && (changed == nil || t.After(*changed)) {
				c := *t
				changed = &c
			}
		}
		d.Overrides = append(d.Overrides, decisions.FieldOverride{Entity: it.Entity, GoldenID: it.LeftGoldenID, Field: it.Field,
			Value: value, From: from, SourceChangedAt: changed})
	}
	return nil
}

// Undo withdraws a decision, itself recorded as a decision.
func (s *Service) Undo(ctx context.Context, id, by, why string) (*decisions.Decision, error) {
	if strings.TrimSpace(by) == "" {
		return nil, refuse("say who undoes (--by)")
	}
	if strings.TrimSpace(why) == "" {
		return nil, refuse("say why (--why)")
	}
	st, err := s.state(ctx)
	if err != nil {
		return nil, err
	}
	old := st.Find(id)
	switch {
	case old == nil:
		return nil, refuse("no decision %s (see crmhub review history)", id)
	case old.Action == decisions.Undo:
		return nil, refuse("%s is an undo; decide the item again instead", id)
	case st.UndoneBy[id] != "":
		return nil, refuse("%s is already undone by %s", id, st.UndoneBy[id])
	}
	now := s.now()
	d := &decisions.Decision{ID: decisions.NewID(now), Action: decisions.Undo, Undoes: id, Items: old.Items,
		By: strings.TrimSpace(by), Why: strings.TrimSpace(why), DecidedAt: now}
	if err := decisions.Write(ctx, s.Store, d); err != nil {
		return nil, err
	}
	return d, nil
}

// HistoryEntry is a decision and what became of it.
type HistoryEntry struct {
	decisions.Decision
	UndoneBy string `json:"undone_by,omitempty"`
}

// History lists every decision, newest first.
func (s *Service) History(ctx context.Context) ([]HistoryEntry, error) {
	st, err := s.state(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryEntry, 0, len(st.All))
	for i := len(st.All) - 1; i >= 0; i-- {
		out = append(out, HistoryEntry{Decision: st.All[i], UndoneBy: st.UndoneBy[st.All[i].ID]})
	}
	return out, nil
}
