package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
)

type assocTypeOut struct {
	Category string  `json:"category"`
	TypeID   int32   `json:"typeId"`
	Label    *string `json:"label"`
}

type assocTarget struct {
	ToObjectID       uint64         `json:"toObjectId"`
	AssociationTypes []assocTypeOut `json:"associationTypes"`
}

func targets(es []edge) []assocTarget {
	ids, types := grouped(es)
	out := make([]assocTarget, 0, len(ids))
	for _, id := range ids {
		t := assocTarget{ToObjectID: id}
		for _, tid := range types[id] {
			t.AssociationTypes = append(t.AssociationTypes, assocTypeOut{Category: "HUBSPOT_DEFINED", TypeID: tid})
		}
		out = append(out, t)
	}
	return out
}

// assocPair resolves the {from} and {to} path values.
func (s *Server) assocPair(w http.ResponseWriter, r *http.Request) (int, int, bool) {
	from, ok := s.objectType(w, r.PathValue("from"))
	if !ok {
		return 0, 0, false
	}
	to, ok := s.objectType(w, r.PathValue("to"))
	if !ok {
		return 0, 0, false
	}
	if from == to {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Associations between %s and %s are not supported", objTypes[from].name, objTypes[to].name), nil)
		return 0, 0, false
	}
	return from, to, true
}

func (s *Server) handleAssocList(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return
	}
	q := r.URL.Query()
	limit, after := 500, 0
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 500)
	}
	if n, err := strconv.Atoi(q.Get("after")); err == nil && n > 0 {
		after = n
	}
	s.mu.RLock()
	all := targets(s.assoc.edges(from, id, to))
	s.mu.RUnlock()
	page := all[min(after, len(all)):min(after+limit, len(all))]
	body := map[string]any{"results": page}
	if after+limit < len(all) {
		body["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(after + limit)}}
	}
	writeJSON(w, http.StatusOK, body)
}

type assocCreated struct {
	FromObjectTypeID string   `json:"fromObjectTypeId"`
	FromObjectID     uint64   `json:"fromObjectId"`
	ToObjectTypeID   string   `json:"toObjectTypeId"`
	ToObjectID       uint64   `json:"toObjectId"`
	Labels           []string `json:"labels"`
}

// exists reports whether a live record of type ti has the given id.
func (s *Server) exists(ti int, id string) (uint64, bool) {
	rec := s.stores[ti].findRecord(id, "", false)
	if rec == nil {
		return 0, false
	}
	return rec.id, true
}

// withPair resolves the {id} and {toId} path values to live records of from
// and to under the write lock and, when both exist, runs fn; it reports
// whether they did. The single-pair v3 and v4 association writes use it.
func (s *Server) withPair(r *http.Request, from, to int, fn func(fromID, toID uint64)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fromID, ok1 := s.exists(from, r.PathValue("id"))
	toID, ok2 := s.exists(to, r.PathValue("toId"))
	if !ok1 || !ok2 {
		return false
	}
	fn(fromID, toID)
	return true
}

// eachPair resolves from.id and to.id of every batch input, records a
// failure in b for pairs with a missing record and runs fn for the others;
// s.mu must be held for writing.
func (s *Server) eachPair(b *batchCollector, from, to int, inputs []assocBatchInput, fn func(in assocBatchInput, fid, tid uint64)) {
	for _, in := range inputs {
		fid, ok1 := s.exists(from, string(in.From.ID))
		tid, ok2 := s.exists(to, string(in.To.ID))
		if !ok1 || !ok2 {
			b.fail("OBJECT_NOT_FOUND", fmt.Sprintf("%s %s or %s %s does not exist", objTypes[from].singular, in.From.ID,
				objTypes[to].singular, in.To.ID), string(in.From.ID), nil)
			continue
		}
		fn(in, fid, tid)
	}
}

// writeAssocBatch answers a v4 association batch: okStatus, or 207 when
// some input failed, with HubSpot's batch envelope around results.
func (s *Server) writeAssocBatch(w http.ResponseWriter, okStatus int, b *batchCollector, results any) {
	status := okStatus
	if b.resp.NumErrors > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, map[string]any{"status": "COMPLETE", "results": results, "numErrors": b.resp.NumErrors,
		"errors": b.resp.Errors, "startedAt": isoTime(b.started), "completedAt": isoTime(s.now())})
}

type assocBatchInput struct {
	From struct {
		ID flexString `json:"id"`
	} `json:"from"`
	To struct {
		ID flexString `json:"id"`
	} `json:"to"`
	ID    flexString `json:"id"`
	Types []struct {
		Category string `json:"associationCategory"`
		TypeID   int32  `json:"associationTypeId"`
	} `json:"types"`
}

func (s *Server) assocBatchStart(w http.ResponseWriter, r *http.Request) (int, int, []assocBatchInput, bool) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return 0, 0, nil, false
	}
	var req struct {
		Inputs []assocBatchInput `json:"inputs"`
	}
	if !s.decode(w, r, &req) {
		return 0, 0, nil, false
	}
	if len(req.Inputs) > batchMax*10 {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Too many inputs: %d. A batch accepts at most %d inputs.", len(req.Inputs), batchMax*10), nil)
		return 0, 0, nil, false
	}
	return from, to, req.Inputs, true
}

func (s *Server) handleAssocBatchRead(w http.ResponseWriter, r *http.Request) {
	from, to, inputs, ok := s.assocBatchStart(w, r)
	if !ok {
		return
	}
	type fromRef struct {
		ID string `json:"id"`
	}
	type item struct {
		From fromRef       `json:"from"`
		To   []assocTarget `json:"to"`
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := newBatch(s.now())
	results := []item{}
	for _, in := range inputs {
		id := string(in.ID)
		if id == "" {
			id = string(in.From.ID)
		}
		n, ok := s.exists(from, id)
		if !ok {
			b.fail("OBJECT_NOT_FOUND", fmt.Sprintf("No %s with id %s exists", objTypes[from].singular, id), id, nil)
			continue
		}
		results = append(results, item{From: fromRef{ID: id}, To: targets(s.assoc.edges(from, n, to))})
	}
	s.writeAssocBatch(w, http.StatusOK, b, results)
}

func (s *Server) handleAssocBatchCreate(w http.ResponseWriter, r *http.Request) {
	from, to, inputs, ok := s.assocBatchStart(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := newBatch(s.now())
	results := []assocCreated{}
	s.eachPair(b, from, to, inputs, func(in assocBatchInput, fid, tid uint64) {
		types := []int32{}
		for _, t := range in.Types {
			types = append(types, t.TypeID)
		}
		if len(types) == 0 {
			types = append(types, defaultTypeID(from, to))
		}
		for _, t := range types {
			if !validType(from, to, t) {
				b.fail("VALIDATION_ERROR", fmt.Sprintf("%d is not a valid association type from %s to %s", t,
					objTypes[from].name, objTypes[to].name), string(in.From.ID), nil)
				return
			}
		}
		for _, t := range types {
			s.associate(from, fid, to, tid, t)
		}
		results = append(results, assocCreated{FromObjectTypeID: objTypes[from].typeID, FromObjectID: fid,
			ToObjectTypeID: objTypes[to].typeID, ToObjectID: tid, Labels: []string{}})
	})
	s.writeAssocBatch(w, http.StatusCreated, b, results)
}
