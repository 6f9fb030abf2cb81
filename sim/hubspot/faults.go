package hubspot

import (
	"net/http"
	"strconv"
)

// writeInjectedTooMany answers an injected 429 as HubSpot does when the
// ten-second rolling window is used up: the RATE_LIMIT body with policyName
// TEN_SECONDLY_ROLLING and the X-HubSpot-RateLimit-* headers.
func (s *Server) writeInjectedTooMany(w http.ResponseWriter) {
	c := s.limits
	h := w.Header()
	h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(c.daily))
	h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", strconv.FormatInt(c.window.Milliseconds(), 10))
	h.Set("X-HubSpot-RateLimit-Max", strconv.Itoa(c.perWindow))
	h.Set("X-HubSpot-RateLimit-Remaining", "0")
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"status": "error", "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT",
		"correlationId": newCorrelationID(), "policyName": "TEN_SECONDLY_ROLLING",
	})
}

// writeInjectedServerError answers an injected 5xx with HubSpot's standard
// error body.
func (s *Server) writeInjectedServerError(w http.ResponseWriter, status int) {
	msg := map[int]string{
		http.StatusInternalServerError: "internal error",
		http.StatusBadGateway:          "Bad Gateway: the upstream service did not answer in time",
		http.StatusServiceUnavailable:  "Service temporarily unavailable",
	}[status]
	if msg == "" {
		msg = http.StatusText(status)
	}
	s.writeError(w, status, "INTERNAL_ERROR", msg, nil)
}

// injectedFailure is the per-record failure a batch write reports when the
// fault injector fails one record alone.
func injectedFailure() *writeFailure {
	return &writeFailure{status: http.StatusInternalServerError, category: "INTERNAL_ERROR",
		message: "The record could not be written because of a transient internal error; retry it."}
}
