package hubspot

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// The list and search endpoints render pages of records straight into a
// pooled byte buffer instead of building apiObject maps for encoding/json.
// The bytes are the ones encoding/json would write for the same apiObject
// (map keys sorted, HTML characters escaped, a trailing newline), which
// render_test.go checks against json.Marshal.

// msTime converts epoch milliseconds to a UTC time.
func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// isoMillis formats epoch milliseconds as HubSpot does: ISO-8601 UTC with
// milliseconds.
func isoMillis(ms int64) string { return string(appendISOMillis(make([]byte, 0, 24), ms)) }

// maxFastMs is 10000-01-01T00:00:00Z: later (and pre-1970) times go through
// package time.
const maxFastMs = 253402300800000

// appendISOMillis appends isoMillis(ms) to dst.
func appendISOMillis(dst []byte, ms int64) []byte {
	if ms < 0 || ms >= maxFastMs {
		return msTime(ms).AppendFormat(dst, isoLayout)
	}
	days, rem := ms/86_400_000, ms%86_400_000
	// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
	z := days + 719_468
	era := z / 146_097
	doe := z - era*146_097
	yoe := (doe - doe/1460 + doe/36_524 - doe/146_096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	h, rem := rem/3_600_000, rem%3_600_000
	mi, rem := rem/60_000, rem%60_000
	s, milli := rem/1000, rem%1000
	var b [24]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+m/10), byte('0'+m%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	b[10] = 'T'
	b[11], b[12] = byte('0'+h/10), byte('0'+h%10)
	b[13] = ':'
	b[14], b[15] = byte('0'+mi/10), byte('0'+mi%10)
	b[16] = ':'
	b[17], b[18] = byte('0'+s/10), byte('0'+s%10)
	b[19] = '.'
	b[20], b[21], b[22] = byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10)
	b[23] = 'Z'
	return append(dst, b[:]...)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII bytes encoding/json writes as they are (with
// HTML escaping on, as json.Marshal and json.Encoder default to).
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := byte(' '); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString appends s as a JSON string exactly as encoding/json
// does: HTML characters and U+2028/U+2029 escaped, invalid UTF-8 replaced
// by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// renderPlan is the properties object of a page resolved once: the known
// columns, deduplicated and sorted by name as encoding/json sorts map keys,
// each with its key already encoded.
type renderPlan struct {
	cols []planColumn
}

type planColumn struct {
	key []byte // "name":
	id  uint16
	ok  bool // some record may hold it
}

// plan resolves names (from propNames) for appendRecord.
func (st *objStore) plan(names []string) *renderPlan {
	cols := st.columns(names)
	slices.SortFunc(cols, func(a, b column) int {
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	p := &renderPlan{cols: make([]planColumn, 0, len(cols))}
	for i, c := range cols {
		if !c.known || (i > 0 && cols[i-1].name == c.name) {
			continue
		}
		key := append(appendJSONString(nil, c.name), ':')
		p.cols = append(p.cols, planColumn{key: key, id: c.id, ok: c.ok})
	}
	return p
}

// appendRecord appends the JSON of renderColumns(r) without its closing
// brace, so callers may add propertiesWithHistory and associations.
func (p *renderPlan) appendRecord(dst []byte, r *record) []byte {
	dst = append(dst, `{"id":"`...)
	dst = strconv.AppendUint(dst, r.id, 10)
	dst = append(dst, `","properties":{`...)
	for i, c := range p.cols {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c.key...)
		if c.ok {
			if v, ok := r.props.lookup(c.id); ok {
				dst = appendJSONString(dst, v)
				continue
			}
		}
		dst = append(dst, "null"...)
	}
	dst = append(dst, `},"createdAt":"`...)
	dst = appendISOMillis(dst, r.createdMs)
	dst = append(dst, `","updatedAt":"`...)
	dst = appendISOMillis(dst, r.updatedMs)
	if !r.archived {
		return append(dst, `","archived":false`...)
	}
	dst = append(dst, `","archived":true,"archivedAt":"`...)
	dst = appendISOMillis(dst, r.archivedMs)
	return append(dst, '"')
}

// appendField appends ,"name":<v as encoding/json writes it>.
func appendField(dst []byte, name string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings and structs of strings always encode
	}
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return append(dst, b...)
}

// pageBuf pools the buffers pages are rendered into.
var pageBuf = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// writeRaw sends an already encoded JSON body, prefix then buf, and
// returns buf to the pool.
func writeRaw(w http.ResponseWriter, status int, prefix []byte, buf *[]byte) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(prefix)
	_, _ = w.Write(*buf)
	if cap(*buf) <= 4<<20 {
		*buf = (*buf)[:0]
		pageBuf.Put(buf)
	}
}

// integer reports whether v is an optional sign and decimal digits, the
// only strings strconv.ParseInt(v, 10, 64) may accept (checked first so a
// date does not cost ParseInt's error).
func integer(v string) bool {
	if v != "" && (v[0] == '+' || v[0] == '-') {
		v = v[1:]
	}
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// parseISOMillis reads exactly the form isoMillis writes
// (2006-01-02T15:04:05.000Z) for years 1970 to 9999 without allocating;
// anything else reports false and is left to package time.
func parseISOMillis(v string) (int64, bool) {
	if len(v) != 24 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[19] != '.' || v[23] != 'Z' {
		return 0, false
	}
	num := func(s string) (int64, bool) {
		n := int64(0)
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	y, ok1 := num(v[0:4])
	m, ok2 := num(v[5:7])
	d, ok3 := num(v[8:10])
	h, ok4 := num(v[11:13])
	mi, ok5 := num(v[14:16])
	s, ok6 := num(v[17:19])
	ms, ok7 := num(v[20:23])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || y < 1970 || m < 1 || m > 12 || d < 1 || h > 23 || mi > 59 || s > 59 {
		return 0, false
	}
	dim := [...]int64{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		dim = 29
	}
	if d > dim {
		return 0, false
	}
	// Days since 1970-01-01 from the civil date (H. Hinnant's algorithm).
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146_097 + doe - 719_468
	return days*86_400_000 + h*3_600_000 + mi*60_000 + s*1000 + ms, true
}
