package decisions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

func TestWriteLoadDeriveUndo(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	pair := NewPair("person", "salesforce:Contact:003A", "hubspot:contacts:1")
	if pair.LeftKey != "hubspot:contacts:1" {
		t.Fatalf("NewPair does not order keys: %+v", pair)
	}
	must := &Decision{ID: NewID(at), Action: MustLink, Pairs: []Pair{pair}, Items: []ItemRef{{ID: "R1", Kind: "uncertain_match", Fingerprint: "f1"}},
		By: "alice", Why: "same person", DecidedAt: at}
	if err := Write(ctx, store, must); err != nil {
		t.Fatal(err)
	}
	if err := Write(ctx, store, must); !errors.Is(err, ErrInvalid) {
		t.Errorf("writing an existing id again: %v, want ErrInvalid (nothing is overwritten)", err)
	}
	at2 := at.Add(time.Minute)
	cannot := &Decision{ID: NewID(at2), Action: CannotLink, Pairs: []Pair{pair}, By: "bob", Why: "different birthdates", DecidedAt: at2}
	override := &Decision{ID: NewID(at2.Add(time.Second)), Action: Override, By: "bob", Why: "confirmed by phone", DecidedAt: at2,
		Overrides: []FieldOverride{{Entity: "person", GoldenID: "P1", Field: "phone", Value: "+1 555 0100", From: "typed"}}}
	approve := &Decision{ID: NewID(at2.Add(2 * time.Second)), Action: Approve, RefusedRun: "RUN1", By: "carol", Why: "yearly re-import", DecidedAt: at2}
	for _, d := range []*Decision{cannot, override, approve} {
		if err := Write(ctx, store, d); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := Load(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	st := Derive(ds)
	if d := st.Pairs[pair]; d == nil || d.ID != cannot.ID {
		t.Errorf("the later decision on a pair wins: %+v", d)
	}
	if o, ok := st.Overrides[OverrideKey("person", "P1", "phone")]; !ok || o.Value != "+1 555 0100" {
		t.Errorf("override: %+v", o)
	}
	if a := st.Approval("RUN1"); a == nil || !strings.Contains(ApprovalReason(a), "carol") {
		t.Errorf("approval: %+v", a)
	}
	// undo the cannot-link: the must-link is live again; undo is recorded
	at3 := at2.Add(time.Hour)
	undo := &Decision{ID: NewID(at3), Action: Undo, Undoes: cannot.ID, By: "bob", Why: "wrong pair", DecidedAt: at3}
	if err := Write(ctx, store, undo); err != nil {
		t.Fatal(err)
	}
	ds, _ = Load(ctx, store)
	st = Derive(ds)
	if d := st.Pairs[pair]; d == nil || d.ID != must.ID {
		t.Errorf("after undo: %+v, want the must-link", d)
	}
	if st.UndoneBy[cannot.ID] != undo.ID || len(st.All) != 5 {
		t.Errorf("audit trail: undone %v, %d decisions", st.UndoneBy, len(st.All))
	}
}

func TestRefusedDecisions(t *testing.T) {
	at := time.Now()
	for name, d := range map[string]Decision{
		"no who":       {ID: NewID(at), Action: MustLink, Pairs: []Pair{NewPair("person", "a", "b")}, Why: "x", DecidedAt: at},
		"no why":       {ID: NewID(at), Action: MustLink, Pairs: []Pair{NewPair("person", "a", "b")}, By: "x", DecidedAt: at},
		"no pairs":     {ID: NewID(at), Action: CannotLink, By: "x", Why: "y", DecidedAt: at},
		"same keys":    {ID: NewID(at), Action: CannotLink, Pairs: []Pair{{Entity: "person", LeftKey: "a", RightKey: "a"}}, By: "x", Why: "y", DecidedAt: at},
		"bad id":       {ID: "../../x", Action: Approve, RefusedRun: "R", By: "x", Why: "y", DecidedAt: at},
		"bad undo":     {ID: NewID(at), Action: Undo, Undoes: "nope", By: "x", Why: "y", DecidedAt: at},
		"unknown verb": {ID: NewID(at), Action: "merge", By: "x", Why: "y", DecidedAt: at},
	} {
		if err := d.Check(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func TestLoadNamesABadObject(t *testing.T) {
	ctx := context.Background()
	store, err := lake.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := Key(NewID(time.Now()))
	if err := store.Put(ctx, key, strings.NewReader(`{"id": 1`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, store); err == nil || !strings.Contains(err.Error(), key) {
		t.Errorf("a broken decision object: %v, want an error naming %s", err, key)
	}
}
