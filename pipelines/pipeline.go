// Package pipelines loads and validates pipeline files: which CRMs to reach,
// matching settings, golden-record rules and load safeguards. Defaults live
// in Default and in the embedded default.yaml, so a file names only what it
// changes.
package pipelines

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrInvalid marks a pipeline file that does not validate; the message names
// the file, line and field.
var ErrInvalid = errors.New("invalid pipeline")

//go:embed default.yaml
var defaultYAML []byte

// Pipeline is one pipeline file.
type Pipeline struct {
	Name       string     `yaml:"name"`
	HubSpot    HubSpot    `yaml:"hubspot"`
	Salesforce Salesforce `yaml:"salesforce"`
	Extract    Extract    `yaml:"extract"`
	Matching   Matching   `yaml:"matching"`
	Golden     Golden     `yaml:"golden"`
	Load       Load       `yaml:"load"`

	// Source is the file the pipeline came from ("" for the defaults).
	Source string `yaml:"-"`
}

// HubSpot says how to reach HubSpot.
type HubSpot struct {
	BaseURL        string `yaml:"base_url"`
	TokenEnv       string `yaml:"token_env"`
	TokenFile      string `yaml:"token_file"`
	RequestsPer10s int    `yaml:"requests_per_10s"`
}

// Salesforce says how to reach Salesforce.
type Salesforce struct {
	LoginURL         string `yaml:"login_url"`
	ClientIDEnv      string `yaml:"client_id_env"`
	ClientSecretEnv  string `yaml:"client_secret_env"`
	ClientSecretFile string `yaml:"client_secret_file"`
	APIVersion       string `yaml:"api_version"`
}

// Extract tunes extraction.
type Extract struct {
	Overlap Duration `yaml:"overlap"`
}

// Matching holds blocking and decision settings per entity.
type Matching struct {
	MaxBlockSize int        `yaml:"max_block_size"`
	Person       Thresholds `yaml:"person"`
	Company      Thresholds `yaml:"company"`
	Deal         Thresholds `yaml:"deal"`
}

// Thresholds are on the Fellegi-Sunter score (sum of log2 m/u weights).
type Thresholds struct {
	Match  float64 `yaml:"match_threshold"`
	Review float64 `yaml:"review_threshold"`
	Prior  float64 `yaml:"prior"`
}

// Golden holds field precedence rules.
type Golden struct {
	Rules []FieldRule `yaml:"rules"`
}

// FieldRule decides one field of one entity.
type FieldRule struct {
	Entity    string `yaml:"entity"`
	Field     string `yaml:"field"`
	Rule      string `yaml:"rule"`
	Owner     string `yaml:"owner"`
	Direction string `yaml:"direction"`
	line      int
}

// Load holds write-back settings and safeguards.
type Load struct {
	Enabled             bool    `yaml:"enabled"`
	HubSpotBatchSize    int     `yaml:"hubspot_batch_size"`
	SalesforceBatchSize int     `yaml:"salesforce_batch_size"`
	MaxUpdateShare      float64 `yaml:"max_update_share"`
	MaxUpdates          int     `yaml:"max_updates"`
}

// Duration reads "5m"-style durations.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 5m, 90s)", n.Line, n.Value)
	}
	d.Duration = v
	return nil
}

func (r *FieldRule) UnmarshalYAML(n *yaml.Node) error {
	type plain FieldRule
	if err := n.Decode((*plain)(r)); err != nil {
		return err
	}
	r.line = n.Line
	return nil
}

// Default returns the embedded default pipeline.
func Default() *Pipeline {
	p, err := parse("default.yaml", defaultYAML, nil)
	if err != nil {
		panic("embedded default pipeline is invalid: " + err.Error())
	}
	return p
}

// Load reads a pipeline file over the defaults and validates it.
func LoadFile(path string) (*Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return parse(path, b, Default())
}

