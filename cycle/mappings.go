package cycle

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"time"

	"github.com/crmhub/crmhub/pipelines"
)

const fieldMapFile = "ref/field_map.csv"

// withMappings returns the models tree with the pipeline's mappings applied
// to ref/field_map.csv: a mapping replaces the row of the same entity,
// field, system and object, or is added as a value row.
func withMappings(models fs.FS, maps []pipelines.Mapping) (fs.FS, error) {
	if len(maps) == 0 {
		return models, nil
	}
	b, err := fs.ReadFile(models, fieldMapFile)
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 || len(rows[0]) < 6 {
		return nil, fmt.Errorf("field map: want header entity,field,system,object,crm_field,role (%v)", err)
	}
	width := len(rows[0])
	for _, m := range maps {
		row := make([]string, width)
		copy(row, []string{m.Entity, m.Field, m.System, m.Object, m.CRMField, "value"})
		replaced := false
		for i, old := range rows[1:] {
			if len(old) >= 6 && old[0] == m.Entity && old[1] == m.Field && old[2] == m.System && old[3] == m.Object && old[5] == "value" {
				copy(row[6:], old[6:]) // keep the default column, if any
				rows[i+1], replaced = row, true
			}
		}
		if !replaced {
			rows = append(rows, row)
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return overlayFS{FS: models, name: fieldMapFile, data: out.Bytes()}, nil
}

// overlayFS replaces one file of an fs.FS.
type overlayFS struct {
	fs.FS
	name string
	data []byte
}

func (o overlayFS) Open(name string) (fs.File, error) {
	if name != o.name {
		return o.FS.Open(name)
	}
	return &memFile{Reader: bytes.NewReader(o.data), name: name, size: int64(len(o.data))}, nil
}

func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(o.FS, name) }

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f}, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return i.f.name[len("ref/"):] }
func (i memInfo) Size() int64        { return i.f.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
