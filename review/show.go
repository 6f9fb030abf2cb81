package review

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io/fs"
	"strings"

	"github.com/crmhub/crmhub/extract"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// Record is one source record as the lake holds it now (its latest
// extracted version), in the shared field names.
type Record struct {
	Key      string            `json:"key"`
	System   string            `json:"system"`
	Object   string            `json:"object"`
	RecordID string            `json:"record_id"`
	GoldenID string            `json:"golden_id"`
	Found    bool              `json:"found"`
	Values   map[string]string `json:"values"`
}

// Row is one line of the side-by-side comparison.
type Row struct {
	Field string `json:"field"`
	Left  string `json:"left"`
	Right string `json:"right"`
	// Level and Weight come from the pair's explanation (pairs only).
	Level    string   `json:"level,omitempty"`
	Weight   *float64 `json:"weight,omitempty"`
	Golden   string   `json:"golden,omitempty"`
	Differs  bool     `json:"differs"`
	Conflict bool     `json:"conflict,omitempty"` // the field this conflict is about
}

// Detail is one item with both records side by side.
type Detail struct {
	Item  Item   `json:"item"`
	Left  Record `json:"left"`
	Right Record `json:"right"`
	Rows  []Row  `json:"rows"`
	// Group holds the items of the item's group (itself included).
	Group []Item `json:"group"`
	// GroupFingerprint is what a group decision must quote.
	GroupFingerprint string `json:"group_fingerprint"`
}

// Show returns one item of the last published run (decided or not) with
// both records side by side.
func (s *Service) Show(ctx context.Context, id string) (*Detail, error) {
	p, items, err := s.openSettled(ctx)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var d *Detail
	for _, it := range items {
		if it.ID == id || (it.GroupKey == id && d == nil) {
			d = &Detail{Item: it}
		}
	}
	if d == nil {
		return nil, fmt.Errorf("%s: %w in run %s (decided, or gone after the data changed): see crmhub review list", id, ErrNotOpen, p.latest.RunID)
	}
	for _, it := range items {
		if it.GroupKey == d.Item.GroupKey {
			d.Group = append(d.Group, it)
		}
	}
	d.GroupFingerprint = GroupFingerprint(d.Group)
	if d.Item.Kind == KindRefusedLoad {
		return d, nil
	}
	fm, err := fieldMap()
	if err != nil {
		return nil, err
	}
	if d.Left, err = s.record(ctx, p, d.Item.LeftKey, d.Item.LeftGoldenID, fm); err != nil {
		return nil, err
	}
	if d.Right, err = s.record(ctx, p, d.Item.RightKey, d.Item.RightGoldenID, fm); err != nil {
		return nil, err
	}
	golden, err := p.golden(ctx, d.Item.Entity, d.Item.LeftGoldenID)
	if err != nil {
		return nil, err
	}
	d.Rows = compare(d, fm.fields[d.Item.Entity], golden)
	return d, nil
}

// compare lines up both records' mapped fields and the explanation.
func compare(d *Detail, fields []string, golden map[string]string) []Row {
	expl := map[string]Comparison{}
	for _, c := range d.Item.Explanation {
		expl[c.Field] = c
	}
	seen := map[string]bool{}
	var rows []Row
	add := func(f string) {
		if seen[f] {
			return
		}
		seen[f] = true
		r := Row{Field: f, Left: d.Left.Values[f], Right: d.Right.Values[f], Golden: golden[f]}
		if d.Item.Kind == KindConflict && f == d.Item.Field {
			r.Conflict = true
			if d.Item.LeftValue != nil {
				r.Left = *d.Item.LeftValue
			}
			if d.Item.RightValue != nil {
				r.Right = *d.Item.RightValue
			}
		}
		r.Differs = !strings.EqualFold(strings.TrimSpace(r.Left), strings.TrimSpace(r.Right))
		if c, ok := expl[f]; ok {
			w := c.Weight
			r.Level, r.Weight = c.Level, &w
		}
		rows = append(rows, r)
	}
	if d.Item.Kind == KindConflict {
		add(d.Item.Field)
	}
	for _, c := range d.Item.Explanation {
		add(c.Field)
	}
	for _, f := range fields {
		add(f)
	}
	return rows
}

