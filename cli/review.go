package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/crmhub/crmhub/review"
	"github.com/crmhub/crmhub/review/decisions"
)

// ReviewCmd is `crmhub review`: act on the review queue (docs/review.md).
type ReviewCmd struct {
	List    ReviewListCmd    `cmd:"" help:"List open review items, largest impact first, groups together."`
	Show    ReviewShowCmd    `cmd:"" help:"Show one item (or group) with both records side by side and its explanation."`
	Decide  ReviewDecideCmd  `cmd:"" help:"Decide an item or a whole group; the next run obeys it."`
	Undo    ReviewUndoCmd    `cmd:"" help:"Withdraw a decision (the undo is recorded too)."`
	History ReviewHistoryCmd `cmd:"" help:"Every decision: who, why, when, and what undid it."`
	Serve   ReviewServeCmd   `cmd:"" help:"Serve the review page on a local address (keyboard: j/k move, s same, n not same, u undo)."`
}

type reviewLake struct {
	Lake string `help:"Lake location: a folder or s3://bucket/prefix." default:"./lake"`
}

func (r reviewLake) service(ctx context.Context) (*review.Service, error) {
	store, err := openLake(ctx, r.Lake)
	if err != nil {
		return nil, err
	}
	return &review.Service{Store: store}, nil
}

// ReviewListCmd is `crmhub review list`.
type ReviewListCmd struct {
	reviewLake
	Kind     string   `help:"uncertain_match (pair), duplicate_in_system (duplicate), field_conflict (conflict) or refused_load (load)."`
	Entity   string   `help:"person, company or deal." enum:",person,company,deal" default:""`
	MinScore *float64 `help:"Pairs scored at least this." name:"min-score"`
	MaxScore *float64 `help:"Pairs scored at most this." name:"max-score"`
	MinAge   string   `help:"Items waiting at least this long (90m, 36h, 2d, 1w)." name:"min-age" placeholder:"AGE"`
	MaxAge   string   `help:"Items waiting at most this long." name:"max-age" placeholder:"AGE"`
	All      bool     `help:"Include items decided since the last run (the next run applies them)."`
	Format   string   `help:"Output format." default:"table" enum:"table,json"`
}

func (c *ReviewListCmd) Run(ctx context.Context, g *Globals) error {
	kind, err := review.NormalizeKind(c.Kind)
	if err != nil {
		return codedError{err, 2}
	}
	f := review.Filter{Kind: kind, Entity: c.Entity, MinScore: c.MinScore, MaxScore: c.MaxScore, All: c.All}
	if f.MinAge, err = reviewParseAge(c.MinAge); err != nil {
		return codedError{fmt.Errorf("--min-age: %w", err), 2}
	}
	if f.MaxAge, err = reviewParseAge(c.MaxAge); err != nil {
		return codedError{fmt.Errorf("--max-age: %w", err), 2}
	}
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	q, err := svc.Queue(ctx, f)
	if err != nil {
		return err
	}
	if c.Format == "json" {
		return reviewJSON(g.stdout, q)
	}
	now := time.Now()
	fmt.Fprintf(g.stdout, "review queue of run %s: %d open, %d shown (largest impact first; a group is settled by one decision on its key)\n",
		q.RunID, q.Total, len(q.Items))
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tENTITY\tRECORDS\tFIELDS\tSCORE\tAGE\tLEFT\tRIGHT\tFIELD\tSUGGESTED\tSTATUS")
	lastGroup := ""
	for _, it := range q.Items {
		if it.GroupKey != lastGroup && it.GroupSize > 1 {
			fmt.Fprintf(tw, "group %s (%d items; decide the group key to settle all)\n", it.GroupKey, it.GroupSize)
		}
		lastGroup = it.GroupKey
		left, right := it.LeftKey, it.RightKey
		if it.Kind == review.KindRefusedLoad {
			left, right = it.Refusal, ""
		}
		status := "open"
		if it.Decision != nil {
			status = it.Decision.Action + " " + it.Decision.ID
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Kind, it.Entity, it.ImpactRecords, it.ImpactFields,
			reviewScore(it.Score), reviewAge(it.Age(now)), reviewClip(left, 60), right, it.Field, it.SuggestedAction, status)
	}
	return tw.Flush()
}

