package docsgen

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Mapping is one row of sql/ref/field_map.csv.
type Mapping struct {
	Entity, Field, System, Object, CRMField, Role string
}

// FieldMap is the field map of a model tree.
type FieldMap []Mapping

// ReadFieldMap reads ref/field_map.csv from the models tree.
func ReadFieldMap(models fs.FS) (FieldMap, error) {
	f, err := models.Open("ref/field_map.csv")
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("field map: empty")
	}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	for _, h := range []string{"entity", "field", "system", "object", "crm_field", "role"} {
		if _, ok := idx[h]; !ok {
			return nil, fmt.Errorf("field map: no column %s", h)
		}
	}
	var out FieldMap
	for i, r := range rows[1:] {
		get := func(h string) string {
			if j := idx[h]; j < len(r) {
				return r[j]
			}
			return ""
		}
		if len(r) < 6 {
			return nil, fmt.Errorf("field map line %d: want at least 6 columns", i+2)
		}
		out = append(out, Mapping{get("entity"), get("field"), get("system"), get("object"), get("crm_field"), get("role")})
	}
	return out, nil
}

// Entities lists the entities in map order.
func (fm FieldMap) Entities() []string {
	var out []string
	for _, m := range fm {
		if !slices.Contains(out, m.Entity) {
			out = append(out, m.Entity)
		}
	}
	return out
}

// Fields lists an entity's fields of one role, in map order.
func (fm FieldMap) Fields(entity, role string) []string {
	var out []string
	for _, m := range fm {
		if m.Entity == entity && m.Role == role && !slices.Contains(out, m.Field) {
			out = append(out, m.Field)
		}
	}
	return out
}

// Sources names the CRM fields of one field in one system: "contacts.email".
func (fm FieldMap) Sources(entity, field, system string) []string {
	var out []string
	for _, m := range fm {
		if m.Entity == entity && m.Field == field && m.System == system {
			out = append(out, m.Object+"."+m.CRMField)
		}
	}
	return out
}

// FieldDoc is the generated documentation of a mapped field's column.
func (fm FieldMap) FieldDoc(entity, field string) string {
	var parts []string
	if hs := fm.Sources(entity, field, "hubspot"); len(hs) > 0 {
		parts = append(parts, "HubSpot "+strings.Join(hs, ", "))
	}
	if sf := fm.Sources(entity, field, "salesforce"); len(sf) > 0 {
		parts = append(parts, "Salesforce "+strings.Join(sf, ", "))
	}
	return "Golden value of " + entity + " field " + field + " (" + strings.Join(parts, "; ") + "); provenance['" + field + "'] says which record and rule supplied it."
}

// Columns returns a table's documented columns, the mapped fields
// included (after golden_id), given the field map.
func (t Table) ColumnsWith(fm FieldMap) []Column {
	if t.MappedEntity == "" {
		return t.Columns
	}
	out := []Column{t.Columns[0]}
	for _, f := range fm.Fields(t.MappedEntity, "value") {
		out = append(out, Column{f, fm.FieldDoc(t.MappedEntity, f)})
	}
	return append(out, t.Columns[1:]...)
}
