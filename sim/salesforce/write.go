package salesforce

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Write engine shared by the single-record and collection endpoints. Every
// change is recorded in an undo log so allOrNone requests can roll back.
// Callers hold s.mu for writing.

type undoEntry struct {
	t    *table
	id   string
	prev *rec // nil: the record was created
}

type txn struct {
	s    *Server
	undo []undoEntry
}

func (s *Server) begin() *txn { return &txn{s: s} }

func (tx *txn) rollback() {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		if u.prev == nil {
			u.t.removeLast(u.id)
		} else {
			u.t.put(u.prev)
		}
	}
	tx.undo = nil
}

func (tx *txn) store(t *table, r *rec, prev *rec) {
	tx.undo = append(tx.undo, undoEntry{t: t, id: r.id, prev: prev})
	t.put(r)
}

func errOne(code, msg string, fields ...string) []inputError {
	if fields == nil {
		fields = []string{}
	}
	return []inputError{{StatusCode: code, Message: msg, Fields: fields}}
}

// assignments converts a request body into field values. create selects
// createable rather than updateable checks.
func (tx *txn) assignments(t *table, body map[string]any, create bool) (map[*field]string, []inputError) {
	keys := make([]string, 0, len(body))
	for k := range body {
		if k != "attributes" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make(map[*field]string, len(keys))
	var errs []inputError
	for _, k := range keys {
		f := t.def.lookup(k)
		switch {
		case f == nil:
			errs = append(errs, errOne("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, t.def.Name))...)
			continue
		case f.Name == fID && create:
			errs = append(errs, errOne("INVALID_FIELD_FOR_INSERT_UPDATE", "cannot specify Id in an insert call", fID)...)
			continue
		case f.Name == fID:
			continue // the record's own Id on update
		case f.system || (create && !f.Createable) || (!create && !f.Updateable):
			errs = append(errs, errOne("INVALID_FIELD_FOR_INSERT_UPDATE", fmt.Sprintf("Unable to create/update fields: %s. "+
				"Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name), f.Name)...)
			continue
		}
		v, e := convertInput(f, body[k])
		if e != nil {
			errs = append(errs, *e)
			continue
		}
		out[f] = v
	}
	return out, errs
}

// validate checks the touched fields of r (all fields on create).
func (tx *txn) validate(t *table, r *rec, touched map[*field]string, create bool) []inputError {
	var missing []string
	var errs []inputError
	for _, f := range t.def.fields {
		_, isTouched := touched[f]
		if f.system || (!create && !isTouched) {
			continue
		}
		v := r.val(f.slot)
		if v == "" {
			if !f.Nillable && f.Createable && f.Type != typeBoolean {
				missing = append(missing, f.Name)
			}
			continue
		}
		if f.isText() && f.Length > 0 && utf8.RuneCountInString(v) > f.Length {
			errs = append(errs, inputError{StatusCode: "STRING_TOO_LONG", Fields: []string{f.Name},
				Message: fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, truncate(v, 60), f.Length)})
		}
		if f.Type == typeEmail && !validEmail(v) {
			errs = append(errs, inputError{StatusCode: "INVALID_EMAIL_ADDRESS", Fields: []string{f.Name},
				Message: fmt.Sprintf("%s: invalid email address: %s", f.Label, truncate(v, 80))})
		}
		if f.Type == typeReference {
			if e := tx.checkReference(f, v); e != nil {
				errs = append(errs, *e)
			}
		}
		if f.Unique {
			for _, id := range t.lookupUnique(f, v) {
				if id != r.id {
					errs = append(errs, inputError{StatusCode: "DUPLICATE_VALUE", Fields: []string{f.Name},
						Message: fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, id)})
					break
				}
			}
		}
	}
	if len(missing) > 0 {
		errs = append([]inputError{{StatusCode: "REQUIRED_FIELD_MISSING", Fields: missing,
			Message: "Required fields are missing: [" + strings.Join(missing, ", ") + "]"}}, errs...)
	}
	return errs
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "..."
}

func (tx *txn) checkReference(f *field, v string) *inputError {
	target := tx.s.tables[f.RefTo]
	if !validIDShape(v) || target == nil || !strings.HasPrefix(v, target.def.KeyPrefix) {
		return &inputError{StatusCode: "FIELD_INTEGRITY_EXCEPTION", Fields: []string{f.Name},
			Message: fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, truncate(v, 40))}
	}
	if r := target.get(v); r == nil || r.deleted {
		return &inputError{StatusCode: "INVALID_CROSS_REFERENCE_KEY", Fields: []string{f.Name},
			Message: "invalid cross reference id"}
	}
	return nil
}

// create inserts a record built from body and returns its id.
func (tx *txn) create(t *table, body map[string]any) (string, []inputError) {
	vals, errs := tx.assignments(t, body, true)
	if len(errs) > 0 {
		return "", errs
	}
	r := &rec{vals: make([]string, t.def.slots)}
	for f, v := range vals {
		r.vals[f.slot] = v
	}
	for _, f := range t.def.fields {
		if f.Type == typeBoolean && !f.system && r.vals[f.slot] == "" {
			r.vals[f.slot] = "false"
		}
	}
	if errs := tx.validate(t, r, vals, true); len(errs) > 0 {
		return "", errs
	}
	r.id = t.newID()
	ts := tx.s.stamp()
	r.created, r.modified = ts, ts
	tx.store(t, r, nil)
	return r.id, nil
}

// update applies body to the record with the given id.
func (tx *txn) update(t *table, id string, body map[string]any) []inputError {
	prev := t.get(id)
	if prev == nil {
		return errOne("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
	}
	if prev.deleted {
		return errOne("ENTITY_IS_DELETED", "entity is deleted")
	}
	vals, errs := tx.assignments(t, body, false)
	if len(errs) > 0 {
		return errs
	}
	r := prev.clone(t.def.slots)
	for f, v := range vals {
		r.vals[f.slot] = v
	}
	if errs := tx.validate(t, r, vals, false); len(errs) > 0 {
		return errs
	}
	r.modified = tx.s.stamp()
	tx.store(t, r, prev)
	return nil
}

// remove moves the record to the recycle bin.
func (tx *txn) remove(id string) []inputError {
	t, prev := tx.s.findByID(id)
	switch {
	case !validIDShape(id):
		return errOne("MALFORMED_ID", "malformed id "+truncate(id, 40))
	case prev == nil:
		return errOne("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
	case prev.deleted:
		return errOne("ENTITY_IS_DELETED", "entity is deleted")
	}
	r := prev.clone(t.def.slots)
	r.deleted = true
	r.modified = tx.s.stamp()
	tx.store(t, r, prev)
	return nil
}

// findByID locates a record by id across objects (by key prefix).
func (s *Server) findByID(id string) (*table, *rec) {
	if len(id) < 3 {
		return nil, nil
	}
	for _, t := range s.tables {
		if strings.HasPrefix(id, t.def.KeyPrefix) {
			return t, t.get(id)
		}
	}
	return nil, nil
}
