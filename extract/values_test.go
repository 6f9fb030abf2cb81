package extract

import (
	"math/big"
	"testing"
)

func TestParseValue(t *testing.T) {
	for _, tc := range []struct {
		typ, in string
		null    bool
		ok      bool
	}{
		{TypeString, "", false, true},
		{TypeDecimal, " ", true, true},
		{TypeDecimal, "1500.50", false, true},
		{TypeDecimal, "-1.5e3", false, true},
		{TypeDecimal, "1.0000000001", false, false}, // more fraction digits than the scale
		{TypeDecimal, "12abc", false, false},
		{TypeDecimal, ".", false, false},
		{TypeDecimal, "1e40", false, false},
		{TypeInt, "42", false, true},
		{TypeInt, "4.2", false, false},
		{TypeBool, "TRUE", false, true},
		{TypeBool, "yes", false, false},
		{TypeDate, "2026-02-28", false, true},
		{TypeDate, "2026-02-30", false, false},
		{TypeDate, "1718000000000", false, true},
		{TypeTimestamp, "2013-05-20T20:49:32.000+0000", false, true},
		{TypeTimestamp, "2019-10-30T03:30:17.883Z", false, true},
		{TypeTimestamp, "2026-07-15", false, true},
		{TypeTimestamp, "last tuesday", false, false},
	} {
		_, null, ok := parseValue(tc.typ, tc.in)
		if null != tc.null || ok != tc.ok {
			t.Errorf("parseValue(%s, %q) = null %v ok %v, want %v %v", tc.typ, tc.in, null, ok, tc.null, tc.ok)
		}
	}
}

func TestParseDecimalExact(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "1500.50": "1500500000000", "-1.5e3": "-1500000000000", "0.000000001": "1",
		"-0.5": "-500000000", "12345678901234567890123.5": "12345678901234567890123500000000",
		"-12345678901234567890123": "-12345678901234567890123000000000",
	} {
		b, ok := parseDecimal(in)
		if !ok {
			t.Errorf("%s did not parse", in)
			continue
		}
		v := new(big.Int).SetBytes(b[:])
		if b[0]&0x80 != 0 {
			v.Sub(v, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		if v.String() != want {
			t.Errorf("%s -> %s, want %s", in, v, want)
		}
	}
}

func TestDiffSchema(t *testing.T) {
	old := []Column{{Name: "a", Type: TypeString, APIType: "string"}, {Name: "b", Type: TypeDecimal, APIType: "number"}, {Name: "c", Type: TypeString}}
	cur := []Column{{Name: "a", Type: TypeString, APIType: "string"}, {Name: "b", Type: TypeString, APIType: "string"}, {Name: "d", Type: TypeBool, APIType: "bool"}}
	got := DiffSchema(old, cur)
	want := []SchemaChange{{Field: "b", Change: "changed", Old: "number as decimal", New: "string as string"},
		{Field: "c", Change: "removed", Old: "string"}, {Field: "d", Change: "added", New: "bool as boolean"}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if DiffSchema(nil, cur) != nil {
		t.Error("a first extract reports no changes")
	}
}
