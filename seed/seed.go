// Package seed holds CRM-shaped datasets: the records of each HubSpot and
// Salesforce object plus optional ground truth. Seed directories (see
// DESIGN.md), the demo generator and the simulators' snapshots all use it.
package seed

import (
	"errors"
	"sort"
	"time"
)

// System names as they appear in truth.csv and the published tables.
const (
	HubSpot    = "hubspot"
	Salesforce = "salesforce"
)

// Objects in scope, per system, in load order (parents first).
var (
	HubSpotObjects    = []string{"companies", "contacts", "deals"}
	SalesforceObjects = []string{"Account", "Contact", "Lead", "Opportunity"}
)

// ErrBadSeed marks every seed parsing failure; the wrapped message names the
// file and line.
var ErrBadSeed = errors.New("bad seed")

// Record is one CRM record. Values hold HubSpot property values or Salesforce
// field values as strings, as both APIs carry them; an absent key is null.
type Record struct {
	ID        string            `json:"id"`
	Values    map[string]string `json:"values"`
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
	Archived  bool              `json:"archived,omitempty"`
}

// TruthRow says which real-world entity a record belongs to.
type TruthRow struct {
	System   string `json:"system"`
	Object   string `json:"object"`
	RecordID string `json:"record_id"`
	EntityID string `json:"entity_id"`
}

// Dataset is the content of a seed directory. Objects maps system to object
// name to records; Columns keeps each file's header order for round trips.
type Dataset struct {
	Objects map[string]map[string][]Record `json:"objects"`
	Columns map[string]map[string][]string `json:"columns,omitempty"`
	Truth   []TruthRow                     `json:"truth,omitempty"`
}

// NewDataset returns an empty dataset ready for Add.
func NewDataset() *Dataset {
	return &Dataset{
		Objects: map[string]map[string][]Record{HubSpot: {}, Salesforce: {}},
		Columns: map[string]map[string][]string{HubSpot: {}, Salesforce: {}},
	}
}

// Add appends records to system/object.
func (d *Dataset) Add(system, object string, recs ...Record) {
	if d.Objects[system] == nil {
		d.Objects[system] = map[string][]Record{}
	}
	d.Objects[system][object] = append(d.Objects[system][object], recs...)
}

// Records returns the records of system/object (nil when absent).
func (d *Dataset) Records(system, object string) []Record {
	return d.Objects[system][object]
}

// Count returns the number of records across all objects.
func (d *Dataset) Count() int {
	n := 0
	for _, objs := range d.Objects {
		for _, recs := range objs {
			n += len(recs)
		}
	}
	return n
}

// ColumnsOf returns the column names used by system/object: the header kept
// at load time, else the sorted union of value keys.
func (d *Dataset) ColumnsOf(system, object string) []string {
	if cols := d.Columns[system][object]; len(cols) > 0 {
		return cols
	}
	seen := map[string]bool{}
	for _, r := range d.Records(system, object) {
		for k := range r.Values {
			seen[k] = true
		}
	}
	cols := make([]string, 0, len(seen))
	for k := range seen {
		cols = append(cols, k)
	}
	sort.Strings(cols)
	return cols
}
