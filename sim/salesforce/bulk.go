package salesforce

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Bulk API 2.0: ingest jobs (/jobs/ingest) and query jobs (/jobs/query),
// with CSV data. Processing happens when a job is closed (or created, for a
// query), but the documented states stay observable: each read of the job
// info moves a closed job one step, UploadComplete -> InProgress ->
// JobComplete (or Failed), so a client polls as it would against Salesforce.

// Job states.
const (
	stateOpen           = "Open"
	stateUploadComplete = "UploadComplete"
	stateInProgress     = "InProgress"
	stateJobComplete    = "JobComplete"
	stateFailed         = "Failed"
	stateAborted        = "Aborted"
)

// bulkJob is one Bulk API 2.0 job. Its fields are guarded by s.bulkMu.
type bulkJob struct {
	id, user, version string
	query             bool
	object            string
	operation         string
	extField          string
	lineEnding        string // LF or CRLF
	delimiter         string // COMMA, TAB, PIPE, SEMICOLON, CARET, BACKQUOTE
	state             string
	final             string // state reached once processing shows as done
	created, modified int64
	errorMessage      string

	// ingest
	uploads     [][]byte
	header      []string
	success     [][]string
	failed      [][]string
	unprocessed [][]string
	processed   int
	failedN     int

	// query
	soql    string
	cur     *cursor
	csvHead []string
}

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

func (j *bulkJob) comma() rune { return delimiters[j.delimiter] }

// jobOptions reads and checks the CSV options of a job request.
func jobOptions(contentType, lineEnding, delimiter string) (le, del string, msg string) {
	if contentType != "" && contentType != "CSV" {
		return "", "", "contentType must be CSV"
	}
	le, del = "LF", "COMMA"
	if lineEnding != "" {
		le = lineEnding
	}
	if delimiter != "" {
		del = delimiter
	}
	if le != "LF" && le != "CRLF" {
		return "", "", "lineEnding must be LF or CRLF"
	}
	if _, ok := delimiters[del]; !ok {
		return "", "", "columnDelimiter must be one of BACKQUOTE, CARET, COMMA, PIPE, SEMICOLON, TAB"
	}
	return le, del, ""
}

// newJob registers a job. Caller must not hold s.bulkMu.
func (s *Server) newJob(j *bulkJob) {
	now := s.now().UnixNano()
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	s.jobSeq++
	j.id = makeID("750", s.jobSeq)
	j.created, j.modified = now, now
	s.jobs[j.id] = j
}

// job returns the job id of the given kind owned by user, or nil.
func (s *Server) job(id, user string, query bool) *bulkJob {
	s.bulkMu.Lock()
	defer s.bulkMu.Unlock()
	j := s.jobs[normalizeID(id)]
	if j == nil || j.user != user || j.query != query {
		return nil
	}
	return j
}

