package salesforce

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Query batch sizes: Salesforce answers at most 2,000 rows per batch and
// honours Sforce-Query-Options batchSize between 200 and 2,000.
const (
	maxBatch       = 2000
	minBatch       = 200
	maxOpenCursors = 10
)

// cursor is an open query locator: the result rows fixed at query time.
type cursor struct {
	id      string
	user    string
	object  string
	sel     []selection
	recs    []*rec
	parents [][]*rec // per relation, the parent of each row
	batch   int
}

func invalidType(name string) (int, string, string) {
	return http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported. If you are "+
		"attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference "+
		"your WSDL or the describe call for the appropriate names.", name)
}

func batchSize(r *http.Request) int {
	n := maxBatch
	for _, part := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			continue
		}
		if b, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			n = min(max(b, minBatch), maxBatch)
		}
	}
	return n
}

// handleQuery serves GET query?q= and queryAll?q=.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		writeErr(w, http.StatusBadRequest, "MALFORMED_QUERY", "A query string has to be specified")
		return
	}
	sq, perr := parseSOQL(q)
	if perr != nil {
		writeErr(w, http.StatusBadRequest, perr.Code, perr.Message)
		return
	}
	all := c.segs[0] == "queryAll"
	s.mu.RLock()
	t := s.table(sq.object)
	if t == nil {
		s.mu.RUnlock()
		status, code, msg := invalidType(sq.object)
		writeErr(w, status, code, msg)
		return
	}
	bq, berr := bindQuery(sq, t.def, s.table)
	if berr != nil {
		s.mu.RUnlock()
		writeErr(w, http.StatusBadRequest, berr.Code, berr.Message)
		return
	}
	recs := bq.run(t, all)
	parents := bq.lookupParents(recs)
	object := t.def.Name
	s.mu.RUnlock()

	if bq.count {
		writeRaw(w, http.StatusOK, []byte(fmt.Sprintf(`{"totalSize":%d,"done":true,"records":[]}`, len(recs))))
		return
	}
	cur := &cursor{user: c.user, object: object, sel: bq.sel, recs: recs, parents: parents, batch: batchSize(r)}
	s.writeBatch(w, c.version, cur, 0)
}

// handleQueryMore serves GET query/{locator}-{offset}.
func (s *Server) handleQueryMore(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	loc, off, ok := strings.Cut(c.segs[1], "-")
	offset, err := strconv.Atoi(off)
	s.authMu.Lock()
	cur := s.cursors[loc]
	s.authMu.Unlock()
	if !ok || err != nil || cur == nil || cur.user != c.user || offset <= 0 || offset >= len(cur.recs) {
		writeErr(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.writeBatch(w, c.version, cur, offset)
}

// writeBatch answers one batch of a result starting at offset, opening or
// closing the cursor as needed.
func (s *Server) writeBatch(w http.ResponseWriter, version string, cur *cursor, offset int) {
	end := min(offset+cur.batch, len(cur.recs))
	done := end >= len(cur.recs)
	var next string
	s.authMu.Lock()
	switch {
	case done && cur.id != "":
		s.dropCursor(cur.id)
	case !done && cur.id == "":
		s.openCursor(cur)
	}
	s.authMu.Unlock()
	if !done {
		next = fmt.Sprintf("/services/data/%s/query/%s-%d", version, cur.id, end)
	}
	b := make([]byte, 0, 64+(end-offset)*256)
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(len(cur.recs)), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if next != "" {
		b = append(b, `,"nextRecordsUrl":`...)
		b = appendQuoted(b, next)
	}
	b = append(b, `,"records":[`...)
	for i := offset; i < end; i++ {
		if i > offset {
			b = append(b, ',')
		}
		b = appendRow(b, version, cur, i)
	}
	b = append(b, "]}"...)
	writeRaw(w, http.StatusOK, b)
}

// openCursor registers cur, dropping the user's oldest locator beyond the
// limit of open cursors. Caller holds s.authMu.
func (s *Server) openCursor(cur *cursor) {
	s.curSeq++
	cur.id = makeID("01g", s.curSeq)
	s.cursors[cur.id] = cur
	list := append(s.userCurs[cur.user], cur.id)
	for len(list) > maxOpenCursors {
		delete(s.cursors, list[0])
		list = list[1:]
	}
	s.userCurs[cur.user] = list
}

func (s *Server) dropCursor(id string) {
	cur := s.cursors[id]
	if cur == nil {
		return
	}
	delete(s.cursors, id)
	list := s.userCurs[cur.user]
	for i, x := range list {
		if x == id {
			s.userCurs[cur.user] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

func renderRecord(b *bytes.Buffer, version, object string, fields []*field, r *rec) {
	out := appendAttributes(nil, version, object, r.id)
	for _, f := range fields {
		out = append(out, ',')
		out = appendQuoted(out, f.Name)
		out = append(out, ':')
		out = appendValue(out, f, r)
	}
	b.Write(append(out, '}'))
}

func (s *Server) describeObject(def *objectDef, version string, withFields bool) map[string]any {
	base := "/services/data/" + version + "/sobjects/" + def.Name
	out := map[string]any{
		"name": def.Name, "label": def.Label, "labelPlural": def.Plural, "keyPrefix": def.KeyPrefix,
		"custom": false, "createable": true, "updateable": true, "deletable": true, "queryable": true,
		"retrieveable": true, "searchable": true, "undeletable": true, "replicateable": true,
		"urls": map[string]string{"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
	}
	if withFields {
		fields := make([]map[string]any, 0, len(def.fields))
		for _, f := range def.fields {
			fields = append(fields, describeField(f))
		}
		out["fields"] = fields
		out["childRelationships"] = []any{}
		out["recordTypeInfos"] = []any{}
	}
	return out
}

func (s *Server) handleDescribe(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	s.mu.RLock()
	t := s.table(c.segs[1])
	var out map[string]any
	if t != nil {
		out = s.describeObject(t.def, c.version, true)
	}
	s.mu.RUnlock()
	if t == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleSObjectInfo(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET, POST")
		return
	}
	s.mu.RLock()
	t := s.table(c.segs[1])
	var out map[string]any
	if t != nil {
		out = map[string]any{"objectDescribe": s.describeObject(t.def, c.version, false), "recentItems": []any{}}
	}
	s.mu.RUnlock()
	if t == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// retrieveRecord answers GET sobjects/{S}/{Id}[?fields=a,b].
func (s *Server) retrieveRecord(w http.ResponseWriter, r *http.Request, c *reqCtx, t *table) {
	s.mu.RLock()
	rec := t.get(c.segs[2])
	fields := t.def.fields
	var bad string
	if list := r.URL.Query().Get("fields"); list != "" {
		fields = nil
		for _, name := range strings.Split(list, ",") {
			f := t.def.lookup(strings.TrimSpace(name))
			if f == nil {
				bad = name
				break
			}
			fields = append(fields, f)
		}
	}
	object := t.def.Name
	s.mu.RUnlock()
	switch {
	case bad != "":
		writeErr(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", bad, object))
	case rec == nil:
		notFound(w)
	case rec.deleted:
		writeErr(w, http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
	default:
		var b bytes.Buffer
		renderRecord(&b, c.version, object, fields, rec)
		writeRaw(w, http.StatusOK, b.Bytes())
	}
}
