package review_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/ops"
	"github.com/crmhub/crmhub/review"
)

// conflictItem is the open title conflict of a golden person in the queue
// of the last published run, or nil.
func (e *env) conflictItem(goldenID string) *review.Item {
	e.t.Helper()
	q, err := e.svc.Queue(e.ctx, review.Filter{Kind: review.KindConflict})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, it := range q.Items {
		if it.LeftGoldenID == goldenID && it.Field == "title" {
			return &it
		}
	}
	return nil
}

// conflictRow reads the published conflicts row of a golden person's
// title: whether there is one, its resolution and the rule that decided.
func (e *env) conflictRow(goldenID string) (ok bool, resolution, rule string) {
	e.t.Helper()
	var res, r sql.NullString
	ok = e.one(`SELECT resolution, resolution_rule FROM conflicts WHERE entity = 'person' AND golden_id = ? AND field = 'title'`,
		[]any{&res, &r}, goldenID)
	return ok, res.String, r.String
}

// titles reads a person's title in both CRMs.
func (e *env) titles(hsID, sfID string) (hs, sf string) {
	e.t.Helper()
	obj, err := e.hs.Get(e.ctx, "contacts", hsID, "", []string{"jobtitle"})
	if err != nil {
		e.t.Fatal(err)
	}
	if v := obj.Properties["jobtitle"]; v != nil {
		hs = *v
	}
	err = e.sf.Query(e.ctx, "SELECT Id, Title FROM Contact", salesforce.QueryOptions{}, func(recs []salesforce.Record) error {
		for _, r := range recs {
			if r["Id"] == sfID {
				sf, _ = r["Title"].(string)
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return hs, sf
}

// raiseTitleConflict is the first sync, then a title edited in both CRMs
// to values that disagree and the night that raises the conflict: the
// golden person, both record ids and the conflict's review item.
func (e *env) raiseTitleConflict() (gid, hsID, sfID string, item *review.Item) {
	e.t.Helper()
	e.run("test: first sync")
	gid, hsID, sfID = e.titleConflict("Head of Platform", "VP Engineering")
	e.run("test: night 2")
	if item = e.conflictItem(gid); item == nil {
		e.t.Fatal("night 2: the title conflict is not in the queue")
	}
	return gid, hsID, sfID, item
}

// TestOpenConflictStaysUntilDecided: a conflict held for review stays in
// the queue on the nights after it was raised although neither system
// changes the field again: same item id and fingerprint, the same first
// seen time (so its age grows, in the item and in the run metrics), the
// field still held (no write either way, the golden value as the rule
// gives it). A decision in review settles it: the next run makes the
// chosen value golden and loads it, the item leaves the queue, and once
// both CRMs hold the value the conflict is gone.
func TestOpenConflictStaysUntilDecided(t *testing.T) {
	e := newEnv(t, 80, titleReviewPipeline())
	gid, hsID, sfID, raised := e.raiseTitleConflict()
	golden2, rule2 := e.golden(gid, "title")
	before, err := e.svc.Queue(e.ctx, review.Filter{All: true})
	if err != nil {
		t.Fatal(err)
	}

	// night 3: nobody edits, nobody decides
	rep := e.run("test: night 3")
	open := e.conflictItem(gid)
	if open == nil {
		t.Fatal("night 3: the undecided conflict left the queue although nothing changed")
	}
	if open.ID != raised.ID || open.Fingerprint != raised.Fingerprint || !open.FirstSeenAt.Equal(raised.FirstSeenAt) {
		t.Errorf("night 3: item %s/%s first seen %s, want %s/%s first seen %s", open.ID, open.Fingerprint, open.FirstSeenAt,
			raised.ID, raised.Fingerprint, raised.FirstSeenAt)
	}
	if open.RunID == raised.RunID {
		t.Errorf("night 3: the item comes from run %s, want the new run", open.RunID)
	}
	if ok, res, _ := e.conflictRow(gid); !ok || res != "review" {
		t.Errorf("night 3: conflicts row %v resolution %q, want an open conflict held for review", ok, res)
	}
	var conflictSeen time.Time
	e.one(`SELECT first_seen_at FROM conflicts WHERE golden_id = ? AND field = 'title'`, []any{&conflictSeen}, gid)
	if !conflictSeen.Equal(raised.FirstSeenAt) {
		t.Errorf("night 3: conflicts.first_seen_at %s, want %s (when night 2 raised it)", conflictSeen, raised.FirstSeenAt)
	}
	if rep.Counts.Conflicts != 0 {
		t.Errorf("night 3 raised %d conflicts, want none (the open one is not new)", rep.Counts.Conflicts)
	}
	var writes int
	e.one(`SELECT count(*) FROM outbox WHERE golden_id = ? AND field = 'title'`, []any{&writes}, gid)
	if writes != 0 {
		t.Errorf("night 3: %d title writes for a field held for review", writes)
	}
	if hs, sf := e.titles(hsID, sfID); hs != "Head of Platform" || sf != "VP Engineering" {
		t.Errorf("night 3: the CRMs hold %q and %q: a held field was written", hs, sf)
	}
	if v, r := e.golden(gid, "title"); v != golden2 || r != rule2 {
		t.Errorf("night 3: golden title %q by %q, want %q by %q as on the night it was raised", v, r, golden2, rule2)
	}
	// the age grows: the item's, and the published queue's in the metrics
	if a2, a3 := raised.Age(rep.StartedAt.Add(-24*time.Hour)), open.Age(rep.StartedAt); a3 < a2+20*time.Hour {
		t.Errorf("night 3: age %s, was %s a night before", a3, a2)
	}
	m, err := ops.Collect(e.ctx, e.store, "test", rep, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.ReviewQueueOldestSeconds < (20 * time.Hour).Seconds() {
		t.Errorf("night 3: review_queue_oldest_seconds %.0f, want the conflict's age (over a day)", m.ReviewQueueOldestSeconds)
	}
	// every item that is still there kept its first-seen time (pairs and
	// duplicates recompute every run: their ids are stable)
	after, err := e.svc.Queue(e.ctx, review.Filter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]review.Item{}
	for _, it := range before.Items {
		seen[it.ID] = it
	}
	kept := map[string]int{}
	for _, it := range after.Items {
		if b, ok := seen[it.ID]; ok {
			kept[it.Kind]++
			if !b.FirstSeenAt.Equal(it.FirstSeenAt) {
				t.Errorf("night 3: %s item %s first seen %s, was %s", it.Kind, it.ID, it.FirstSeenAt, b.FirstSeenAt)
			}
		}
	}
	t.Logf("items kept from night 2 to night 3 by kind: %v (of %d, now %d)", kept, len(before.Items), len(after.Items))
	if kept[review.KindMatch] == 0 || kept[review.KindDuplicate] == 0 {
		t.Errorf("night 3: no uncertain pair or duplicate kept its id from night 2: %v", kept)
	}

	// a person decides; the next run obeys and the item leaves the queue
	d, err := e.svc.Decide(e.ctx, review.Request{Target: open.ID, Fingerprint: open.Fingerprint, Verb: review.VerbUse, Use: "salesforce",
		By: "alice", Why: "Salesforce owns job titles"})
	if err != nil {
		t.Fatal(err)
	}
	if e.conflictItem(gid) != nil {
		t.Error("after the decision the item is still listed as open")
	}
	e.run("test: night 4")
	if it := e.conflictItem(gid); it != nil {
		t.Errorf("night 4: the decided conflict is open again: %+v", it)
	}
	if ok, res, rule := e.conflictRow(gid); !ok || res != "decided" || rule != "review" {
		t.Errorf("night 4: conflicts row %v %q by %q, want decided by review", ok, res, rule)
	}
	if v, r := e.golden(gid, "title"); v != "VP Engineering" || r != "review" {
		t.Errorf("night 4: golden title %q by %q, want the chosen value (decision %s)", v, r, d.ID)
	}
	if hs, sf := e.titles(hsID, sfID); hs != "VP Engineering" || sf != "VP Engineering" {
		t.Errorf("night 4: the CRMs hold %q and %q, want the chosen value loaded", hs, sf)
	}
	// night 5: both CRMs agree; the conflict is over
	e.run("test: night 5")
	if ok, res, rule := e.conflictRow(gid); ok {
		t.Errorf("night 5: conflicts still lists the title (%s by %s) although both CRMs agree", res, rule)
	}
	if it := e.conflictItem(gid); it != nil {
		t.Errorf("night 5: item %s listed", it.ID)
	}
}

// TestOpenConflictSupersededByNewEdit: an open conflict ends when a system
// edits the field again. One edit: the field's rule decides and the old
// item is gone. Edits in both systems: a new conflict, a new item with its
// own first-seen time, and the old one is gone.
func TestOpenConflictSupersededByNewEdit(t *testing.T) {
	e := newEnv(t, 80, titleReviewPipeline())
	gid, hsID, sfID, old := e.raiseTitleConflict()

	// night 3: HubSpot edits the title again
	e.setTitle("hubspot", "contacts", hsID, "CTO")
	e.run("test: night 3")
	if it := e.conflictItem(gid); it != nil {
		t.Errorf("night 3: item %s (was %s) still open after HubSpot edited the field again", it.ID, old.ID)
	}
	if ok, res, rule := e.conflictRow(gid); ok {
		t.Errorf("night 3: conflicts lists the title (%s by %s): one system's edit is no conflict", res, rule)
	}
	if v, r := e.golden(gid, "title"); v != "CTO" || r != "most_recent" {
		t.Errorf("night 3: golden title %q by %q, want the new edit by the field's rule", v, r)
	}
	if hs, sf := e.titles(hsID, sfID); hs != "CTO" || sf != "CTO" {
		t.Errorf("night 3: the CRMs hold %q and %q, want the new edit loaded to Salesforce", hs, sf)
	}

	// night 4: both edit again, to values that disagree: a new item
	e.setTitle("hubspot", "contacts", hsID, "Chief Architect")
	e.setTitle("salesforce", "Contact", sfID, "Principal Engineer")
	e.run("test: night 4")
	raised := e.conflictItem(gid)
	if raised == nil {
		t.Fatal("night 4: no conflict for the new edits")
	}
	if raised.ID == old.ID || !raised.FirstSeenAt.After(old.FirstSeenAt) {
		t.Errorf("night 4: item %s first seen %s, want a new item (the old one was %s, first seen %s)", raised.ID, raised.FirstSeenAt,
			old.ID, old.FirstSeenAt)
	}
	if *raised.LeftValue != "Chief Architect" || *raised.RightValue != "Principal Engineer" {
		t.Errorf("night 4: item values %q and %q", *raised.LeftValue, *raised.RightValue)
	}
	// night 5: only HubSpot edits, once more: the open conflict ends
	e.setTitle("hubspot", "contacts", hsID, "Principal Engineer")
	e.run("test: night 5")
	if ok, res, rule := e.conflictRow(gid); ok {
		t.Errorf("night 5: conflicts lists the title (%s by %s) although both CRMs agree now", res, rule)
	}
	if it := e.conflictItem(gid); it != nil {
		t.Errorf("night 5: item %s still open", it.ID)
	}
}

// refusedItem is the refused-load item of the last published run, or nil.
func (e *env) refusedItem() *review.Item {
	e.t.Helper()
	q, err := e.svc.Queue(e.ctx, review.Filter{Kind: review.KindRefusedLoad})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(q.Items) > 1 {
		e.t.Fatalf("%d refused-load items: %+v", len(q.Items), q.Items)
	}
	if len(q.Items) == 0 {
		return nil
	}
	return &q.Items[0]
}

// TestRefusedLoadItemStaysUntilApproved: a load the safeguard refuses
// night after night is one item, with the id and first-seen time of the
// first refusal, deciding on the last run; a rejection ends it (the next
// refusal is a new item); the run metrics count it with its age; an
// approval lets the next run load, and the item is gone.
func TestRefusedLoadItemStaysUntilApproved(t *testing.T) {
	p := titleReviewPipeline()
	p.Load.MaxUpdates = 5
	e := newEnv(t, 60, p)
	rep1 := e.run("")
	first := e.refusedItem()
	if rep1.GuardError == nil || first == nil {
		t.Fatalf("night 1: guard %v, item %v: want a refused load", rep1.GuardError, first)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: first.ID, Verb: review.VerbReject, By: "carol", Why: "not tonight"}); err != nil {
		t.Fatal(err)
	}
	if e.refusedItem() != nil {
		t.Error("a rejected refusal is still listed")
	}

	// night 2: refused again after the rejection: a new item
	rep2 := e.run("")
	second := e.refusedItem()
	if rep2.GuardError == nil || second == nil {
		t.Fatalf("night 2: guard %v, item %v: want a refused load", rep2.GuardError, second)
	}
	if second.ID == first.ID || second.RunID != rep2.RunID {
		t.Errorf("night 2 after a rejection: item %s of run %s, want a new item of run %s", second.ID, second.RunID, rep2.RunID)
	}

	// night 3: still refused, nobody decided: the same item, older
	rep3 := e.run("")
	third := e.refusedItem()
	if rep3.GuardError == nil || third == nil {
		t.Fatalf("night 3: guard %v, item %v: want a refused load", rep3.GuardError, third)
	}
	if third.ID != second.ID || !third.FirstSeenAt.Equal(second.FirstSeenAt) || third.RunID != rep3.RunID {
		t.Errorf("night 3: item %s first seen %s run %s, want %s first seen %s deciding run %s", third.ID, third.FirstSeenAt, third.RunID,
			second.ID, second.FirstSeenAt, rep3.RunID)
	}
	if third.Age(e.now()) < 20*time.Hour {
		t.Errorf("night 3: the refused load has waited %s, want since night 2", third.Age(e.now()))
	}
	// the run metrics count it, as old as its first refusal
	m, err := ops.Collect(e.ctx, e.store, "test", rep3, false)
	if err != nil {
		t.Fatal(err)
	}
	var aged int64
	for _, n := range m.ReviewQueueAges {
		aged += n
	}
	if m.ReviewQueueDepth != rep3.Counts.ReviewItems+1 || aged != m.ReviewQueueDepth || m.ReviewQueueOldestSeconds < third.Age(rep3.StartedAt).Seconds() {
		t.Errorf("night 3 metrics: depth %d (queue %d), ages %v, oldest %.0fs; want the refused load counted, %s old",
			m.ReviewQueueDepth, rep3.Counts.ReviewItems, m.ReviewQueueAges, m.ReviewQueueOldestSeconds, third.Age(rep3.StartedAt))
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: third.ID, Fingerprint: third.Fingerprint, Verb: review.VerbApprove,
		By: "carol", Why: "first sync of a new sandbox"}); err != nil {
		t.Fatal(err)
	}
	rep4 := e.run("")
	if rep4.GuardError != nil || len(rep4.Load) == 0 {
		t.Fatalf("night 4 after the approval: guard %v, load %+v", rep4.GuardError, rep4.Load)
	}
	if it := e.refusedItem(); it != nil {
		t.Errorf("night 4 loaded, yet item %s is listed", it.ID)
	}
}

// TestUndoReopensDecidedConflict: where the pipeline writes a field to
// neither CRM (direction none) a decided conflict keeps the CRMs apart, so
// it stays in conflicts as decided in review; undoing the decision puts it
// back in the queue as the same item, as old as the conflict.
func TestUndoReopensDecidedConflict(t *testing.T) {
	p := titleReviewPipeline()
	for i, r := range p.Golden.Rules {
		if r.Entity == "person" && r.Field == "title" {
			p.Golden.Rules[i].Direction = "none"
		}
	}
	e := newEnv(t, 80, p)
	gid, hsID, sfID, raised := e.raiseTitleConflict()
	d, err := e.svc.Decide(e.ctx, review.Request{Target: raised.ID, Fingerprint: raised.Fingerprint, Verb: review.VerbUse, Use: "hubspot",
		By: "alice", Why: "HubSpot is right"})
	if err != nil {
		t.Fatal(err)
	}
	e.run("test: night 3")
	if ok, res, rule := e.conflictRow(gid); !ok || res != "decided" || rule != "review" {
		t.Errorf("night 3: conflicts row %v %q by %q, want decided in review while the CRMs disagree", ok, res, rule)
	}
	if it := e.conflictItem(gid); it != nil {
		t.Errorf("night 3: the decided conflict is listed: %+v", it)
	}
	if hs, sf := e.titles(hsID, sfID); hs != "Head of Platform" || sf != "VP Engineering" {
		t.Errorf("night 3: the CRMs hold %q and %q; direction none writes neither", hs, sf)
	}
	if _, err := e.svc.Undo(e.ctx, d.ID, "alice", "asked the account owner first"); err != nil {
		t.Fatal(err)
	}
	e.run("test: night 4")
	again := e.conflictItem(gid)
	if again == nil {
		t.Fatal("night 4: the undone decision did not reopen the conflict")
	}
	if again.ID != raised.ID || again.Fingerprint != raised.Fingerprint || !again.FirstSeenAt.Equal(raised.FirstSeenAt) {
		t.Errorf("night 4: reopened as %s/%s first seen %s, want %s/%s first seen %s", again.ID, again.Fingerprint, again.FirstSeenAt,
			raised.ID, raised.Fingerprint, raised.FirstSeenAt)
	}
	if ok, res, _ := e.conflictRow(gid); !ok || res != "review" {
		t.Errorf("night 4: conflicts row %v %q, want held for review again", ok, res)
	}
}
