package salesforce

import (
	"net/http"
	"strconv"
	"strings"
)

// defaultMaxRecords is how many rows one results request returns when the
// client sets no maxRecords.
const defaultMaxRecords = 50000

// handleBulkQuery serves /jobs/query and /jobs/query/{id}[/results].
func (s *Server) handleBulkQuery(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	switch n := len(c.segs); {
	case n == 2 && r.Method == http.MethodPost:
		s.createQueryJob(w, r, c)
	case n == 2:
		methodNotAllowed(w, r, "POST")
	case n == 3:
		s.handleJobCommon(w, r, c, true)
	case n == 4 && c.segs[3] == "results" && r.Method == http.MethodGet:
		s.queryResults(w, r, c)
	default:
		notFound(w)
	}
}

func (s *Server) createQueryJob(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var body struct {
		Operation, Query, ContentType, LineEnding, ColumnDelimiter string
	}
	if !readJSON(w, r, &body) {
		return
	}
	le, del, msg := jobOptions(body.ContentType, body.LineEnding, body.ColumnDelimiter)
	if msg == "" && body.Operation != "query" && body.Operation != "queryAll" {
		msg = "InvalidJob : Invalid operation: " + body.Operation
	}
	if msg != "" {
		writeErr(w, http.StatusBadRequest, "INVALIDJOB", msg)
		return
	}
	sq, perr := parseSOQL(body.Query)
	if perr != nil {
		writeErr(w, http.StatusBadRequest, perr.Code, perr.Message)
		return
	}
	if sq.count || sq.offset >= 0 {
		writeErr(w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : COUNT() and OFFSET are not supported by Bulk API 2.0 query")
		return
	}
	s.mu.RLock()
	t := s.table(sq.object)
	if t == nil {
		s.mu.RUnlock()
		status, code, m := invalidType(sq.object)
		writeErr(w, status, code, m)
		return
	}
	bq, berr := bindQuery(sq, t.def, s.table)
	if berr != nil {
		s.mu.RUnlock()
		writeErr(w, http.StatusBadRequest, berr.Code, berr.Message)
		return
	}
	recs := bq.run(t, body.Operation == "queryAll")
	cur := &cursor{user: c.user, object: t.def.Name, sel: bq.sel, recs: recs, parents: bq.lookupParents(recs)}
	s.mu.RUnlock()
	var head []string
	for _, sel := range bq.sel {
		if sel.f != nil {
			head = append(head, sel.f.Name)
			continue
		}
		for _, f := range sel.rel.fields {
			head = append(head, sel.rel.name+"."+f.Name)
		}
	}
	j := &bulkJob{query: true, user: c.user, version: c.version, object: cur.object, operation: body.Operation,
		lineEnding: le, delimiter: del, state: stateUploadComplete, final: stateJobComplete, soql: body.Query,
		cur: cur, csvHead: head, processed: len(recs)}
	s.newJob(j)
	s.bulkMu.Lock()
	out := j.info(false)
	delete(out, "numberRecordsProcessed")
	delete(out, "retries")
	delete(out, "totalProcessingTime")
	delete(out, "isPkChunkingSupported")
	delete(out, "jobType")
	s.bulkMu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// queryResults serves GET /jobs/query/{id}/results?locator=&maxRecords=.
func (s *Server) queryResults(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	j := s.job(c.segs[2], c.user, true)
	if j == nil {
		jobNotFound(w)
		return
	}
	s.bulkMu.Lock()
	state, version, cur, head := j.state, j.version, j.cur, j.csvHead
	comma, crlf := j.comma(), j.lineEnding == "CRLF"
	s.bulkMu.Unlock()
	if state != stateJobComplete {
		writeErr(w, http.StatusBadRequest, "INVALIDJOBSTATE", "results are available once the job is JobComplete; it is "+state)
		return
	}
	if version != c.version {
		writeErr(w, http.StatusConflict, "INVALIDJOBSTATE", "use the API version the job was created with: "+version)
		return
	}
	q := r.URL.Query()
	offset := 0
	if loc := q.Get("locator"); loc != "" {
		n, err := strconv.Atoi(loc)
		if err != nil || n <= 0 || n > len(cur.recs) {
			writeErr(w, http.StatusBadRequest, "INVALID_LOCATOR", "invalid locator: "+loc)
			return
		}
		offset = n
	}
	limit := defaultMaxRecords
	if v := q.Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeErr(w, http.StatusBadRequest, "INVALID_MAX_RECORDS", "maxRecords must be a positive integer")
			return
		}
		limit = n
	}
	end := min(offset+limit, len(cur.recs))
	b := appendCSVRow(make([]byte, 0, 64+(end-offset)*200), head, comma, crlf)
	row := make([]string, 0, len(head))
	for i := offset; i < end; i++ {
		row = csvRow(row[:0], cur, i)
		b = appendCSVRow(b, row, comma, crlf)
	}
	next := "null"
	if end < len(cur.recs) {
		next = strconv.Itoa(end)
	}
	w.Header().Set("Sforce-Locator", next)
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(end-offset))
	writeCSV(w, b)
}

// csvRow renders row i of a cursor as Bulk API 2.0 CSV values: null is
// empty, datetimes are UTC with a Z.
func csvRow(out []string, cur *cursor, i int) []string {
	r := cur.recs[i]
	for _, sel := range cur.sel {
		if sel.f != nil {
			out = append(out, csvValue(sel.f, r))
			continue
		}
		p := cur.parents[sel.rel.pos][i]
		for _, f := range sel.rel.fields {
			if p == nil {
				out = append(out, "")
			} else {
				out = append(out, csvValue(f, p))
			}
		}
	}
	return out
}

func csvValue(f *field, r *rec) string {
	raw := string(appendValue(nil, f, r))
	switch {
	case raw == "null":
		return ""
	case strings.HasPrefix(raw, `"`):
		s, err := strconv.Unquote(raw)
		if err != nil {
			s = strings.Trim(raw, `"`)
		}
		if f.Type == typeDateTime || f.Name == fCreatedDate || f.Name == fLastModifiedDate || f.Name == fSystemModstamp {
			if t, ok := parseDateTime(s); ok {
				return t.Format("2006-01-02T15:04:05.000Z")
			}
		}
		return s
	}
	return raw
}
