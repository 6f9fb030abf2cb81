package pipelines

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	p := Default()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if p.Name != "default" || p.Source != "default.yaml" {
		t.Errorf("Name, Source = %q, %q", p.Name, p.Source)
	}
	if p.Extract.Overlap.Duration <= 0 || len(p.Golden.Rules) == 0 || p.HubSpot.TokenEnv == "" || p.Salesforce.ClientSecretEnv == "" {
		t.Errorf("defaults incomplete: %+v", p)
	}
	vars := p.Vars()
	if len(vars) != 19 || vars["max_block_size"] != p.Matching.MaxBlockSize || vars["deal_prior"] != p.Matching.Deal.Prior {
		t.Errorf("Vars() = %v", vars)
	}
}

func TestLoadFileMergesOverDefaults(t *testing.T) {
	def := Default()
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, p *Pipeline)
	}{
		{"empty.yaml", func(t *testing.T, p *Pipeline) {
			if p.Name != def.Name || p.Load != def.Load || len(p.Golden.Rules) != len(def.Golden.Rules) {
				t.Errorf("empty file does not give the defaults: %+v", p)
			}
		}},
		{"ok.yaml", func(t *testing.T, p *Pipeline) {
			if p.Name != "nightly" || p.HubSpot.TokenEnv != "MY_HUBSPOT_TOKEN" || p.HubSpot.BaseURL != def.HubSpot.BaseURL {
				t.Errorf("hubspot = %+v, name %q", p.HubSpot, p.Name)
			}
			if p.Extract.Overlap.Duration != 90*time.Second {
				t.Errorf("overlap = %s", p.Extract.Overlap.Duration)
			}
			if p.Matching.Person.Match != 20 || p.Matching.Person.Review != 8 || p.Matching.Company != def.Matching.Company {
				t.Errorf("matching = %+v", p.Matching)
			}
			// A file's rules replace the defaults' rules.
			if len(p.Golden.Rules) != 2 || p.Golden.Rules[1].Owner != "salesforce" || p.Golden.Rules[1].Direction != "to_hubspot" {
				t.Errorf("rules = %+v", p.Golden.Rules)
			}
			if p.Load.HubSpotBatchSize != 50 || p.Load.SalesforceBatchSize != def.Load.SalesforceBatchSize {
				t.Errorf("load = %+v", p.Load)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			p, err := LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if p.Source != path {
				t.Errorf("Source = %q, want %q", p.Source, path)
			}
			tc.check(t, p)
		})
	}
	// Loading a file leaves the defaults alone.
	if got := Default(); len(got.Golden.Rules) != len(def.Golden.Rules) || got.Name != "default" {
		t.Errorf("defaults changed after LoadFile: %+v", got)
	}
}

// loc is the file:line prefix a message must carry (-1: any line).
type loc struct {
	line int
	want string // a fragment of the same message
}

func TestLoadFileReportsMistakesWithLines(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []loc
	}{
		{"unknown_key.yaml", []loc{
			{2, "field hubspto not found"},
			{6, "field client_secret_enf not found"},
		}},
		{"bad_duration.yaml", []loc{{3, `"5 minutes" is not a duration`}}},
		{"bad_rules.yaml", []loc{
			{3, `golden rule "newest" for person.email`},
			{4, "golden rule owner for person.title needs owner"},
			{5, "golden rule owner for person.phone needs owner"},
			{6, `direction "sideways"`},
			{7, `entity "lead"`},
			{8, "golden rule needs a field"},
			{9, "field onwer not found in golden rule"},
		}},
		{"thresholds_reversed.yaml", []loc{
			{4, "matching.person: review_threshold 9.0 is above match_threshold 5.0"},
			{5, "matching.deal: review_threshold 2.0 is above match_threshold 1.0"},
		}},
		{"batch_sizes.yaml", []loc{
			{2, "load.hubspot_batch_size 0"},
			{3, "load.salesforce_batch_size 500"},
			{4, "load.max_update_share 1.50"},
			{5, "load.max_updates -1"},
		}},
		{"several.yaml", []loc{
			{3, "cannot unmarshal !!str `lots`"},
			{5, `"soon" is not a duration`},
			{14, "field colour not found"},
			{7, "matching.max_block_size 1"},
			{8, "matching.company: review_threshold 4.0"},
			{11, `golden rule "newest"`},
			{13, "load.salesforce_batch_size 201"},
		}},
		// yaml.v3 numbers parser errors loosely; any line will do.
		{"syntax.yaml", []loc{{-1, "did not find expected"}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			p, err := LoadFile(path)
			if err == nil {
				t.Fatalf("LoadFile(%s) = %+v, want an error", path, p)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			msgs := strings.Split(err.Error(), "\n")
			if len(msgs) != len(tc.want) {
				t.Errorf("%d messages, want %d:\n%s", len(msgs), len(tc.want), err)
			}
			for _, w := range tc.want {
				prefix := path + ":" + strconv.Itoa(w.line) + ": "
				if w.line < 0 {
					prefix = path + ":"
				}
				found := false
				for _, m := range msgs {
					if strings.Contains(m, prefix) && strings.Contains(m, w.want) {
						found = true
					}
				}
				if !found {
					t.Errorf("no message names %q with %q in:\n%s", prefix, w.want, err)
				}
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.yaml")
	if _, err := LoadFile(path); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want ErrInvalid naming %s", err, path)
	}
}

func TestSecret(t *testing.T) {
	const value = "s3cr3t-VALUE-do-not-print"
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("token", "  "+value+"\n")
	blank := write("blank", " \n\t\n")
	t.Setenv("CRMHUB_TEST_SECRET", value)
	t.Setenv("CRMHUB_TEST_EMPTY", "")
	for _, tc := range []struct {
		name, env, file string
		want            string
		errWant         string // fragment of the error; "" for success
	}{
		{"from env", "CRMHUB_TEST_SECRET", "", value, ""},
		{"env wins over file", "CRMHUB_TEST_SECRET", blank, value, ""},
		{"from file, trimmed", "", good, value, ""},
		{"empty env falls back to file", "CRMHUB_TEST_EMPTY", good, value, ""},
		{"unset env, no file", "CRMHUB_TEST_UNSET", "", "", "export CRMHUB_TEST_UNSET"},
		{"nothing named", "", "", "", "secret not set"},
		{"missing file", "CRMHUB_TEST_UNSET", filepath.Join(dir, "absent"), "", "absent"},
		{"blank file", "", blank, "", "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Secret(tc.env, tc.file)
			if tc.errWant == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Secret = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Secret = %q, want an error", got)
			}
			if !strings.Contains(err.Error(), tc.errWant) {
				t.Errorf("error %q does not say %q", err, tc.errWant)
			}
			if strings.Contains(err.Error(), value) {
				t.Errorf("error leaks the secret: %q", err)
			}
		})
	}
}
