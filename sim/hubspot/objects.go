package hubspot

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

const (
	listDefaultLimit = 10
	listMaxLimit     = 100
	// listMaxWithHistory caps pages that ask for propertiesWithHistory
	// (HubSpot: "usage of this parameter will reduce the maximum number of
	// objects that can be read by a single request").
	listMaxWithHistory = 50
)

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	q := r.URL.Query()
	limit := listDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "limit must be a positive integer, got "+strconv.Quote(v), nil)
			return
		}
		limit = min(n, listMaxLimit)
	}
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid paging cursor after="+strconv.Quote(v), nil)
			return
		}
		after = n
	}
	archived := queryBool(q, "archived")
	names := propNames(ti, splitList(q["properties"]))
	withHist := splitList(q["propertiesWithHistory"])
	if len(withHist) > 0 {
		limit = min(limit, listMaxWithHistory)
	}
	to := assocTypes(q)

	bp := pageBuf.Get().(*[]byte)
	buf := append((*bp)[:0], `"results":[`...)
	s.mu.RLock()
	st := s.stores[ti]
	plan := st.plan(names)
	next, n := uint64(0), 0
	for i := st.indexFrom(after); i < len(st.order); i++ {
		rec := st.order[i]
		if rec.archived != archived {
			continue
		}
		if n == limit {
			next = rec.id
			break
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		buf = plan.appendRecord(buf, rec)
		if len(withHist) > 0 {
			if h := st.renderHistory(rec, withHist, s.appID); len(h) > 0 {
				buf = appendField(buf, "propertiesWithHistory", h)
			}
		}
		if len(to) > 0 {
			var o apiObject
			if s.withAssociations(&o, ti, rec.id, to); len(o.Associations) > 0 {
				buf = appendField(buf, "associations", o.Associations)
			}
		}
		buf = append(buf, '}')
	}
	s.mu.RUnlock()
	buf = append(buf, ']', '}', '\n')

	prefix := []byte{'{'}
	if next != 0 {
		// encoding/json sorts map keys: paging comes before results.
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.FormatUint(next, 10))
		link := fmt.Sprintf("%s://%s%s?%s", scheme(r), r.Host, r.URL.Path, nq.Encode())
		head := append(make([]byte, 0, 64+len(link)), `{"paging":{"next":{"after":"`...)
		head = strconv.AppendUint(head, next, 10)
		head = append(head, `","link":`...)
		head = appendJSONString(head, link)
		head = append(head, `}},`...)
		prefix = head
	}
	*bp = buf
	writeRaw(w, http.StatusOK, prefix, bp)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// findRecord resolves {id} with an optional idProperty; archived records
// only when allowed.
func (st *objStore) findRecord(id, idProperty string, archived bool) *record {
	var rec *record
	if idProperty == "" || idProperty == "hs_object_id" {
		rec = st.byUnique("", id)
	} else if p, ok := st.schema.props[idProperty]; ok && p.HasUniqueValue {
		rec = st.byUnique(idProperty, id)
	}
	if rec == nil || rec.archived != archived {
		return nil
	}
	return rec
}

// lookup is findRecord for reads: a plain id of a record merged away
// answers the record it became.
func (st *objStore) lookup(id, idProperty string, archived bool) *record {
	if (idProperty == "" || idProperty == "hs_object_id") && !archived {
		return st.resolve(id)
	}
	return st.findRecord(id, idProperty, archived)
}

