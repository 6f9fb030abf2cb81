package reliability

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmhub/crmhub/internal/testenv"
	"github.com/crmhub/crmhub/sim/fault"
)

// TestConcurrentRuns starts two `crmhub run` at the same moment on one lake,
// a local folder and S3 (Versity Gateway): one runs, the other refuses with
// exit 4 and touches nothing; afterwards the lake reads back whole and the
// next run succeeds.
func TestConcurrentRuns(t *testing.T) {
	for _, kind := range []string{"local", "s3"} {
		t.Run(kind, func(t *testing.T) {
			// 10 ms per request keeps each run busy for a few seconds
			sims := startSims(t, simOpts{people: 150, seed: 31,
				hsFaults: fault.Config{Latency: 10 * time.Millisecond}, sfFaults: fault.Config{Latency: 10 * time.Millisecond}})
			dir := t.TempDir()
			lakeLoc := filepath.Join(dir, "lake")
			if kind == "s3" {
				_, bucket := testenv.S3(t)
				lakeLoc = "s3://" + bucket + "/concurrency"
			}
			pipe := writePipeline(t, dir, sims, "")
			env := secretEnv()
			ctx := context.Background()
			args := []string{"--log-format", "json", "run", "--pipeline", pipe, "--lake", lakeLoc, "--approve", "concurrency test"}
			var wg sync.WaitGroup
			res := make([]result, 2)
			ready := make(chan struct{})
			for i := range res {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					res[i] = runCrmhub(ctx, t, env, args...)
				}()
			}
			close(ready)
			wg.Wait()
			codes := fmt.Sprint(res[0].code, res[1].code)
			t.Logf("exit codes of the two runs started together: %s", codes)
			var winner, loser result
			switch codes {
			case "0 4":
				winner, loser = res[0], res[1]
			case "4 0":
				winner, loser = res[1], res[0]
			default:
				t.Fatalf("want one run to complete and the other to refuse (4), got %s\nfirst: %s\nsecond: %s", codes, res[0], res[1])
			}
			if !strings.Contains(loser.stderr, "another run holds the lake") || !strings.Contains(loser.stderr, "runs/_lock.json") {
				t.Errorf("the refusal does not say who holds the lake:\n%s", loser.stderr)
			}
			if strings.Contains(loser.stdout, "crmhub run ") {
				t.Errorf("the refused run reported a run:\n%s", loser.stdout)
			}
			runID := regexp.MustCompile(`crmhub run (\S+) attempt 1`).FindStringSubmatch(winner.stdout)
			if runID == nil {
				t.Fatalf("no run id in:\n%s", winner.stdout)
			}

			// nothing corrupted: the lake reads back, the lock is free, the
			// next run completes, and each run is in the history once
			q := func(sql string) string {
				r := runCrmhub(ctx, t, env, "sql", "--lake", lakeLoc, "--format", "csv", sql)
				if r.code != 0 {
					t.Fatalf("sql %q: %s", sql, r)
				}
				return strings.TrimSpace(r.stdout)
			}
			for _, table := range []string{"xref", "golden_persons", "outbox", "sync_runs", "sync_errors", "sync_run_steps"} {
				q("SELECT count(*) FROM " + table)
			}
			if r := runCrmhub(ctx, t, env, args...); r.code != 0 {
				t.Fatalf("the run after the race: %s", r)
			}
			out := q("SELECT run_id, count(*) AS n FROM sync_runs GROUP BY run_id HAVING count(*) > 1")
			if strings.Count(out, "\n") > 0 {
				t.Errorf("runs recorded twice:\n%s", out)
			}
			out = q("SELECT count(DISTINCT run_id) FROM sync_runs WHERE status = 'succeeded'")
			if !strings.HasSuffix(out, "\n2") {
				t.Errorf("succeeded runs in sync_runs: %s, want 2 (the winner and the next run)", out)
			}
			out = q("SELECT count(*) FROM sync_run_steps WHERE run_id = '" + runID[1] + "' AND attempt > 1")
			if !strings.HasSuffix(out, "\n0") {
				t.Errorf("the refused run added attempts to the winner: %s", out)
			}
		})
	}
}