// ReviewShowCmd is `crmhub review show`.
type ReviewShowCmd struct {
	reviewLake
	ID     string `arg:"" help:"Item id (R..., L...) or group key."`
	Format string `help:"Output format." default:"text" enum:"text,json"`
}

func (c *ReviewShowCmd) Run(ctx context.Context, g *Globals) error {
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	d, err := svc.Show(ctx, c.ID)
	if err != nil {
		return reviewErr(err)
	}
	if c.Format == "json" {
		return reviewJSON(g.stdout, d)
	}
	printDetail(g.stdout, d, c.ID)
	return nil
}

func printDetail(w io.Writer, d *review.Detail, asked string) {
	it := d.Item
	fmt.Fprintf(w, "%s  %s  %s  (run %s)\n", it.ID, it.Kind, it.Entity, it.RunID)
	fmt.Fprintf(w, "impact: %d records, %d fields; first seen %s; suggested: %s\n", it.ImpactRecords, it.ImpactFields,
		it.FirstSeenAt.Format(time.RFC3339), it.SuggestedAction)
	if it.Score != nil {
		fmt.Fprintf(w, "score %.3f", *it.Score)
		if it.Probability != nil {
			fmt.Fprintf(w, " (probability %.2f)", *it.Probability)
		}
		fmt.Fprintln(w)
	}
	if it.Decision != nil {
		fmt.Fprintf(w, "decided: %s %s by %s at %s: %s\n", it.Decision.ID, it.Decision.Action, it.Decision.By,
			it.Decision.DecidedAt.Format(time.RFC3339), it.Decision.Why)
	}
	if it.Kind == review.KindRefusedLoad {
		fmt.Fprintf(w, "\nthe safeguard refused the load:\n  %s\n", it.Refusal)
	} else {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "FIELD\t%s\t%s\tLEVEL\tWEIGHT\tGOLDEN\t\n", it.LeftKey, it.RightKey)
		fmt.Fprintf(tw, "(golden id)\t%s\t%s\t\t\t\t\n", d.Left.GoldenID, d.Right.GoldenID)
		for _, r := range d.Rows {
			mark := ""
			if r.Conflict {
				mark = "<- conflict"
			} else if r.Differs {
				mark = "*"
			}
			weight := ""
			if r.Weight != nil {
				weight = strconv.FormatFloat(*r.Weight, 'f', 2, 64)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Field, reviewClip(r.Left, 40), reviewClip(r.Right, 40), r.Level, weight, reviewClip(r.Golden, 40), mark)
		}
		_ = tw.Flush()
		if it.Kind == review.KindConflict {
			fmt.Fprintf(w, "\n%s changed: hubspot %s, salesforce %s\n", it.Field, reviewWhen(it.LeftChangedAt), reviewWhen(it.RightChangedAt))
		}
	}
	fp := it.Fingerprint
	target := it.ID
	if len(d.Group) > 1 {
		fmt.Fprintf(w, "\ngroup %s: %d items; one decision on the group key settles all of them\n", it.GroupKey, len(d.Group))
		if asked == it.GroupKey {
			target, fp = it.GroupKey, d.GroupFingerprint
		}
	}
	verbs := map[string]string{review.KindMatch: "--same|--not-same", review.KindDuplicate: "--same|--not-same",
		review.KindConflict: "--use hubspot|--use salesforce|--value V", review.KindRefusedLoad: "--approve|--reject"}[it.Kind]
	fmt.Fprintf(w, "\ndecide: crmhub review decide %s %s --fingerprint %s --by WHO --why TEXT\n", target, verbs, fp)
}

