package salesforce

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// FormatDateTime renders t as a SOQL datetime literal in UTC
// (2026-01-31T10:00:00Z). Sub-second precision is dropped (rounded down),
// so a ">=" filter built from it never misses the record it came from.
func FormatDateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// QuoteString renders s as a SOQL string literal, escaping quotes,
// backslashes and control characters, so values are never pasted raw.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// String returns a field value in crmhub's string form: strings as they
// are, numbers in plain decimal notation (never an exponent), booleans as
// true/false, datetimes as the API returned them. Null gives ("", false);
// nested objects and arrays are not scalar values and also give false.
func String(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return plainNumber(x.String()), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// plainNumber rewrites a JSON number without exponent, digit-exactly
// (5.0E7 -> 50000000, 1.25E-3 -> 0.00125, 100.0 -> 100).
func plainNumber(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil {
			return sign + s
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	switch {
	case point <= 0:
		digits = strings.Repeat("0", 1-point) + digits
		point = 1
	case point > len(digits):
		digits += strings.Repeat("0", point-len(digits))
	}
	ip, fp := strings.TrimLeft(digits[:point], "0"), strings.TrimRight(digits[point:], "0")
	if ip == "" {
		ip = "0"
	}
	if fp == "" {
		if ip == "0" {
			return "0"
		}
		return sign + ip
	}
	return sign + ip + "." + fp
}
