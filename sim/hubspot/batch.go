package hubspot

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

const batchMax = 100

type batchRequest struct {
	Inputs     []writeInput `json:"inputs"`
	Properties []string     `json:"properties"`
	History    []string     `json:"propertiesWithHistory"`
	IDProperty string       `json:"idProperty"`
	Archived   bool         `json:"archived"`
}

type batchError struct {
	Status   string              `json:"status"`
	Category string              `json:"category"`
	Message  string              `json:"message"`
	Context  map[string][]string `json:"context,omitempty"`
	Errors   []errorDetail       `json:"errors,omitempty"`
}

type batchResponse struct {
	Status      string       `json:"status"`
	Results     []apiObject  `json:"results"`
	NumErrors   int          `json:"numErrors,omitempty"`
	Errors      []batchError `json:"errors,omitempty"`
	StartedAt   string       `json:"startedAt"`
	CompletedAt string       `json:"completedAt"`
}

// batchCollector gathers results and groups per-record errors by category
// and message, listing the affected ids in context.ids.
type batchCollector struct {
	started time.Time
	resp    batchResponse
	index   map[string]int
}

func newBatch(now time.Time) *batchCollector {
	return &batchCollector{started: now, resp: batchResponse{Status: "COMPLETE", Results: []apiObject{}}, index: map[string]int{}}
}

func (b *batchCollector) fail(category, msg, id string, details []errorDetail) {
	b.failAt(category, msg, "ids", id, details)
}

// failAt records a failure naming the record under context[key] (ids, or
// objectWriteTraceId for creates).
func (b *batchCollector) failAt(category, msg, key, id string, details []errorDetail) {
	b.resp.NumErrors++
	group := category + "\x00" + msg
	i, ok := b.index[group]
	if !ok {
		i = len(b.resp.Errors)
		b.index[group] = i
		b.resp.Errors = append(b.resp.Errors, batchError{Status: "error", Category: category, Message: msg,
			Context: map[string][]string{}, Errors: details})
	}
	if id != "" {
		b.resp.Errors[i].Context[key] = append(b.resp.Errors[i].Context[key], id)
	}
	for _, d := range details {
		for _, n := range d.Context["propertyName"] {
			b.resp.Errors[i].Context["propertyName"] = appendUnique(b.resp.Errors[i].Context["propertyName"], n)
		}
	}
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

func (b *batchCollector) write(w http.ResponseWriter, now time.Time, okStatus int) {
	b.resp.StartedAt, b.resp.CompletedAt = isoTime(b.started), isoTime(now)
	status := okStatus
	if b.resp.NumErrors > 0 {
		status = http.StatusMultiStatus
	}
	writeJSON(w, status, b.resp)
}

// batchStart decodes a batch request and checks its size.
func (s *Server) batchStart(w http.ResponseWriter, r *http.Request) (int, *batchRequest, bool) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return 0, nil, false
	}
	var req batchRequest
	if !s.decode(w, r, &req) {
		return 0, nil, false
	}
	if len(req.Inputs) > batchMax {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Too many inputs: %d. A batch accepts at most %d inputs.", len(req.Inputs), batchMax), nil)
		return 0, nil, false
	}
	return ti, &req, true
}

func (s *Server) duplicateIDs(w http.ResponseWriter, inputs []writeInput) bool {
	seen := make(map[string]bool, len(inputs))
	for _, in := range inputs {
		k := strings.ToLower(string(in.ID))
		if seen[k] {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Duplicate IDs found in batch input: ["+string(in.ID)+"]. IDs must be unique", nil)
			return true
		}
		seen[k] = true
	}
	return false
}

func (s *Server) handleBatchRead(w http.ResponseWriter, r *http.Request) {
	ti, req, ok := s.batchStart(w, r)
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stores[ti]
	b := newBatch(s.now())
	names := propNames(ti, req.Properties)
	msg := fmt.Sprintf("Could not get some %s objects, they may be deleted or not exist. Check that ids are valid.", objTypes[ti].upper)
	for _, in := range req.Inputs {
		rec := st.lookup(string(in.ID), req.IDProperty, req.Archived)
		if rec == nil {
			b.fail("OBJECT_NOT_FOUND", msg, string(in.ID), nil)
			continue
		}
		o := st.render(rec, names)
		if len(req.History) > 0 {
			o.PropertiesWithHistory = st.renderHistory(rec, req.History, s.appID)
		}
		b.resp.Results = append(b.resp.Results, o)
	}
	b.write(w, s.now(), http.StatusOK)
}

func (s *Server) handleBatchCreate(w http.ResponseWriter, r *http.Request) {
	ti, req, ok := s.batchStart(w, r)
	if !ok {
		return
	}
	s.createBatch(ti, req).write(w, s.now(), http.StatusCreated)
}

