// Package load writes golden values back to the CRMs: it reads the outbox
// the models published, groups field writes per record, checks the
// safeguards, and sends batches through each CRM's target.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Change is every write for one record.
type Change struct {
	System   string
	Object   string
	RecordID string
	GoldenID string
	Values   map[string]string // CRM field -> new value
	// Kind is update (field and cross-id writes), create, archive or merge.
	Kind string
	// BackRef, for a create, names the source record's field that receives
	// the created record's id (the other system's cross id).
	BackRef *BackRef
	// CreatedID is set by Target.Apply when a create succeeded.
	CreatedID string
}

// BackRef is where a created record's id is written back.
type BackRef struct {
	System, Object, RecordID, Field string
}

// Kinds of change, in the order a load applies them: creates first (their
// ids are written back with the updates), merges and archives last.
const (
	KindCreate  = "create"
	KindUpdate  = "update"
	KindMerge   = "merge"
	KindArchive = "archive"
)

// outboxColumns are the outbox columns the loader needs; optionalColumns
// it reads when present (an outbox without kind holds updates only).
var (
	outboxColumns   = []string{"system", "object", "record_id", "golden_id", "crm_field", "new_value"}
	optionalColumns = []string{"kind", "backref_object", "backref_record_id", "backref_field"}
)

// ReadOutbox reads the outbox Parquet file in Arrow record batches and
// groups its rows into one Change per record, ordered by system, object and
// record id so batches are repeatable.
func ReadOutbox(ctx context.Context, path string) ([]Change, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	schema, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	var idx []int
	for _, name := range outboxColumns {
		found := schema.FieldIndices(name)
		if len(found) == 0 {
			return nil, fmt.Errorf("outbox %s: column %s missing", path, name)
		}
		idx = append(idx, found[0])
	}
	names := slices.Clone(outboxColumns)
	for _, name := range optionalColumns {
		if found := schema.FieldIndices(name); len(found) > 0 {
			idx = append(idx, found[0])
			names = append(names, name)
		}
	}
	rr, err := fr.GetRecordReader(ctx, idx, nil)
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	defer rr.Release()
	byKey := map[[3]string]*Change{}
	seen := 0 // rows of earlier batches, so messages count from the file's start
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]*array.String, len(names))
		opt := map[string]*array.String{}
		for i := range names {
			c, ok := rec.Column(i).(*array.String)
			if !ok {
				return nil, fmt.Errorf("outbox %s: column %s is %s, want string", path, names[i], rec.Column(i).DataType())
			}
			cols[i] = c
			opt[names[i]] = c
		}
		str := func(name string, r int) string {
			if c := opt[name]; c != nil && !c.IsNull(r) {
				return c.Value(r)
			}
			return ""
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			if cols[0].IsNull(r) || cols[2].IsNull(r) || cols[4].IsNull(r) {
				return nil, fmt.Errorf("outbox %s: row %d lacks system, record_id or crm_field", path, seen+r+1)
			}
			k := [3]string{cols[0].Value(r), cols[1].Value(r), cols[2].Value(r)}
			ch := byKey[k]
			if ch == nil {
				ch = &Change{System: k[0], Object: k[1], RecordID: k[2], GoldenID: cols[3].Value(r), Values: map[string]string{}}
				byKey[k] = ch
			}
			ch.Values[cols[4].Value(r)] = cols[5].Value(r)
			switch kind := str("kind", r); {
			case kind == KindCreate || kind == KindArchive || kind == KindMerge:
				ch.Kind = kind
			case ch.Kind == "":
				ch.Kind = KindUpdate
			}
			if f := str("backref_field", r); f != "" && ch.BackRef == nil {
				other := "salesforce"
				if k[0] == "salesforce" {
					other = "hubspot"
				}
				ch.BackRef = &BackRef{System: other, Object: str("backref_object", r), RecordID: str("backref_record_id", r), Field: f}
			}
		}
		seen += int(rec.NumRows())
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("outbox %s: %w", path, err)
	}
	out := make([]Change, 0, len(byKey))
	for _, ch := range byKey {
		out = append(out, *ch)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.System != b.System {
			return a.System < b.System
		}
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		return a.RecordID < b.RecordID
	})
	return out, nil
}
