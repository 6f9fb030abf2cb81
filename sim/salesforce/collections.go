package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

const maxCollection = 200

// saveResult is one element of an sObject Collections answer.
type saveResult struct {
	ID      string       `json:"id,omitempty"`
	Success bool         `json:"success"`
	Errors  []inputError `json:"errors"`
	Created *bool        `json:"created,omitempty"`
}

type collectionBody struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

func tooMany(w http.ResponseWriter) {
	writeErr(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT",
		"record limit reached. cannot submit more than 200 records into this call")
}

func typeOf(body map[string]any) string {
	attrs, _ := body["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	return typ
}

const rolledBack = "Record rolled back because not all records were valid and the request was using AllOrNone header"

// handleCollections serves the sObject Collections create, update, upsert
// and delete requests.
func (s *Server) handleCollections(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	n := len(c.segs)
	switch {
	case n == 2 && r.Method == http.MethodDelete:
		s.collectionDelete(w, r)
		return
	case n == 2 && (r.Method == http.MethodPost || r.Method == http.MethodPatch):
	case n == 4 && r.Method == http.MethodPatch:
	case n == 2 || n == 4:
		methodNotAllowed(w, r, map[int]string{2: "POST, PATCH, DELETE", 4: "PATCH"}[n])
		return
	default:
		notFound(w)
		return
	}
	var body collectionBody
	if !readJSON(w, r, &body) {
		return
	}
	if len(body.Records) > maxCollection {
		tooMany(w)
		return
	}
	if body.Records == nil {
		writeErr(w, http.StatusBadRequest, "INVALID_FIELD", "records is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.begin()
	results := make([]saveResult, len(body.Records))
	switch {
	case n == 4:
		t := s.table(c.segs[2])
		if t == nil {
			status, code, msg := invalidType(c.segs[2])
			writeErr(w, status, code, msg)
			return
		}
		f := t.def.lookup(c.segs[3])
		if f == nil || !f.ExternalID || f.system {
			writeErr(w, http.StatusNotFound, "NOT_FOUND",
				"Provided external ID field does not exist or is not accessible: "+c.segs[3])
			return
		}
		s.upsertAll(tx, t, f, body.Records, results)
	case r.Method == http.MethodPost:
		for i, rec := range body.Records {
			t, errs := s.recordTable(rec)
			if errs == nil {
				errs = s.failRecord("")
			}
			if errs == nil {
				var id string
				id, errs = tx.create(t, rec)
				results[i].ID = id
			}
			results[i].Success, results[i].Errors = errs == nil, nonNil(errs)
		}
	default:
		for i, rec := range body.Records {
			id := idOf(rec)
			results[i].ID = id
			var errs []inputError
			if id == "" {
				errs = errOne("MISSING_ARGUMENT", "Id not specified in an update call", fID)
			} else if t, found := s.findByID(normalizeID(id)); t == nil || found == nil {
				errs = errOne("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			} else if typ := typeOf(rec); typ != "" && !strings.EqualFold(typ, t.def.Name) {
				errs = errOne("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			} else if errs = s.failRecord(normalizeID(id)); errs == nil {
				errs = tx.update(t, id, rec)
			}
			results[i].Success, results[i].Errors = errs == nil, nonNil(errs)
		}
	}
	s.finish(tx, body.AllOrNone, n == 2 && r.Method == http.MethodPost, results)
	writeJSON(w, http.StatusOK, results)
}

// idOf is a record's Id; field names are case-insensitive, and
// Salesforce's own Collections examples write "id".
func idOf(rec map[string]any) string {
	for k, v := range rec {
		if strings.EqualFold(k, fID) {
			id, _ := v.(string)
			return id
		}
	}
	return ""
}

func nonNil(errs []inputError) []inputError {
	if errs == nil {
		return []inputError{}
	}
	return errs
}

// finish rolls back an allOrNone request with failures: records that
// failed keep their errors, the others report the rollback.
func (s *Server) finish(tx *txn, allOrNone, creates bool, results []saveResult) {
	failed := false
	for _, r := range results {
		failed = failed || !r.Success
	}
	if !allOrNone || !failed {
		return
	}
	tx.rollback()
	for i, r := range results {
		if r.Created != nil {
			results[i].Created = new(bool)
		}
		if !r.Success {
			continue
		}
		if creates || (r.Created != nil && *r.Created) {
			results[i].ID = ""
		}
		results[i].Success = false
		results[i].Errors = errOne("ALL_OR_NONE_OPERATION_ROLLED_BACK", rolledBack)
	}
}

func (s *Server) recordTable(rec map[string]any) (*table, []inputError) {
	typ := typeOf(rec)
	if typ == "" {
		return nil, errOne("INVALID_TYPE", "Must send a concrete entity type.")
	}
	t := s.table(typ)
	if t == nil {
		return nil, errOne("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", typ))
	}
	return t, nil
}

func externalValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

func (s *Server) upsertAll(tx *txn, t *table, f *field, recs []map[string]any, results []saveResult) {
	keyCount := map[string]int{}
	for _, rec := range recs {
		if v := externalValue(findKey(rec, f.Name)); v != "" {
			keyCount[strings.ToLower(v)]++
		}
	}
	for i, rec := range recs {
		created := false
		if errs := s.failRecord(""); errs != nil {
			results[i] = saveResult{Success: false, Errors: errs, Created: &created}
			continue
		}
		id, errs := s.upsertOne(tx, t, f, rec, keyCount, &created)
		results[i] = saveResult{ID: id, Success: errs == nil, Errors: nonNil(errs), Created: &created}
	}
}

func findKey(rec map[string]any, name string) any {
	for k, v := range rec {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func (s *Server) upsertOne(tx *txn, t *table, f *field, rec map[string]any, keyCount map[string]int, created *bool) (string, []inputError) {
	if typ := typeOf(rec); typ == "" {
		return "", errOne("INVALID_TYPE", "Must send a concrete entity type.")
	} else if !strings.EqualFold(typ, t.def.Name) {
		return "", errOne("INVALID_TYPE", fmt.Sprintf("Records of type %s are not allowed in an upsert of %s", typ, t.def.Name))
	}
	if findKey(rec, fID) != nil {
		return "", errOne("INVALID_FIELD_FOR_INSERT_UPDATE", "Only external ids are supported in an upsert; do not set Id", fID)
	}
	v := externalValue(findKey(rec, f.Name))
	if v == "" {
		return "", errOne("MISSING_ARGUMENT", f.Name+" not specified", f.Name)
	}
	if keyCount[strings.ToLower(v)] > 1 {
		return "", errOne("DUPLICATE_VALUE", "Duplicate external id specified: "+truncate(v, 80), f.Name)
	}
	ids := t.lookupUnique(f, v)
	switch len(ids) {
	case 0:
		*created = true
		id, errs := tx.create(t, rec)
		if errs != nil {
			*created = false
		}
		return id, errs
	case 1:
		return ids[0], tx.update(t, ids[0], rec)
	}
	return "", errOne("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("%s: more than one record found for external id field: [%s]",
		f.Name, strings.Join(ids, ", ")), f.Name)
}

// collectionDelete serves DELETE composite/sobjects?ids=a,b&allOrNone=.
func (s *Server) collectionDelete(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw := q.Get("ids")
	if strings.TrimSpace(raw) == "" {
		writeErr(w, http.StatusBadRequest, "MISSING_ARGUMENT", "ids is required")
		return
	}
	ids := strings.Split(raw, ",")
	if len(ids) > maxCollection {
		tooMany(w)
		return
	}
	allOrNone := strings.EqualFold(q.Get("allOrNone"), "true")
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := s.begin()
	results := make([]saveResult, len(ids))
	for i, id := range ids {
		id = strings.TrimSpace(id)
		errs := s.failRecord(normalizeID(id))
		if errs == nil {
			errs = tx.remove(normalizeID(id))
		}
		results[i] = saveResult{ID: id, Success: errs == nil, Errors: nonNil(errs)}
		if errs == nil {
			results[i].ID = normalizeID(id)
		}
	}
	s.finish(tx, allOrNone, false, results)
	writeJSON(w, http.StatusOK, results)
}

// handleCreate serves POST sobjects/{S}.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var body map[string]any
	if !readJSON(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(c.segs[1])
	if t == nil {
		notFound(w)
		return
	}
	id, errs := s.begin().create(t, body)
	if errs != nil {
		writeInputErrors(w, errs)
		return
	}
	writeJSON(w, http.StatusCreated, saveResult{ID: id, Success: true, Errors: []inputError{}})
}

func writeInputErrors(w http.ResponseWriter, errs []inputError) {
	out := make([]apiError, len(errs))
	for i, e := range errs {
		out[i] = apiError{Message: e.Message, ErrorCode: e.StatusCode, Fields: e.Fields}
	}
	status := http.StatusBadRequest
	if len(errs) == 1 && (errs[0].StatusCode == "ENTITY_IS_DELETED" || errs[0].StatusCode == "INVALID_CROSS_REFERENCE_KEY") {
		status = http.StatusNotFound
	}
	writeJSON(w, status, out)
}

// handleRecord serves GET, PATCH and DELETE sobjects/{S}/{Id}.
func (s *Server) handleRecord(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.mu.RLock()
	t := s.table(c.segs[1])
	s.mu.RUnlock()
	if t == nil {
		notFound(w)
		return
	}
	id := normalizeID(c.segs[2])
	switch r.Method {
	case http.MethodGet:
		s.retrieveRecord(w, r, c, t)
	case http.MethodPatch:
		var body map[string]any
		if !readJSON(w, r, &body) {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.get(id) == nil {
			notFound(w)
			return
		}
		if errs := s.begin().update(t, id, body); errs != nil {
			writeInputErrors(w, errs)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.get(id) == nil {
			notFound(w)
			return
		}
		if errs := s.begin().remove(id); errs != nil {
			writeInputErrors(w, errs)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		methodNotAllowed(w, r, "GET, PATCH, DELETE")
	}
}
