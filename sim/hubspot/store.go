package hubspot

import (
	"cmp"
	"errors"
	"fmt"
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

// record is one stored CRM record. Its values live in one pointer-free
// string (see propSet) keyed by the object type's property ids, so a
// million records cost the garbage collector little.
type record struct {
	id         uint64
	props      propSet
	keys       *propKeys // the object type's property ids, shared
	createdMs  int64     // times in epoch milliseconds (HubSpot's precision)
	updatedMs  int64
	archivedMs int64
	baseMs     int64                // time of values without stored versions
	hist       map[string][]version // versions of changed properties only
	archived   bool
	origin     uint8 // source of values without stored versions
}

// objStore holds the records of one object type. order lists every record
// by ascending id (archived included) so list pages resume in O(1) when ids
// are dense and with a binary search otherwise.
type objStore struct {
	ti     int
	schema *schema
	keys   *propKeys
	slab   []record // chunk newRecord carves records from
	recs   map[uint64]*record
	order  []*record
	maxID  uint64
	uniq   map[string]map[string]uint64 // unique property -> lower(value) -> id
	merged map[uint64]uint64            // id merged away -> id of the record it became
}

func newObjStore(ti int, now time.Time) *objStore {
	st := &objStore{ti: ti, schema: newSchema(ti, now), keys: newPropKeys(), recs: map[uint64]*record{},
		uniq: map[string]map[string]uint64{}, merged: map[uint64]uint64{}}
	for name, p := range st.schema.props {
		if p.HasUniqueValue {
			st.uniq[name] = map[string]uint64{}
		}
	}
	return st
}

// recordChunk is how many records newRecord allocates at a time.
const recordChunk = 1024

// newRecord returns a zero record carved from a chunk, so records are a
// few large allocations rather than one each. Chunks are never grown in
// place, so the pointer stays valid.
func (st *objStore) newRecord() *record {
	if len(st.slab) == cap(st.slab) {
		st.slab = make([]record, 0, recordChunk)
	}
	st.slab = st.slab[:len(st.slab)+1]
	return &st.slab[len(st.slab)-1]
}

// indexFrom returns the position in order of the first record with an id
// >= id. Ids are usually dense (loaded or created one after the other), so
// the position id - first id is tried before a binary search.
func (st *objStore) indexFrom(id uint64) int {
	n := len(st.order)
	if n == 0 || id <= st.order[0].id {
		return 0
	}
	if g := id - st.order[0].id; g < uint64(n) && st.order[g].id == id {
		return int(g)
	}
	i, _ := slices.BinarySearchFunc(st.order, id, func(r *record, id uint64) int { return cmp.Compare(r.id, id) })
	return i
}

// sortOrder restores ascending id order.
func (st *objStore) sortOrder() {
	slices.SortFunc(st.order, func(a, b *record) int { return cmp.Compare(a.id, b.id) })
}

// unlist removes r from order.
func (st *objStore) unlist(r *record) {
	if i := st.indexFrom(r.id); i < len(st.order) && st.order[i] == r {
		st.order = slices.Delete(st.order, i, i+1)
		return
	}
	st.order = slices.DeleteFunc(st.order, func(o *record) bool { return o == r })
}

// insert adds a new record; ids must be allocated above maxID by the caller
// unless sortLater is set.
func (st *objStore) insert(r *record) (unsorted bool) {
	st.recs[r.id] = r
	if n := len(st.order); n > 0 && st.order[n-1].id > r.id {
		unsorted = true
	}
	st.order = append(st.order, r)
	st.maxID = max(st.maxID, r.id)
	for name := range st.uniq {
		if v := r.prop(name); v != "" {
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
	st.reindex(r, name, value)
	if value == "" {
		r.drop(name)
		return
	}
	r.put(name, value)
}

// reindex moves r's unique index entry of name from its current value to
// value, before the value is written.
func (st *objStore) reindex(r *record, name, value string) {
	idx := st.uniq[name]
	if idx == nil {
		return
	}
	if old := r.prop(name); old != "" && idx[strings.ToLower(old)] == r.id {
		delete(idx, strings.ToLower(old))
	}
	if value != "" {
		st.claim(name, value, r)
	}
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
	// Values are encoded back to back and turned into one string per ~1 MB,
	// so the records of a load share a few large allocations.
	built := make([]*record, len(recs))
	company := make([]string, len(recs))
	var vals []pv
	var buf []byte
	var ends []int
	flush := func(upto int) {
		str := string(buf)
		start := 0
		for j, end := range ends {
			built[upto-len(ends)+j].props = propSet(str[start:end])
			start = end
		}
		buf, ends = buf[:0], ends[:0]
	}
	for i, in := range recs {
		if ids[i] == 0 {
			next++
			ids[i] = next
		}
		rec := st.newRecord()
		*rec = record{id: ids[i], keys: st.keys, archived: in.Archived}
		built[i] = rec
		vals = vals[:0]
		for k, v := range in.Values {
			if k == "associatedcompanyid" && ti != 1 {
				company[i] = v
				if ti == 2 { // deals carry it only as an association
					continue
				}
			}
			if v == "" {
				continue
			}
			vals = append(vals, pv{st.keys.id(st.intern(k, now)), v})
		}
		vals = s.fillTimes(st, rec, in.CreatedAt, in.UpdatedAt, vals, now)
		rec.baseMs = rec.updatedMs
		buf = appendPropSet(buf, vals)
		ends = append(ends, len(buf))
		if len(buf) >= 1<<20 {
			flush(i + 1)
		}
		for _, old := range mergedIDs(in.Values["hs_merged_object_ids"]) {
			next = max(next, old) // ids merged away are never handed out again
		}
	}
	flush(len(recs))
	unsorted := false
	for i, rec := range built {
		for _, old := range mergedIDs(rec.prop("hs_merged_object_ids")) {
			if old != rec.id && st.recs[old] == nil {
				st.merged[old] = rec.id
			}
		}
		if old := st.recs[rec.id]; old != nil {
			for name := range st.uniq {
				st.setValue(old, name, "")
			}
			delete(st.recs, old.id)
			st.unlist(old)
		}
		if st.insert(rec) {
			unsorted = true
		}
		if cid, err := strconv.ParseUint(company[i], 10, 64); err == nil && cid > 0 {
			s.assoc.add(ti, rec.id, 1, cid, defaultTypeID(ti, 1))
		}
	}
	if unsorted {
		st.sortOrder()
	}
	st.maxID = max(st.maxID, next)
	s.log.Debug("hubspot sim: loaded records", "object", objTypes[ti].name, "count", len(recs))
	return nil
}

// fillTimes sets the record's times from the seeded ones or, when zero,
// derives them from the values being loaded (non-empty, with distinct ids)
// or Now, and adds the system properties every record carries. Seeded times
// win over the values: a snapshot holds both, and a record edited after it
// (gen.Mutate moves UpdatedAt) must be found by a search on its new time.
func (s *Server) fillTimes(st *objStore, r *record, createdAt, updatedAt time.Time, vals []pv, now time.Time) []pv {
	lm := objTypes[st.ti].lastMod
	idCreate, idMod, idObj := st.keys.id("createdate"), st.keys.id(lm), st.keys.id("hs_object_id")
	var created, modified string
	for i := 0; i < len(vals); i++ {
		drop := false
		switch vals[i].id {
		case idCreate:
			created, drop = vals[i].value, !createdAt.IsZero()
		case idMod:
			modified, drop = vals[i].value, !updatedAt.IsZero()
		case idObj:
			drop = true
		}
		if drop {
			vals = slices.Delete(vals, i, i+1)
			i--
		}
	}
	if !createdAt.IsZero() {
		created = ""
	}
	if !updatedAt.IsZero() {
		modified = ""
	}
	if createdAt.IsZero() {
		createdAt = parseTimeOr(created, now)
	}
	if updatedAt.IsZero() {
		updatedAt = parseTimeOr(modified, now)
	}
	r.createdMs, r.updatedMs = createdAt.UnixMilli(), updatedAt.UnixMilli()
	if r.archived {
		r.archivedMs = r.updatedMs
	}
	vals = append(vals, pv{idObj, strconv.FormatUint(r.id, 10)})
	if created == "" {
		vals = append(vals, pv{idCreate, isoMillis(r.createdMs)})
	}
	if modified == "" && idMod != idCreate {
		vals = append(vals, pv{idMod, isoMillis(r.updatedMs)})
	}
	return vals
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
	if ms, ok := parseISOMillis(v); ok {
		return ms, true
	}
	if integer(v) {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
			return ms, true
		}
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
		for _, r := range st.order {
			id := r.id
			vals := r.propMap()
			if ti != 1 {
				if es := s.assoc.edges(ti, id, 1); len(es) > 0 {
					vals["associatedcompanyid"] = strconv.FormatUint(es[0].id, 10)
				}
			}
			recs = append(recs, seed.Record{ID: strconv.FormatUint(id, 10), Values: vals,
				CreatedAt: msTime(r.createdMs), UpdatedAt: msTime(r.updatedMs), Archived: r.archived})
		}
		out[objTypes[ti].name] = recs
	}
	return out
}
