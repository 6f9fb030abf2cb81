package hubspot

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// Sentinel errors returned by Load.
var (
	ErrUnknownObject = errors.New("hubspot sim: unknown object type")
	ErrBadID         = errors.New("hubspot sim: record id is not a positive integer")
)

// record is one stored CRM record. props keys are interned property names.
type record struct {
	id         uint64
	props      map[string]string
	createdAt  time.Time
	updatedAt  time.Time
	archivedAt time.Time
	archived   bool
	origin     uint8                // source of values without stored versions
	baseMs     int64                // time of values without stored versions
	hist       map[string][]version // versions of changed properties only
}

// objStore holds the records of one object type. order lists every id
// ascending (archived included) so list pages resume with a binary search.
type objStore struct {
	ti     int
	schema *schema
	recs   map[uint64]*record
	order  []uint64
	maxID  uint64
	uniq   map[string]map[string]uint64 // unique property -> lower(value) -> id
	merged map[uint64]uint64            // id merged away -> id of the record it became
}

func newObjStore(ti int, now time.Time) *objStore {
	st := &objStore{ti: ti, schema: newSchema(ti, now), recs: map[uint64]*record{},
		uniq: map[string]map[string]uint64{}, merged: map[uint64]uint64{}}
	for name, p := range st.schema.props {
		if p.HasUniqueValue {
			st.uniq[name] = map[string]uint64{}
		}
	}
	return st
}

// indexFrom returns the position in order of the first id >= id.
func (st *objStore) indexFrom(id uint64) int {
	i, _ := slices.BinarySearch(st.order, id)
	return i
}

// insert adds a new record; ids must be allocated above maxID by the caller
// unless sortLater is set.
func (st *objStore) insert(r *record) (unsorted bool) {
	st.recs[r.id] = r
	if n := len(st.order); n > 0 && st.order[n-1] > r.id {
		unsorted = true
	}
	st.order = append(st.order, r.id)
	st.maxID = max(st.maxID, r.id)
	for name := range st.uniq {
		if v := r.props[name]; v != "" {
			st.claim(name, v, r)
		}
	}
	return unsorted
}

// claim points the unique index entry of value at r unless a live record
// already holds it.
func (st *objStore) claim(name, value string, r *record) {
	idx := st.uniq[name]
	k := strings.ToLower(value)
	if cur, taken := idx[k]; taken && cur != r.id {
		if o := st.recs[cur]; o != nil && !o.archived && (r.archived || o.id < r.id) {
			return
		}
	}
	idx[k] = r.id
}

// byUnique finds a live record by a unique property value.
func (st *objStore) byUnique(prop, value string) *record {
	if prop == "hs_object_id" || prop == "" {
		id, err := strconv.ParseUint(value, 10, 64)
		if err != nil {
			return nil
		}
		return st.recs[id]
	}
	idx := st.uniq[prop]
	if idx == nil {
		return nil
	}
	id, ok := idx[strings.ToLower(value)]
	if !ok {
		return nil
	}
	return st.recs[id]
}

// setValue writes one property and keeps the unique indexes current.
// An empty value clears the property, as HubSpot does.
func (st *objStore) setValue(r *record, name, value string) {
	if idx := st.uniq[name]; idx != nil {
		if old := r.props[name]; old != "" && idx[strings.ToLower(old)] == r.id {
			delete(idx, strings.ToLower(old))
		}
		if value != "" {
			st.claim(name, value, r)
		}
	}
	if value == "" {
		delete(r.props, name)
		return
	}
	r.props[name] = value
}

// intern returns the schema's copy of a property name, creating a custom
// string property when it is unknown.
func (st *objStore) intern(name string, now time.Time) string {
	if p, ok := st.schema.props[name]; ok {
		return p.Name
	}
	return st.schema.addCustom(name, now).Name
}

