// Package decisions stores the decisions people make on the review queue
// (crmhub review) in the lake, as data: one JSON object per decision under
// review/decisions/, written once under a new, time-sorted id and never
// changed (a whole object appears at once on a local lake and on S3, and no
// two writers share a key). Undoing a decision is itself a decision. The
// state the next run obeys (must-link and cannot-link pairs, field
// overrides, approvals of refused loads) is derived from the objects.
//
// The package depends only on the lake, so both the run (cycle) and the
// review commands read decisions through it.
package decisions

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

// Prefix is where decision objects live in the lake.
const Prefix = "review/decisions/"

// Actions a decision records.
const (
	MustLink   = "must_link"   // the two records are the same real-world entity
	CannotLink = "cannot_link" // they are not
	Override   = "override"    // a field's golden value is the chosen one
	Approve    = "approve"     // a load refused by the safeguard may go ahead on the next run
	Reject     = "reject"      // the refusal stands
	Undo       = "undo"        // withdraws an earlier decision
)

// ErrInvalid marks a decision that cannot be stored as it is.
var ErrInvalid = errors.New("invalid decision")

// Pair is a pair of source records, keyed system:object:record_id; Left
// sorts before Right.
type Pair struct {
	Entity   string `json:"entity"`
	LeftKey  string `json:"left_key"`
	RightKey string `json:"right_key"`
}

// NewPair orders the keys.
func NewPair(entity, a, b string) Pair {
	if b < a {
		a, b = b, a
	}
	return Pair{Entity: entity, LeftKey: a, RightKey: b}
}

// FieldOverride makes Value the golden value of one field of one golden
// record until it expires or either system changes the field after
// SourceChangedAt (the latest change the reviewer saw).
type FieldOverride struct {
	Entity   string `json:"entity"`
	GoldenID string `json:"golden_id"`
	Field    string `json:"field"`
	Value    string `json:"value"`
	// From says where the value came from: hubspot, salesforce or typed.
	From            string     `json:"from"`
	SourceChangedAt *time.Time `json:"source_changed_at,omitempty"`
}

// Decision is one person's decision, with who, why and when.
type Decision struct {
	ID     string `json:"id"`
	Action string `json:"action"`
	// Items are the review items it settles (a group decision settles
	// several), with the fingerprint each had when decided.
	Items []ItemRef `json:"items,omitempty"`
	// GroupKey is set when the decision was taken for a whole group.
	GroupKey string `json:"group_key,omitempty"`
	// RunID is the published run the items were seen in.
	RunID     string          `json:"run_id,omitempty"`
	Pairs     []Pair          `json:"pairs,omitempty"`
	Overrides []FieldOverride `json:"overrides,omitempty"`
	// ExpiresAt ends an override (nil: until a source changes the field).
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// RefusedRun is the run whose refused load an approve or reject answers.
	RefusedRun string `json:"refused_run,omitempty"`
	// Undoes is the decision an undo withdraws.
	Undoes    string    `json:"undoes,omitempty"`
	By        string    `json:"by"`
	Why       string    `json:"why"`
	DecidedAt time.Time `json:"decided_at"`
}

// ItemRef is a review item as it was when decided.
type ItemRef struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Fingerprint string `json:"fingerprint"`
}

var idRe = regexp.MustCompile(`^D[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[0-9a-f]{6}$`)

// NewID returns a decision id that sorts by time.
func NewID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "D" + now.UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(b[:])
}

// ValidID says whether s has the form of a decision id.
func ValidID(s string) bool { return idRe.MatchString(s) }

// Key is the lake key of a decision.
func Key(id string) string { return Prefix + id + ".json" }

// Check returns why d cannot be stored, or nil.
func (d *Decision) Check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !ValidID(d.ID) {
		return bad("id %q", d.ID)
	}
	if strings.TrimSpace(d.By) == "" {
		return bad("say who decides (--by)")
	}
	if strings.TrimSpace(d.Why) == "" {
		return bad("say why (--why)")
	}
	if d.DecidedAt.IsZero() {
		return bad("no decision time")
	}
	switch d.Action {
	case MustLink, CannotLink:
		if len(d.Pairs) == 0 {
			return bad("%s without pairs", d.Action)
		}
		for _, p := range d.Pairs {
			if p.Entity == "" || p.LeftKey == "" || p.RightKey == "" || p.LeftKey >= p.RightKey {
				return bad("pair %+v", p)
			}
		}
	case Override:
		if len(d.Overrides) == 0 {
			return bad("override without fields")
		}
		for _, o := range d.Overrides {
			if o.Entity == "" || o.GoldenID == "" || o.Field == "" {
				return bad("override %+v", o)
			}
		}
	case Approve, Reject:
		if d.RefusedRun == "" {
			return bad("%s without the refused run", d.Action)
		}
	case Undo:
		if !ValidID(d.Undoes) {
			return bad("undo of %q", d.Undoes)
		}
	default:
		return bad("action %q", d.Action)
	}
	return nil
}

