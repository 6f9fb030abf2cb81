package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"time"

	"github.com/crmhub/crmhub/internal/lake"
)

// Modes of an extract run for one object.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// Manifest commits one extract of one object: its files become part of the
// lake's current view only once the manifest exists, and the cursor it holds
// is where the next incremental run starts.
type Manifest struct {
	System  string   `json:"system"`
	Object  string   `json:"object"`
	RunID   string   `json:"run_id"`
	Mode    string   `json:"mode"`
	Files   []string `json:"files"`
	Records int64    `json:"records"`
	Fields  []string `json:"fields"`
	// Schema is every field with its API and lake type; older manifests
	// have only Fields (all strings).
	Schema []Column `json:"schema,omitempty"`
	// SchemaChanges are the differences from the previous extract's schema.
	SchemaChanges []SchemaChange `json:"schema_changes,omitempty"`
	// Invalid counts, per field, values kept as text in _invalid because
	// they did not parse as the field's type.
	Invalid map[string]int64 `json:"invalid,omitempty"`
	// Tombstones counts rows that mark merged-away or purged records.
	Tombstones int64     `json:"tombstones,omitempty"`
	Since      time.Time `json:"since,omitzero"`
	Cursor     time.Time `json:"cursor,omitzero"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Columns returns the manifest's schema, typing old manifests' fields as
// strings.
func (m Manifest) Columns() []Column {
	if m.Schema != nil {
		return m.Schema
	}
	return stringColumns(m.Fields)
}

// ObjectPrefix is the lake folder of one CRM object's raw files.
func ObjectPrefix(system, object string) string {
	return path.Join("raw", system, object)
}

func manifestPrefix(system, object string) string {
	return path.Join(ObjectPrefix(system, object), "_manifests") + "/"
}

// Manifests returns the committed manifests of an object, oldest first (run
// ids sort by time).
func Manifests(ctx context.Context, store lake.Store, system, object string) ([]Manifest, error) {
	out, err := lake.ReadJSONs[Manifest](ctx, store, manifestPrefix(system, object))
	if err != nil {
		return nil, fmt.Errorf("extract: manifests: %w", err)
	}
	return out, nil
}

// Current returns the manifests that make up an object's current view: the
// latest full extract and every incremental one after it.
func Current(ctx context.Context, store lake.Store, system, object string) ([]Manifest, error) {
	all, err := Manifests(ctx, store, system, object)
	if err != nil {
		return nil, err
	}
	start := -1
	for i, m := range all {
		if m.Mode == ModeFull {
			start = i
		}
	}
	if start < 0 {
		return nil, nil
	}
	return all[start:], nil
}

// CurrentFiles lists the lake keys of an object's current raw files.
func CurrentFiles(ctx context.Context, store lake.Store, system, object string) ([]string, error) {
	ms, err := Current(ctx, store, system, object)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, m := range ms {
		files = append(files, m.Files...)
	}
	return files, nil
}

func writeManifest(ctx context.Context, store lake.Store, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	key := manifestPrefix(m.System, m.Object) + m.RunID + ".json"
	return store.Put(ctx, key, bytes.NewReader(b))
}
