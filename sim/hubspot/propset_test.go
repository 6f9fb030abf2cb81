package hubspot

import (
	"maps"
	"strings"
	"testing"
)

func TestPropSet(t *testing.T) {
	r := &record{keys: newPropKeys()}
	if _, ok := r.get("email"); ok || r.props != "" {
		t.Fatalf("empty record has a value: %q", r.props)
	}
	r.setProps(map[string]string{"email": "a@b.co", "city": "Lyon", "zip": ""})
	r.put("note", strings.Repeat("x", 70_000)) // values longer than 64 KiB
	r.put("city", "Oslo")
	r.drop("zip")
	r.drop("unknown")
	want := map[string]string{"email": "a@b.co", "city": "Oslo", "note": strings.Repeat("x", 70_000)}
	if got := r.propMap(); !maps.Equal(got, want) {
		t.Fatalf("propMap = %v", got)
	}
	r.put("zip", "")
	if v, ok := r.get("zip"); !ok || v != "" {
		t.Fatalf("empty value not kept: %q %v", v, ok)
	}
	if r.prop("city") != "Oslo" || r.prop("missing") != "" {
		t.Fatalf("prop: %q %q", r.prop("city"), r.prop("missing"))
	}
}

// TestPutAll: writing several values at once ends as a put (or, for an
// empty value, a drop) of each, then the last-modified value.
func TestPutAll(t *testing.T) {
	one, all := &record{keys: newPropKeys()}, &record{keys: newPropKeys()}
	base := map[string]string{"email": "a@b.co", "city": "Lyon", "zip": "69001", "lastmodifieddate": "old"}
	one.setProps(base)
	all.setProps(base)
	vals := map[string]string{"city": "Oslo", "zip": "", "phone": "+47 1", "unknown": ""}
	for k, v := range vals {
		if v == "" {
			one.drop(k)
		} else {
			one.put(k, v)
		}
	}
	one.put("lastmodifieddate", "new")
	all.putAll(vals, "lastmodifieddate", "new")
	want := map[string]string{"email": "a@b.co", "city": "Oslo", "phone": "+47 1", "lastmodifieddate": "new"}
	if got := all.propMap(); !maps.Equal(got, want) || !maps.Equal(one.propMap(), want) {
		t.Fatalf("putAll = %v, puts = %v, want %v", got, one.propMap(), want)
	}
}
