package extract

import (
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
)

// Row is one CRM record as it lands in the lake: values are the API's
// strings, and a missing key is null.
type Row struct {
	ID             string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Archived       bool
	Values         map[string]string
	AssocCompanies string
}

// rowGroupSize bounds memory: the writer flushes a row group this often.
const rowGroupSize = 50_000

// RawWriter streams rows into one Parquet file with a schema fixed at
// creation: the metadata columns plus one optional string column per field.
type RawWriter struct {
	f           *os.File
	w           *parquet.Writer
	fields      []string // CRM field names in schema (column) order
	colIndex    map[string]int
	extractedAt int64
	runID       string
	buf         []parquet.Row
	rows        int64
}

// NewRawWriter creates path and a writer for the given CRM fields.
func NewRawWriter(path string, fields []string, runID string, extractedAt time.Time) (*RawWriter, error) {
	group := parquet.Group{
		ColID:             parquet.String(),
		ColCreatedAt:      parquet.Optional(parquet.Timestamp(parquet.Millisecond)),
		ColUpdatedAt:      parquet.Timestamp(parquet.Millisecond),
		ColArchived:       parquet.Leaf(parquet.BooleanType),
		ColExtractedAt:    parquet.Timestamp(parquet.Millisecond),
		ColRunID:          parquet.String(),
		ColAssocCompanies: parquet.Optional(parquet.String()),
	}
	for _, f := range fields {
		if _, clash := group[f]; clash {
			return nil, fmt.Errorf("extract: field %q clashes with a metadata column", f)
		}
		group[f] = parquet.Optional(parquet.String())
	}
	schema := parquet.NewSchema("record", group)
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	rw := &RawWriter{
		f:           file,
		w:           parquet.NewWriter(file, schema, parquet.Compression(&parquet.Zstd)),
		colIndex:    map[string]int{},
		extractedAt: extractedAt.UTC().UnixMilli(),
		runID:       runID,
	}
	// parquet.Group orders columns by name; remember each leaf's index.
	for i, path := range schema.Columns() {
		rw.colIndex[path[0]] = i
	}
	rw.fields = append([]string(nil), fields...)
	sort.Strings(rw.fields)
	return rw, nil
}

// Write appends rows, flushing a row group every rowGroupSize rows.
func (rw *RawWriter) Write(rows []Row) error {
	for i := range rows {
		rw.buf = append(rw.buf, rw.encode(&rows[i]))
		if len(rw.buf) >= rowGroupSize {
			if err := rw.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (rw *RawWriter) encode(r *Row) parquet.Row {
	row := make(parquet.Row, len(rw.colIndex))
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
	set(ColID, parquet.ByteArrayValue([]byte(r.ID)), false)
	if r.CreatedAt.IsZero() {
		null(ColCreatedAt)
	} else {
		set(ColCreatedAt, parquet.Int64Value(r.CreatedAt.UTC().UnixMilli()), true)
	}
	set(ColUpdatedAt, parquet.Int64Value(r.UpdatedAt.UTC().UnixMilli()), false)
	set(ColArchived, parquet.BooleanValue(r.Archived), false)
	set(ColExtractedAt, parquet.Int64Value(rw.extractedAt), false)
	set(ColRunID, parquet.ByteArrayValue([]byte(rw.runID)), false)
	if r.AssocCompanies == "" {
		null(ColAssocCompanies)
	} else {
		set(ColAssocCompanies, parquet.ByteArrayValue([]byte(r.AssocCompanies)), true)
	}
	for _, f := range rw.fields {
		if v, ok := r.Values[f]; ok {
			set(f, parquet.ByteArrayValue([]byte(v)), true)
		} else {
			null(f)
		}
	}
	return row
}

func (rw *RawWriter) flush() error {
	if len(rw.buf) == 0 {
		return nil
	}
	if _, err := rw.w.WriteRows(rw.buf); err != nil {
		return fmt.Errorf("extract: write rows: %w", err)
	}
	if err := rw.w.Flush(); err != nil {
		return fmt.Errorf("extract: flush row group: %w", err)
	}
	rw.rows += int64(len(rw.buf))
	rw.buf = rw.buf[:0]
	return nil
}

// Rows returns the number of rows written so far.
func (rw *RawWriter) Rows() int64 { return rw.rows + int64(len(rw.buf)) }

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
