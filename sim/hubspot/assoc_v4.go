package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
)

// The v4 association writes beside batch/create: default associations
// (single and batch), labelled create with a body of association specs, and
// archive (single and batch), with the answer shapes of HubSpot's reference.

type objectRef struct {
	ID string `json:"id"`
}

type assocSpec struct {
	Category string `json:"associationCategory"`
	TypeID   int32  `json:"associationTypeId"`
}

// defaultAssociation is one result of a default-association answer
// (PublicDefaultAssociation).
type defaultAssociation struct {
	From objectRef `json:"from"`
	To   objectRef `json:"to"`
	Spec assocSpec `json:"associationSpec"`
}

// defaultResults associates from->to with the default type and returns both
// directions, as HubSpot answers; s.mu must be held for writing.
func (s *Server) defaultResults(from int, fromID uint64, to int, toID uint64) []defaultAssociation {
	t := defaultTypeID(from, to)
	s.associate(from, fromID, to, toID, t)
	f, o := strconv.FormatUint(fromID, 10), strconv.FormatUint(toID, 10)
	return []defaultAssociation{
		{From: objectRef{f}, To: objectRef{o}, Spec: assocSpec{"HUBSPOT_DEFINED", t}},
		{From: objectRef{o}, To: objectRef{f}, Spec: assocSpec{"HUBSPOT_DEFINED", reverseOf(from, to, t)}},
	}
}

// handleAssocDefault serves PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}.
func (s *Server) handleAssocDefault(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	started := s.now()
	var results []defaultAssociation
	if !s.withPair(r, from, to, func(fromID, toID uint64) {
		results = s.defaultResults(from, fromID, to, toID)
	}) {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "COMPLETE", "results": results,
		"startedAt": isoTime(started), "completedAt": isoTime(s.now())})
}

// handleAssocBatchDefault serves POST /crm/v4/associations/{from}/{to}/batch/associate/default.
func (s *Server) handleAssocBatchDefault(w http.ResponseWriter, r *http.Request) {
	from, to, inputs, ok := s.assocBatchStart(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := newBatch(s.now())
	results := []defaultAssociation{}
	s.eachPair(b, from, to, inputs, func(_ assocBatchInput, fid, tid uint64) {
		results = append(results, s.defaultResults(from, fid, to, tid)...)
	})
	s.writeAssocBatch(w, http.StatusOK, b, results)
}

// handleAssocCreate serves PUT /crm/v4/objects/{from}/{id}/associations/{to}/{toId}
// with a body listing the association types to add; it answers 201 with
// the pair (LabelsBetweenObjectPair).
func (s *Server) handleAssocCreate(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	var specs []assocSpec
	if !s.decode(w, r, &specs) {
		return
	}
	if len(specs) == 0 {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "At least one association type is required", nil)
		return
	}
	for _, sp := range specs {
		if sp.Category == "HUBSPOT_DEFINED" && !validType(from, to, sp.TypeID) {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("%d is not a valid association type from %s to %s",
				sp.TypeID, objTypes[from].name, objTypes[to].name), nil)
			return
		}
	}
	var created assocCreated
	if !s.withPair(r, from, to, func(fromID, toID uint64) {
		for _, sp := range specs {
			s.associate(from, fromID, to, toID, sp.TypeID)
		}
		created = assocCreated{FromObjectTypeID: objTypes[from].typeID, FromObjectID: fromID,
			ToObjectTypeID: objTypes[to].typeID, ToObjectID: toID, Labels: []string{}}
	}) {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

// handleAssocArchive serves DELETE /crm/v4/objects/{from}/{id}/associations/{to}/{toId}:
// every association between the two records goes; 204 either way.
func (s *Server) handleAssocArchive(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	s.withPair(r, from, to, func(fromID, toID uint64) { s.unassociate(from, fromID, to, toID) })
	w.WriteHeader(http.StatusNoContent)
}

// handleAssocBatchArchive serves POST /crm/v4/associations/{from}/{to}/batch/archive
// with inputs [{from: {id}, to: [{id}, ...]}]; it answers 204.
func (s *Server) handleAssocBatchArchive(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	var req struct {
		Inputs []struct {
			From struct {
				ID flexString `json:"id"`
			} `json:"from"`
			To []struct {
				ID flexString `json:"id"`
			} `json:"to"`
		} `json:"inputs"`
	}
	if !s.decode(w, r, &req) {
		return
	}
	if len(req.Inputs) > batchMax*10 {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Too many inputs: %d. A batch accepts at most %d inputs.", len(req.Inputs), batchMax*10), nil)
		return
	}
	s.mu.Lock()
	for _, in := range req.Inputs {
		fid, ok := s.exists(from, string(in.From.ID))
		if !ok {
			continue
		}
		for _, t := range in.To {
			if tid, ok := s.exists(to, string(t.ID)); ok {
				s.unassociate(from, fid, to, tid)
			}
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// unassociate removes every association between two records and clears a
// contact's associatedcompanyid that named the company; s.mu must be held
// for writing.
func (s *Server) unassociate(ti int, id uint64, tj int, toID uint64) {
	s.assoc.remove(ti, id, tj, toID)
	contacts, companies := ti, tj
	contact, company := id, toID
	if objTypes[ti].name == "companies" {
		contacts, companies, contact, company = tj, ti, toID, id
	}
	if objTypes[contacts].name != "contacts" || objTypes[companies].name != "companies" {
		return
	}
	rec := s.stores[contacts].recs[contact]
	if rec == nil || rec.prop("associatedcompanyid") != strconv.FormatUint(company, 10) {
		return
	}
	rec.put("associatedcompanyid", "")
	if es := s.assoc.edges(contacts, contact, companies); len(es) > 0 {
		rec.put("associatedcompanyid", strconv.FormatUint(es[0].id, 10))
	}
}
