package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// attempt is one crmhub process whose progress the test follows through
// its JSON log (step started lines) and through the simulators' taps.
type attempt struct {
	cmd     *exec.Cmd
	step    atomic.Value // string: the step the process is in
	killed  atomic.Bool
	killAt  atomic.Value // string: where the kill landed
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	mu      sync.Mutex
	onStep  func(a *attempt, step string)
	models  atomic.Int64 // models the transform finished (debug "model" lines)
	onModel func(a *attempt, n int64)
	reads   map[string]int64
	writes  map[string]int64
	done    chan struct{}
	code    int
	waitErr error
}

func (a *attempt) current() string {
	s, _ := a.step.Load().(string)
	return s
}

// requestStep is the step a CRM request belongs to. The first CRM requests
// of a run are the extract's, and on a fast machine they can arrive before
// the child's "step started" log line is read.
func (a *attempt) requestStep() string {
	if s := a.current(); s != "start" {
		return s
	}
	return "extract"
}

// kill sends SIGKILL (not a polite stop) and notes where it landed.
func (a *attempt) kill(where string) {
	if a.killed.CompareAndSwap(false, true) {
		a.killAt.Store(where)
		_ = a.cmd.Process.Kill()
	}
}

func startAttempt(t *testing.T, env []string, onStep func(*attempt, string), onModel func(*attempt, int64), args ...string) *attempt {
	t.Helper()
	a := &attempt{onStep: onStep, onModel: onModel, reads: map[string]int64{}, writes: map[string]int64{}, done: make(chan struct{})}
	a.step.Store("start")
	a.cmd = exec.Command(crmhubBin(t), args...)
	// a killed run cannot remove its work folder: keep it in the test's
	a.cmd.Env = append(env[:len(env):len(env)], "TMPDIR="+t.TempDir())
	a.cmd.Stdout = &a.stdout
	pr, err := a.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			a.mu.Lock()
			a.stderr.Write(line)
			a.stderr.WriteByte('\n')
			a.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Step string `json:"step"`
			}
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "step started":
				a.step.Store(rec.Step)
				if a.onStep != nil {
					a.onStep(a, rec.Step)
				}
			case "model":
				n := a.models.Add(1)
				if a.onModel != nil {
					a.onModel(a, n)
				}
			}
		}
		err := a.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			a.code = ee.ExitCode()
		} else {
			a.waitErr = err
		}
		close(a.done)
	}()
	return a
}

// count is the taps' hook: it counts requests per step of the attempt.
func (a *attempt) count(write bool) (step string, n int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	step = a.requestStep()
	if write {
		a.writes[step]++
		return step, a.writes[step]
	}
	a.reads[step]++
	return step, a.reads[step]
}

func (a *attempt) wait() { <-a.done }

func (a *attempt) result() result {
	a.mu.Lock()
	defer a.mu.Unlock()
	return result{code: a.code, stdout: a.stdout.String(), stderr: a.stderr.String()}
}

// killPlan is where one attempt is killed: in step, either at the n-th
// request (reads in extract, writes in load; before or after the simulator
// applied it), after the n-th model of the transform, or after a delay
// from the step's start (publish).
type killPlan struct {
	step  string
	n     int64
	after bool
	delay time.Duration
}

func (k killPlan) String() string {
	if k.step == "transform" {
		return fmt.Sprintf("transform after model %d", k.n)
	}
	if k.n > 0 {
		ph := "before"
		if k.after {
			ph = "after"
		}
		return fmt.Sprintf("%s request %d (%s the simulator applied it)", k.step, k.n, ph)
	}
	return fmt.Sprintf("%s +%s", k.step, k.delay.Round(time.Millisecond))
}

var stepOrder = map[string]int{"start": 0, "extract": 1, "transform": 2, "load": 3, "publish": 4}

