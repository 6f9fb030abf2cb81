package extract

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Metadata columns every raw file carries besides the CRM's own fields.
const (
	ColID             = "_id"
	ColCreatedAt      = "_created_at"
	ColUpdatedAt      = "_updated_at"
	ColArchived       = "_archived"
	ColExtractedAt    = "_extracted_at"
	ColRunID          = "_run_id"
	ColAssocCompanies = "_assoc_companies"
	// ColAssocContacts lists a deal's associated contact ids.
	ColAssocContacts = "_assoc_contacts"
	// ColMergedInto names the record a merged-away record became; such a
	// row is a tombstone with _archived true.
	ColMergedInto = "_merged_into"
	// ColInvalid holds, as a JSON object field -> text, the values that did
	// not parse as their field's declared type. Nothing is dropped: the
	// typed column is null and the text is here.
	ColInvalid = "_invalid"
)

// Row is one CRM record as it lands in the lake: values are the API's
// text, and a missing key is null. The writer types them by column.
type Row struct {
	ID             string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Archived       bool
	Values         map[string]string
	AssocCompanies string
	AssocContacts  string
	MergedInto     string
	// Tombstone marks a row that only records that the record is gone
	// (merged away, or purged after deletion); it is counted apart.
	Tombstone bool
	// Invalid holds values the source already knows are not of their
	// field's type (a JSON object where a scalar belongs); they land in
	// _invalid.
	Invalid map[string]string
}

// Row groups are flushed at this many rows or this many buffered value
// bytes, whichever comes first, so memory stays bounded however wide the
// object is.
const (
	rowGroupSize  = 50_000
	rowGroupBytes = 64 << 20
)

// InvalidValue is a value that did not parse as its field's type.
type InvalidValue struct {
	Field  string `json:"field"`
	Type   string `json:"type"`
	Record string `json:"record"`
	Value  string `json:"value"`
}

// maxInvalidSamples bounds the invalid values reported per object.
const maxInvalidSamples = 20

// RawWriter streams rows into one Parquet file with a schema fixed at
// creation: the metadata columns plus one optional column per field, typed
// by its lake type.
type RawWriter struct {
	f           *os.File
	w           *parquet.Writer
	cols        []Column // CRM fields, sorted by name
	colIndex    map[string]int
	width       int
	extractedAt int64
	runID       []byte
	buf         []parquet.Row
	rows        int64
	pending     int // rows written since the last flush
	pendingB    int // approximate bytes since the last flush
	groups      int

	invalidCount   map[string]int64
	invalidSamples []InvalidValue
}

// NewRawWriter creates path and a writer for fields typed as strings.
func NewRawWriter(path string, fields []string, runID string, extractedAt time.Time) (*RawWriter, error) {
	return NewTypedRawWriter(path, stringColumns(fields), runID, extractedAt)
}

// NewTypedRawWriter creates path and a writer for the given typed fields.
func NewTypedRawWriter(path string, cols []Column, runID string, extractedAt time.Time) (*RawWriter, error) {
	group := parquet.Group{
		ColID:             parquet.String(),
		ColCreatedAt:      parquet.Optional(parquet.Timestamp(parquet.Millisecond)),
		ColUpdatedAt:      parquet.Timestamp(parquet.Millisecond),
		ColArchived:       parquet.Leaf(parquet.BooleanType),
		ColExtractedAt:    parquet.Timestamp(parquet.Millisecond),
		ColRunID:          parquet.String(),
		ColAssocCompanies: parquet.Optional(parquet.String()),
		ColAssocContacts:  parquet.Optional(parquet.String()),
		ColMergedInto:     parquet.Optional(parquet.String()),
		ColInvalid:        parquet.Optional(parquet.String()),
	}
	for _, c := range cols {
		if _, clash := group[c.Name]; clash {
			return nil, fmt.Errorf("extract: field %q clashes with a metadata column or another field", c.Name)
		}
		group[c.Name] = parquet.Optional(lakeNode(c.Type))
	}
	schema := parquet.NewSchema("record", group)
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	rw := &RawWriter{
		f:            file,
		w:            parquet.NewWriter(file, schema, parquet.Compression(&parquet.Zstd)),
		colIndex:     map[string]int{},
		extractedAt:  extractedAt.UTC().UnixMilli(),
		runID:        []byte(runID),
		invalidCount: map[string]int64{},
	}
	// parquet.Group orders columns by name; remember each leaf's index.
	for i, path := range schema.Columns() {
		rw.colIndex[path[0]] = i
	}
	rw.width = len(rw.colIndex)
	rw.cols = append([]Column(nil), cols...)
	sort.Slice(rw.cols, func(i, j int) bool { return rw.cols[i].Name < rw.cols[j].Name })
	return rw, nil
}

func lakeNode(typ string) parquet.Node {
	switch typ {
	case TypeDecimal:
		return parquet.Decimal(decimalScale, decimalPrecision, parquet.FixedLenByteArrayType(16))
	case TypeInt:
		return parquet.Int(64)
	case TypeDate:
		return parquet.Date()
	case TypeTimestamp:
		return parquet.Timestamp(parquet.Millisecond)
	case TypeBool:
		return parquet.Leaf(parquet.BooleanType)
	}
	return parquet.String()
}

