package gen

import (
	"math/rand/v2"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// foldTable transliterates the accented letters the name lists use.
// German umlauts have a second, German-style transliteration in foldGerman.
var foldTable = map[rune]string{
	'á': "a", 'à': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'Á': "A", 'À': "A", 'Â': "A", 'Ã': "A", 'Ä': "A", 'Å': "A", 'Æ': "AE",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'É': "E", 'È': "E", 'Ê': "E", 'Ë': "E",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'ı': "i", 'Í': "I", 'Î': "I", 'Ï': "I",
	'ó': "o", 'ò': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ő': "o",
	'Ó': "O", 'Ò': "O", 'Ô': "O", 'Õ': "O", 'Ö': "O", 'Ø': "O",
	'ú': "u", 'ù': "u", 'û': "u", 'ü': "u", 'Ú': "U", 'Ù': "U", 'Û': "U", 'Ü': "U",
	'ñ': "n", 'Ñ': "N", 'ç': "c", 'Ç': "C", 'ß': "ss", 'ł': "l", 'Ł': "L",
	'ś': "s", 'Ś': "S", 'ş': "s", 'Ş': "S", 'ș': "s", 'Ș': "S", 'ğ': "g",
	'ř': "r", 'č': "c", 'Č': "C", 'ž': "z", 'Ž': "Z", 'ý': "y", 'ð': "d",
	'þ': "th", 'ń': "n", 'ź': "z", 'ż': "z", 'ą': "a", 'ę': "e", 'ć': "c",
	'’': "'",
}

var foldGerman = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'Ä': "Ae", 'Ö': "Oe", 'Ü': "Ue"}

// hasNonASCII reports whether s holds any byte >= 0x80.
func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// foldASCII transliterates accented letters; german picks ä→ae over ä→a.
func foldASCII(s string, german bool) string {
	if !hasNonASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for _, r := range s {
		if german {
			if t, ok := foldGerman[r]; ok {
				b.WriteString(t)
				continue
			}
		}
		if t, ok := foldTable[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// emailWord lower-cases and folds a name for an email local part, keeping
// only a-z, 0-9 and hyphens.
func emailWord(s string) string {
	s = foldASCII(s, true)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		}
	}
	return b.String()
}

// domainWord is emailWord without hyphens, for company domains.
func domainWord(s string) string {
	return strings.ReplaceAll(emailWord(strings.ReplaceAll(s, "&", "and")), "-", "")
}

// typo applies one keyboard slip: swap two neighbours, drop or double a
// letter. Short strings come back unchanged.
func typo(r *rand.Rand, s string) string {
	rs := []rune(s)
	if len(rs) < 3 {
		return s
	}
	for range 4 {
		i := 1 + r.IntN(len(rs)-2) // keep the first letter: typos rarely hit it
		switch r.IntN(3) {
		case 0:
			if rs[i] == rs[i+1] || !unicode.IsLetter(rs[i]) || !unicode.IsLetter(rs[i+1]) {
				continue
			}
			out := append([]rune(nil), rs...)
			out[i], out[i+1] = out[i+1], out[i]
			return string(out)
		case 1:
			if !unicode.IsLetter(rs[i]) {
				continue
			}
			return string(rs[:i]) + string(rs[i+1:])
		default:
			if !unicode.IsLetter(rs[i]) {
				continue
			}
			return string(rs[:i+1]) + string(rs[i:])
		}
	}
	return string(rs[:len(rs)-1]) // drop the last letter
}

// recase returns s in upper, lower or title case (the first is most common).
func recase(r *rand.Rand, s string) string {
	switch r.IntN(4) {
	case 0, 1:
		return strings.ToUpper(s)
	case 2:
		return strings.ToLower(s)
	default:
		return titleCase(s)
	}
}

// titleCase upper-cases the first letter of each word and lowers the rest.
func titleCase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, c := range s {
		if start {
			b.WriteRune(unicode.ToUpper(c))
		} else {
			b.WriteRune(unicode.ToLower(c))
		}
		start = c == ' ' || c == '-'
	}
	return b.String()
}

// pick returns a random element.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// chance is a Bernoulli draw.
func chance(r *rand.Rand, p float64) bool { return p > 0 && r.Float64() < p }

// appendDigits appends n random decimal digits.
func appendDigits(r *rand.Rand, b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return b
}

