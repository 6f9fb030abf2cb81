package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelScenarios runs the model unit tests in sql/testdata.
func TestModelScenarios(t *testing.T) {
	code, out, errs := run(t, "models", "test", "--fixtures", filepath.Join("..", "sql", "testdata"))
	if code != 0 || !strings.Contains(out, " 0 failed") {
		t.Fatalf("models test exit %d\n%s\n%s", code, out, errs)
	}
}

// TestModelsOverlayFromAProjectFolder overrides a model and adds one from a
// folder, without a rebuild, and sees it in lineage, tests and scenarios.
func TestModelsOverlayFromAProjectFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// a new model over stg_persons, with a relationships test and a custom test file
	write("report/person_domains.sql", `-- depends: stg_persons
-- Email domains of the person records.
-- test: relationships(record_key, stg_persons.record_key)
-- test: accepted_values(system, 'hubspot', 'salesforce')
SELECT record_key, system, split_part(email_n, '@', 2) AS domain FROM stg_persons WHERE email_n IS NOT NULL
`)
	write("tests/domains_have_a_dot.sql", "-- depends: person_domains\nSELECT * FROM person_domains WHERE domain NOT LIKE '%.%'\n")
	src, err := os.ReadFile(filepath.Join("..", "sql", "testdata", "staging_persons", "inputs", "raw_hubspot_contacts.csv"))
	if err != nil {
		t.Fatal(err)
	}
	write("testdata/domains/inputs/raw_hubspot_contacts.csv", string(src))
	write("testdata/domains/expected/person_domains.csv", "record_key,domain\nhubspot:contacts:h1,gmail.com\n")

	code, out, errs := run(t, "models", "lineage", "--models", dir, "--select", "person_domains")
	if code != 0 || !strings.Contains(out, "person_domains (model, report/person_domains.sql)") ||
		!strings.Contains(out, "sql(tests/domains_have_a_dot.sql)") || !strings.Contains(out, "relationships(record_key -> stg_persons.record_key)") {
		t.Fatalf("lineage exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "models", "lineage", "--format", "mermaid", "--select", "stg_persons")
	if code != 0 || !strings.Contains(out, "flowchart LR") || !strings.Contains(out, "stg_persons --> ") {
		t.Fatalf("mermaid exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = run(t, "models", "test", "--models", dir)
	if code != 0 || !strings.Contains(out, "4 added [report/person_domains.sql") || !strings.Contains(out, "ok    domains (") {
		t.Fatalf("models test exit %d\n%s\n%s", code, out, errs)
	}
	// a wrong expectation fails with the rows that differ
	write("testdata/domains/expected/person_domains.csv", "record_key,domain\nhubspot:contacts:h1,acme.com\n")
	code, out, _ = run(t, "models", "test", "--models", dir)
	if code == 0 || !strings.Contains(out, "- expected, missing:  hubspot:contacts:h1,acme.com") || !strings.Contains(out, "+ produced, unexpected: hubspot:contacts:h1,gmail.com") {
		t.Fatalf("a wrong expectation passed (exit %d):\n%s", code, out)
	}
	// replacing a built-in model: the same relative path wins
	write("staging/stg_persons.sql", "-- depends: raw_hubspot_contacts\nSELECT 'x' AS record_key\n")
	code, out, _ = run(t, "models", "lineage", "--models", dir, "--select", "stg_persons")
	if code != 0 || !strings.Contains(out, "reads: raw_hubspot_contacts\n") {
		t.Fatalf("replaced model not used (exit %d):\n%s", code, out)
	}
}
