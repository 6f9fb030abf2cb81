package salesforce

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// maxRetrieveIDs bounds one sObject Collections retrieve request.
const maxRetrieveIDs = 2000

// handleCollectionRetrieve serves the sObject Collections retrieve:
// GET composite/sobjects/{S}?ids=...&fields=... or POST with {"ids", "fields"}.
// The answer lists the records in the order of ids, null where an id has no
// live record.
func (s *Server) handleCollectionRetrieve(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var ids, names []string
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		ids, names = splitComma(q.Get("ids")), splitComma(q.Get("fields"))
	case http.MethodPost:
		var body struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		ids, names = body.IDs, body.Fields
	default:
		methodNotAllowed(w, r, "GET, POST")
		return
	}
	switch {
	case len(ids) == 0:
		writeErr(w, http.StatusBadRequest, "MISSING_ARGUMENT", "ids parameter is required")
		return
	case len(names) == 0:
		writeErr(w, http.StatusBadRequest, "MISSING_ARGUMENT", "fields parameter is required")
		return
	case len(ids) > maxRetrieveIDs:
		writeErr(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", fmt.Sprintf("too many ids: at most %d", maxRetrieveIDs))
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.table(c.segs[2])
	if t == nil {
		status, code, msg := invalidType(c.segs[2])
		writeErr(w, status, code, msg)
		return
	}
	fields := make([]*field, 0, len(names))
	for _, name := range names {
		f := t.def.lookup(strings.TrimSpace(name))
		if f == nil {
			writeErr(w, http.StatusBadRequest, "INVALID_FIELD",
				fmt.Sprintf("No such column '%s' on sobject of type %s", truncate(name, 80), t.def.Name))
			return
		}
		fields = append(fields, f)
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		rec := t.get(normalizeID(strings.TrimSpace(id)))
		if rec == nil || rec.deleted {
			b.WriteString("null")
			continue
		}
		renderRecord(&b, c.version, t.def.Name, fields, rec)
	}
	b.WriteByte(']')
	writeRaw(w, http.StatusOK, b.Bytes())
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// handleExternalRetrieve serves GET sobjects/{S}/{ExternalIdField}/{value}
// (optionally ?fields=): the record whose External ID field holds value,
// 404 when none does, 300 with the record URLs when several do.
func (s *Server) handleExternalRetrieve(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	value, err := url.PathUnescape(c.segs[3])
	if err != nil || value == "" {
		writeErr(w, http.StatusBadRequest, "MALFORMED_ID", "external id value is not valid")
		return
	}
	s.mu.RLock()
	t := s.table(c.segs[1])
	if t == nil {
		s.mu.RUnlock()
		notFound(w)
		return
	}
	f := t.def.lookup(c.segs[2])
	if f == nil || !(f.ExternalID || f.Name == fID) {
		s.mu.RUnlock()
		writeErr(w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+c.segs[2])
		return
	}
	var ids []string
	if f.Name == fID {
		ids = []string{normalizeID(value)}
	} else {
		ids = slices.Clone(t.lookupUnique(f, value))
	}
	s.mu.RUnlock()
	switch len(ids) {
	case 0:
		notFound(w)
	case 1:
		c.segs = []string{c.segs[0], c.segs[1], ids[0]}
		s.retrieveRecord(w, r, c, t)
	default:
		urls := make([]string, len(ids))
		for i, id := range ids {
			urls[i] = "/services/data/" + c.version + "/sobjects/" + t.def.Name + "/" + id
		}
		writeJSON(w, http.StatusMultipleChoices, urls)
	}
}
