package cycle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
)

// The load records each batch the CRM accepted under runs/RUN/load/, so a
// resumed run does not send again what an earlier attempt already sent:
// one object per batch (S3 has no append), written after the API answered.

// sentBatch is one accepted batch.
type sentBatch struct {
	System string             `json:"system"`
	Object string             `json:"object"`
	Sent   []sentRecord       `json:"sent"`
	Errors []load.RecordError `json:"errors,omitempty"`
}

type sentRecord struct {
	RecordID  string `json:"record_id"`
	Hash      string `json:"hash"` // of the kind and values written
	CreatedID string `json:"created_id,omitempty"`
}

// sent is what the ledger knows of one change.
type sent struct {
	err       *load.RecordError // nil: accepted
	createdID string
}

// loadLedger is the set of changes sent by the earlier attempts of a run.
type loadLedger struct {
	store   lake.Store
	prefix  string
	attempt int
	mu      sync.Mutex
	sent    map[string]sent
	seq     int
	skipped atomic.Int64
}

func changeKey(c load.Change) string {
	keys := make([]string, 0, len(c.Values))
	for k := range c.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	// the bytes "KIND\0" then "FIELD\0VALUE\0" per field, written without
	// fmt (a third of the ledger's CPU); ledgers of earlier runs still match
	b := append([]byte(c.Kind), 0)
	for _, k := range keys {
		b = append(append(append(append(b, k...), 0), c.Values[k]...), 0)
	}
	h.Write(b)
	return c.System + "/" + c.Object + "/" + c.RecordID + "/" + hex.EncodeToString(h.Sum(nil)[:12])
}

// openLedger reads what earlier attempts of the run sent.
func openLedger(ctx context.Context, store lake.Store, runID string, attempt int) (*loadLedger, error) {
	l := &loadLedger{store: store, prefix: path.Join("runs", runID, "load") + "/", attempt: attempt, sent: map[string]sent{}}
	keys, err := store.List(ctx, l.prefix)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		b, err := lake.ReadAll(ctx, store, k)
		if err != nil {
			return nil, err
		}
		var sb sentBatch
		if err := json.Unmarshal(b, &sb); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		errs := map[string]*load.RecordError{}
		for i := range sb.Errors {
			errs[sb.Errors[i].RecordID] = &sb.Errors[i]
		}
		for _, r := range sb.Sent {
			l.sent[sb.System+"/"+sb.Object+"/"+r.RecordID+"/"+r.Hash] = sent{err: errs[r.RecordID], createdID: r.CreatedID}
		}
	}
	return l, nil
}

// Len is the number of changes sent by earlier attempts.
func (l *loadLedger) Len() int { return len(l.sent) }

// ledgerTarget wraps a Target: changes earlier attempts sent are not sent
// again (their earlier refusals are reported again), and each accepted
// batch is recorded before Apply returns.
type ledgerTarget struct {
	load.Target
	ledger *loadLedger
}

func (t ledgerTarget) Apply(ctx context.Context, object string, batch []load.Change) ([]load.RecordError, error) {
	return t.apply(ctx, object, batch, t.Target.Apply)
}

// Concurrency keeps the wrapped target's calls in flight: the ledger is
// safe for concurrent use and records each batch when it is answered.
func (t ledgerTarget) Concurrency() int {
	if c, ok := t.Target.(load.Concurrent); ok {
		return c.Concurrency()
	}
	return 1
}

// ledgerBulkTarget keeps a target's Bulk API path visible to load.Run.
type ledgerBulkTarget struct {
	ledgerTarget
	bulk load.BulkTarget
}

func (t ledgerBulkTarget) ApplyBulk(ctx context.Context, object string, changes []load.Change) ([]load.RecordError, error) {
	return t.apply(ctx, object, changes, t.bulk.ApplyBulk)
}

// apply sends the changes of batch not sent before through send. Targets
// set CreatedID on the batch's elements, so the batch itself is passed when
// nothing is skipped, and created ids are copied back otherwise.
func (t ledgerTarget) apply(ctx context.Context, object string, batch []load.Change,
	send func(context.Context, string, []load.Change) ([]load.RecordError, error)) ([]load.RecordError, error) {
	l := t.ledger
	var idx []int
	var out []load.RecordError
	keys := make([]string, len(batch)) // each hashed once
	for i := range batch {
		keys[i] = changeKey(batch[i])
	}
	l.mu.Lock()
	for i := range batch {
		if s, ok := l.sent[keys[i]]; ok {
			l.skipped.Add(1)
			if s.err != nil {
				out = append(out, *s.err)
			}
			if s.createdID != "" {
				batch[i].CreatedID = s.createdID
			}
			continue
		}
		idx = append(idx, i)
	}
	l.mu.Unlock()
	if len(idx) == 0 {
		return out, nil
	}
	todo, todoKeys := batch, keys
	if len(idx) < len(batch) {
		todo, todoKeys = make([]load.Change, len(idx)), make([]string, len(idx))
		for j, i := range idx {
			todo[j], todoKeys[j] = batch[i], keys[i]
		}
	}
	errs, err := send(ctx, object, todo)
	if len(idx) < len(batch) {
		for j, i := range idx {
			batch[i].CreatedID = todo[j].CreatedID
		}
	}
	if err != nil {
		return out, err
	}
	sb := sentBatch{System: t.System(), Object: object, Errors: errs}
	for j, c := range todo {
		key := todoKeys[j]
		sb.Sent = append(sb.Sent, sentRecord{RecordID: c.RecordID, Hash: key[strings.LastIndex(key, "/")+1:], CreatedID: c.CreatedID})
	}
	b, err := json.Marshal(sb)
	if err != nil {
		return out, err
	}
	l.mu.Lock()
	l.seq++
	key := fmt.Sprintf("%sa%03d-%s-%06d.json", l.prefix, l.attempt, t.System(), l.seq)
	l.mu.Unlock()
	if err := l.store.Put(ctx, key, bytes.NewReader(b)); err != nil {
		// the batch went through but is not recorded: a resume would send
		// it again (updates are idempotent, creates are upserts); stop here
		return out, fmt.Errorf("record load progress: %w", err)
	}
	// (what this attempt sent is not added to l.sent: a run sends a change
	// once, and a resumed attempt reads it back from the store; at a million
	// people per system the keys held 2.6 M strings through the load)
	return append(out, errs...), nil
}

func wrapTargets(ts []load.Target, l *loadLedger) []load.Target {
	out := make([]load.Target, len(ts))
	for i, t := range ts {
		lt := ledgerTarget{Target: t, ledger: l}
		if bt, ok := t.(load.BulkTarget); ok {
			out[i] = ledgerBulkTarget{ledgerTarget: lt, bulk: bt}
		} else {
			out[i] = lt
		}
	}
	return out
}