// createBatch writes a batch of creates under the write lock; the answer is
// encoded after the lock is released, so concurrent batches overlap.
func (s *Server) createBatch(ti int, req *batchRequest) *batchCollector {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	b := newBatch(s.now())
	for _, in := range req.Inputs {
		f := s.injected()
		var rec *record
		if f == nil {
			rec, f = s.createOne(ti, in)
		}
		if f != nil {
			b.failAt(f.category, f.message, "objectWriteTraceId", in.TraceID, f.details)
			continue
		}
		b.resp.Results = append(b.resp.Results, st.render(rec, propNames(ti, keys(in.Properties))))
	}
	return b
}

func (s *Server) handleBatchUpdate(w http.ResponseWriter, r *http.Request) {
	ti, req, ok := s.batchStart(w, r)
	if !ok || s.duplicateIDs(w, req.Inputs) {
		return
	}
	s.updateBatch(ti, req).write(w, s.now(), http.StatusOK)
}

// updateBatch writes a batch of updates under the write lock (see createBatch).
func (s *Server) updateBatch(ti int, req *batchRequest) *batchCollector {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	b := newBatch(s.now())
	msg := fmt.Sprintf("Could not update some %s objects, they may be deleted or not exist. Check that ids are valid.", objTypes[ti].upper)
	for _, in := range req.Inputs {
		if f := s.injected(); f != nil {
			b.fail(f.category, f.message, string(in.ID), nil)
			continue
		}
		rec := st.findRecord(string(in.ID), in.IDProperty, false)
		if rec == nil {
			b.fail("OBJECT_NOT_FOUND", msg, string(in.ID), nil)
			continue
		}
		if f := s.updateOne(ti, rec, in.Properties); f != nil {
			b.fail(f.category, f.message, string(in.ID), f.details)
			continue
		}
		b.resp.Results = append(b.resp.Results, st.render(rec, propNames(ti, keys(in.Properties))))
	}
	return b
}

func (s *Server) handleBatchUpsert(w http.ResponseWriter, r *http.Request) {
	ti, req, ok := s.batchStart(w, r)
	if !ok || s.duplicateIDs(w, req.Inputs) {
		return
	}
	b, refused := s.upsertBatch(ti, req)
	if refused != nil {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", refused.message, refused.details)
		return
	}
	b.write(w, s.now(), http.StatusOK)
}

// upsertBatch writes a batch of upserts under the write lock (see
// createBatch), or refuses the whole request as a validation error.
func (s *Server) upsertBatch(ti int, req *batchRequest) (*batchCollector, *writeFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	emailKeyed := false
	for i, in := range req.Inputs {
		p := st.schema.props[in.IDProperty]
		if in.IDProperty != "hs_object_id" && (p == nil || !p.HasUniqueValue) {
			return nil, &writeFailure{message: fmt.Sprintf("inputs[%d].idProperty %q is not a unique property of %s", i, in.IDProperty, objTypes[ti].name)}
		}
		if string(in.ID) == "" {
			return nil, &writeFailure{message: fmt.Sprintf("inputs[%d].id is required", i)}
		}
		emailKeyed = emailKeyed || in.IDProperty == "email"
	}
	if emailKeyed { // HubSpot does not support partial upserts keyed on email
		for _, in := range req.Inputs {
			if _, errs := st.validateWrite(in.Properties, true); len(errs) > 0 {
				return nil, &writeFailure{message: validationMessage(errs), details: errs}
			}
		}
	}
	b := newBatch(s.now())
	for _, in := range req.Inputs {
		id := string(in.ID)
		rec := st.findRecord(id, in.IDProperty, false)
		f := s.injected()
		isNew := rec == nil
		switch {
		case f != nil:
		case rec != nil:
			f = s.updateOne(ti, rec, in.Properties)
		case in.IDProperty == "hs_object_id":
			f = &writeFailure{category: "OBJECT_NOT_FOUND", message: fmt.Sprintf("No %s with hs_object_id %s exists to update", objTypes[ti].singular, id)}
		default:
			props := make(propValues, len(in.Properties)+1)
			for k, v := range in.Properties {
				props[k] = v
			}
			props[in.IDProperty] = id
			rec, f = s.createOne(ti, writeInput{Properties: props})
		}
		if f != nil {
			b.fail(f.category, f.message, id, f.details)
			continue
		}
		o := st.render(rec, propNames(ti, append(keys(in.Properties), in.IDProperty)))
		o.New = &isNew
		b.resp.Results = append(b.resp.Results, o)
	}
	return b, nil
}

func (s *Server) handleBatchArchive(w http.ResponseWriter, r *http.Request) {
	ti, req, ok := s.batchStart(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	b := newBatch(s.now())
	for _, in := range req.Inputs {
		if f := s.injected(); f != nil {
			b.fail(f.category, f.message, string(in.ID), nil)
			continue
		}
		if rec := st.findRecord(string(in.ID), "", false); rec != nil {
			s.archiveOne(st, rec)
		}
	}
	if b.resp.NumErrors > 0 {
		b.write(w, s.now(), http.StatusMultiStatus)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// injected returns a per-record failure when the fault injector fails the
// next record of a batch write.
func (s *Server) injected() *writeFailure {
	if s.faults.FailRecord() {
		return injectedFailure()
	}
	return nil
}
