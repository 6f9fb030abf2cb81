package pipelines

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// yamlKeys lists every key a pipeline file can hold, from the Go types.
func yamlKeys(t reflect.Type, prefix []string, out *[][]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			if t.Elem().Kind() != reflect.Struct {
				return
			}
			prefix = append(slices.Clone(prefix), "[]")
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(Duration{}) {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		p := append(slices.Clone(prefix), tag)
		*out = append(*out, p)
		yamlKeys(f.Type, p, out)
	}
}

// Every key of the Pipeline types is declared in the spec (so it has a
// description and appears in the reference), and the spec declares no key
// the types lack.
func TestSpecDeclaresEveryKey(t *testing.T) {
	var keys [][]string
	yamlKeys(reflect.TypeOf(Pipeline{}), nil, &keys)
	declared := map[string]bool{}
	for _, f := range Walk(Spec()) {
		declared[strings.Join(f.Path, ".")] = true
		if f.Description == "" {
			t.Errorf("%s has no description", strings.Join(f.Path, "."))
		}
	}
	have := map[string]bool{}
	for _, k := range keys {
		key := strings.Join(k, ".")
		have[key] = true
		if !declared[key] {
			t.Errorf("pipeline key %s is not declared in pipelines/spec.go (add a Field with its default and description)", key)
		}
	}
	for key := range declared {
		if !have[key] {
			t.Errorf("spec declares %s, which no Pipeline field reads", key)
		}
	}
}

// A default is declared once: keys with a default in the spec are not set
// in default.yaml.
func TestDefaultsDeclaredOnce(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(defaultYAML, &doc); err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := append(slices.Clone(path), n.Content[i].Value)
			inFile[strings.Join(p, ".")] = true
			walk(n.Content[i+1], p)
		}
	}
	walk(doc.Content[0], nil)
	for _, f := range Walk(Spec()) {
		if key := strings.Join(f.Path, "."); f.Default != "" && inFile[key] {
			t.Errorf("%s has a default both in spec.go and default.yaml", key)
		}
	}
	p := Default()
	if p.Run.LockTTL.Minutes() != 10 || !p.Run.Resume || p.Audit.Sample != 20 || p.HubSpot.RequestsPer10s != 150 ||
		len(p.Objects.Salesforce) != 4 || p.Alerts.History != 7 || p.Schedule.Cron != "30 2 * * *" {
		t.Errorf("spec defaults not applied: %+v", p)
	}
}

// docs/pipeline-reference.md is what `crmhub pipeline docs` writes.
func TestReferenceUpToDate(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteReference(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "docs", "pipeline-reference.md")
	old, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(old, buf.Bytes()) {
		t.Fatalf("%s is out of date: run go run ./cmd/crmhub pipeline docs --out docs/pipeline-reference.md", path)
	}
	for _, want := range []string{"`alerts.error_rate_spike`", "`run.lock_ttl`", "`10m0s`", "`golden.rules.[].owner`", "`audit.sample` | int | `20`"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("reference lacks %s", want)
		}
	}
}

func TestOperationsSectionsReportLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ops.yaml")
	body := `name: ops
objects:
  hubspot: [contacts, tickets]
mappings:
  - {entity: person, field: nickname, system: hubspot, object: contacts, crm_field: nickname}
  - {entity: lead, field: x, system: hubspot, object: Lead, crm_field: "bad name"}
  - {entity: person, field: y, system: salesforce, object: Contact, crm_field: Y__c, colour: red}
run:
  lock_ttl: 1s
  resum: false
schedule:
  cron: "every night"
alerts:
  history: 0
  volume_drop: 1.5
  webhook_url: hooks.example/x
audit:
  sample: 0
  critical_fields: {person: [email]}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		path + `:3: objects.hubspot "tickets": want one of contacts, companies, deals`,
		path + `:6: mappings: entity "lead"`,
		path + `:6: mappings: crm_field "bad name"`,
		path + `:6: mappings: object "Lead" is not a HubSpot object`,
		path + `:7: field colour not found in mappings item`,
		path + `:9: run.lock_ttl 1s: must be at least 5`,
		path + `:10: field resum not found`, "(run.resum: did you mean resume?)",
		path + `:12: schedule.cron: "every night": want five fields`,
		path + `:14: alerts.history 0: must be at least 1`,
		path + `:15: alerts.volume_drop 1.5: must be at most 1`,
		path + `:16: alerts.webhook_url: "hooks.example/x" is not an http(s) URL`,
		path + `:18: audit.sample 0: must be at least 1`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no message %q in:\n%s", want, err)
		}
	}
	// the mapping that is right is kept, and its line is known
	p, err := LoadFile(filepath.Join("testdata", "ok.yaml"))
	if err != nil || len(p.Mappings) != 0 {
		t.Fatalf("ok.yaml: %v %+v", err, p.Mappings)
	}
}

// TestEngineSection: the engine keys default to a deliberate memory limit
// and are checked with their lines.
func TestEngineSection(t *testing.T) {
	p := Default()
	if p.Engine.MemoryLimit != "5GB" || p.Engine.Threads != 0 || p.Engine.TempDir != "" {
		t.Errorf("default engine %+v", p.Engine)
	}
	path := filepath.Join(t.TempDir(), "engine.yaml")
	body := "name: e\nengine:\n  memory_limit: lots\n  threads: -1\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	for _, want := range []string{
		path + `:3: engine.memory_limit: "lots": want a size such as 6GB`,
		path + `:4: engine.threads -1: must be at least 0`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no message %q in:\n%v", want, err)
		}
	}
	if err := os.WriteFile(path, []byte("name: e\nengine:\n  memory_limit: 12GiB\n  threads: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadFile(path); err != nil || p.Engine.MemoryLimit != "12GiB" || p.Engine.Threads != 2 {
		t.Errorf("LoadFile: %v %+v", err, p)
	}
}
