package hubspot

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors; an *APIError matches the one for its status with errors.Is.
var (
	ErrUnauthorized = errors.New("hubspot: unauthorized")
	ErrRateLimited  = errors.New("hubspot: rate limited")
	ErrNotFound     = errors.New("hubspot: not found")
	ErrValidation   = errors.New("hubspot: validation error")
	ErrConflict     = errors.New("hubspot: conflict")
	ErrBadConfig    = errors.New("hubspot: bad config")
	// ErrDailyBudget: the account's daily budget is spent (429 DAILY) or
	// down to the configured reserve; retrying today cannot succeed.
	ErrDailyBudget = errors.New("hubspot: daily API budget spent")
)

// APIError is a non-2xx answer from HubSpot.
type APIError struct {
	Status        int
	Category      string
	Message       string
	CorrelationID string
	PolicyName    string
	Details       []ErrorDetail
}

// ErrorDetail is one entry of an error body's errors array.
type ErrorDetail struct {
	Message string              `json:"message"`
	Code    string              `json:"code"`
	In      string              `json:"in"`
	Context map[string][]string `json:"context"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hubspot: HTTP %d", e.Status)
	if e.Category != "" {
		b.WriteString(" " + e.Category)
	}
	if e.PolicyName != "" {
		b.WriteString(" " + e.PolicyName)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.CorrelationID != "" {
		b.WriteString(" (correlationId " + e.CorrelationID + ")")
	}
	return b.String()
}

// Is maps statuses to the package sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrDailyBudget:
		return e.Status == http.StatusTooManyRequests && e.PolicyName == "DAILY"
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrValidation:
		return e.Status == http.StatusBadRequest
	}
	return false
}

// parseAPIError reads an error body; every field is optional.
func parseAPIError(status int, body []byte) *APIError {
	var raw struct {
		Message       string        `json:"message"`
		Category      string        `json:"category"`
		ErrorType     string        `json:"errorType"`
		CorrelationID string        `json:"correlationId"`
		PolicyName    string        `json:"policyName"`
		Errors        []ErrorDetail `json:"errors"`
	}
	e := &APIError{Status: status}
	if err := json.Unmarshal(body, &raw); err != nil {
		e.Message = strings.TrimSpace(truncate(string(body), 300))
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
		return e
	}
	e.Message, e.Category, e.CorrelationID, e.PolicyName, e.Details = raw.Message, raw.Category, raw.CorrelationID, raw.PolicyName, raw.Errors
	if e.Category == "" {
		e.Category = raw.ErrorType
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// retryHint returns how long the rate-limit answer asks to wait: Retry-After
// when present, else a full interval when the rolling window is used up, a
// second when the secondly budget is, else zero.
func retryHint(h http.Header, status int) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, time.Until(t))
		}
	}
	if status == http.StatusLocked {
		return 2 * time.Second
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	if h.Get("X-HubSpot-RateLimit-Remaining") == "0" {
		if ms, err := strconv.Atoi(h.Get("X-HubSpot-RateLimit-Interval-Milliseconds")); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
		return 10 * time.Second
	}
	if h.Get("X-HubSpot-RateLimit-Secondly-Remaining") == "0" {
		return time.Second
	}
	return 0
}
