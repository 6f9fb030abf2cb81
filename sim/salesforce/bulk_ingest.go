package salesforce

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxUpload bounds one upload of job data (Salesforce: 150 MB base64).
const maxUpload = 100 << 20

var ingestOperations = map[string]bool{"insert": true, "update": true, "upsert": true, "delete": true}

// handleIngest serves /jobs/ingest and /jobs/ingest/{id}[/...].
func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	switch n := len(c.segs); {
	case n == 2 && r.Method == http.MethodPost:
		s.createIngest(w, r, c)
	case n == 2:
		methodNotAllowed(w, r, "POST")
	case n == 3:
		s.handleJobCommon(w, r, c, false)
	case n == 4 && c.segs[3] == "batches":
		s.uploadIngest(w, r, c)
	case n == 4 && r.Method == http.MethodGet:
		s.ingestResults(w, c)
	default:
		notFound(w)
	}
}

func (s *Server) createIngest(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	var body struct {
		Object, Operation, ExternalIDFieldName, ContentType, LineEnding, ColumnDelimiter string
	}
	if !readJSON(w, r, &body) {
		return
	}
	le, del, msg := jobOptions(body.ContentType, body.LineEnding, body.ColumnDelimiter)
	if msg == "" && !ingestOperations[body.Operation] {
		msg = "InvalidJob : Invalid operation: " + body.Operation
	}
	s.mu.RLock()
	t := s.table(body.Object)
	var object string
	if t != nil {
		object = t.def.Name
		if body.Operation == "upsert" {
			f := t.def.lookup(body.ExternalIDFieldName)
			if f == nil || !f.ExternalID {
				msg = "InvalidJob : Field name provided, " + body.ExternalIDFieldName + " is not an External ID or indexed field for " + object
			} else {
				body.ExternalIDFieldName = f.Name
			}
		}
	}
	s.mu.RUnlock()
	switch {
	case msg != "":
		writeErr(w, http.StatusBadRequest, "INVALIDJOB", msg)
		return
	case t == nil:
		writeErr(w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Invalid object: "+body.Object)
		return
	}
	ext := ""
	if body.Operation == "upsert" {
		ext = body.ExternalIDFieldName
	}
	j := &bulkJob{user: c.user, version: c.version, object: object, operation: body.Operation, extField: ext,
		lineEnding: le, delimiter: del, state: stateOpen}
	s.newJob(j)
	s.bulkMu.Lock()
	out := j.info(true)
	s.bulkMu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// uploadIngest serves PUT /jobs/ingest/{id}/batches with text/csv data.
func (s *Server) uploadIngest(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	if r.Method != http.MethodPut {
		methodNotAllowed(w, r, "PUT")
		return
	}
	j := s.job(c.segs[2], c.user, false)
	if j == nil {
		jobNotFound(w)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "text/csv" {
		writeErr(w, http.StatusBadRequest, "INVALIDJOB", "Content-Type must be text/csv")
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxUpload+1))
	if err != nil || len(data) > maxUpload {
		writeErr(w, http.StatusRequestEntityTooLarge, "INVALIDJOB", "job data exceeds the upload limit")
		return
	}
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	if j.state != stateOpen {
		writeErr(w, http.StatusConflict, "INVALIDJOBSTATE", "Job data can only be uploaded to a job in the Open state")
		return
	}
	j.uploads = append(j.uploads, data)
	j.modified = s.now().UnixNano()
	w.WriteHeader(http.StatusCreated)
}

// readRows parses the uploads of j: every upload starts with the same
// header row.
func readRows(j *bulkJob) ([]string, [][]string, error) {
	var header []string
	var rows [][]string
	for _, up := range j.uploads {
		cr := csv.NewReader(bytes.NewReader(up))
		cr.Comma = j.comma()
		cr.FieldsPerRecord = 0
		recs, err := cr.ReadAll()
		if err != nil {
			return nil, nil, errors.New("InvalidBatch : " + err.Error())
		}
		if len(recs) == 0 {
			continue
		}
		if header == nil {
			header = recs[0]
		} else if strings.Join(header, "\x00") != strings.Join(recs[0], "\x00") {
			return nil, nil, errors.New("InvalidBatch : every upload must start with the same header row")
		}
		rows = append(rows, recs[1:]...)
	}
	if header == nil {
		return nil, nil, errors.New("InvalidBatch : no data uploaded")
	}
	return header, rows, nil
}

// pendingRows returns the uploaded rows, for unprocessedrecords.
func (s *Server) pendingRows(j *bulkJob) [][]string {
	header, rows, err := readRows(j)
	if err != nil {
		return nil
	}
	j.header = header
	return rows
}

// processIngest applies the rows of a closed job, one transaction per row.
func (s *Server) processIngest(j *bulkJob) {
	s.bulkMu.Lock()
	header, rows, err := readRows(j)
	s.bulkMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(j.object)
	var fields []*field
	for _, h := range header {
		f := t.def.lookup(h)
		if f == nil && err == nil {
			err = errors.New("InvalidBatch : Field name not found : " + h)
		}
		fields = append(fields, f)
	}
	idCol := -1
	for i, f := range fields {
		if f != nil && f.Name == fID {
			idCol = i
		}
	}
	if err == nil && (j.operation == "update" || j.operation == "delete") && idCol < 0 {
		err = errors.New("InvalidBatch : Field name not found : Id")
	}
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	j.header = header
	if err != nil {
		j.final, j.errorMessage, j.unprocessed = stateFailed, err.Error(), rows
		return
	}
	var ext *field
	keyCount := map[string]int{}
	if j.operation == "upsert" {
		ext = t.def.lookup(j.extField)
		for i, f := range fields {
			for _, row := range rows {
				if f == ext && i < len(row) && row[i] != "" {
					keyCount[strings.ToLower(row[i])]++
				}
			}
		}
	}
	for _, row := range rows {
		rec := map[string]any{"attributes": map[string]any{"type": t.def.Name}}
		id := ""
		for i, f := range fields {
			if i >= len(row) || row[i] == "" {
				continue
			}
			switch {
			case i == idCol:
				id = row[i]
			case row[i] == "#N/A":
				rec[f.Name] = nil
			default:
				rec[f.Name] = row[i]
			}
		}
		created := false
		errs := s.failRecord(normalizeID(id))
		if errs == nil {
			tx := s.begin()
			switch j.operation {
			case "insert":
				id, errs = tx.create(t, rec)
				created = errs == nil
			case "update":
				errs = tx.update(t, normalizeID(id), rec)
			case "upsert":
				id, errs = s.upsertOne(tx, t, ext, rec, keyCount, &created)
			case "delete":
				if owner, _ := s.findByID(normalizeID(id)); owner != nil && owner != t {
					errs = errOne("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
				} else {
					errs = tx.remove(normalizeID(id))
				}
			}
		}
		j.processed++
		if errs != nil {
			j.failedN++
			e := errs[0]
			msg := e.StatusCode + ":" + e.Message + ":" + strings.Join(e.Fields, ",") + " --"
			j.failed = append(j.failed, append([]string{normalizeID(id), msg}, row...))
			continue
		}
		j.success = append(j.success, append([]string{normalizeID(id), boolText(created)}, row...))
	}
	j.final = stateJobComplete
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ingestResults serves successfulResults, failedResults and
// unprocessedrecords of a finished job.
func (s *Server) ingestResults(w http.ResponseWriter, c *reqCtx) {
	j := s.job(c.segs[2], c.user, false)
	if j == nil {
		jobNotFound(w)
		return
	}
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	var head []string
	var rows [][]string
	switch c.segs[3] {
	case "successfulResults":
		head, rows = append([]string{"sf__Id", "sf__Created"}, j.header...), j.success
	case "failedResults":
		head, rows = append([]string{"sf__Id", "sf__Error"}, j.header...), j.failed
	case "unprocessedrecords":
		head, rows = j.header, j.unprocessed
	default:
		notFound(w)
		return
	}
	if !j.finished() {
		writeErr(w, http.StatusBadRequest, "INVALIDJOBSTATE", "results are available once the job is complete, failed or aborted")
		return
	}
	crlf := j.lineEnding == "CRLF"
	var b []byte
	if len(head) > 0 {
		b = appendCSVRow(b, head, j.comma(), crlf)
	}
	for _, row := range rows {
		b = appendCSVRow(b, row, j.comma(), crlf)
	}
	writeCSV(w, b)
}
