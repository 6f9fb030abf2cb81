package salesforce

import (
	"fmt"
	"net/http"

	"github.com/crmhub/crmhub/sim/fault"
)

// Salesforce answers for injected faults. The REST API reports a spent
// concurrent-request allowance as 403 REQUEST_LIMIT_EXCEEDED (it has no
// 429), an overloaded or maintained server as 503 SERVER_UNAVAILABLE, an
// internal failure as 500 UNKNOWN_EXCEPTION; a 502 comes from the load
// balancer in front of the instance, as an HTML page.

// concurrentLimitMsg is the message of the concurrent API request limit; the
// daily allocation uses "TotalRequests Limit exceeded." with the same code.
const concurrentLimitMsg = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."

func writeThrottled(w http.ResponseWriter) {
	writeErr(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", concurrentLimitMsg)
}

func writeServerError(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusServiceUnavailable:
		writeErr(w, status, "SERVER_UNAVAILABLE",
			"Server is unavailable to handle the request; it is down for maintenance or overloaded.")
	case http.StatusBadGateway:
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n"))
	default:
		writeErr(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION",
			"An unexpected error occurred. Please include this ErrorId if you contact support: 1325462718-42 (-1234567890)")
	}
}

// FaultCounts reports the faults injected so far: requests by kind and
// records failed alone.
func (s *Server) FaultCounts() (byKind map[fault.Kind]int, records int) {
	if s.inj == nil {
		return map[fault.Kind]int{}, 0
	}
	return s.inj.Counts()
}

// failRecord decides whether the next record of a batch write fails alone,
// and returns the error Salesforce reports for a row lock held elsewhere.
func (s *Server) failRecord(id string) []inputError {
	if !s.inj.FailRecord() {
		return nil
	}
	if id == "" {
		id = "0015g00000LOCKEDAAA"
	}
	return errOne("UNABLE_TO_LOCK_ROW", fmt.Sprintf("unable to obtain exclusive access to this record or 1 records: %s", id))
}

// tickSessions counts one API request and expires every session at each
// ExpireSessionsEvery-th request.
func (s *Server) tickSessions() {
	n := s.opts.ExpireSessionsEvery
	if n <= 0 {
		return
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.apiReqs++
	if s.apiReqs%n == 0 {
		clear(s.sessions)
		s.log.Info("salesforce sim: sessions expired", "request", s.apiReqs)
	}
}
