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
