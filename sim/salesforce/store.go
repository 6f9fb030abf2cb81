package salesforce

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// ErrUnknownObject is returned by Load for objects the simulator does not know.
var ErrUnknownObject = errors.New("salesforce sim: unknown sObject")

// rec is one stored record. Records are immutable once stored: writes store
// a modified copy, so open query cursors keep the state they were built on.
// Field values are strings in slot order; "" is null, as in Salesforce.
type rec struct {
	id       string
	vals     []string
	created  int64 // unix nanoseconds, UTC
	modified int64 // LastModifiedDate and SystemModstamp
	deleted  bool
}

func (r *rec) val(slot int) string {
	if slot < 0 || slot >= len(r.vals) {
		return ""
	}
	return r.vals[slot]
}

func (r *rec) clone(slots int) *rec {
	n := *r
	n.vals = make([]string, max(slots, len(r.vals)))
	copy(n.vals, r.vals)
	return &n
}

// table holds the records of one sObject type in insertion order.
type table struct {
	def     *objectDef
	recs    []*rec
	byID    map[string]int
	counter uint64
	// uniq indexes the live (not deleted) values of unique and external id
	// fields: field name -> lower-cased value -> record ids.
	uniq map[string]map[string][]string
}

func newTable(def *objectDef) *table {
	return &table{def: def, byID: map[string]int{}, uniq: map[string]map[string][]string{}}
}

func (t *table) get(id string) *rec {
	i, ok := t.byID[normalizeID(id)]
	if !ok {
		return nil
	}
	return t.recs[i]
}

func (t *table) newID() string {
	for {
		t.counter++
		id := makeID(t.def.KeyPrefix, t.counter)
		if _, taken := t.byID[id]; !taken {
			return id
		}
	}
}

// put stores r, replacing a record with the same id, and keeps the unique
// indexes current.
func (t *table) put(r *rec) {
	if i, ok := t.byID[r.id]; ok {
		t.unindex(t.recs[i])
		t.recs[i] = r
	} else {
		t.byID[r.id] = len(t.recs)
		t.recs = append(t.recs, r)
	}
	t.index(r)
}

// removeLast drops the most recently appended record (used by rollback).
func (t *table) removeLast(id string) {
	i, ok := t.byID[id]
	if !ok || i != len(t.recs)-1 {
		return
	}
	t.unindex(t.recs[i])
	delete(t.byID, id)
	t.recs[i] = nil
	t.recs = t.recs[:i]
}

func (t *table) indexedFields() []*field {
	var out []*field
	for _, f := range t.def.fields {
		if f.Unique || f.ExternalID {
			out = append(out, f)
		}
	}
	return out
}

func (t *table) index(r *rec) {
	if r.deleted {
		return
	}
	for _, f := range t.indexedFields() {
		v := r.val(f.slot)
		if v == "" {
			continue
		}
		m := t.uniq[f.Name]
		if m == nil {
			m = map[string][]string{}
			t.uniq[f.Name] = m
		}
		k := strings.ToLower(v)
		m[k] = append(m[k], r.id)
	}
}

func (t *table) unindex(r *rec) {
	if r.deleted {
		return
	}
	for _, f := range t.indexedFields() {
		v := r.val(f.slot)
		m := t.uniq[f.Name]
		if v == "" || m == nil {
			continue
		}
		k := strings.ToLower(v)
		ids := m[k]
		for i, id := range ids {
			if id == r.id {
				ids = append(ids[:i:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(m, k)
		} else {
			m[k] = ids
		}
	}
}

// lookupUnique returns the ids of live records whose field equals v
// (case-insensitively).
func (t *table) lookupUnique(f *field, v string) []string {
	return t.uniq[f.Name][strings.ToLower(v)]
}

// reindexField rebuilds the index of one field (after it becomes unique or
// an external id).
func (t *table) reindexField(f *field) {
	m := map[string][]string{}
	for _, r := range t.recs {
		if v := r.val(f.slot); v != "" && !r.deleted {
			k := strings.ToLower(v)
			m[k] = append(m[k], r.id)
		}
	}
	t.uniq[f.Name] = m
}

// stamp returns the next modification time: now at millisecond precision,
// strictly after every earlier stamp. Caller holds s.mu.
func (s *Server) stamp() int64 {
	ms := s.now().UnixMilli()
	if ms <= s.lastStampMs {
		ms = s.lastStampMs + 1
	}
	s.lastStampMs = ms
	return ms * int64(time.Millisecond)
}

// system keys a seed record may carry in Values; they map to record
// metadata rather than to value slots.
func isSystemKey(k string) bool {
	switch strings.ToLower(k) {
	case "id", "isdeleted", "createddate", "lastmodifieddate", "systemmodstamp":
		return true
	}
	return false
}

// Load adds seeded records to object as they are, without validation.
// Records without an id get a fresh one; a record whose id already exists
// replaces it. Unknown value keys become custom string fields.
func (s *Server) Load(object string, recs []seed.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownObject, object)
	}
	now := s.now().UnixNano()
	for i := range recs {
		sr := &recs[i]
		for k := range sr.Values {
			if isSystemKey(k) || t.def.lookup(k) != nil {
				continue
			}
			f := str(k, 255)
			f.Custom = true
			t.def.add(f)
		}
		r := &rec{vals: make([]string, t.def.slots), deleted: sr.Archived}
		r.id = normalizeID(sr.ID)
		created, updated := sr.CreatedAt, sr.UpdatedAt
		for k, v := range sr.Values {
			switch strings.ToLower(k) {
			case "id":
				if r.id == "" {
					r.id = normalizeID(v)
				}
			case "isdeleted":
				if b, ok := parseBool(v); ok && b {
					r.deleted = true
				}
			case "createddate":
				if ts, ok := parseDateTime(v); ok && created.IsZero() {
					created = ts
				}
			case "lastmodifieddate", "systemmodstamp":
				if ts, ok := parseDateTime(v); ok && updated.IsZero() {
					updated = ts
				}
			default:
				r.vals[t.def.lookup(k).slot] = v
			}
		}
		if r.id == "" {
			r.id = t.newID()
		}
		r.created, r.modified = now, now
		if !created.IsZero() {
			r.created = created.UnixNano()
		}
		if !updated.IsZero() {
			r.modified = updated.UnixNano()
		} else if !created.IsZero() {
			r.modified = r.created
		}
		if ms := r.modified / int64(time.Millisecond); ms > s.lastStampMs {
			s.lastStampMs = ms
		}
		t.put(r)
	}
	s.log.Debug("salesforce sim: loaded records", "object", object, "count", len(recs))
	return nil
}

// Snapshot returns every record of every object, deleted ones with
// Archived set, in insertion order. Load(Snapshot()) reproduces the state.
func (s *Server) Snapshot() map[string][]seed.Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]seed.Record, len(s.tables))
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t := s.tables[n]
		recs := make([]seed.Record, 0, len(t.recs))
		for _, r := range t.recs {
			vals := make(map[string]string)
			for _, f := range t.def.fields {
				if v := r.val(f.slot); v != "" && !f.system {
					vals[f.Name] = v
				}
			}
			recs = append(recs, seed.Record{ID: r.id, Values: vals,
				CreatedAt: time.Unix(0, r.created).UTC(), UpdatedAt: time.Unix(0, r.modified).UTC(),
				Archived: r.deleted})
		}
		out[n] = recs
	}
	return out
}

func (s *Server) table(object string) *table {
	for name, t := range s.tables {
		if strings.EqualFold(name, object) {
			return t
		}
	}
	return nil
}
