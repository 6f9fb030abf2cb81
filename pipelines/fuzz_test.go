package pipelines

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse: any bytes as a pipeline file give a valid pipeline or an
// error naming the file; never a panic.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("default.yaml"); err == nil {
		f.Add(b)
	}
	ents, _ := os.ReadDir("testdata")
	for _, e := range ents {
		if b, err := os.ReadFile("testdata/" + e.Name()); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "name: x\n", "load: {hubspot_batch_size: 500}\n", "run: {lock_ttl: soon}\n", "laod: 1\n",
		"golden:\n  rules:\n    - {entity: person, field: email, rule: sql, expression: \"1; DROP TABLE x\"}\n", "&a [*a]\n", "a: &a\n  b: *a\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parse("fuzz.yaml", b, Default())
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("no pipeline and no error")
		}
		if err := p.Validate(); err != nil && !strings.Contains(err.Error(), "fuzz.yaml") && !strings.Contains(err.Error(), ":") {
			t.Errorf("validation error without a place: %v", err)
		}
	})
}
