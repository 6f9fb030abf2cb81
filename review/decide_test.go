package review_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/review"
	"github.com/crmhub/crmhub/review/decisions"
)

// TestApprovalOfRefusedLoadAndRefusedDecisions: a load the safeguard
// refused is an item; approving it lets the next run load, with the
// decision in sync_runs. Bad decisions are refused whole with a message
// and leave nothing behind.
func TestApprovalOfRefusedLoadAndRefusedDecisions(t *testing.T) {
	p := titleReviewPipeline()
	p.Load.MaxUpdates = 5
	e := newEnv(t, 60, p)
	rep := e.run("")
	if rep.GuardError == nil {
		t.Fatal("night 1 was not refused by the safeguard")
	}
	q, err := e.svc.Queue(e.ctx, review.Filter{Kind: review.KindRefusedLoad})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 1 || q.Items[0].RunID != rep.RunID || !strings.Contains(q.Items[0].Refusal, "would be") {
		t.Fatalf("refused load items: %+v", q.Items)
	}
	load := q.Items[0]
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: load.ID, Verb: review.VerbSame, By: "carol", Why: "x"}); !errors.Is(err, review.ErrBadDecision) {
		t.Errorf("--same on a refused load: %v, want a refusal", err)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: load.ID, Verb: review.VerbApprove, By: "carol"}); !errors.Is(err, review.ErrBadDecision) {
		t.Errorf("a decision without why: %v, want a refusal", err)
	}
	d, err := e.svc.Decide(e.ctx, review.Request{Target: load.ID, Fingerprint: load.Fingerprint, Verb: review.VerbApprove, By: "carol", Why: "first sync of a new sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	rep = e.run("")
	if rep.GuardError != nil || len(rep.Load) == 0 {
		t.Fatalf("night 2 after the approval: guard %v, load %+v", rep.GuardError, rep.Load)
	}
	var reason string
	e.one(`SELECT approved_reason FROM sync_runs WHERE run_id = ?`, []any{&reason}, rep.RunID)
	if !strings.Contains(reason, d.ID) || !strings.Contains(reason, "carol") {
		t.Errorf("sync_runs.approved_reason %q does not name the decision", reason)
	}

	// a field conflict, then decisions that must be refused
	e.titleConflict("Head of Platform", "VP Engineering")
	e.run("test: night 3")
	q, err = e.svc.Queue(e.ctx, review.Filter{Kind: review.KindConflict})
	if err != nil || len(q.Items) == 0 {
		t.Fatalf("no conflict item: %v", err)
	}
	it := q.Items[0]
	before, _ := decisions.Load(e.ctx, e.store)
	for name, req := range map[string]review.Request{
		"too long for the field": {Target: it.ID, Verb: review.VerbValue, Value: strings.Repeat("x", 300)},
		"blank value":            {Target: it.ID, Verb: review.VerbValue, Value: "  "},
		"pair verb":              {Target: it.ID, Verb: review.VerbSame},
		"unknown system":         {Target: it.ID, Verb: review.VerbUse, Use: "pipedrive"},
		"stale fingerprint":      {Target: it.ID, Fingerprint: "0000000000000000", Verb: review.VerbUse, Use: "hubspot"},
		"not in the queue":       {Target: "R000000000000", Verb: review.VerbUse, Use: "hubspot"},
	} {
		req.By, req.Why = "dave", "testing"
		_, err := e.svc.Decide(e.ctx, req)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: it.ID, Fingerprint: "0000000000000000", Verb: review.VerbUse, Use: "hubspot", By: "d", Why: "w"}); !errors.Is(err, review.ErrStale) {
		t.Errorf("stale fingerprint: %v, want ErrStale", err)
	}
	after, _ := decisions.Load(e.ctx, e.store)
	if len(after) != len(before) {
		t.Errorf("refused decisions wrote %d objects", len(after)-len(before))
	}
	ok, err := e.svc.Decide(e.ctx, review.Request{Target: it.ID, Fingerprint: it.Fingerprint, Verb: review.VerbUse, Use: "salesforce", By: "dave", Why: "CRM of record"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: it.ID, Verb: review.VerbUse, Use: "hubspot", By: "erin", Why: "no"}); !errors.Is(err, review.ErrBadDecision) ||
		!strings.Contains(err.Error(), ok.ID) {
		t.Errorf("deciding a decided item: %v, want a refusal naming %s", err, ok.ID)
	}
	if _, err := e.svc.Undo(e.ctx, ok.ID, "dave", "picked the wrong side"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Undo(e.ctx, ok.ID, "dave", "again"); !errors.Is(err, review.ErrBadDecision) {
		t.Errorf("undoing twice: %v, want a refusal", err)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: it.ID, Verb: review.VerbUse, Use: "hubspot", By: "dave", Why: "the other side"}); err != nil {
		t.Errorf("deciding again after undo: %v", err)
	}
	h, err := e.svc.History(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 4 || h[1].Action != decisions.Undo || h[2].UndoneBy != h[1].ID {
		t.Errorf("history: %+v", h)
	}
}
