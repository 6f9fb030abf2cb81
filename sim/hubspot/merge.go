package hubspot

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// maxIdentities is how many record ids (its own and those merged into it)
// one record may carry; HubSpot answers 414 "Cannot have more than 250
// identities on a profile" past it.
const maxIdentities = 250

// mergedIDs parses hs_merged_object_ids, a semicolon-separated list.
func mergedIDs(v string) []uint64 {
	var out []uint64
	for _, p := range strings.Split(v, ";") {
		if id, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// resolve finds a live record by id, following merges: the id of a record
// merged away answers the record it became.
func (st *objStore) resolve(id string) *record {
	if rec := st.findRecord(id, "", false); rec != nil {
		return rec
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return nil
	}
	if to, ok := st.merged[n]; ok {
		if rec := st.recs[to]; rec != nil && !rec.archived {
			return rec
		}
	}
	return nil
}

type mergeInput struct {
	PrimaryObjectID flexString `json:"primaryObjectId"`
	ObjectIDToMerge flexString `json:"objectIdToMerge"`
}

// handleMerge merges two records of one type as HubSpot does today: both
// are replaced by a new record with a new id that takes the primary's
// values, fills the rest from the other record, keeps both histories and
// associations, and lists every id merged into it in hs_merged_object_ids.
// Both old ids still answer GET with the new record.
func (s *Server) handleMerge(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	var in mergeInput
	if !s.decode(w, r, &in) {
		return
	}
	if in.PrimaryObjectID == "" || in.ObjectIDToMerge == "" {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "primaryObjectId and objectIdToMerge are required", nil)
		return
	}
	s.mu.Lock()
	st := s.stores[ti]
	primary := st.findRecord(string(in.PrimaryObjectID), "", false)
	other := st.findRecord(string(in.ObjectIDToMerge), "", false)
	var fail *writeFailure
	switch {
	case primary == nil || other == nil:
		fail = &writeFailure{status: http.StatusNotFound, category: "OBJECT_NOT_FOUND", message: "resource not found"}
	case primary == other:
		fail = &writeFailure{status: http.StatusBadRequest, category: "VALIDATION_ERROR",
			message: fmt.Sprintf("Cannot merge %s %d with itself", objTypes[ti].singular, primary.id)}
	}
	var o apiObject
	if fail == nil {
		ids := mergedSet(primary, other)
		if len(ids)+1 > maxIdentities {
			fail = &writeFailure{status: http.StatusRequestURITooLong, category: "VALIDATION_ERROR",
				message: fmt.Sprintf("Cannot have more than %d identities on a profile", maxIdentities)}
		} else {
			rec := s.merge(st, primary, other, ids)
			o = st.render(rec, propNames(ti, nil))
		}
	}
	s.mu.Unlock()
	if fail != nil {
		s.respondFailure(w, fail)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// mergedSet lists both records' ids and the ids merged into them, sorted.
func mergedSet(a, b *record) []uint64 {
	ids := []uint64{a.id, b.id}
	ids = append(ids, mergedIDs(a.prop("hs_merged_object_ids"))...)
	ids = append(ids, mergedIDs(b.prop("hs_merged_object_ids"))...)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// merge replaces primary and other by a new record; s.mu must be held for
// writing.
func (s *Server) merge(st *objStore, primary, other *record, ids []uint64) *record {
	now := s.now()
	lm := objTypes[st.ti].lastMod
	rec := st.newRecord()
	*rec = record{id: st.maxID + 1, keys: st.keys, createdMs: primary.createdMs,
		updatedMs: now.UnixMilli(), origin: srcIntegration, baseMs: now.UnixMilli(), hist: map[string][]version{}}
	props := other.propMap()
	maps.Copy(props, primary.propMap())
	system := map[string]bool{"hs_object_id": true, "createdate": true, lm: true, "hs_merged_object_ids": true}
	for name := range props {
		if system[name] {
			continue
		}
		vs := append(slices.Clone(other.versionsOf(name, lm)), primary.versionsOf(name, lm)...)
		slices.SortStableFunc(vs, func(a, b version) int { return cmp.Compare(a.ms, b.ms) })
		if len(vs) > historyMax {
			vs = vs[len(vs)-historyMax:]
		}
		rec.hist[name] = vs
	}
	strIDs := make([]string, len(ids))
	for i, id := range ids {
		strIDs[i] = strconv.FormatUint(id, 10)
	}
	props["hs_object_id"] = strconv.FormatUint(rec.id, 10)
	props["createdate"] = primary.prop("createdate")
	props["hs_merged_object_ids"] = strings.Join(strIDs, ";")
	props[lm] = isoTime(now)
	rec.setProps(props)

	for _, old := range []*record{other, primary} {
		for name, idx := range st.uniq {
			if v := old.prop(name); v != "" && idx[strings.ToLower(v)] == old.id {
				delete(idx, strings.ToLower(v))
			}
		}
		delete(st.recs, old.id)
		st.unlist(old)
	}
	st.insert(rec)
	// The other record's unique values stay taken by the merged record, as
	// HubSpot keeps a merged contact's email.
	for name, idx := range st.uniq {
		if v := other.prop(name); v != "" {
			if _, taken := idx[strings.ToLower(v)]; !taken {
				idx[strings.ToLower(v)] = rec.id
			}
		}
	}
	for _, id := range ids {
		st.merged[id] = rec.id
	}
	for _, old := range []uint64{primary.id, other.id} {
		s.moveAssociations(st.ti, old, rec.id)
	}
	return rec
}

// moveAssociations points every association of record from at record to.
func (s *Server) moveAssociations(ti int, from, to uint64) {
	a := s.assoc
	for tj := range objTypes {
		if tj == ti {
			continue
		}
		es := a.m[ti][tj][from]
		delete(a.m[ti][tj], from)
		for _, e := range es {
			back := a.m[tj][ti]
			back[e.id] = slices.DeleteFunc(back[e.id], func(b edge) bool { return b.id == from })
			a.add(ti, to, tj, e.id, e.typeID)
		}
	}
}