func (s *Server) notFound(w http.ResponseWriter) {
	s.writeError(w, http.StatusNotFound, "OBJECT_NOT_FOUND", "resource not found", nil)
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	q := r.URL.Query()
	names := propNames(ti, splitList(q["properties"]))
	s.mu.RLock()
	st := s.stores[ti]
	rec := st.lookup(r.PathValue("id"), q.Get("idProperty"), queryBool(q, "archived"))
	var o apiObject
	if rec != nil {
		o = st.render(rec, names)
		if withHist := splitList(q["propertiesWithHistory"]); len(withHist) > 0 {
			o.PropertiesWithHistory = st.renderHistory(rec, withHist, s.appID)
		}
		s.withAssociations(&o, ti, rec.id, assocTypes(q))
	}
	s.mu.RUnlock()
	if rec == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

type assocInput struct {
	To struct {
		ID flexString `json:"id"`
	} `json:"to"`
	Types []struct {
		Category string `json:"associationCategory"`
		TypeID   int32  `json:"associationTypeId"`
	} `json:"types"`
}

type writeInput struct {
	ID           flexString   `json:"id"`
	IDProperty   string       `json:"idProperty"`
	Properties   propValues   `json:"properties"`
	Associations []assocInput `json:"associations"`
	TraceID      string       `json:"objectWriteTraceId"`
}

// writeFailure is a per-record failure of a write.
type writeFailure struct {
	status   int
	category string
	message  string
	details  []errorDetail
}

func (s *Server) respondFailure(w http.ResponseWriter, f *writeFailure) {
	s.writeError(w, f.status, f.category, f.message, f.details)
}

// createOne validates and stores one record; s.mu must be held for writing.
func (s *Server) createOne(ti int, in writeInput) (*record, *writeFailure) {
	st := s.stores[ti]
	vals, errs := st.validateWrite(in.Properties, true)
	if len(errs) > 0 {
		return nil, &writeFailure{http.StatusBadRequest, "VALIDATION_ERROR", validationMessage(errs), errs}
	}
	if id := st.conflict(vals, 0); id != 0 {
		return nil, &writeFailure{status: http.StatusConflict, category: "CONFLICT",
			message: fmt.Sprintf("%s already exists. Existing ID: %d", capitalize(objTypes[ti].singular), id)}
	}
	for _, a := range in.Associations {
		if f := s.checkAssocInput(ti, a); f != nil {
			return nil, f
		}
	}
	rec := st.create(vals, s.now())
	for _, a := range in.Associations {
		s.associateInput(ti, rec.id, a)
	}
	return rec, nil
}

// checkAssocInput validates an association given with a create.
func (s *Server) checkAssocInput(ti int, a assocInput) *writeFailure {
	for _, t := range a.Types {
		for tj := range objTypes {
			if tj != ti && validType(ti, tj, t.TypeID) {
				id, err := strconv.ParseUint(string(a.To.ID), 10, 64)
				if err != nil || s.stores[tj].findRecord(strconv.FormatUint(id, 10), "", false) == nil {
					return &writeFailure{status: http.StatusBadRequest, category: "VALIDATION_ERROR",
						message: fmt.Sprintf("Association target %s %q does not exist", objTypes[tj].singular, a.To.ID)}
				}
				return nil
			}
		}
		return &writeFailure{status: http.StatusBadRequest, category: "VALIDATION_ERROR",
			message: fmt.Sprintf("%d is not a valid association type id for %s", t.TypeID, objTypes[ti].name)}
	}
	return nil
}

func (s *Server) associateInput(ti int, id uint64, a assocInput) {
	toID, _ := strconv.ParseUint(string(a.To.ID), 10, 64)
	for _, t := range a.Types {
		for tj := range objTypes {
			if tj != ti && validType(ti, tj, t.TypeID) {
				s.associate(ti, id, tj, toID, t.TypeID)
			}
		}
	}
}

// associate adds an association and keeps a contact's primary company
// property in step; s.mu must be held for writing.
func (s *Server) associate(ti int, id uint64, tj int, toID uint64, typeID int32) {
	s.assoc.add(ti, id, tj, toID, typeID)
	contact, company := id, toID
	if objTypes[ti].name == "companies" {
		ti, tj, contact, company = tj, ti, toID, id
	}
	if objTypes[ti].name == "contacts" && objTypes[tj].name == "companies" {
		if rec := s.stores[ti].recs[contact]; rec != nil && rec.prop("associatedcompanyid") == "" {
			rec.put("associatedcompanyid", strconv.FormatUint(company, 10))
		}
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	var in writeInput
	if !s.decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	rec, fail := s.createOne(ti, in)
	var o apiObject
	if rec != nil {
		o = s.stores[ti].render(rec, propNames(ti, keys(in.Properties)))
	}
	s.mu.Unlock()
	if fail != nil {
		s.respondFailure(w, fail)
		return
	}
	writeJSON(w, http.StatusCreated, o)
}

// updateOne validates and applies an update; s.mu must be held for writing.
func (s *Server) updateOne(ti int, rec *record, props propValues) *writeFailure {
	st := s.stores[ti]
	vals, errs := st.validateWrite(props, false)
	if len(errs) > 0 {
		return &writeFailure{http.StatusBadRequest, "VALIDATION_ERROR", validationMessage(errs), errs}
	}
	if id := st.conflict(vals, rec.id); id != 0 {
		return &writeFailure{status: http.StatusConflict, category: "CONFLICT",
			message: fmt.Sprintf("%s already exists. Existing ID: %d", capitalize(objTypes[ti].singular), id)}
	}
	st.apply(rec, vals, s.now())
	return nil
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	var in writeInput
	if !s.decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	st := s.stores[ti]
	rec := st.findRecord(r.PathValue("id"), r.URL.Query().Get("idProperty"), false)
	var fail *writeFailure
	var o apiObject
	if rec == nil {
		fail = &writeFailure{status: http.StatusNotFound, category: "OBJECT_NOT_FOUND", message: "resource not found"}
	} else if fail = s.updateOne(ti, rec, in.Properties); fail == nil {
		o = st.render(rec, propNames(ti, keys(in.Properties)))
	}
	s.mu.Unlock()
	if fail != nil {
		s.respondFailure(w, fail)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// archiveOne archives a live record; s.mu must be held for writing.
func (s *Server) archiveOne(st *objStore, rec *record) {
	now := s.now()
	rec.archived = true
	rec.archivedMs = now.UnixMilli()
	rec.updatedMs = rec.archivedMs
	rec.put(objTypes[st.ti].lastMod, isoTime(now))
}

func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	s.mu.Lock()
	st := s.stores[ti]
	if rec := st.findRecord(r.PathValue("id"), "", false); rec != nil {
		s.archiveOne(st, rec)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// queryBool reads a boolean query parameter as HubSpot does, ignoring case:
// HubSpot's Python client sends archived=True.
func queryBool(q url.Values, name string) bool {
	return strings.EqualFold(q.Get(name), "true")
}