// ReviewDecideCmd is `crmhub review decide`.
type ReviewDecideCmd struct {
	reviewLake
	ID          string `arg:"" help:"Item id, or a group key to settle the whole group."`
	Same        bool   `help:"Pairs: the two records are the same (must-link)." xor:"verb"`
	NotSame     bool   `help:"Pairs: they are not the same (cannot-link)." name:"not-same" xor:"verb"`
	Value       string `help:"Conflicts: the value to keep (checked as the CRMs check it)." xor:"verb" placeholder:"V"`
	Use         string `help:"Conflicts: keep this system's value (hubspot or salesforce)." xor:"verb" placeholder:"SYSTEM"`
	Approve     bool   `help:"Refused loads: let the next run load." xor:"verb"`
	Reject      bool   `help:"Refused loads: the refusal stands." xor:"verb"`
	Expires     string `help:"Conflicts: the chosen value stops winning after this (30d, or a date 2026-12-31); default: until either system changes the field." placeholder:"WHEN"`
	Fingerprint string `help:"The fingerprint review show printed: refuse the decision if the item changed since."`
	By          string `help:"Who decides." env:"CRMHUB_REVIEWER" required:""`
	Why         string `help:"Why: kept with the decision." required:""`
}

func (c *ReviewDecideCmd) Run(ctx context.Context, g *Globals) error {
	req := review.Request{Target: c.ID, Fingerprint: c.Fingerprint, By: c.By, Why: c.Why}
	switch {
	case c.Same:
		req.Verb = review.VerbSame
	case c.NotSame:
		req.Verb = review.VerbNotSame
	case c.Value != "":
		req.Verb, req.Value = review.VerbValue, c.Value
	case c.Use != "":
		req.Verb, req.Use = review.VerbUse, c.Use
	case c.Approve:
		req.Verb = review.VerbApprove
	case c.Reject:
		req.Verb = review.VerbReject
	default:
		return codedError{errors.New("say what you decide: --same, --not-same, --value V, --use SYSTEM, --approve or --reject"), 2}
	}
	if c.Expires != "" {
		t, err := reviewParseExpiry(c.Expires, time.Now())
		if err != nil {
			return codedError{fmt.Errorf("--expires: %w", err), 2}
		}
		req.ExpiresAt = &t
	}
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	d, err := svc.Decide(ctx, req)
	if err != nil {
		return reviewErr(err)
	}
	fmt.Fprintf(g.stdout, "recorded %s: %s of %d item(s) by %s; the next run applies it (undo: crmhub review undo %s)\n",
		d.ID, d.Action, len(d.Items), d.By, d.ID)
	return nil
}

// ReviewUndoCmd is `crmhub review undo`.
type ReviewUndoCmd struct {
	reviewLake
	ID  string `arg:"" help:"Decision id (D...)."`
	By  string `help:"Who undoes." env:"CRMHUB_REVIEWER" required:""`
	Why string `help:"Why." required:""`
}

func (c *ReviewUndoCmd) Run(ctx context.Context, g *Globals) error {
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	d, err := svc.Undo(ctx, c.ID, c.By, c.Why)
	if err != nil {
		return reviewErr(err)
	}
	fmt.Fprintf(g.stdout, "recorded %s: undo of %s by %s; the next run no longer applies it\n", d.ID, c.ID, d.By)
	return nil
}

// ReviewHistoryCmd is `crmhub review history`.
type ReviewHistoryCmd struct {
	reviewLake
	Format string `help:"Output format." default:"table" enum:"table,json"`
}

