package cycle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/internal/lake"
)

// A raw snapshot is an object's current view compacted: one Parquet file
// with the latest version of each record over the extract runs it covers,
// as transform.Prepare collapsed them (fields as text). The extract runs
// stay in the lake and stay the truth (raw_versions reads every one); the
// snapshot only spares a run from collapsing the same files again, night
// after night. A run reads the newest snapshot whose runs are all still in
// the current view, with their files and record counts unchanged, plus the
// view's runs it does not cover. Taking the latest version is a maximum
// over (_updated_at, _extracted_at, _run_id, row), and the snapshot's runs
// are not among the others, so the result is the one the files give.
// A new full extract starts a new view, which no earlier snapshot covers.
//
//	raw/SYSTEM/OBJECT/_snapshots/RUN.parquet   the records
//	raw/SYSTEM/OBJECT/_snapshots/RUN.json      the descriptor, written last
//
// RUN is the newest run covered. A descriptor commits its snapshot, as a
// manifest commits a raw file; a snapshot without one is ignored.
//
// A versions snapshot (kind versions, under _versions/) is the same for
// raw_versions: an object's rows of it over every extract run it covers
// (the history, not the current view), for the value fields it names.
// loadRawVersions reads it and recomputes from the files only the records
// the runs it does not cover read again (golden_inputs.go).
type rawSnapshot struct {
	System string `json:"system"`
	Object string `json:"object"`
	// Kind is records (the current view) or versions (raw_versions).
	Kind string `json:"kind,omitempty"`
	// Fields are the value fields of a versions snapshot, each with the
	// type the files read it as (fieldSignature).
	Fields []string `json:"fields,omitempty"`
	// File is the lake key of the Parquet file.
	File string `json:"file"`
	// Rows counts the rows in File.
	Rows int64 `json:"rows"`
	// Runs are the extract runs it covers, as their manifests were.
	Runs      []snapshotRun `json:"runs"`
	CreatedAt time.Time     `json:"created_at"`
}

type snapshotRun struct {
	RunID   string   `json:"run_id"`
	Files   []string `json:"files"`
	Records int64    `json:"records"`
}

// snapshotShare: a run compacts an object's view when the records it reads
// besides its base (the snapshot, else the full extract) reach this share
// of the base: the nightly increments, or a night that re-read most
// records, as the night after the first load does.
const snapshotShare = 0.10

// Kinds of snapshot.
const (
	snapRecords  = "records"
	snapVersions = "versions"
)

func snapshotPrefix(system, object, kind string) string {
	folder := "_snapshots"
	if kind == snapVersions {
		folder = "_versions"
	}
	return path.Join(extract.ObjectPrefix(system, object), folder) + "/"
}

// snapshotFor is the snapshot to write over runs, kind.
func snapshotFor(system, object, kind string, runs []extract.Manifest) *rawSnapshot {
	s := &rawSnapshot{System: system, Object: object, Kind: kind,
		File: snapshotPrefix(system, object, kind) + runs[len(runs)-1].RunID + ".parquet"}
	for _, m := range runs {
		s.Runs = append(s.Runs, snapshotRun{RunID: m.RunID, Files: m.Files, Records: m.Records})
	}
	return s
}

// worthSnapshot says whether a run that reads base rows through its base
// (a snapshot, or the first run of the view) and rest besides writes a
// new snapshot.
func worthSnapshot(base, rest int64) bool {
	return rest > 0 && float64(rest) >= snapshotShare*float64(max(base, 1))
}

// rawSource is what a run reads for one object: lake keys of the snapshot
// (first, when there is one) and the raw files it does not cover, and the
// snapshot to write when the view is worth compacting.
type rawSource struct {
	Keys []string
	// Write is the snapshot this run writes, or nil.
	Write *rawSnapshot
}