// fields is ref/field_map.csv: per system and object the CRM field of each
// value field, and per entity the value fields in file order.
type fields struct {
	crm    map[string]map[string]string // system:object -> field -> crm field
	fields map[string][]string          // entity -> fields
}

func fieldMap() (*fields, error) {
	f, err := sqlmodels.Models.Open("ref/field_map.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseFieldMap(f)
}

func parseFieldMap(f fs.File) (*fields, error) {
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("field map: %w", err)
	}
	out := &fields{crm: map[string]map[string]string{}, fields: map[string][]string{}}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		if len(r) < 6 || r[5] != "value" {
			continue
		}
		so := r[2] + ":" + r[3]
		if out.crm[so] == nil {
			out.crm[so] = map[string]string{}
		}
		out.crm[so][r[1]] = r[4]
		if !seen[r[0]+":"+r[1]] {
			seen[r[0]+":"+r[1]] = true
			out.fields[r[0]] = append(out.fields[r[0]], r[1])
		}
	}
	return out, nil
}

// record reads a record's latest version from the object's current raw files.
func (s *Service) record(ctx context.Context, p *published, key, goldenID string, fm *fields) (Record, error) {
	parts := strings.SplitN(key, ":", 3)
	if len(parts) != 3 {
		return Record{}, fmt.Errorf("record key %q: want system:object:record_id", key)
	}
	r := Record{Key: key, System: parts[0], Object: parts[1], RecordID: parts[2], GoldenID: goldenID, Values: map[string]string{}}
	keys, err := extract.CurrentFiles(ctx, s.Store, r.System, r.Object)
	if err != nil || len(keys) == 0 {
		return r, err
	}
	files := make([]string, 0, len(keys))
	for _, k := range keys {
		local, err := s.Store.LocalPath(ctx, k)
		if err != nil {
			return r, err
		}
		files = append(files, local)
	}
	rows, err := p.db.QueryContext(ctx, `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM read_parquet(?::VARCHAR[], union_by_name = true)
		WHERE CAST(_id AS VARCHAR) = ? ORDER BY _updated_at DESC, _extracted_at DESC LIMIT 1`, files, r.RecordID)
	if err != nil {
		return r, fmt.Errorf("record %s: %w", key, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return r, err
	}
	if !rows.Next() {
		return r, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return r, fmt.Errorf("record %s: %w", key, err)
	}
	byCol := map[string]string{}
	for i, c := range cols {
		if vals[i].Valid {
			byCol[c] = vals[i].String
		}
	}
	r.Found = true
	for field, crm := range fm.crm[r.System+":"+r.Object] {
		if v, ok := byCol[crm]; ok {
			r.Values[field] = v
		}
	}
	return r, rows.Err()
}

// golden returns the golden record's values (field -> value).
func (p *published) golden(ctx context.Context, entity, goldenID string) (map[string]string, error) {
	table := map[string]string{"person": "golden_persons", "company": "golden_companies", "deal": "golden_deals"}[entity]
	out := map[string]string{}
	if table == "" || p.latest.Tables[table] == "" || goldenID == "" {
		return out, nil
	}
	rows, err := p.db.QueryContext(ctx, `SELECT CAST(COLUMNS(* EXCLUDE (provenance)) AS VARCHAR) FROM `+table+` WHERE golden_id = ?`, goldenID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		return out, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range cols {
		if vals[i].Valid {
			out[c] = vals[i].String
		}
	}
	return out, rows.Err()
}

// provenanceRule is the rule that decided a golden field ("" when unknown).
func (p *published) provenanceRule(ctx context.Context, entity, goldenID, field string) (string, error) {
	table := map[string]string{"person": "golden_persons", "company": "golden_companies", "deal": "golden_deals"}[entity]
	if table == "" || p.latest.Tables[table] == "" {
		return "", nil
	}
	var rule sql.NullString
	err := p.db.QueryRowContext(ctx, `SELECT provenance[?].rule FROM `+table+` WHERE golden_id = ?`, field, goldenID).Scan(&rule)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%s provenance: %w", table, err)
	}
	return rule.String, nil
}
