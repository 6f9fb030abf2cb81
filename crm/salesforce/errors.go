package salesforce

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; an *APIError matches them with errors.Is by error code.
var (
	ErrInvalidSession = errors.New("salesforce: session expired or invalid")
	ErrLimitExceeded  = errors.New("salesforce: API request limit exceeded")
	ErrMalformedQuery = errors.New("salesforce: malformed query")
	ErrAuth           = errors.New("salesforce: authentication failed")
	ErrTooManyRecords = errors.New("salesforce: more than 200 records in one collection call")
	ErrConfig         = errors.New("salesforce: invalid config")
)

// APIError is an error answered by the API: the first element of the
// [{message, errorCode, fields}] body, or an OAuth {error, error_description}.
type APIError struct {
	Status  int
	Code    string
	Message string
	Fields  []string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "salesforce: HTTP %d %s: %s", e.Status, e.Code, e.Message)
	if len(e.Fields) > 0 {
		fmt.Fprintf(&b, " (fields %s)", strings.Join(e.Fields, ", "))
	}
	return b.String()
}

// Is maps error codes to the package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrInvalidSession:
		return e.Code == "INVALID_SESSION_ID"
	case ErrLimitExceeded:
		return e.Code == "REQUEST_LIMIT_EXCEEDED"
	case ErrMalformedQuery:
		return e.Code == "MALFORMED_QUERY"
	case ErrAuth:
		return e.Status == 400 && (e.Code == "invalid_client" || e.Code == "invalid_client_id" ||
			e.Code == "invalid_grant" || e.Code == "unsupported_grant_type")
	}
	return false
}

// RecordError is one per-record error of a collection call.
type RecordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// SaveResult is the outcome of one record of a collection call.
type SaveResult struct {
	ID      string        `json:"id"`
	Success bool          `json:"success"`
	Errors  []RecordError `json:"errors"`
	Created bool          `json:"created"`
}
