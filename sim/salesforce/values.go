package salesforce

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	sfDateTime = "2006-01-02T15:04:05.000-0700"
	sfDate     = "2006-01-02"
)

var dateTimeLayouts = []string{
	sfDateTime, "2006-01-02T15:04:05-0700", time.RFC3339Nano, "2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05",
}

func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(sfDate, s); err == nil {
		return t, true
	}
	if t, ok := parseDateTime(s); ok {
		y, m, d := t.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, false
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no", "":
		return false, true
	}
	return false, false
}

func formatDateTimeNanos(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000+0000")
}

// javaDouble renders a float the way Salesforce's JSON serializer does
// (Java's Double.toString): 1234.5, 100.0, 1.5E7.
func javaDouble(v float64) string {
	a := math.Abs(v)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// renderValue returns the JSON encoding of a stored value of field f.
func renderValue(f *field, r *rec) []byte { return appendValue(nil, f, r) }

// appendValue appends the JSON encoding of a stored value of field f.
func appendValue(b []byte, f *field, r *rec) []byte {
	switch f.Name {
	case fID:
		return appendQuoted(b, r.id)
	case fIsDeleted:
		return strconv.AppendBool(b, r.deleted)
	case fCreatedDate:
		return appendStamp(b, r.created)
	case fLastModifiedDate, fSystemModstamp:
		return appendStamp(b, r.modified)
	}
	v := r.val(f.slot)
	if f.Type == typeBoolean {
		x, ok := parseBool(v)
		if !ok {
			return appendQuoted(b, v)
		}
		return strconv.AppendBool(b, x)
	}
	if v == "" {
		return append(b, "null"...)
	}
	switch f.Type {
	case typeInt:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return strconv.AppendInt(b, n, 10)
		}
		if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && x == math.Trunc(x) && !math.IsInf(x, 0) {
			return strconv.AppendFloat(b, x, 'f', -1, 64)
		}
	case typeDouble, typeCurrency:
		if x, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return append(b, javaDouble(x)...)
		}
	case typeDate:
		if len(v) == len(sfDate) && v[4] == '-' && v[7] == '-' {
			if _, err := time.Parse(sfDate, v); err == nil {
				return appendQuoted(b, v)
			}
		}
		if t, ok := parseDate(v); ok {
			return appendQuoted(b, t.Format(sfDate))
		}
	case typeDateTime:
		if t, ok := parseDateTime(v); ok {
			return appendStamp(b, t.UnixNano())
		}
	}
	return appendQuoted(b, v)
}

// appendStamp appends a quoted datetime as the API writes it:
// "2013-05-20T20:49:32.000+0000".
func appendStamp(b []byte, ns int64) []byte {
	b = append(b, '"')
	b = time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02T15:04:05.000+0000")
	return append(b, '"')
}

func quoteJSON(s string) []byte { return appendQuoted(nil, s) }

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone, as Salesforce does; invalid UTF-8 becomes U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || n != 1 {
				if r == '\u2028' || r == '\u2029' {
					b = append(b, s[start:i]...)
					b = append(b, `\u202`...)
					b = append(b, hexDigits[r&0xF])
					start = i + n
				}
				i += n
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// inputError is one per-record error of a write.
type inputError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

func errTypeOnField(f *field, v any) *inputError {
	return &inputError{StatusCode: "INVALID_TYPE_ON_FIELD_IN_RECORD",
		Message: fmt.Sprintf("%s: value not of required type: %v", f.Label, v), Fields: []string{f.Name}}
}

// convertInput turns a decoded JSON value into the stored string form of
// field f.
func convertInput(f *field, v any) (string, *inputError) {
	if v == nil {
		if f.Type == typeBoolean {
			return "false", nil
		}
		return "", nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	default:
		return "", errTypeOnField(f, v)
	}
	if !utf8.ValidString(s) {
		return "", errTypeOnField(f, s)
	}
	switch f.Type {
	case typeBoolean:
		if _, isNum := v.(json.Number); isNum {
			return "", errTypeOnField(f, v)
		}
		b, ok := parseBool(s)
		if !ok || s == "" {
			return "", errTypeOnField(f, v)
		}
		return strconv.FormatBool(b), nil
	case typeInt:
		if s == "" {
			return "", nil
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			x, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
				return "", errTypeOnField(f, v)
			}
			n = int64(x)
		}
		return strconv.FormatInt(n, 10), nil
	case typeDouble, typeCurrency:
		if s == "" {
			return "", nil
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
			return "", errTypeOnField(f, v)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case typeDate:
		if s == "" {
			return "", nil
		}
		t, err := time.Parse(sfDate, s)
		if err != nil {
			return "", errTypeOnField(f, v)
		}
		return t.Format(sfDate), nil
	case typeDateTime:
		if s == "" {
			return "", nil
		}
		t, ok := parseDateTime(s)
		if !ok {
			return "", errTypeOnField(f, v)
		}
		return t.Format("2006-01-02T15:04:05.000Z"), nil
	case typeReference, typeID:
		if s == "" {
			return "", nil
		}
		return normalizeID(s), nil
	}
	if _, isBool := v.(bool); isBool {
		return "", errTypeOnField(f, v)
	}
	return s, nil
}

// validEmail is a permissive check of the shape Salesforce enforces:
// local@domain with a dotted domain and no spaces.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	if strings.ContainsAny(s, " \t\r\n,;:<>()[]\\\"") {
		return false
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") {
		return false
	}
	return true
}