// Write stores d under its own new key. It refuses an invalid decision and
// an id already used, so nothing is ever overwritten.
func Write(ctx context.Context, store lake.Store, d *Decision) error {
	if err := d.Check(); err != nil {
		return err
	}
	key := Key(d.ID)
	if _, err := lake.ReadAll(ctx, store, key); err == nil {
		return fmt.Errorf("%w: decision %s exists already", ErrInvalid, d.ID)
	} else if !errors.Is(err, lake.ErrNotFound) {
		return err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return store.Put(ctx, key, bytes.NewReader(append(b, '\n')))
}

// Load reads every decision, oldest first. An object that does not parse
// or check is an error naming its key: the run must not guess.
func Load(ctx context.Context, store lake.Store) ([]Decision, error) {
	keys, err := store.List(ctx, Prefix)
	if err != nil {
		return nil, fmt.Errorf("review decisions: %w", err)
	}
	var out []Decision
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") || strings.HasPrefix(path.Base(k), ".") {
			continue
		}
		b, err := lake.ReadAll(ctx, store, k)
		if err != nil {
			return nil, fmt.Errorf("review decision %s: %w", k, err)
		}
		var d Decision
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("review decision %s: %w", k, err)
		}
		if err := d.Check(); err != nil {
			return nil, fmt.Errorf("review decision %s: %w", k, err)
		}
		if Key(d.ID) != k {
			return nil, fmt.Errorf("review decision %s: holds id %s", k, d.ID)
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// State is what the decisions say now: the undone ones removed, and per
// pair, field or refused run the latest decision.
type State struct {
	All []Decision
	// UndoneBy maps an undone decision to the undo that withdrew it.
	UndoneBy map[string]string
	// Pairs: per pair, the live must_link or cannot_link decision.
	Pairs map[Pair]*Decision
	// Overrides: per entity/golden_id/field, the live override.
	Overrides map[string]OverrideState
	// Loads: per refused run, the live approve or reject.
	Loads map[string]*Decision
	// Items: per review item id, the live decision that settled it.
	Items map[string]*Decision
}

// OverrideState is one live field override and its decision.
type OverrideState struct {
	FieldOverride
	Decision *Decision
}

// OverrideKey keys State.Overrides.
func OverrideKey(entity, goldenID, field string) string {
	return entity + "\x00" + goldenID + "\x00" + field
}

// Derive computes the state of ds (sorted oldest first, as Load returns).
func Derive(ds []Decision) *State {
	s := &State{All: ds, UndoneBy: map[string]string{}, Pairs: map[Pair]*Decision{},
		Overrides: map[string]OverrideState{}, Loads: map[string]*Decision{}, Items: map[string]*Decision{}}
	for _, d := range ds {
		if d.Action == Undo {
			s.UndoneBy[d.Undoes] = d.ID
		}
	}
	for i := range ds {
		d := &ds[i]
		if d.Action == Undo || s.UndoneBy[d.ID] != "" {
			continue
		}
		for _, it := range d.Items {
			s.Items[it.ID] = d
		}
		switch d.Action {
		case MustLink, CannotLink:
			for _, p := range d.Pairs {
				s.Pairs[p] = d
			}
		case Override:
			for _, o := range d.Overrides {
				s.Overrides[OverrideKey(o.Entity, o.GoldenID, o.Field)] = OverrideState{FieldOverride: o, Decision: d}
			}
		case Approve, Reject:
			s.Loads[d.RefusedRun] = d
		}
	}
	return s
}

// Find returns the decision with id, or nil.
func (s *State) Find(id string) *Decision {
	for i := range s.All {
		if s.All[i].ID == id {
			return &s.All[i]
		}
	}
	return nil
}

// Approval returns the live approval of refusedRun's load, or nil.
func (s *State) Approval(refusedRun string) *Decision {
	if d := s.Loads[refusedRun]; d != nil && d.Action == Approve {
		return d
	}
	return nil
}

// ApprovalReason is the reason a run approved by d records in sync_runs.
func ApprovalReason(d *Decision) string {
	return fmt.Sprintf("review %s by %s: %s", d.ID, d.By, d.Why)
}