func (c *ReviewHistoryCmd) Run(ctx context.Context, g *Globals) error {
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	h, err := svc.History(ctx)
	if err != nil {
		return err
	}
	if c.Format == "json" {
		return reviewJSON(g.stdout, h)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DECISION\tWHEN\tBY\tACTION\tWHAT\tWHY\tSTATUS")
	for _, e := range h {
		status := "live"
		if e.UndoneBy != "" {
			status = "undone by " + e.UndoneBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.DecidedAt.Format(time.RFC3339), e.By, e.Action,
			reviewClip(reviewWhat(e.Decision), 70), reviewClip(e.Why, 50), status)
	}
	return tw.Flush()
}

// what summarises a decision's subject.
func reviewWhat(d decisions.Decision) string {
	switch d.Action {
	case decisions.MustLink, decisions.CannotLink:
		parts := make([]string, 0, len(d.Pairs))
		for _, p := range d.Pairs {
			parts = append(parts, p.LeftKey+" ~ "+p.RightKey)
		}
		return strings.Join(parts, "; ")
	case decisions.Override:
		parts := make([]string, 0, len(d.Overrides))
		for _, o := range d.Overrides {
			parts = append(parts, fmt.Sprintf("%s %s.%s = %q", o.GoldenID, o.Entity, o.Field, o.Value))
		}
		return strings.Join(parts, "; ")
	case decisions.Approve, decisions.Reject:
		return "load of run " + d.RefusedRun
	case decisions.Undo:
		return d.Undoes
	}
	return ""
}

// reviewErr gives refusals exit code 2 (fix the request) and says so.
func reviewErr(err error) error {
	if errors.Is(err, review.ErrBadDecision) || errors.Is(err, review.ErrStale) || errors.Is(err, review.ErrNotOpen) ||
		errors.Is(err, decisions.ErrInvalid) {
		return codedError{fmt.Errorf("%w (nothing was recorded)", err), 2}
	}
	return err
}

func reviewJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseAge reads 90m, 36h, 2d, 1w ("" is zero).
func reviewParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || f < 0 {
				return 0, fmt.Errorf("%q: want a duration such as 90m, 36h, 2d or 1w", s)
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 90m, 36h, 2d or 1w", s)
	}
	return d, nil
}

// parseExpiry reads a duration from now or a date / RFC 3339 time.
func reviewParseExpiry(s string, now time.Time) (time.Time, error) {
	if d, err := reviewParseAge(s); err == nil && d > 0 {
		return now.Add(d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want a duration (30d) or a date (2026-12-31)", s)
}

func reviewScore(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

func reviewAge(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

func reviewWhen(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func reviewClip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// reviewToken reads the serve token from the environment or a file.
func reviewToken(env, file string) (string, error) {
	if v := strings.TrimSpace(os.Getenv(env)); v != "" {
		return v, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// ReviewServeCmd is `crmhub review serve`: the review page on a local
// address. Bound beyond loopback it requires a token (from the environment
// or a file, never the command line; never logged).
type ReviewServeCmd struct {
	reviewLake
	Addr      string `help:"Address to listen on; loopback by default. Any other address requires a token." default:"127.0.0.1:8765"`
	TokenEnv  string `help:"Environment variable holding the access token." default:"CRMHUB_REVIEW_TOKEN" name:"token-env"`
	TokenFile string `help:"File holding the access token (when the variable is unset)." name:"token-file" type:"path"`
	By        string `help:"Who decides (fills the page's who field)." env:"CRMHUB_REVIEWER"`
}

func (c *ReviewServeCmd) Run(ctx context.Context, g *Globals) error {
	token, err := reviewToken(c.TokenEnv, c.TokenFile)
	if err != nil {
		return codedError{err, 2}
	}
	if !review.IsLoopback(c.Addr) && token == "" {
		return codedError{review.ErrTokenRequired, 2}
	}
	svc, err := c.service(ctx)
	if err != nil {
		return err
	}
	by := c.By
	if by == "" {
		by = os.Getenv("USER")
	}
	srv, err := review.NewServer(review.ServerConfig{Service: svc, Token: token, Reviewer: by, Logger: g.logger})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return srv.Serve(ctx, c.Addr, func(u string) {
		note := ""
		if token != "" {
			note = " (token required)"
		}
		fmt.Fprintf(g.stdout, "review page: %s%s; Ctrl-C stops\n", u, note)
	})
}
