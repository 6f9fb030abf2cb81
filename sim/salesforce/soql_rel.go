package salesforce

import (
	"fmt"
	"strings"
)

// Parent relationships in the SELECT list: `SELECT Id, Account.Name FROM
// Contact` answers each record with a nested "Account" object carrying its
// own attributes, or null when the lookup is empty.

// selection is one element of a rendered record: a field of the queried
// object, or a parent relationship with its selected fields.
type selection struct {
	f   *field
	rel *relation
}

// relation is a parent lookup followed from the queried object.
type relation struct {
	name   string // relationship name as describe reports it, e.g. Account
	ref    *field // the lookup field on the child, e.g. AccountId
	parent *table
	fields []*field
	pos    int // index into boundQuery.rels and cursor.parents
}

// relationshipName is the relationship name of a lookup field: AccountId ->
// Account, Owner__c -> Owner__r.
func relationshipName(f *field) string {
	if strings.HasSuffix(f.Name, "__c") {
		return strings.TrimSuffix(f.Name, "__c") + "__r"
	}
	return strings.TrimSuffix(f.Name, "Id")
}

// selectFields resolves the SELECT list into bq.sel and bq.rels; tables
// finds the parent object of a lookup (nil: relationships unsupported).
func (bq *boundQuery) selectFields(names []string, def *objectDef, tables func(string) *table) *soqlError {
	seen := map[string]bool{}
	for _, name := range names {
		relName, rest, dotted := strings.Cut(name, ".")
		if !dotted || strings.EqualFold(relName, def.Name) {
			f, err := resolveField(def, name)
			if err != nil {
				return err
			}
			if seen[strings.ToLower(f.Name)] {
				return &soqlError{Code: "DUPLICATE_FIELD", Message: "duplicate field selected: " + f.Name}
			}
			seen[strings.ToLower(f.Name)] = true
			bq.fields = append(bq.fields, f)
			bq.sel = append(bq.sel, selection{f: f})
			continue
		}
		rel, err := bq.relation(relName, def, tables)
		if err != nil {
			return err
		}
		pf := rel.parent.def.lookup(rest)
		if pf == nil || strings.Contains(rest, ".") {
			return &soqlError{Code: "INVALID_FIELD", Message: fmt.Sprintf("No such column '%s' on entity '%s'. "+
				"If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "+
				"Please reference your WSDL or the describe call for the appropriate names.", rest, rel.parent.def.Name)}
		}
		key := strings.ToLower(rel.name + "." + pf.Name)
		if seen[key] {
			return &soqlError{Code: "DUPLICATE_FIELD", Message: "duplicate field selected: " + rel.name + "." + pf.Name}
		}
		seen[key] = true
		rel.fields = append(rel.fields, pf)
	}
	return nil
}

// relation returns the relationship named name, adding it to the selection
// at its first mention.
func (bq *boundQuery) relation(name string, def *objectDef, tables func(string) *table) (*relation, *soqlError) {
	for _, r := range bq.rels {
		if strings.EqualFold(r.name, name) {
			return r, nil
		}
	}
	for _, f := range def.fields {
		if f.RefTo == "" || !strings.EqualFold(relationshipName(f), name) || tables == nil {
			continue
		}
		parent := tables(f.RefTo)
		if parent == nil {
			break
		}
		r := &relation{name: relationshipName(f), ref: f, parent: parent, pos: len(bq.rels)}
		bq.rels = append(bq.rels, r)
		bq.sel = append(bq.sel, selection{rel: r})
		return r, nil
	}
	return nil, invalidField(name+".x", def)
}

// lookupParents resolves, for every relation, the parent record of each
// row (nil for an empty or dangling lookup). Caller holds the server lock.
func (bq *boundQuery) lookupParents(recs []*rec) [][]*rec {
	if len(bq.rels) == 0 {
		return nil
	}
	out := make([][]*rec, len(bq.rels))
	for i, rel := range bq.rels {
		ps := make([]*rec, len(recs))
		for j, r := range recs {
			if id := r.val(rel.ref.slot); id != "" {
				if p := rel.parent.get(id); p != nil && !p.deleted {
					ps[j] = p
				}
			}
		}
		out[i] = ps
	}
	return out
}

// appendRow renders row i of a cursor as a query record.
func appendRow(b []byte, version string, cur *cursor, i int) []byte {
	r := cur.recs[i]
	b = appendAttributes(b, version, cur.object, r.id)
	for _, s := range cur.sel {
		b = append(b, ',')
		if s.f != nil {
			b = appendQuoted(b, s.f.Name)
			b = append(b, ':')
			b = appendValue(b, s.f, r)
			continue
		}
		b = appendQuoted(b, s.rel.name)
		b = append(b, ':')
		p := cur.parents[s.rel.pos][i]
		if p == nil {
			b = append(b, "null"...)
			continue
		}
		b = appendAttributes(b, version, s.rel.parent.def.Name, p.id)
		for _, f := range s.rel.fields {
			b = append(b, ',')
			b = appendQuoted(b, f.Name)
			b = append(b, ':')
			b = appendValue(b, f, p)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendAttributes opens a record object with its attributes element.
func appendAttributes(b []byte, version, object, id string) []byte {
	b = append(b, `{"attributes":{"type":`...)
	b = appendQuoted(b, object)
	b = append(b, `,"url":"/services/data/`...)
	b = append(b, version...)
	b = append(b, "/sobjects/"...)
	b = append(b, object...)
	b = append(b, '/')
	b = append(b, id...)
	return append(b, `"}`...)
}
