package extract

import (
	"sort"
	"strings"
)

// Lake types: how a CRM field is stored in the raw Parquet files.
const (
	TypeString    = "string"    // Parquet STRING
	TypeDecimal   = "decimal"   // Parquet DECIMAL(38,9)
	TypeInt       = "int64"     // Parquet INT64
	TypeDate      = "date"      // Parquet DATE
	TypeTimestamp = "timestamp" // Parquet TIMESTAMP(ms, UTC)
	TypeBool      = "boolean"   // Parquet BOOLEAN
)

// Column is one CRM field with its API type and the lake type it maps to.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	APIType string `json:"api_type,omitempty"`
}

// HubSpotType maps a HubSpot property type to a lake type. Unknown types
// (phone_number, object_coordinates, json, ...) land as strings.
func HubSpotType(apiType string) string {
	switch strings.ToLower(apiType) {
	case "number":
		return TypeDecimal
	case "date":
		return TypeDate
	case "datetime":
		return TypeTimestamp
	case "bool", "boolean":
		return TypeBool
	}
	return TypeString
}

// SalesforceType maps a Salesforce describe field type to a lake type.
// Text-like types (string, email, phone, url, textarea, picklist,
// multipicklist, id, reference, combobox, encryptedstring, ...) land as
// strings.
func SalesforceType(apiType string) string {
	switch strings.ToLower(apiType) {
	case "double", "currency", "percent":
		return TypeDecimal
	case "int", "long":
		return TypeInt
	case "date":
		return TypeDate
	case "datetime":
		return TypeTimestamp
	case "boolean":
		return TypeBool
	}
	return TypeString
}

// SchemaChange is one difference between an object's schema in the
// previous committed extract and in this one.
type SchemaChange struct {
	Field  string `json:"field"`
	Change string `json:"change"` // added, removed, changed
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
}

// DiffSchema lists added, removed and retyped fields, by field name.
func DiffSchema(old, cur []Column) []SchemaChange {
	if old == nil {
		return nil
	}
	before := make(map[string]Column, len(old))
	for _, c := range old {
		before[c.Name] = c
	}
	var out []SchemaChange
	seen := map[string]bool{}
	for _, c := range cur {
		seen[c.Name] = true
		p, ok := before[c.Name]
		switch {
		case !ok:
			out = append(out, SchemaChange{Field: c.Name, Change: "added", New: describeType(c)})
		case p.Type != c.Type || p.APIType != c.APIType:
			out = append(out, SchemaChange{Field: c.Name, Change: "changed", Old: describeType(p), New: describeType(c)})
		}
	}
	for _, c := range old {
		if !seen[c.Name] {
			out = append(out, SchemaChange{Field: c.Name, Change: "removed", Old: describeType(c)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func describeType(c Column) string {
	if c.APIType == "" {
		return c.Type
	}
	return c.APIType + " as " + c.Type
}

// stringColumns types every name as a string (seed files, old manifests).
func stringColumns(names []string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Type: TypeString}
	}
	return out
}

func columnNames(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}
