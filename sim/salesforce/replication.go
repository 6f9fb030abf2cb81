package salesforce

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Replication windows of the sObject Get Updated and Get Deleted resources.
const (
	updatedWindowDays = 30
	deletedWindowDays = 15
	maxReplicationIDs = 600000
)

// parseReplicationTime reads a start or end parameter; the seconds are
// ignored, as the API documents.
func parseReplicationTime(v string) (time.Time, bool) {
	t, ok := parseDateTime(v)
	if !ok {
		if t2, err := time.Parse("2006-01-02T15:04:05Z07:00", strings.TrimSpace(v)); err == nil {
			t, ok = t2.UTC(), true
		}
	}
	return t.Truncate(time.Minute), ok
}

// handleReplication serves GET sobjects/{S}/updated/?start=&end= and
// sobjects/{S}/deleted/?start=&end=.
func (s *Server) handleReplication(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	deleted := c.segs[2] == "deleted"
	q := r.URL.Query()
	start, ok1 := parseReplicationTime(q.Get("start"))
	end, ok2 := parseReplicationTime(q.Get("end"))
	if !ok1 || !ok2 {
		writeErr(w, http.StatusBadRequest, "INVALID_REPLICATION_DATE",
			"start and end must be dateTime values such as 2026-01-01T00:00:00+00:00")
		return
	}
	if !start.Before(end) {
		writeErr(w, http.StatusBadRequest, "INVALID_REPLICATION_DATE", "startDate must chronologically precede endDate")
		return
	}
	now := s.now().UTC()
	days := updatedWindowDays
	if deleted {
		days = deletedWindowDays
	}
	y, m, d := now.Date()
	earliest := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -days)
	if start.Before(earliest) {
		writeErr(w, http.StatusBadRequest, "INVALID_REPLICATION_DATE",
			"startDate cannot be more than "+itoa(days)+" days ago")
		return
	}
	covered := end
	if nowMin := now.Truncate(time.Minute); nowMin.Before(covered) {
		covered = nowMin
	}
	lo, hi := start.UnixNano(), covered.UnixNano()
	type hit struct {
		id string
		at int64
	}
	var hits []hit
	s.mu.RLock()
	t := s.table(c.segs[1])
	if t != nil {
		for _, rec := range t.recs {
			if rec.deleted == deleted && rec.modified >= lo && rec.modified < hi {
				hits = append(hits, hit{rec.id, rec.modified})
			}
		}
	}
	s.mu.RUnlock()
	if t == nil {
		notFound(w)
		return
	}
	if len(hits) > maxReplicationIDs {
		writeErr(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT",
			"record limit reached. cannot submit more than 600000 records into this call; choose a shorter window")
		return
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	var b bytes.Buffer
	if deleted {
		b.WriteString(`{"deletedRecords":[`)
		for i, h := range hits {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"id":`)
			b.Write(quoteJSON(h.id))
			b.WriteString(`,"deletedDate":`)
			b.Write(quoteJSON(formatDateTimeNanos(h.at)))
			b.WriteByte('}')
		}
		b.WriteString(`],"earliestDateAvailable":`)
		b.Write(quoteJSON(formatDateTimeNanos(earliest.UnixNano())))
	} else {
		b.WriteString(`{"ids":[`)
		for i, h := range hits {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(quoteJSON(h.id))
		}
		b.WriteByte(']')
	}
	b.WriteString(`,"latestDateCovered":`)
	b.Write(quoteJSON(formatDateTimeNanos(covered.UnixNano())))
	b.WriteByte('}')
	writeRaw(w, http.StatusOK, b.Bytes())
}

// handleDescribeGlobal serves GET sobjects.
func (s *Server) handleDescribeGlobal(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, "GET")
		return
	}
	s.mu.RLock()
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	objs := make([]map[string]any, 0, len(names))
	for _, n := range names {
		objs = append(objs, s.describeObject(s.tables[n].def, c.version, false))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})
}

// handleSingleUpsert serves PATCH sobjects/{S}/{ExternalIdField}/{value}:
// 201 when created, 200 when updated (API v46.0 and later answer a body
// with created=false), 300 with the matching record URLs when the value
// matches several records.
func (s *Server) handleSingleUpsert(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodPatch {
		methodNotAllowed(w, r, "PATCH")
		return
	}
	var body map[string]any
	if !readJSON(w, r, &body) {
		return
	}
	value, err := url.PathUnescape(c.segs[3])
	if err != nil || value == "" {
		writeErr(w, http.StatusBadRequest, "MALFORMED_ID", "external id value is not valid")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(c.segs[1])
	if t == nil {
		notFound(w)
		return
	}
	f := t.def.lookup(c.segs[2])
	if f == nil || !f.ExternalID || f.system {
		writeErr(w, http.StatusNotFound, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: "+c.segs[2])
		return
	}
	if ids := t.lookupUnique(f, value); len(ids) > 1 {
		urls := make([]string, len(ids))
		for i, id := range ids {
			urls[i] = "/services/data/" + c.version + "/sobjects/" + t.def.Name + "/" + id
		}
		writeJSON(w, http.StatusMultipleChoices, urls)
		return
	}
	for k := range body {
		if strings.EqualFold(k, f.Name) {
			delete(body, k)
		}
	}
	body[f.Name] = value
	body["attributes"] = map[string]any{"type": t.def.Name}
	created := false
	id, errs := s.upsertOne(s.begin(), t, f, body, map[string]int{strings.ToLower(value): 1}, &created)
	if errs != nil {
		writeInputErrors(w, errs)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, saveResult{ID: id, Success: true, Errors: []inputError{}, Created: &created})
}