// Load stores seeded records as they are, without API validation. See the
// package documentation for the rules on ids, times and associations.
func (s *Server) Load(object string, recs []seed.Record) error {
	ti, ok := lookupType(object)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownObject, object)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	now := s.now()
	ids := make([]uint64, len(recs))
	next := st.maxID
	for i, r := range recs {
		if r.ID == "" {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSpace(r.ID), 10, 64)
		if err != nil || id == 0 {
			return fmt.Errorf("%w: %s record %d has id %q", ErrBadID, object, i+1, r.ID)
		}
		ids[i] = id
		next = max(next, id)
	}
	unsorted := false
	for i, in := range recs {
		if ids[i] == 0 {
			next++
			ids[i] = next
		}
		rec := &record{id: ids[i], props: make(map[string]string, len(in.Values)+3),
			createdAt: in.CreatedAt, updatedAt: in.UpdatedAt, archived: in.Archived}
		var company string
		for k, v := range in.Values {
			if k == "associatedcompanyid" && ti != 1 {
				company = v
				if ti == 2 { // deals carry it only as an association
					continue
				}
			}
			if v == "" {
				continue
			}
			rec.props[st.intern(k, now)] = v
		}
		s.fillTimes(st, rec, now)
		rec.baseMs = rec.updatedAt.UnixMilli()
		for _, old := range mergedIDs(rec.props["hs_merged_object_ids"]) {
			if old != rec.id && st.recs[old] == nil {
				st.merged[old] = rec.id
				next = max(next, old)
			}
		}
		if old := st.recs[rec.id]; old != nil {
			for name := range st.uniq {
				st.setValue(old, name, "")
			}
			delete(st.recs, old.id)
			st.order = slices.DeleteFunc(st.order, func(id uint64) bool { return id == old.id })
		}
		if st.insert(rec) {
			unsorted = true
		}
		if cid, err := strconv.ParseUint(company, 10, 64); err == nil && cid > 0 {
			s.assoc.add(ti, rec.id, 1, cid, defaultTypeID(ti, 1))
		}
	}
	if unsorted {
		slices.Sort(st.order)
	}
	st.maxID = max(st.maxID, next)
	s.log.Debug("hubspot sim: loaded records", "object", objTypes[ti].name, "count", len(recs))
	return nil
}

// fillTimes derives missing times from properties or Now and writes the
// system properties every record carries.
func (s *Server) fillTimes(st *objStore, r *record, now time.Time) {
	lm := objTypes[st.ti].lastMod
	if r.createdAt.IsZero() {
		r.createdAt = parseTimeOr(r.props["createdate"], now)
	}
	if r.updatedAt.IsZero() {
		r.updatedAt = parseTimeOr(r.props[lm], now)
	}
	if r.archived && r.archivedAt.IsZero() {
		r.archivedAt = r.updatedAt
	}
	r.props["hs_object_id"] = strconv.FormatUint(r.id, 10)
	if r.props["createdate"] == "" {
		r.props["createdate"] = isoTime(r.createdAt)
	}
	if r.props[lm] == "" {
		r.props[lm] = isoTime(r.updatedAt)
	}
}

// parseTimeOr reads an ISO time or epoch milliseconds, else returns def.
func parseTimeOr(v string, def time.Time) time.Time {
	if ms, ok := parseMillis(v); ok {
		return time.UnixMilli(ms).UTC()
	}
	return def
}

// parseMillis reads epoch milliseconds, an RFC 3339 time or a plain date.
func parseMillis(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// Snapshot returns the current state of every object, archived records
// included, with company associations written back as associatedcompanyid.
func (s *Server) Snapshot() map[string][]seed.Record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]seed.Record, len(objTypes))
	for ti, st := range s.stores {
		recs := make([]seed.Record, 0, len(st.order))
		for _, id := range st.order {
			r := st.recs[id]
			vals := maps.Clone(r.props)
			if ti != 1 {
				if es := s.assoc.edges(ti, id, 1); len(es) > 0 {
					vals["associatedcompanyid"] = strconv.FormatUint(es[0].id, 10)
				}
			}
			recs = append(recs, seed.Record{ID: strconv.FormatUint(id, 10), Values: vals,
				CreatedAt: r.createdAt, UpdatedAt: r.updatedAt, Archived: r.archived})
		}
		out[objTypes[ti].name] = recs
	}
	return out
}
