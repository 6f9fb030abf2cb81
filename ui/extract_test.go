package ui

import (
	"bytes"
	"strings"
	"testing"
)

func TestExtractLine(t *testing.T) {
	var buf bytes.Buffer
	p := &Progress{w: &buf, enabled: true}
	p.Extract("hubspot", "contacts", 1200, 10_000)
	p.Extract("salesforce", "Contact", 10_000, 10_000)
	out := buf.String()
	for _, want := range []string{"hubspot contacts 1,200/10,000 (", "salesforce Contact 10,000/10,000 (", "/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("line %q lacks %q", out, want)
		}
	}
	off := &Progress{w: &buf}
	buf.Reset()
	off.Extract("hubspot", "contacts", 1, 2)
	if buf.Len() != 0 {
		t.Errorf("off a terminal it wrote %q", buf.String())
	}
}