// TestCrashConsistency SIGKILLs `crmhub run` at 20+ seeded points over
// extract, transform and load (and once in publish), restarting it each
// time until it completes, then compares both CRMs and the published
// tables with an uninterrupted run on the same data.
func TestCrashConsistency(t *testing.T) {
	t.Parallel()
	seedN := uint64(time.Now().UnixNano())
	if s := os.Getenv("CRMHUB_CRASH_SEED"); s != "" {
		var err error
		if seedN, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("crash seed %d (repeat with CRMHUB_CRASH_SEED=%d)", seedN, seedN)
	fmt.Printf("TestCrashConsistency: crash seed %d\n", seedN)
	rng := rand.New(rand.NewPCG(seedN, 0xc4a54))
	const people, dataSeed = 300, 11
	extra := "load: {hubspot_batch_size: 10, salesforce_batch_size: 10}\n"
	env := secretEnv()
	ctx := context.Background()

	// the uninterrupted run
	refBase := startSims(t, simOpts{people: people, seed: dataSeed})
	seeded := seededIDs(refBase.Snapshot())
	refSims, refHS, refSF := tappedSims(t, refBase)
	refDir := t.TempDir()
	refPipe := writePipeline(t, refDir, refSims, extra)
	runArgs := func(pipe, dir string) []string {
		return []string{"--log-format", "json", "--log-level", "debug", "run", "--pipeline", pipe,
			"--lake", filepath.Join(dir, "lake"), "--approve", "crash test"}
	}
	stepStart := map[string]time.Time{}
	stepDur := map[string]time.Duration{}
	var prev string
	var refA atomic.Pointer[attempt]
	for _, tp := range []*tap{refHS, refSF} {
		tp.setHook(func(write bool) (bool, func()) {
			if a := refA.Load(); a != nil {
				a.count(write)
			}
			return false, nil
		})
	}
	ref := startAttempt(t, env, func(a *attempt, step string) {
		now := time.Now()
		if prev != "" {
			stepDur[prev] = now.Sub(stepStart[prev])
		}
		stepStart[step], prev = now, step
	}, nil, runArgs(refPipe, refDir)...)
	refA.Store(ref)
	ref.wait()
	if r := ref.result(); r.code != 0 {
		t.Fatalf("uninterrupted run: %s", r)
	}
	stepDur[prev] = time.Since(stepStart[prev])
	refExtractReads, refLoadWrites, refModels := ref.reads["extract"], ref.writes["load"], ref.models.Load()
	t.Logf("uninterrupted run: extract %d reads, transform %d models, load %d writes; steps %v", refExtractReads, refModels, refLoadWrites, stepDur)
	if refExtractReads < 10 || refLoadWrites < 20 {
		t.Fatalf("too little work to kill inside: %d extract reads, %d load writes", refExtractReads, refLoadWrites)
	}

	// the run killed again and again
	crashBase := startSims(t, simOpts{people: people, seed: dataSeed})
	crashSims, hs, sf := tappedSims(t, crashBase)
	crashDir := t.TempDir()
	crashPipe := writePipeline(t, crashDir, crashSims, extra)
	lockFile := filepath.Join(crashDir, "lake", "runs", "_lock.json")

	var plans []string
	for range 7 {
		plans = append(plans, "extract")
	}
	mid := []string{}
	for range 7 {
		mid = append(mid, "transform")
	}
	for range 9 {
		mid = append(mid, "load")
	}
	rng.Shuffle(len(mid), func(i, j int) { mid[i], mid[j] = mid[j], mid[i] })
	plans = append(append(plans, mid...), "publish")

	var cur atomic.Pointer[attempt]
	var curPlan atomic.Pointer[killPlan]
	// requests the killed attempts made: a resumed step makes fewer, so the
	// next kill point is drawn from what is left of it, or it would land
	// after the step ended
	var loadWritesDone, extractReadsDone atomic.Int64
	hook := func(write bool) (bool, func()) {
		a := cur.Load()
		if a == nil {
			return false, nil
		}
		step, n := a.count(write)
		if step == "load" && write {
			loadWritesDone.Add(1)
		}
		if step == "extract" && !write {
			extractReadsDone.Add(1)
		}
		p := curPlan.Load()
		if p == nil || p.n == 0 || step != p.step || write != (step == "load") || n != p.n {
			return false, nil
		}
		if !p.after {
			a.kill(fmt.Sprintf("%s request %d before", step, n))
			return true, nil // never applied
		}
		return false, func() { a.kill(fmt.Sprintf("%s request %d after", step, n)) }
	}
	hs.setHook(hook)
	sf.setHook(hook)

	landed := map[string]int{}
	kills, honestWaits, failures, locked := 0, 0, 0, 0
	var log []string
	start := time.Now()
	for i := 0; ; {
		var plan *killPlan
		if i < len(plans) {
			step := plans[i]
			plan = &killPlan{step: step}
			switch step {
			case "extract":
				remaining := refExtractReads - extractReadsDone.Load()
				plan.n = 1 + rng.Int64N(max(1, remaining/2))
				plan.after = rng.IntN(2) == 0
			case "transform":
				plan.n = 1 + rng.Int64N(max(1, refModels-1))
			case "load":
				remaining := refLoadWrites - loadWritesDone.Load()
				plan.n = 1 + rng.Int64N(max(1, remaining-1))
				plan.after = rng.IntN(2) == 0
			default:
				plan.delay = time.Duration(rng.Int64N(int64(max(stepDur[step], time.Millisecond))))
			}
		}
		curPlan.Store(plan)
		a := startAttempt(t, env, func(a *attempt, step string) {
			if plan == nil {
				return
			}
			switch {
			case stepOrder[step] > stepOrder[plan.step]:
				// the planned step was done by an earlier attempt or ended
				// before the kill point: kill as this step starts
				a.kill(step + " at its start (planned " + plan.String() + ")")
			case step == plan.step && plan.n == 0:
				go func() {
					time.Sleep(plan.delay)
					a.kill(step + " +" + plan.delay.Round(time.Millisecond).String())
				}()
			}
		}, func(a *attempt, n int64) {
			if plan != nil && plan.step == "transform" && n == plan.n {
				a.kill(fmt.Sprintf("transform after model %d", n))
			}
		}, runArgs(crashPipe, crashDir)...)
		cur.Store(a)
		a.wait()
		cur.Store(nil)
		r := a.result()
		if a.killed.Load() {
			where, _ := a.killAt.Load().(string)
			kills++
			i++
			landed[strings.Fields(where)[0]]++
			log = append(log, fmt.Sprintf("kill %2d: planned %s, landed at %s", kills, plan, where))
			// the killed run's lease stays behind; most restarts clear it as
			// the expiry would, every eighth waits the expiry out
			if kills%8 == 0 {
				honestWaits++
			} else if err := os.Remove(lockFile); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			continue
		}
		switch r.code {
		case 0:
			log = append(log, fmt.Sprintf("attempt completed (planned %v)", plan))
		case 4:
			locked++
			time.Sleep(700 * time.Millisecond)
			continue
		default:
			failures++
			log = append(log, fmt.Sprintf("attempt failed: exit %d: %s", r.code, tail(r.stderr, 600)))
			if failures > 5 {
				t.Fatalf("the run keeps failing after crashes:\n%s\n%s", strings.Join(log, "\n"), r)
			}
			continue
		}
		if i < len(plans)-1 {
			t.Fatalf("the run completed after %d kills, before its kill points were used:\n%s", kills, strings.Join(log, "\n"))
		}
		if !strings.Contains(r.stdout, "attempt ") {
			t.Errorf("final attempt's output:\n%s", r.stdout)
		}
		break
	}
	t.Logf("%d kills in %s (%d restarts waited for the lease to expire, %d refused while locked, %d attempts failed), landed: %v\n%s",
		kills, time.Since(start).Round(time.Millisecond), honestWaits, locked, failures, landed, strings.Join(log, "\n"))
	if kills < 20 {
		t.Errorf("%d kills, want 20 or more", kills)
	}
	for _, s := range []string{"extract", "transform", "load"} {
		if landed[s] < 3 {
			t.Errorf("only %d kills landed in %s", landed[s], s)
		}
	}

	// A kill after the run had published (in its closing steps) leaves no
	// open run: the next start was a new run, the next night's. The
	// uninterrupted side runs as many nights.
	nights, refNights := publishedRuns(t, crashDir), publishedRuns(t, refDir)
	for ; refNights < nights; refNights++ {
		if r := runCrmhub(ctx, t, env, runArgs(refPipe, refDir)...); r.code != 0 {
			t.Fatalf("uninterrupted run, night %d: %s", refNights+1, r)
		}
	}
	t.Logf("runs published: %d on each side", nights)

	// both CRMs as the uninterrupted run left them; no record created twice
	refState, refDups := snapshotState(t, refBase.Snapshot(), seeded)
	crashState, crashDups := snapshotState(t, crashBase.Snapshot(), seeded)
	if len(refDups) > 0 {
		t.Errorf("uninterrupted run created duplicates: %v", refDups)
	}
	if len(crashDups) > 0 {
		t.Errorf("killed runs created duplicates:\n%s", strings.Join(crashDups, "\n"))
	}
	for _, sys := range []string{"hubspot", "salesforce"} {
		n, m := 0, 0
		for k := range refState {
			if strings.HasPrefix(k, sys+"/") {
				n++
			}
		}
		for k := range crashState {
			if strings.HasPrefix(k, sys+"/") {
				m++
			}
		}
		t.Logf("%s: %d records after the uninterrupted run, %d after the killed ones", sys, n, m)
	}
	if d := diffStates(refState, crashState, 30); len(d) > 0 {
		t.Errorf("CRMs differ from the uninterrupted run (%d):\n%s", len(d), strings.Join(d, "\n"))
	}
	db := openDuck(t)
	if d := diffTables(publishedTables(ctx, t, db, filepath.Join(refDir, "lake")), publishedTables(ctx, t, db, filepath.Join(crashDir, "lake"))); len(d) > 0 {
		t.Errorf("published tables differ from the uninterrupted run:\n%s", strings.Join(d, "\n"))
	}
}

// publishedRuns counts the runs published in dir's lake.
func publishedRuns(t *testing.T, dir string) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "lake", "published"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() {
			n++
		}
	}
	return n
}
