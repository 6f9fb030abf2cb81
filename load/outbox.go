// Package load writes golden values back to the CRMs: it reads the outbox
// the models published, groups field writes per record, checks the
// safeguards, and sends batches through each CRM's target.
package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
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
//
// At a million people per system the first run's outbox holds 9.5 M rows
// for 2.4 M records, and this read was the load's largest cost outside its
// write calls (38 s, 4.2 GB resident). So: the records of each system and
// object are found through a map keyed by record id alone (not three
// strings hashed and compared per row); consecutive rows of one record skip
// the map; each system and object's Changes live in one slice, sorted at
// the end (side by side) only if its rows were not in order already; the
// column readers are looked up once per batch, not per row; and the
// columns decode in parallel.
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
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 * 1024, Parallel: true}, memory.DefaultAllocator)
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
	// the next batch decodes while this one is grouped
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan arrow.RecordBatch, 1)
	var readErr error
	go func() {
		defer close(batches)
		for rr.Next() {
			rec := rr.RecordBatch()
			rec.Retain()
			select {
			case batches <- rec:
			case <-ctx.Done():
				rec.Release()
				return
			}
		}
		if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			readErr = err
		}
	}()
	defer func() { // a failed read stops the reader and frees what it sent
		cancel()
		for rec := range batches {
			rec.Release()
		}
	}()
	g := newGrouper()
	seen := 0 // rows of earlier batches, so messages count from the file's start
	for rec := range batches {
		n := int(rec.NumRows())
		err := g.addBatch(rec, names)
		rec.Release()
		if errors.Is(err, errIncomplete) {
			return nil, fmt.Errorf("outbox %s: row %d %w", path, seen+g.badRow+1, err)
		}
		if err != nil {
			return nil, fmt.Errorf("outbox %s: %w", path, err)
		}
		seen += n
	}
	if readErr != nil { // read after batches closed: the reader has returned
		return nil, fmt.Errorf("outbox %s: %w", path, readErr)
	}
	return g.changes(), nil
}

// errIncomplete is a row without its record or field.
var errIncomplete = errors.New("lacks system, record_id or crm_field")

// grouper gathers outbox rows into one Change per record, in one part per
// system and object.
type grouper struct {
	parts  map[[2]string]*outboxPart
	last   *outboxPart // the part of the last row
	names  map[string]string
	badRow int // row of the batch that failed
}

// outboxPart holds the Changes of one system and object.
type outboxPart struct {
	system, object string
	out            []Change
	byID           map[string]int // record id -> index in out
	last           int            // index of the last row's Change, -1 before the first
	sorted         bool           // every new record came after the one before
}

func newGrouper() *grouper {
	return &grouper{parts: map[[2]string]*outboxPart{}, names: map[string]string{}}
}

// intern returns one copy of a name that repeats on many rows (field
// names, kinds): the batch's buffer it points into can then be freed.
func (g *grouper) intern(s string) string {
	if v, ok := g.names[s]; ok {
		return v
	}
	v := strings.Clone(s)
	g.names[v] = v
	return v
}

// addBatch groups the rows of one record batch, whose columns are names.
func (g *grouper) addBatch(rec arrow.RecordBatch, names []string) error {
	cols := map[string]*array.String{}
	for i := range names {
		c, ok := rec.Column(i).(*array.String)
		if !ok {
			return fmt.Errorf("column %s is %s, want string", names[i], rec.Column(i).DataType())
		}
		cols[names[i]] = c
	}
	return g.add(cols, int(rec.NumRows()))
}

// add groups the rows of one batch; cols holds its columns by name
// (outboxColumns and those of optionalColumns the file has). Only the
// new values keep pointing into the batch's buffers (nearly all of that
// column is kept anyway); ids are copied and names interned, so the
// batch's other columns are freed.
func (g *grouper) add(cols map[string]*array.String, n int) error {
	system, object, recordID := cols["system"], cols["object"], cols["record_id"]
	goldenID, field, value := cols["golden_id"], cols["crm_field"], cols["new_value"]
	kind, brObject, brRecord, brField := cols["kind"], cols["backref_object"], cols["backref_record_id"], cols["backref_field"]
	str := func(c *array.String, r int) string {
		if c != nil && !c.IsNull(r) {
			return c.Value(r)
		}
		return ""
	}
	for r := 0; r < n; r++ {
		if system.IsNull(r) || recordID.IsNull(r) || field.IsNull(r) {
			g.badRow = r
			return errIncomplete
		}
		sys, obj, id := system.Value(r), object.Value(r), recordID.Value(r)
		p := g.last
		if p == nil || p.object != obj || p.system != sys {
			if p = g.parts[[2]string{sys, obj}]; p == nil {
				p = &outboxPart{system: g.intern(sys), object: g.intern(obj), byID: map[string]int{}, last: -1, sorted: true}
				g.parts[[2]string{p.system, p.object}] = p
			}
			g.last = p
		}
		at := p.last
		if at < 0 || p.out[at].RecordID != id {
			var ok bool
			if at, ok = p.byID[id]; !ok {
				at = len(p.out)
				if p.sorted && at > 0 {
					p.sorted = p.out[at-1].RecordID < id
				}
				id = strings.Clone(id)
				p.byID[id] = at
				p.out = append(p.out, Change{System: p.system, Object: p.object, RecordID: id,
					GoldenID: strings.Clone(goldenID.Value(r)), Values: make(map[string]string, 4)})
			}
			p.last = at
		}
		ch := &p.out[at]
		ch.Values[g.intern(field.Value(r))] = value.Value(r)
		switch k := str(kind, r); {
		case k == KindCreate || k == KindArchive || k == KindMerge:
			ch.Kind = g.intern(k)
		case ch.Kind == "":
			ch.Kind = KindUpdate
		}
		if f := str(brField, r); f != "" && ch.BackRef == nil {
			other := "salesforce"
			if p.system == "salesforce" {
				other = "hubspot"
			}
			ch.BackRef = &BackRef{System: other, Object: g.intern(str(brObject, r)), RecordID: strings.Clone(str(brRecord, r)), Field: g.intern(f)}
		}
	}
	return nil
}

// changes returns the Changes in system, object and record id order: the
// parts sorted by record id side by side (the rows of a first run's outbox
// come in no order), then joined in system and object order.
func (g *grouper) changes() []Change {
	keys := slices.SortedFunc(maps.Keys(g.parts), func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	var wg sync.WaitGroup
	total := 0
	for _, k := range keys {
		p := g.parts[k]
		p.byID = nil
		total += len(p.out)
		if !p.sorted {
			wg.Go(func() {
				slices.SortFunc(p.out, func(a, b Change) int { return strings.Compare(a.RecordID, b.RecordID) })
			})
		}
	}
	wg.Wait()
	out := make([]Change, 0, total)
	for _, k := range keys {
		out = append(out, g.parts[k].out...)
		g.parts[k].out = nil
	}
	return out
}
