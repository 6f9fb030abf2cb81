package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
)

// printSummary writes the human summary of a demo run.
func printSummary(w io.Writer, lakeName string, res *demo.Result) {
	rep := res.Report
	kind := "first run: full extract"
	if res.Day > 0 {
		kind = fmt.Sprintf("day %d: a day of edits, then an incremental run", res.Day)
		if t := res.Mutations.Total(); t.Updated+t.Created+t.Archived > 0 {
			kind += fmt.Sprintf(" (%d records edited, %d created, %d archived)", t.Updated, t.Created, t.Archived)
		}
	}
	fmt.Fprintf(w, "\ncrmhub demo: %s\n  %s\n  lake %s, run %s\n", res.Source, kind, lakeName, rep.RunID)
	printReport(w, rep, res.Prepare)
	fmt.Fprintf(w, "\nNext: crmhub sql --lake %s \"select golden_id, system, object, record_id from xref limit 5\"\n", lakeName)
}

// printReport writes the sections every run shares.
func printReport(w io.Writer, rep *cycle.Report, prepare time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := func(title string) { fmt.Fprintf(w, "\n%s\n", title) }

	section("Time per step")
	total := prepare
	if prepare > 0 {
		fmt.Fprintf(tw, "  start simulators\t%s\t\n", secs(prepare))
	}
	for _, s := range rep.Steps {
		fmt.Fprintf(tw, "  %s\t%s\t\n", s.Name, secs(s.Duration))
		total += s.Duration
	}
	fmt.Fprintf(tw, "  total\t%s\t\n", secs(total))
	tw.Flush()

	section("Extracted")
	for _, e := range rep.Extract {
		since := ""
		if e.Mode == "incremental" {
			since = "since " + e.Since.Format(time.RFC3339)
			if e.Since.Year() < 1971 {
				since = "since the start (nothing seen yet)"
			}
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s records\t%s\t\n", e.System, e.Object, e.Mode, num(e.Records), since)
	}
	tw.Flush()

	c := rep.Counts
	section("Matched")
	for _, ent := range []string{"person", "company", "deal"} {
		if c.Records[ent] == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s records\t→ %s golden\t\n", ent, num(c.Records[ent]), num(c.Golden[ent]))
	}
	fmt.Fprintf(tw, "  matched pairs\t%s\t\t\n", num(c.MatchedPairs))
	fmt.Fprintf(tw, "  review queue\t%s\t\t\n", num(c.ReviewItems))
	fmt.Fprintf(tw, "  conflicts\t%s\t\t\n", num(c.Conflicts))
	tw.Flush()
	if t := rep.Transform; t != nil {
		fmt.Fprintf(w, "  golden persons built %s: %s\n", t.Mode, t.Reason)
	}

	section("Pushed back")
	if rep.GuardError != nil {
		fmt.Fprintf(w, "  refused: %v\n", rep.GuardError)
	}
	if len(rep.Load) == 0 {
		// dry run or refused: show the plan, per system, object and field
		fmt.Fprintf(w, "  nothing written; the plan (records per field, with a sample):\n")
		for _, p := range c.Plan {
			fmt.Fprintf(tw, "  %s %s\t%s\t%s records\te.g. %s: %q → %q\t\n", p.System, p.Object, p.Field, num(p.Records),
				p.SampleRecord, clip(p.SampleOld), clip(p.SampleNew))
		}
		if len(c.Plan) == 0 {
			fmt.Fprintf(w, "  (no changes)\n")
		}
	}
	for _, l := range rep.Load {
		fmt.Fprintf(tw, "  %s\t%s records\t%s fields\t%d batches\t%d errors\t%s\t\n", l.System, num(int64(l.Records)), num(int64(l.Fields)), l.Batches, len(l.Errors), secs(l.Duration))
	}
	tw.Flush()

	if len(rep.Quality) > 0 {
		section("Quality against truth (pairwise)")
		fmt.Fprintf(tw, "  entity\tprecision\trecall\tF1\ttrue pairs\tpredicted\t\n")
		for _, q := range rep.Quality {
			fmt.Fprintf(tw, "  %s\t%.4f\t%.4f\t%.4f\t%s\t%s\t\n", q.Entity, q.Precision, q.Recall, q.F1, num(q.TruePairs), num(q.PredictedPairs))
		}
		tw.Flush()
	}
}

// clip shortens a sample value for one summary line.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2fs", d.Seconds()) }

// num formats a count with thousands separators.
func num(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