// appendPad appends v in decimal, left-padded with zeros to width.
func appendPad(b []byte, v, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// phone is a telephone number: country, area code and subscriber digits.
type phone struct {
	country uint8
	area    string
	sub     string
}

func (p phone) valid() bool { return p.sub != "" }

// digits returns the national significant number.
func (p phone) digits() string { return p.area + p.sub }

// format renders p in one of the styles people and integrations write;
// style is taken modulo the number of styles for the country.
func (p phone) format(b []byte, style int) []byte {
	cc := callingCode[p.country]
	if p.country == ctryUS {
		a, x, l := p.area, p.sub[:3], p.sub[3:]
		switch style % 9 {
		case 0:
			b = append(append(append(append(append(append(b, '('), a...), ") "...), x...), '-'), l...)
		case 1:
			b = append(append(append(append(append(b, a...), '-'), x...), '-'), l...)
		case 2:
			b = append(append(append(append(append(b, a...), '.'), x...), '.'), l...)
		case 3:
			b = append(append(append(append(append(append(b, "+1 "...), a...), ' '), x...), ' '), l...)
		case 4:
			b = append(append(append(b, a...), x...), l...)
		case 5:
			b = append(append(append(append(b, "+1"...), a...), x...), l...)
		case 6:
			b = append(append(append(append(append(append(b, "1-"...), a...), '-'), x...), '-'), l...)
		case 7:
			b = append(append(append(append(append(b, a...), ' '), x...), ' '), l...)
		default:
			b = append(append(append(append(append(append(b, "+1 ("...), a...), ") "...), x...), '-'), l...)
		}
		return b
	}
	sub := p.groupedSub()
	switch style % 5 {
	case 0:
		b = append(append(append(append(append(append(b, '+'), cc...), ' '), p.area...), ' '), sub...)
	case 1:
		b = append(append(append(append(b, '0'), p.area...), ' '), sub...)
	case 2:
		b = append(append(append(append(b, '+'), cc...), p.area...), p.sub...)
	case 3:
		b = append(append(append(append(append(append(b, "00"...), cc...), ' '), p.area...), ' '), sub...)
	default:
		if p.country == ctryFR {
			b = append(append(append(b, '0'), p.area...), '.')
			b = append(b, strings.ReplaceAll(sub, " ", ".")...)
		} else if p.country == ctryDE {
			b = append(append(append(append(b, '0'), p.area...), '/'), p.sub...)
		} else {
			b = append(append(append(append(append(append(b, '+'), cc...), " (0)"...), p.area...), ' '), sub...)
		}
	}
	return b
}

// groupedSub splits the subscriber number the way the country writes it.
func (p phone) groupedSub() string {
	s := p.sub
	switch p.country {
	case ctryFR: // pairs
		var b strings.Builder
		for i := 0; i < len(s); i += 2 {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s[i:min(i+2, len(s))])
		}
		return b.String()
	case ctryUK:
		if len(s) == 8 {
			return s[:4] + " " + s[4:]
		}
		return s[:3] + " " + s[3:]
	}
	return s
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// sfPod is the instance part of generated Salesforce ids.
const sfPod = "Dn"

// sfID builds an 18-character Salesforce id: key prefix, pod, a ten-digit
// base-62 counter and the case-safety checksum Salesforce appends.
func sfID(prefix string, n uint64) string {
	var b [18]byte
	copy(b[:], prefix)
	copy(b[3:], sfPod)
	for i := 14; i >= 5; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	for chunk := range 3 {
		v := 0
		for j := range 5 {
			if c := b[chunk*5+j]; c >= 'A' && c <= 'Z' {
				v |= 1 << j
			}
		}
		b[15+chunk] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[v]
	}
	return string(b[:])
}

// sfCounter decodes the counter of an id made by sfID (ok false for ids of
// another shape or prefix).
func sfCounter(id, prefix string) (uint64, bool) {
	if len(id) != 18 || id[:3] != prefix || id[3:5] != sfPod {
		return 0, false
	}
	var n uint64
	for i := 5; i < 15; i++ {
		k := strings.IndexByte(base62, id[i])
		if k < 0 {
			return 0, false
		}
		n = n*62 + uint64(k)
	}
	return n, true
}

// msTrunc truncates to milliseconds, the precision both APIs carry.
func msTrunc(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// randBefore returns a time uniformly in (t-span, t].
func randBefore(r *rand.Rand, t time.Time, span time.Duration) time.Time {
	if span <= 0 {
		return msTrunc(t)
	}
	return msTrunc(t.Add(-time.Duration(r.Int64N(int64(span)))))
}

const day = 24 * time.Hour
