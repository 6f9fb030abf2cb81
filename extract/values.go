package extract

import (
	"encoding/binary"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Decimal columns are DECIMAL(38,9): 16-byte two's complement, unscaled.
const (
	decimalPrecision = 38
	decimalScale     = 9
)

// parseValue converts an API value (always text) into the Parquet value of
// lake type typ. ok is false when the text does not parse as that type;
// the caller keeps the text elsewhere. Blank text in a typed column is null.
func parseValue(typ, s string) (v parquet.Value, null, ok bool) {
	if typ == TypeString {
		return parquet.ByteArrayValue([]byte(s)), false, true
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return parquet.Value{}, true, true
	}
	switch typ {
	case TypeDecimal:
		b, ok := parseDecimal(t)
		if !ok {
			return parquet.Value{}, false, false
		}
		return parquet.FixedLenByteArrayValue(b[:]), false, true
	case TypeInt:
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return parquet.Int64Value(n), false, true
		}
		return parquet.Value{}, false, false
	case TypeBool:
		switch strings.ToLower(t) {
		case "true":
			return parquet.BooleanValue(true), false, true
		case "false":
			return parquet.BooleanValue(false), false, true
		}
		return parquet.Value{}, false, false
	case TypeDate:
		if d, err := time.Parse(time.DateOnly, t); err == nil {
			return parquet.Int32Value(int32(d.Unix() / 86400)), false, true
		}
		if ts, ok := parseTime(t); ok {
			d := ts.UTC().Truncate(24 * time.Hour)
			return parquet.Int32Value(int32(d.Unix() / 86400)), false, true
		}
		return parquet.Value{}, false, false
	case TypeTimestamp:
		if ts, ok := parseTime(t); ok {
			return parquet.Int64Value(ts.UnixMilli()), false, true
		}
		if d, err := time.Parse(time.DateOnly, t); err == nil {
			return parquet.Int64Value(d.UnixMilli()), false, true
		}
		return parquet.Value{}, false, false
	}
	return parquet.ByteArrayValue([]byte(s)), false, true
}

// timeLayouts are the datetime forms the CRMs write: ISO 8601 with Z or an
// offset (HubSpot), and Salesforce's +0000 offsets.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
}

// parseTime reads an ISO datetime, or epoch milliseconds (HubSpot's
// search and some legacy values).
func parseTime(s string) (time.Time, bool) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	if len(s) >= 11 && len(s) <= 14 && allDigits(s) {
		ms, err := strconv.ParseInt(s, 10, 64)
		if err == nil {
			return time.UnixMilli(ms).UTC(), true
		}
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseDecimal reads a decimal number (optional sign, fraction and
// exponent) exactly into DECIMAL(38,9); it fails on more than nine
// significant fraction digits or more than 29 integer digits rather than
// round.
func parseDecimal(s string) ([16]byte, bool) {
	var out [16]byte
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, expText, hasExp = strings.Cut(s, "E")
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > 60 || e < -60 {
			return out, false
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigitsOrEmpty(intPart) || !allDigitsOrEmpty(frac) {
		return out, false
	}
	digits := intPart + frac
	// value = digits * 10^(exp - len(frac)); unscaled = value * 10^scale
	shift := exp - len(frac) + decimalScale
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			cut = 0
		}
		if strings.Trim(digits[cut:], "0") != "" {
			return out, false // more fraction digits than the scale holds
		}
		digits = digits[:cut]
	} else {
		digits += strings.Repeat("0", shift)
	}
	digits = strings.TrimLeft(digits, "0")
	if len(digits) > decimalPrecision {
		return out, false
	}
	if digits == "" {
		return out, true
	}
	if len(digits) <= 18 {
		u, _ := strconv.ParseUint(digits, 10, 64)
		n := int64(u)
		if neg {
			n = -n
		}
		binary.BigEndian.PutUint64(out[8:], uint64(n))
		if n < 0 {
			binary.BigEndian.PutUint64(out[:8], ^uint64(0))
		}
		return out, true
	}
	var b big.Int
	b.SetString(digits, 10)
	if neg {
		b.Neg(&b)
		// two's complement in 128 bits
		b.Add(&b, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	b.FillBytes(out[:])
	return out, true
}

func allDigitsOrEmpty(s string) bool { return s == "" || allDigits(s) }