func jobNotFound(w http.ResponseWriter) {
	writeErr(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

// info renders the job information. Caller holds s.bulkMu.
func (j *bulkJob) info(withContentURL bool) map[string]any {
	out := map[string]any{
		"id": j.id, "operation": j.operation, "object": j.object, "createdById": userID,
		"createdDate": formatDateTimeNanos(j.created), "systemModstamp": formatDateTimeNanos(j.modified),
		"state": j.state, "concurrencyMode": "Parallel", "contentType": "CSV",
		"apiVersion": json.RawMessage(strings.TrimPrefix(j.version, "v")),
		"lineEnding": j.lineEnding, "columnDelimiter": j.delimiter,
	}
	if j.query {
		out["jobType"] = "V2Query"
		out["isPkChunkingSupported"] = false
		out["numberRecordsProcessed"] = j.processed
		out["retries"] = 0
		out["totalProcessingTime"] = 0
	} else {
		out["jobType"] = "V2Ingest"
		if j.extField != "" {
			out["externalIdFieldName"] = j.extField
		}
		if withContentURL {
			out["contentUrl"] = "services/data/" + j.version + "/jobs/ingest/" + j.id + "/batches"
		}
		if !withContentURL {
			out["numberRecordsProcessed"] = j.processed
			out["numberRecordsFailed"] = j.failedN
			out["retries"] = 0
			out["totalProcessingTime"] = 0
			out["apiActiveProcessingTime"] = 0
			out["apexProcessingTime"] = 0
		}
	}
	if j.errorMessage != "" && (j.state == stateFailed || j.state == stateJobComplete) {
		out["errorMessage"] = j.errorMessage
	}
	return out
}

// advance moves a closed job one step towards its final state, as a poll
// observes it. Caller holds s.bulkMu.
func (j *bulkJob) advance(now int64) {
	switch j.state {
	case stateUploadComplete:
		j.state = stateInProgress
	case stateInProgress:
		j.state = j.final
	default:
		return
	}
	j.modified = now
}

func (j *bulkJob) finished() bool {
	return j.state == stateJobComplete || j.state == stateFailed || j.state == stateAborted
}

// appendCSVRow appends one CSV row with every value quoted, as Bulk API 2.0
// writes its results.
func appendCSVRow(b []byte, row []string, comma rune, crlf bool) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, string(comma)...)
		}
		b = append(b, '"')
		b = append(b, strings.ReplaceAll(v, `"`, `""`)...)
		b = append(b, '"')
	}
	if crlf {
		b = append(b, '\r')
	}
	return append(b, '\n')
}

func writeCSV(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "text/csv")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// handleJobCommon serves GET and DELETE of a job and the PATCH that aborts
// or closes it; it reports whether it answered.
func (s *Server) handleJobCommon(w http.ResponseWriter, r *http.Request, c *reqCtx, query bool) bool {
	if len(c.segs) != 3 {
		return false
	}
	j := s.job(c.segs[2], c.user, query)
	if j == nil {
		jobNotFound(w)
		return true
	}
	switch r.Method {
	case http.MethodGet:
		s.bulkMu.Lock()
		j.advance(s.now().UnixNano())
		out := j.info(false)
		s.bulkMu.Unlock()
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		s.bulkMu.Lock()
		defer s.bulkMu.Unlock()
		if !j.finished() && j.state != stateOpen {
			writeErr(w, http.StatusBadRequest, "INVALIDJOBSTATE", "a job must be complete, failed or aborted to be deleted")
			return true
		}
		delete(s.jobs, j.id)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPatch:
		var body struct {
			State string `json:"state"`
		}
		if !readJSON(w, r, &body) {
			return true
		}
		s.changeState(w, j, body.State)
	default:
		methodNotAllowed(w, r, "GET, PATCH, DELETE")
	}
	return true
}

// changeState closes (UploadComplete, ingest only) or aborts a job.
func (s *Server) changeState(w http.ResponseWriter, j *bulkJob, state string) {
	s.bulkMu.Lock()
	cur := j.state
	s.bulkMu.Unlock()
	switch {
	case state == stateAborted && !(cur == stateJobComplete || cur == stateFailed || cur == stateAborted):
		s.bulkMu.Lock()
		j.state, j.final, j.modified = stateAborted, stateAborted, s.now().UnixNano()
		if !j.query && cur == stateOpen {
			j.unprocessed = s.pendingRows(j)
		}
	case state == stateUploadComplete && !j.query && cur == stateOpen:
		s.processIngest(j) // takes the locks it needs
		s.bulkMu.Lock()
		j.state, j.modified = stateUploadComplete, s.now().UnixNano()
	default:
		writeErr(w, http.StatusBadRequest, "INVALIDJOBSTATE",
			"Invalid state transition from "+cur+" to "+state)
		return
	}
	out := j.info(false)
	s.bulkMu.Unlock()
	writeJSON(w, http.StatusOK, out)
}
