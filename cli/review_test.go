package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/review"
)

// TestReviewCommands: list, show, decide a whole group, refuse a second
// decision, undo, and history, on a demo lake.
func TestReviewCommands(t *testing.T) {
	lakeDir := filepath.Join(t.TempDir(), "lake")
	if code, out, errs := run(t, "demo", "--records", "150", "--lake", lakeDir); code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs := run(t, "review", "list", "--lake", lakeDir, "--kind", "duplicate", "--format", "json")
	if code != 0 {
		t.Fatalf("review list exit %d: %s", code, errs)
	}
	var q review.Queue
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Items) == 0 {
		t.Fatal("no duplicate_in_system item after a demo run")
	}
	it := q.Items[0]
	for i := 1; i < len(q.Items); i++ {
		if q.Items[i].ImpactRecords > q.Items[i-1].ImpactRecords && q.Items[i].GroupKey != q.Items[i-1].GroupKey &&
			q.Items[i].GroupSize == 1 && q.Items[i-1].GroupSize == 1 {
			t.Errorf("queue not ordered by impact at %d: %d after %d", i, q.Items[i].ImpactRecords, q.Items[i-1].ImpactRecords)
		}
	}
	if code, out, errs = run(t, "review", "show", it.GroupKey, "--lake", lakeDir); code != 0 || !strings.Contains(out, it.LeftKey) ||
		!strings.Contains(out, "--fingerprint") {
		t.Fatalf("review show exit %d:\n%s\n%s", code, out, errs)
	}
	fp := out[strings.Index(out, "--fingerprint ")+len("--fingerprint "):]
	fp = fp[:strings.IndexByte(fp, ' ')]
	if code, out, errs = run(t, "review", "decide", it.GroupKey, "--not-same", "--fingerprint", fp, "--lake", lakeDir, "--by", "alice", "--why", "two people"); code != 0 ||
		!strings.Contains(out, "recorded D") {
		t.Fatalf("review decide exit %d:\n%s\n%s", code, out, errs)
	}
	id := strings.Fields(strings.TrimPrefix(out, "recorded "))[0]
	id = strings.TrimSuffix(id, ":")
	if code, _, errs = run(t, "review", "decide", it.ID, "--same", "--lake", lakeDir, "--by", "bob", "--why", "x"); code != 2 ||
		!strings.Contains(errs, "already decided") || !strings.Contains(errs, "nothing was recorded") {
		t.Errorf("deciding a decided item: exit %d, %s", code, errs)
	}
	if code, _, errs = run(t, "review", "decide", it.ID, "--same", "--lake", lakeDir, "--why", "x"); code != 2 {
		t.Errorf("a decision without --by: exit %d, %s", code, errs)
	}
	if code, out, errs = run(t, "review", "undo", id, "--lake", lakeDir, "--by", "alice", "--why", "wrong group"); code != 0 {
		t.Fatalf("review undo exit %d: %s %s", code, out, errs)
	}
	if code, out, _ = run(t, "review", "history", "--lake", lakeDir); code != 0 || !strings.Contains(out, "undone by") || !strings.Contains(out, "two people") {
		t.Errorf("review history:\n%s", out)
	}
}
