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
	"regexp"
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

	// doc is the parsed file, for the line numbers of messages.
	doc *yaml.Node
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
		// A *yaml.TypeError lets the decoder go on and report every mistake.
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %q is not a duration (e.g. 5m, 90s)", n.Line, n.Value)}}
	}
	d.Duration = v
	return nil
}

var ruleKeys = map[string]bool{"entity": true, "field": true, "rule": true, "owner": true, "direction": true}

func (r *FieldRule) UnmarshalYAML(n *yaml.Node) error {
	type plain FieldRule
	// Node.Decode does not inherit the decoder's KnownFields: check the
	// keys here, or a misspelt "onwer" would pass unnoticed.
	var errs []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !ruleKeys[k.Value] {
				errs = append(errs, fmt.Sprintf("line %d: field %s not found in golden rule (want entity, field, rule, owner, direction)", k.Line, k.Value))
			}
		}
	}
	if err := n.Decode((*plain)(r)); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return err
		}
		errs = append(errs, te.Errors...)
	}
	r.line = n.Line
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
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
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, decodeErrors(name, err)
	}
	p.doc = &doc
	p.Source = name
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var errs []error
	if err := dec.Decode(p); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, decodeErrors(name, err)
		}
		// Type mistakes leave the rest decoded: validate it too, so one
		// run reports every mistake.
		errs = append(errs, decodeErrors(name, err))
	}
	if base != nil && len(p.Golden.Rules) == 0 {
		p.Golden.Rules = base.Golden.Rules
	}
	errs = append(errs, p.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

var yamlLineRe = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// decodeErrors turns the YAML library's messages ("yaml: line 3: ...",
// "line 3: field x not found in type ...") into file:line messages.
func decodeErrors(name string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	errs := make([]error, 0, len(msgs))
	for _, m := range msgs {
		if sm := yamlLineRe.FindStringSubmatch(m); sm != nil {
			errs = append(errs, fmt.Errorf("%w: %s:%s: %s", ErrInvalid, name, sm[1], sm[2]))
		} else {
			errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalid, name, m))
		}
	}
	return errors.Join(errs...)
}

// line returns the line of the key at path in the parsed file, or 0 when
// the file does not set it (the value came from the defaults).
func (p *Pipeline) line(path ...string) int {
	if p.doc == nil || len(p.doc.Content) == 0 {
		return 0
	}
	n := p.doc.Content[0]
	line := 0
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, next = n.Content[i].Line, n.Content[i+1]
				break
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return line
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
			line := p.line("matching", t.name, "review_threshold")
			if line == 0 {
				line = p.line("matching", t.name)
			}
			bad(line, "matching.%s: review_threshold %.1f is above match_threshold %.1f", t.name, t.th.Review, t.th.Match)
		}
	}
	if p.Matching.MaxBlockSize < 2 {
		bad(p.line("matching", "max_block_size"), "matching.max_block_size %d: must be at least 2", p.Matching.MaxBlockSize)
	}
	if p.Extract.Overlap.Duration < 0 {
		bad(p.line("extract", "overlap"), "extract.overlap %s: must not be negative", p.Extract.Overlap.Duration)
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
		bad(p.line("load", "hubspot_batch_size"), "load.hubspot_batch_size %d: HubSpot batches take 1 to 100 inputs", p.Load.HubSpotBatchSize)
	}
	if p.Load.SalesforceBatchSize < 1 || p.Load.SalesforceBatchSize > 200 {
		bad(p.line("load", "salesforce_batch_size"), "load.salesforce_batch_size %d: sObject Collections take 1 to 200 records", p.Load.SalesforceBatchSize)
	}
	if p.Load.MaxUpdateShare <= 0 || p.Load.MaxUpdateShare > 1 {
		bad(p.line("load", "max_update_share"), "load.max_update_share %.2f: want a share between 0 and 1", p.Load.MaxUpdateShare)
	}
	if p.Load.MaxUpdates < 0 {
		bad(p.line("load", "max_updates"), "load.max_updates %d: must not be negative", p.Load.MaxUpdates)
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
		v := string(bytes.TrimSpace(b))
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", file)
		}
		return v, nil
	}
	if env == "" {
		return "", errors.New("secret not set: name an environment variable or a file in the pipeline")
	}
	return "", fmt.Errorf("secret not set: export %s or name a file", env)
}