func parse(name string, b []byte, base *Pipeline) (*Pipeline, error) {
	p := &Pipeline{}
	if base != nil {
		cp := *base
		cp.Golden.Rules = nil // a file's rules replace the defaults' rules
		p = &cp
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	if base != nil && len(p.Golden.Rules) == 0 {
		p.Golden.Rules = base.Golden.Rules
	}
	p.Source = name
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

var (
	entities   = map[string]bool{"person": true, "company": true, "deal": true}
	rules      = map[string]bool{"most_recent": true, "owner": true, "owner_unless_blank": true}
	systems    = map[string]bool{"hubspot": true, "salesforce": true}
	directions = map[string]bool{"": true, "both": true, "to_hubspot": true, "to_salesforce": true, "none": true}
)

// Validate reports every mistake at once, each with file and line.
func (p *Pipeline) Validate() error {
	var errs []error
	bad := func(line int, format string, args ...any) {
		where := p.Source
		if line > 0 {
			where = fmt.Sprintf("%s:%d", p.Source, line)
		}
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, where, fmt.Sprintf(format, args...)))
	}
	for _, t := range []struct {
		name string
		th   Thresholds
	}{{"person", p.Matching.Person}, {"company", p.Matching.Company}, {"deal", p.Matching.Deal}} {
		if t.th.Review > t.th.Match {
			bad(0, "matching.%s: review_threshold %.1f is above match_threshold %.1f", t.name, t.th.Review, t.th.Match)
		}
	}
	if p.Matching.MaxBlockSize < 2 {
		bad(0, "matching.max_block_size must be at least 2")
	}
	for _, r := range p.Golden.Rules {
		if !entities[r.Entity] {
			bad(r.line, "golden rule entity %q: want person, company or deal", r.Entity)
		}
		if r.Field == "" {
			bad(r.line, "golden rule needs a field")
		}
		if !rules[r.Rule] {
			bad(r.line, "golden rule %q for %s.%s: want most_recent, owner or owner_unless_blank", r.Rule, r.Entity, r.Field)
		}
		if (r.Rule == "owner" || r.Rule == "owner_unless_blank") && !systems[r.Owner] {
			bad(r.line, "golden rule %s for %s.%s needs owner: hubspot or salesforce", r.Rule, r.Entity, r.Field)
		}
		if !directions[r.Direction] {
			bad(r.line, "golden rule direction %q: want both, to_hubspot, to_salesforce or none", r.Direction)
		}
	}
	if p.Load.HubSpotBatchSize < 1 || p.Load.HubSpotBatchSize > 100 {
		bad(0, "load.hubspot_batch_size %d: HubSpot batches take 1 to 100 inputs", p.Load.HubSpotBatchSize)
	}
	if p.Load.SalesforceBatchSize < 1 || p.Load.SalesforceBatchSize > 200 {
		bad(0, "load.salesforce_batch_size %d: sObject Collections take 1 to 200 records", p.Load.SalesforceBatchSize)
	}
	if p.Load.MaxUpdateShare <= 0 || p.Load.MaxUpdateShare > 1 {
		bad(0, "load.max_update_share %.2f: want a share between 0 and 1", p.Load.MaxUpdateShare)
	}
	return errors.Join(errs...)
}

// Vars are the DuckDB variables the SQL models read.
func (p *Pipeline) Vars() map[string]any {
	m := p.Matching
	return map[string]any{
		"max_block_size":           m.MaxBlockSize,
		"person_match_threshold":   m.Person.Match,
		"person_review_threshold":  m.Person.Review,
		"person_prior":             m.Person.Prior,
		"company_match_threshold":  m.Company.Match,
		"company_review_threshold": m.Company.Review,
		"company_prior":            m.Company.Prior,
		"deal_match_threshold":     m.Deal.Match,
		"deal_review_threshold":    m.Deal.Review,
		"deal_prior":               m.Deal.Prior,
	}
}

// Secret reads a secret from the named environment variable, or else from
// the named file; it never appears in errors.
func Secret(env, file string) (string, error) {
	if env != "" {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("secret file %s: %w", file, err)
		}
		return string(bytes.TrimSpace(b)), nil
	}
	return "", fmt.Errorf("secret not set: export %s or name a file", env)
}