// objectSource picks an object's sources from its current view and, with
// useSnapshots, its snapshots.
func objectSource(ctx context.Context, store lake.Store, system, object string, useSnapshots bool, log *slog.Logger) (rawSource, error) {
	view, err := extract.Current(ctx, store, system, object)
	if err != nil || len(view) == 0 {
		return rawSource{}, err
	}
	var base *rawSnapshot
	if useSnapshots {
		snaps, err := readSnapshots(ctx, store, system, object, snapRecords)
		if err != nil {
			return rawSource{}, err
		}
		base = usableSnapshot(snaps, view)
	}
	if base, err = snapshotPresent(ctx, store, base, log); err != nil {
		return rawSource{}, err
	}
	var src rawSource
	covered := map[string]bool{}
	var baseRows, rest int64
	if base != nil {
		src.Keys = append(src.Keys, base.File)
		baseRows = base.Rows
		for _, r := range base.Runs {
			covered[r.RunID] = true
		}
	}
	var uncovered int
	for i, m := range view {
		if covered[m.RunID] {
			continue
		}
		uncovered++
		src.Keys = append(src.Keys, m.Files...)
		if base == nil && i == 0 {
			baseRows = m.Records
		} else {
			rest += m.Records
		}
	}
	if uncovered > 0 && (base != nil || len(view) > 1) && worthSnapshot(baseRows, rest) {
		src.Write = snapshotFor(system, object, snapRecords, view)
	}
	return src, nil
}

// snapshotPresent is s, or nil when its file is gone (logged: the run reads
// the raw files instead).
func snapshotPresent(ctx context.Context, store lake.Store, s *rawSnapshot, log *slog.Logger) (*rawSnapshot, error) {
	if s == nil {
		return nil, nil
	}
	if _, err := store.LocalPath(ctx, s.File); err != nil {
		if !errors.Is(err, lake.ErrNotFound) {
			return nil, err
		}
		log.Warn("snapshot file missing; reading the raw files", "system", s.System, "object", s.Object, "file", s.File)
		return nil, nil
	}
	return s, nil
}

// usableSnapshot is the snapshot covering the most runs of view, all of them
// unchanged in it; nil when there is none.
func usableSnapshot(snaps []rawSnapshot, view []extract.Manifest) *rawSnapshot {
	inView := make(map[string]extract.Manifest, len(view))
	for _, m := range view {
		inView[m.RunID] = m
	}
	var best *rawSnapshot
	for i, s := range snaps {
		ok := len(s.Runs) > 0
		for _, r := range s.Runs {
			m, found := inView[r.RunID]
			ok = ok && found && m.Records == r.Records && slices.Equal(m.Files, r.Files)
		}
		if ok && (best == nil || len(s.Runs) >= len(best.Runs)) {
			best = &snaps[i]
		}
	}
	return best
}

// readSnapshots reads an object's snapshot descriptors of a kind, oldest first.
func readSnapshots(ctx context.Context, store lake.Store, system, object, kind string) ([]rawSnapshot, error) {
	out, err := lake.ReadJSONs[rawSnapshot](ctx, store, snapshotPrefix(system, object, kind))
	if err != nil {
		return nil, fmt.Errorf("raw snapshots: %w", err)
	}
	return out, nil
}

// saveSnapshot puts a snapshot Prepare wrote at local into the lake, then
// its descriptor, then removes the snapshots it supersedes.
func saveSnapshot(ctx context.Context, store lake.Store, s rawSnapshot, local string, rows int64, now time.Time) error {
	s.Rows, s.CreatedAt = rows, now.UTC()
	if err := store.PutFile(ctx, s.File, local); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	desc := strings.TrimSuffix(s.File, ".parquet") + ".json"
	if err := store.Put(ctx, desc, bytes.NewReader(b)); err != nil {
		return err
	}
	keys, err := store.List(ctx, snapshotPrefix(s.System, s.Object, s.Kind))
	if err != nil {
		return err
	}
	// descriptors first: a snapshot file without one is never read
	slices.SortStableFunc(keys, func(a, b string) int {
		return boolCmp(strings.HasSuffix(b, ".json"), strings.HasSuffix(a, ".json"))
	})
	for _, k := range keys {
		if k != s.File && k != desc {
			if err := store.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	return nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
