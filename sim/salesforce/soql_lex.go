package salesforce

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// soqlError is a query failure with the errorCode Salesforce answers.
type soqlError struct {
	Code    string
	Message string
}

func (e *soqlError) Error() string { return e.Code + ": " + e.Message }

func malformed(format string, args ...any) *soqlError {
	return &soqlError{Code: "MALFORMED_QUERY", Message: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tkEOF tokKind = iota
	tkIdent
	tkString
	tkNumber
	tkDate
	tkDateTime
	tkComma
	tkLParen
	tkRParen
	tkOp
)

type token struct {
	kind tokKind
	text string // identifier, operator, number text, or raw string contents
	pos  int    // byte offset, for messages
	t    time.Time
}

func (t token) String() string {
	switch t.kind {
	case tkEOF:
		return "end of query"
	case tkString:
		return "'" + t.text + "'"
	}
	return t.text
}

const maxQueryLen = 100000

// lex splits a SOQL statement into tokens.
func lex(q string) ([]token, *soqlError) {
	if len(q) > maxQueryLen {
		return nil, malformed("query is longer than %d characters", maxQueryLen)
	}
	if !utf8.ValidString(q) {
		return nil, malformed("query is not valid UTF-8")
	}
	var toks []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == ',':
			toks = append(toks, token{kind: tkComma, text: ",", pos: i})
			i++
		case c == '(':
			toks = append(toks, token{kind: tkLParen, text: "(", pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tkRParen, text: ")", pos: i})
			i++
		case c == '=':
			toks = append(toks, token{kind: tkOp, text: "=", pos: i})
			i++
		case c == '!':
			if i+1 < len(q) && q[i+1] == '=' {
				toks = append(toks, token{kind: tkOp, text: "!=", pos: i})
				i += 2
			} else {
				return nil, malformed("unexpected character '!' at position %d", i)
			}
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(q) && (q[i+1] == '=' || (c == '<' && q[i+1] == '>')) {
				op += string(q[i+1])
			}
			toks = append(toks, token{kind: tkOp, text: op, pos: i})
			i += len(op)
		case c == '\'':
			raw, n, err := lexString(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tkString, text: raw, pos: i})
			i += n
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(q) && (isDigit(q[i+1]) || q[i+1] == '.')) || (c == '.' && i+1 < len(q) && isDigit(q[i+1])):
			tok, n, err := lexNumberOrDate(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i += n
		case isIdentStart(c):
			j := i + 1
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tkIdent, text: q[i:j], pos: i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(q[i:])
			return nil, malformed("unexpected character '%c' at position %d", r, i)
		}
	}
	toks = append(toks, token{kind: tkEOF, pos: len(q)})
	return toks, nil
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// lexString scans a quoted literal starting at q[start] == '\”. It returns
// the raw contents (escapes kept) and the bytes consumed.
func lexString(q string, start int) (string, int, *soqlError) {
	i := start + 1
	for i < len(q) {
		switch q[i] {
		case '\\':
			if i+1 >= len(q) {
				return "", 0, malformed("unterminated string literal at position %d", start)
			}
			i += 2
		case '\'':
			raw := q[start+1 : i]
			if _, err := decodeString(raw, true); err != nil {
				return "", 0, err
			}
			return raw, i + 1 - start, nil
		default:
			i++
		}
	}
	return "", 0, malformed("unterminated string literal at position %d", start)
}

// decodeString resolves the escapes of a raw string literal. In LIKE
// patterns \% and \_ stay escaped (as \% and \_) for the pattern compiler;
// elsewhere they are an error, as in Salesforce.
func decodeString(raw string, like bool) (string, *soqlError) {
	if !strings.Contains(raw, `\`) {
		return raw, nil
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", malformed("invalid string literal: trailing backslash")
		}
		switch raw[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case 'r', 'R':
			b.WriteByte('\r')
		case 't', 'T':
			b.WriteByte('\t')
		case 'b', 'B':
			b.WriteByte('\b')
		case 'f', 'F':
			b.WriteByte('\f')
		case '"', '\'', '\\':
			if like && raw[i] == '\\' {
				b.WriteString(`\\`)
			} else {
				b.WriteByte(raw[i])
			}
		case '%', '_':
			if !like {
				return "", malformed(`invalid string literal '%s': \%c is only allowed in LIKE patterns`, raw, raw[i])
			}
			b.WriteByte('\\')
			b.WriteByte(raw[i])
		default:
			return "", malformed(`invalid string literal '%s': illegal escape sequence \%c`, raw, raw[i])
		}
	}
	return b.String(), nil
}

var soqlDateTimeLayouts = []string{
	"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.999999999-0700",
}

// lexNumberOrDate scans a number, a date (2026-01-31) or a datetime
// (2026-01-31T10:00:00Z, +01:00, +0100, optional fraction).
func lexNumberOrDate(q string, start int) (token, int, *soqlError) {
	if isDate(q[start:]) {
		end := start + 10
		if end < len(q) && q[end] == 'T' {
			j := end + 1
			for j < len(q) && (isDigit(q[j]) || strings.IndexByte(":.+-Z", q[j]) >= 0) {
				j++
			}
			text := q[start:j]
			for _, l := range soqlDateTimeLayouts {
				if t, err := time.Parse(l, text); err == nil {
					return token{kind: tkDateTime, text: text, pos: start, t: t.UTC()}, j - start, nil
				}
			}
			return token{}, 0, malformed("invalid datetime literal '%s' at position %d", text, start)
		}
		text := q[start:end]
		t, err := time.Parse(sfDate, text)
		if err != nil {
			return token{}, 0, malformed("invalid date literal '%s' at position %d", text, start)
		}
		if end < len(q) && (isIdentStart(q[end]) || isDigit(q[end])) {
			return token{}, 0, malformed("invalid date literal at position %d", start)
		}
		return token{kind: tkDate, text: text, pos: start, t: t}, end - start, nil
	}
	j := start
	if q[j] == '-' || q[j] == '+' {
		j++
	}
	digits, dot := 0, false
	for j < len(q) && (isDigit(q[j]) || (q[j] == '.' && !dot)) {
		if q[j] == '.' {
			dot = true
		} else {
			digits++
		}
		j++
	}
	if digits == 0 || (j < len(q) && (isIdentStart(q[j]) || q[j] == '.')) {
		end := j
		for end < len(q) && (isIdentStart(q[end]) || isDigit(q[end]) || q[end] == '.') {
			end++
		}
		return token{}, 0, malformed("invalid number '%s' at position %d", q[start:end], start)
	}
	return token{kind: tkNumber, text: q[start:j], pos: start}, j - start, nil
}

func isDate(s string) bool {
	if len(s) < 10 {
		return false
	}
	for i := 0; i < 10; i++ {
		if i == 4 || i == 7 {
			if s[i] != '-' {
				return false
			}
		} else if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