// Write appends rows to the current row group and flushes it once it is
// full; rows are not kept after Write returns.
func (rw *RawWriter) Write(rows []Row) error {
	for len(rows) > 0 {
		n := min(len(rows), rowGroupSize-rw.pending)
		if cap(rw.buf) < n {
			rw.buf = make([]parquet.Row, n)
		}
		buf := rw.buf[:n]
		for i := range n {
			buf[i] = rw.encode(buf[i][:0], &rows[i])
		}
		if _, err := rw.w.WriteRows(buf); err != nil {
			return fmt.Errorf("extract: write rows: %w", err)
		}
		rw.rows += int64(n)
		rw.pending += n
		rows = rows[n:]
		if rw.pending >= rowGroupSize || rw.pendingB >= rowGroupBytes {
			if err := rw.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (rw *RawWriter) encode(row parquet.Row, r *Row) parquet.Row {
	if cap(row) < rw.width {
		row = make(parquet.Row, rw.width)
	}
	row = row[:rw.width]
	set := func(col string, v parquet.Value, optional bool) {
		idx := rw.colIndex[col]
		def := 0
		if optional {
			def = 1
		}
		row[idx] = v.Level(0, def, idx)
	}
	null := func(col string) {
		idx := rw.colIndex[col]
		row[idx] = parquet.NullValue().Level(0, 0, idx)
	}
	optString := func(col, v string) {
		if v == "" {
			null(col)
			return
		}
		rw.pendingB += len(v)
		set(col, parquet.ByteArrayValue([]byte(v)), true)
	}
	set(ColID, parquet.ByteArrayValue([]byte(r.ID)), false)
	if r.CreatedAt.IsZero() {
		null(ColCreatedAt)
	} else {
		set(ColCreatedAt, parquet.Int64Value(r.CreatedAt.UTC().UnixMilli()), true)
	}
	set(ColUpdatedAt, parquet.Int64Value(r.UpdatedAt.UTC().UnixMilli()), false)
	set(ColArchived, parquet.BooleanValue(r.Archived), false)
	set(ColExtractedAt, parquet.Int64Value(rw.extractedAt), false)
	set(ColRunID, parquet.ByteArrayValue(rw.runID), false)
	optString(ColAssocCompanies, r.AssocCompanies)
	optString(ColAssocContacts, r.AssocContacts)
	optString(ColMergedInto, r.MergedInto)
	var invalid map[string]string
	for _, c := range rw.cols {
		s, ok := r.Values[c.Name]
		if !ok {
			null(c.Name)
			if bad, isBad := r.Invalid[c.Name]; isBad {
				if invalid == nil {
					invalid = map[string]string{}
				}
				invalid[c.Name] = bad
				rw.noteInvalid(c, r.ID, bad)
			}
			continue
		}
		rw.pendingB += len(s) + 8
		v, isNull, parsed := parseValue(c.Type, s)
		switch {
		case !parsed:
			null(c.Name)
			if invalid == nil {
				invalid = map[string]string{}
			}
			invalid[c.Name] = s
			rw.noteInvalid(c, r.ID, s)
		case isNull:
			null(c.Name)
		default:
			set(c.Name, v, true)
		}
	}
	if invalid == nil {
		null(ColInvalid)
	} else {
		b, _ := json.Marshal(invalid) // map[string]string always encodes
		set(ColInvalid, parquet.ByteArrayValue(b), true)
	}
	rw.pendingB += 16 * rw.width
	return row
}

func (rw *RawWriter) noteInvalid(c Column, id, s string) {
	rw.invalidCount[c.Name]++
	if len(rw.invalidSamples) < maxInvalidSamples {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		rw.invalidSamples = append(rw.invalidSamples, InvalidValue{Field: c.Name, Type: c.Type, Record: id, Value: s})
	}
}

// Invalid returns how many values of each field did not parse as its type,
// and the first few of them.
func (rw *RawWriter) Invalid() (map[string]int64, []InvalidValue) {
	return rw.invalidCount, rw.invalidSamples
}

func (rw *RawWriter) flush() error {
	if rw.pending == 0 {
		return nil
	}
	if err := rw.w.Flush(); err != nil {
		return fmt.Errorf("extract: flush row group: %w", err)
	}
	rw.pending, rw.pendingB = 0, 0
	rw.groups++
	return nil
}

// Rows returns the number of rows written so far.
func (rw *RawWriter) Rows() int64 { return rw.rows }

// Close flushes, writes the footer and syncs the file to disk.
func (rw *RawWriter) Close() error {
	if err := rw.flush(); err != nil {
		rw.f.Close()
		return err
	}
	if err := rw.w.Close(); err != nil {
		rw.f.Close()
		return fmt.Errorf("extract: close parquet: %w", err)
	}
	if err := rw.f.Sync(); err != nil {
		rw.f.Close()
		return err
	}
	return rw.f.Close()
}

// Abort closes the file without completing it.
func (rw *RawWriter) Abort() { rw.f.Close() }
