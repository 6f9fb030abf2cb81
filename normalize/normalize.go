// Package normalize registers DuckDB scalar functions written in Go, for
// the normalisations a well-kept Go library does better than SQL: phone
// numbers to E.164 with github.com/nyaruka/phonenumbers.
//
// Functions (registered on the database by Register):
//
//	phone_e164(phone VARCHAR, region VARCHAR) -> VARCHAR
//
// phone_e164 parses phone in the given ISO 3166 region (used only when the
// number carries no country code; "" or an unknown code falls back to US)
// and returns it as E.164 ("+14155550134"). A value the library cannot
// parse, or whose length no numbering plan allows, falls back to its digits
// with a leading international "00" or NANP "1" dropped, so typed-in
// numbers still compare; fewer than 7 digits is no phone number (NULL).
// Ten-digit North American numbers in the US or Canada, the bulk of most
// CRMs, are formatted without the library, to the same result (nanpE164).
package normalize

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/nyaruka/phonenumbers"
)

// ErrRegister wraps a failure to register a function.
var ErrRegister = errors.New("normalize: register")

// Register adds the functions to db. It borrows one connection; DuckDB
// keeps the functions in the database catalog, so every connection of the
// database sees them.
func Register(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRegister, err)
	}
	defer conn.Close()
	vc, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRegister, err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "phone_e164", &phoneUDF{varchar: vc}); err != nil {
		return fmt.Errorf("%w: phone_e164: %w", ErrRegister, err)
	}
	return nil
}

// phoneUDF is phone_e164.
type phoneUDF struct{ varchar duckdb.TypeInfo }

func (u *phoneUDF) Config() duckdb.ScalarFuncConfig {
	return duckdb.ScalarFuncConfig{
		InputTypeInfos: []duckdb.TypeInfo{u.varchar, u.varchar},
		ResultTypeInfo: u.varchar,
		// a NULL region means the default one; a NULL phone gives NULL
		SpecialNullHandling: true,
	}
}

func (u *phoneUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: phoneChunk}
}

// phoneChunk formats one chunk; it reads the vectors in place and reuses
// one parsed number, so a row costs the parse and little else.
func phoneChunk(_ context.Context, state *duckdb.ChunkIteratorState) error {
	in := state.GetInputChunk()
	pv, err := in.GetVector(0)
	if err != nil {
		return err
	}
	rv, err := in.GetVector(1)
	if err != nil {
		return err
	}
	phones, err := duckdb.GetVectorView[string](pv)
	if err != nil {
		return err
	}
	regions, err := duckdb.GetVectorView[string](rv)
	if err != nil {
		return err
	}
	out, err := duckdb.GetVectorWriter[string](state.GetResultVector())
	if err != nil {
		return err
	}
	var num phonenumbers.PhoneNumber
	for row := range phones.Len() {
		phone, ok, err := phones.GetValueBorrowed(row)
		if err != nil {
			return err
		}
		var res string
		if ok {
			region, rok, err := regions.GetValueBorrowed(row)
			if err != nil {
				return err
			}
			if !rok {
				region = ""
			}
			res = E164(&num, phone, region)
		}
		if res == "" {
			if err := out.SetNull(row); err != nil {
				return err
			}
			continue
		}
		if err := out.Set(row, res); err != nil {
			return err
		}
	}
	return nil
}

// E164 returns phone in E.164, or its digits when it does not parse as a
// possible number, or "" when it holds fewer than 7 digits. num is scratch
// space the caller may reuse between calls.
func E164(num *phonenumbers.PhoneNumber, phone, region string) string {
	if e, ok := nanpE164(phone, region); ok {
		return e
	}
	return parsedE164(num, phone, region)
}

// parsedE164 is E164 by the library alone.
func parsedE164(num *phonenumbers.PhoneNumber, phone, region string) string {
	digits := Digits(phone)
	if digits == "" {
		return ""
	}
	if region == "" {
		region = "US"
	}
	region = strings.ToUpper(region)
	if e := parse(num, phone, region); e != "" {
		return e
	}
	// "0044 20 ..." is international in most of the world but not from
	// regions whose exit code differs (011 in the US): read it as "+44 20 ..."
	if t := strings.TrimSpace(phone); strings.HasPrefix(t, "00") {
		if e := parse(num, "+"+t[2:], region); e != "" {
			return e
		}
	}
	return digits
}

// nanpE164 formats, without the library, the numbers most North American
// CRMs hold: a ten-digit number whose area code starts with 2 to 9, written
// in the US or Canada with digits, spaces, parentheses, dots and hyphens,
// optionally after a leading 1 or +1. The library parses such a number to
// the same E.164 (TestNANPMatchesLibrary holds them to it), but through
// regular expressions: 20 to 40 µs a number, most of staging's time on a
// first run at a million people per system. ok is false for anything
// else, which the library parses.
func nanpE164(phone, region string) (e string, ok bool) {
	switch region {
	case "", "US", "us", "CA", "ca":
	default:
		return "", false
	}
	var d [11]byte
	n, plus := 0, false
	for i := 0; i < len(phone); i++ {
		switch c := phone[i]; {
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", false
			}
			d[n] = c
			n++
		case c == '+' && n == 0 && !plus:
			plus = true
		case c == ' ' || c == '(' || c == ')' || c == '-' || c == '.':
		default:
			return "", false
		}
	}
	digits := d[:n]
	switch {
	case n == 11 && d[0] == '1':
		digits = d[1:n]
	case n == 10 && !plus:
	default:
		return "", false
	}
	if digits[0] < '2' {
		return "", false
	}
	return "+1" + string(digits), true
}

// parse returns phone in E.164 when it parses as a possible number, else "".
func parse(num *phonenumbers.PhoneNumber, phone, region string) string {
	num.Reset()
	if err := phonenumbers.ParseToNumber(phone, region, num); err != nil || !phonenumbers.IsPossibleNumber(num) {
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}

// Digits is the digits-only fallback: a leading "00" (international) or an
// 11-digit number's NANP "1" dropped; "" below 7 digits.
func Digits(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b.WriteByte(c)
		}
	}
	d := b.String()
	switch {
	case len(d) < 7:
		return ""
	case len(d) == 11 && d[0] == '1':
		return d[1:]
	case strings.HasPrefix(d, "00"):
		return d[2:]
	}
	return d
}
