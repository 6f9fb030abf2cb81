package salesforce

import (
	"encoding/json"
	"testing"
	"time"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   any
		want string
		ok   bool
	}{
		{nil, "", false},
		{"x", "x", true},
		{true, "true", true},
		{json.Number("5.0E7"), "50000000", true},
		{json.Number("1.25E-3"), "0.00125", true},
		{json.Number("100.0"), "100", true},
		{json.Number("-12.50"), "-12.5", true},
		{json.Number("123456789012345678901"), "123456789012345678901", true},
		{json.Number("0.0"), "0", true},
		{json.Number("1E+2"), "100", true},
		{3.5, "3.5", true},
		{map[string]any{"Name": "x"}, "", false},
	}
	for _, tc := range tests {
		got, ok := String(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("String(%#v) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestQuoteAndFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "'plain'"},
		{`O'Brien`, `'O\'Brien'`},
		{`a\b`, `'a\\b'`},
		{"line\nbreak\ttab", `'line\nbreak\ttab'`},
		{`"q"`, `'\"q\"'`},
		{"100%_x", "'100%_x'"},
	}
	for _, tc := range tests {
		if got := QuoteString(tc.in); got != tc.want {
			t.Errorf("QuoteString(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
	ts := time.Date(2026, 1, 31, 11, 0, 0, 999_000_000, time.FixedZone("x", 3600))
	if got := FormatDateTime(ts); got != "2026-01-31T10:00:00Z" {
		t.Errorf("FormatDateTime = %s", got)
	}
}
