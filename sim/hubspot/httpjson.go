package hubspot

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

const maxBody = 8 << 20

// apiError is HubSpot's standard error body.
type apiError struct {
	Status        string         `json:"status"`
	Message       string         `json:"message"`
	CorrelationID string         `json:"correlationId"`
	Category      string         `json:"category"`
	SubCategory   string         `json:"subCategory,omitempty"`
	Errors        []errorDetail  `json:"errors,omitempty"`
	Context       map[string]any `json:"context,omitempty"`
}

type errorDetail struct {
	Message string              `json:"message"`
	Code    string              `json:"code,omitempty"`
	In      string              `json:"in,omitempty"`
	Context map[string][]string `json:"context,omitempty"`
}

func newCorrelationID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, `{"status":"error","message":"encoding failed","category":"INTERNAL_ERROR"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) writeError(w http.ResponseWriter, status int, category, msg string, details []errorDetail) {
	writeJSON(w, status, apiError{Status: "error", Message: msg, CorrelationID: newCorrelationID(),
		Category: category, Errors: details})
}

// decode reads a JSON body into v, answering 400 VALIDATION_ERROR on failure.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON value")
	}
	if err != nil {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid input JSON: "+err.Error(), nil)
		return false
	}
	return true
}

// propValues decodes HubSpot property values: strings, numbers and booleans
// become strings, null clears the value.
type propValues map[string]string

func (p *propValues) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(propValues, len(raw))
	for k, v := range raw {
		if s, ok := plainValue(v); ok { // most values: no decoder per value
			out[k] = s
			continue
		}
		var x any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			return err
		}
		switch t := x.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = t
		case json.Number:
			out[k] = t.String()
		case bool:
			out[k] = strconv.FormatBool(t)
		default:
			return fmt.Errorf("property %q: value must be a string, number or boolean", k)
		}
	}
	*p = out
	return nil
}

// plainValue reads a JSON string, null or boolean the way the decoder in
// propValues does; anything else (numbers, mistakes) is left to it.
func plainValue(v json.RawMessage) (string, bool) {
	switch string(v) {
	case "null":
		return "", true
	case "true", "false":
		return string(v), true
	}
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// flexString accepts a JSON string or number (ids and cursors come as both).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var x any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return err
	}
	switch t := x.(type) {
	case nil:
		*f = ""
	case string:
		*f = flexString(t)
	case json.Number:
		*f = flexString(t.String())
	default:
		return errors.New("expected a string or a number")
	}
	return nil
}
