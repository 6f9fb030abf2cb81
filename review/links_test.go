// Needs the clustering side of issue #10: sql/cluster/* honour
// review_pair_decisions (a cannot_link pair never ends in one cluster, a
// must_link pair always does).

package review_test

import (
	"testing"

	"github.com/crmhub/crmhub/review"
)

// TestPairDecisionsHonouredByNextRun: a pair decided "same" ends in one
// golden record, a pair decided "not the same" in two, on the next run and
// the one after; neither is listed again.
func TestPairDecisionsHonouredByNextRun(t *testing.T) {
	e := newEnv(t, 300, titleReviewPipeline())
	e.run("test: first sync")
	q, err := e.svc.Queue(e.ctx, review.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var link, split *review.Item
	for i := range q.Items {
		it := &q.Items[i]
		switch {
		case link == nil && it.Kind == review.KindMatch && it.LeftGoldenID != it.RightGoldenID:
			link = it
		case split == nil && it.Kind == review.KindDuplicate:
			split = it
		}
	}
	if link == nil || split == nil {
		t.Fatalf("need an uncertain pair across two golden records and a duplicate pair: %d items", len(q.Items))
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: link.ID, Fingerprint: link.Fingerprint, Verb: review.VerbSame, By: "alice", Why: "same customer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(e.ctx, review.Request{Target: split.ID, Fingerprint: split.Fingerprint, Verb: review.VerbNotSame, By: "alice", Why: "two different people"}); err != nil {
		t.Fatal(err)
	}
	golden := func(key string) string {
		var g string
		if !e.one(`SELECT golden_id FROM xref WHERE system || ':' || object || ':' || record_id = ?`, []any{&g}, key) {
			t.Fatalf("%s not in xref", key)
		}
		return g
	}
	for night := 2; night <= 3; night++ {
		e.run("test")
		if a, b := golden(link.LeftKey), golden(link.RightKey); a != b {
			t.Errorf("night %d: must-link %s ~ %s in golden records %s and %s", night, link.LeftKey, link.RightKey, a, b)
		}
		if a, b := golden(split.LeftKey), golden(split.RightKey); a == b {
			t.Errorf("night %d: cannot-link %s ~ %s both in golden record %s", night, split.LeftKey, split.RightKey, a)
		}
		q, err := e.svc.Queue(e.ctx, review.Filter{All: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range q.Items {
			if it.ID == link.ID || it.ID == split.ID {
				t.Errorf("night %d: decided item %s listed again", night, it.ID)
			}
		}
	}
}
