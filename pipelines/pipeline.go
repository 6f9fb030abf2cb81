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
	"strings"
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
	// Operations sections (declared in operations.go).
	Objects  Objects   `yaml:"objects"`
	Mappings []Mapping `yaml:"mappings"`
	Run      Run       `yaml:"run"`
	Engine   Engine    `yaml:"engine"`
	Schedule Schedule  `yaml:"schedule"`
	Metrics  Metrics   `yaml:"metrics"`
	Alerts   Alerts    `yaml:"alerts"`
	Audit    Audit     `yaml:"audit"`

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
	// MaxBlockSize drops a blocking key shared by more records than this
	// (a placeholder email, a switchboard): such a key says nothing.
	MaxBlockSize int `yaml:"max_block_size"`
	// BlockWindow bounds the work per record: within one blocking key the
	// records are sorted (by a second field per rule) and each is compared
	// with the next BlockWindow only (sorted neighbourhood). Keys shared by
	// at most BlockWindow+1 records compare every pair.
	BlockWindow int `yaml:"block_window"`
	// NameBlockWindow is the window of the person rules on one name, birth
	// dates, places and the mailbox (blocks of namesakes and neighbours,
	// large at scale); identifier rules (email, phone, street) use
	// BlockWindow, and the rules on both names one neighbour (their
	// duplicates sort side by side).
	NameBlockWindow int `yaml:"name_block_window"`
	// ReferenceRecords is the number of live records the thresholds were
	// set on; on more records they rise by log2(records / ReferenceRecords)
	// (a random pair's prior odds of matching fall as 1/N).
	ReferenceRecords int `yaml:"reference_records"`
	// Estimate re-estimates m (EM over the candidate pairs) and u (random
	// record pairs) from the data, starting from sql/ref/match_weights.csv.
	Estimate bool `yaml:"estimate"`
	// EstimateSamplePairs is the number of random record pairs u is
	// estimated from; EstimateIterations caps the EM rounds.
	EstimateSamplePairs int `yaml:"estimate_sample_pairs"`
	EstimateIterations  int `yaml:"estimate_iterations"`
	// MatchProbability and ReviewProbability decide person pairs when
	// Estimate is on: the posterior match probability, from the estimated
	// weights and the estimated share of matching record pairs (which
	// falls as 1/N by itself), replaces the score thresholds.
	MatchProbability  float64 `yaml:"match_probability"`
	ReviewProbability float64 `yaml:"review_probability"`
	// DefaultRegion is the ISO 3166 region of phone numbers written
	// without a country code (E.164 normalisation).
	DefaultRegion string     `yaml:"default_region"`
	Person        Thresholds `yaml:"person"`
	Company       Thresholds `yaml:"company"`
	Deal          Thresholds `yaml:"deal"`
}

// Thresholds are on the Fellegi-Sunter score (sum of log2 m/u weights).
type Thresholds struct {
	Match  float64 `yaml:"match_threshold"`
	Review float64 `yaml:"review_threshold"`
	Prior  float64 `yaml:"prior"`
}

// Golden holds field precedence rules and what the load may do beyond field
// updates: create counterparts, merge duplicates, propagate deletions.
// docs/golden.md explains each setting.
type Golden struct {
	Rules []FieldRule `yaml:"rules"`
	// Create lists the counterparts crmhub creates: a golden record with a
	// record in From and none in the other system gets one of Object there.
	Create []CreateRule `yaml:"create"`
	// MergeDuplicates names the systems where two records of one golden
	// record are merged through the API; elsewhere they go to review.
	MergeDuplicates []string `yaml:"merge_duplicates"`
	// PropagateDeletions names the systems that receive a deletion made in
	// the other one (HubSpot: archive; Salesforce: Crmhub_Status__c =
	// deleted, the field_map row of role status).
	PropagateDeletions []string `yaml:"propagate_deletions"`
}

// FieldRule decides one field of one entity.
//
//	rule: owner | owner_unless_blank | most_recent | priority | most_frequent | longest | sql
type FieldRule struct {
	Entity    string `yaml:"entity"`
	Field     string `yaml:"field"`
	Rule      string `yaml:"rule"`
	Owner     string `yaml:"owner"`
	Direction string `yaml:"direction"`
	// Priority orders sources for rule priority: systems ("salesforce") or
	// system:Object ("salesforce:Contact"); the first non-blank wins.
	Priority []string `yaml:"priority"`
	// Expression is a DuckDB expression for rule sql, over one candidate
	// (value, system, object, record_id, changed_at, updated_at); the
	// highest score wins.
	Expression string `yaml:"expression"`
	// OnConflict is decide (default: the rule settles it) or review (the
	// field is held and the conflict goes to the review queue).
	OnConflict string `yaml:"on_conflict"`
	// Lock freezes the field to one system's value while a condition holds.
	Lock *Lock `yaml:"lock"`
	line int
}

// Lock: while When holds (a DuckDB boolean expression over has_hubspot,
// has_salesforce, hubspot_value, salesforce_value), System's value wins and
// System receives no write for the field.
type Lock struct {
	System string `yaml:"system"`
	When   string `yaml:"when"`
}

// Line is the rule's line in its file (0 for the defaults).
func (r FieldRule) Line() int { return r.line }

// CreateRule creates counterparts of one entity's records.
type CreateRule struct {
	Entity string `yaml:"entity"`
	From   string `yaml:"from"`   // system holding the record
	Object string `yaml:"object"` // object created in the other system
	line   int
}

func (c *CreateRule) UnmarshalYAML(n *yaml.Node) error {
	type plain CreateRule
	c.line = n.Line
	return n.Decode((*plain)(c))
}

// Load holds write-back settings and safeguards.
type Load struct {
	Enabled             bool `yaml:"enabled"`
	HubSpotBatchSize    int  `yaml:"hubspot_batch_size"`
	SalesforceBatchSize int  `yaml:"salesforce_batch_size"`
	// HubSpotWorkers, SalesforceWorkers: write calls in flight at once per
	// CRM (load.HubSpotTarget.Workers, load.SalesforceTarget.Workers).
	HubSpotWorkers    int     `yaml:"hubspot_workers"`
	SalesforceWorkers int     `yaml:"salesforce_workers"`
	MaxUpdateShare    float64 `yaml:"max_update_share"`
	MaxUpdates        int     `yaml:"max_updates"`
	// BulkThreshold: Salesforce writes of more records than this per object
	// go through Bulk API 2.0 instead of sObject Collections.
	BulkThreshold int `yaml:"bulk_threshold"`
	// MaxAttempts: a record failing this many runs in a row is reported as
	// stuck in sync_errors (it is still retried, never dropped).
	MaxAttempts int `yaml:"max_attempts"`
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

var ruleKeys = map[string]bool{"entity": true, "field": true, "rule": true, "owner": true, "direction": true,
	"priority": true, "expression": true, "on_conflict": true, "lock": true}

var lockKeys = map[string]bool{"system": true, "when": true}

func (r *FieldRule) UnmarshalYAML(n *yaml.Node) error {
	type plain FieldRule
	// Node.Decode does not inherit the decoder's KnownFields: check the
	// keys here, or a misspelt "onwer" would pass unnoticed.
	var errs []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !ruleKeys[k.Value] {
				errs = append(errs, fmt.Sprintf("line %d: field %s not found in golden rule (want entity, field, rule, owner, direction, priority, expression, on_conflict, lock)", k.Line, k.Value))
			}
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "lock" && v.Kind == yaml.MappingNode {
				for j := 0; j+1 < len(v.Content); j += 2 {
					if lk := v.Content[j]; !lockKeys[lk.Value] {
						errs = append(errs, fmt.Sprintf("line %d: field %s not found in lock (want system, when)", lk.Line, lk.Value))
					}
				}
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
	// spec.go declares the defaults; default.yaml adds those of sections
	// not yet declared there
	p, err := parse("default.yaml", defaultYAML, specDefaults())
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
		cp.Golden.Rules = nil  // a file's rules replace the defaults' rules
		cp.Golden.Create = nil // and so do its create rules
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
		errs = append(errs, p.hintUnknown(decodeErrors(name, err)))
	}
	if base != nil && len(p.Golden.Rules) == 0 {
		p.Golden.Rules = base.Golden.Rules
	}
	if base != nil && p.Golden.Create == nil { // "create: []" turns creation off
		p.Golden.Create = base.Golden.Create
	}
	errs = append(errs, p.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

var regionRe = regexp.MustCompile(`^[A-Z]{2}$`)

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
	entities = map[string]bool{"person": true, "company": true, "deal": true}
	rules    = map[string]bool{"most_recent": true, "owner": true, "owner_unless_blank": true,
		"priority": true, "most_frequent": true, "longest": true, "sql": true}
	// createObjects: what a counterpart of an entity's record can be, per
	// system it is created in
	createObjects = map[string]map[string]bool{
		"person":  {"Lead": true, "Contact": true, "contacts": true},
		"company": {"Account": true, "companies": true},
		"deal":    {"Opportunity": true, "deals": true},
	}
	objectSystem = map[string]string{"Lead": "salesforce", "Contact": "salesforce", "Account": "salesforce",
		"Opportunity": "salesforce", "contacts": "hubspot", "companies": "hubspot", "deals": "hubspot"}
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
	p.validateSpec(bad)
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
	if p.Matching.BlockWindow < 1 || p.Matching.BlockWindow > 10 {
		bad(p.line("matching", "block_window"), "matching.block_window %d: want 1 to 10 neighbours per record and key", p.Matching.BlockWindow)
	}
	if p.Matching.NameBlockWindow < 1 || p.Matching.NameBlockWindow > p.Matching.BlockWindow {
		bad(p.line("matching", "name_block_window"), "matching.name_block_window %d: want 1 to block_window (%d)", p.Matching.NameBlockWindow, p.Matching.BlockWindow)
	}
	if p.Matching.EstimateSamplePairs < 1000 {
		bad(p.line("matching", "estimate_sample_pairs"), "matching.estimate_sample_pairs %d: want at least 1000 random pairs", p.Matching.EstimateSamplePairs)
	}
	if p.Matching.EstimateIterations < 1 || p.Matching.EstimateIterations > 100 {
		bad(p.line("matching", "estimate_iterations"), "matching.estimate_iterations %d: want 1 to 100", p.Matching.EstimateIterations)
	}
	if !(p.Matching.ReviewProbability > 0 && p.Matching.ReviewProbability <= p.Matching.MatchProbability && p.Matching.MatchProbability < 1) {
		bad(p.line("matching", "match_probability"), "matching: want 0 < review_probability (%g) <= match_probability (%g) < 1", p.Matching.ReviewProbability, p.Matching.MatchProbability)
	}
	if p.Matching.ReferenceRecords < 1 {
		bad(p.line("matching", "reference_records"), "matching.reference_records %d: must be at least 1", p.Matching.ReferenceRecords)
	}
	if !regionRe.MatchString(p.Matching.DefaultRegion) {
		bad(p.line("matching", "default_region"), "matching.default_region %q: want a two-letter region code such as US, GB, DE", p.Matching.DefaultRegion)
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
			bad(r.line, "golden rule %q for %s.%s: want owner, owner_unless_blank, most_recent, priority, most_frequent, longest or sql", r.Rule, r.Entity, r.Field)
		}
		if r.Rule == "priority" && len(r.Priority) == 0 {
			bad(r.line, "golden rule priority for %s.%s needs priority: [system or system:Object, ...]", r.Entity, r.Field)
		}
		for _, src := range r.Priority {
			sys, obj, _ := strings.Cut(src, ":")
			if !systems[sys] || (obj != "" && objectSystem[obj] != sys) {
				bad(r.line, "golden rule priority entry %q for %s.%s: want hubspot, salesforce or system:Object (salesforce:Contact)", src, r.Entity, r.Field)
			}
		}
		if r.Rule == "sql" && strings.TrimSpace(r.Expression) == "" {
			bad(r.line, "golden rule sql for %s.%s needs expression (a DuckDB expression scoring one candidate)", r.Entity, r.Field)
		}
		if r.Rule != "sql" && r.Expression != "" {
			bad(r.line, "golden rule %s for %s.%s: expression applies to rule sql only", r.Rule, r.Entity, r.Field)
		}
		if strings.Contains(r.Expression, ";") {
			bad(r.line, "golden rule expression for %s.%s: one expression, no ';'", r.Entity, r.Field)
		}
		if r.OnConflict != "" && r.OnConflict != "decide" && r.OnConflict != "review" {
			bad(r.line, "golden rule on_conflict %q for %s.%s: want decide or review", r.OnConflict, r.Entity, r.Field)
		}
		if r.Lock != nil {
			if !systems[r.Lock.System] {
				bad(r.line, "golden rule lock for %s.%s needs system: hubspot or salesforce", r.Entity, r.Field)
			}
			if strings.TrimSpace(r.Lock.When) == "" || strings.Contains(r.Lock.When, ";") {
				bad(r.line, "golden rule lock for %s.%s needs when: one DuckDB boolean expression (e.g. has_salesforce)", r.Entity, r.Field)
			}
		}
		if (r.Rule == "owner" || r.Rule == "owner_unless_blank") && !systems[r.Owner] {
			bad(r.line, "golden rule %s for %s.%s needs owner: hubspot or salesforce", r.Rule, r.Entity, r.Field)
		}
		if !directions[r.Direction] {
			bad(r.line, "golden rule direction %q: want both, to_hubspot, to_salesforce or none", r.Direction)
		}
	}
	for _, c := range p.Golden.Create {
		if !entities[c.Entity] || !systems[c.From] || !createObjects[c.Entity][c.Object] || objectSystem[c.Object] == c.From {
			bad(c.line, "golden create {entity: %s, from: %s, object: %s}: want an entity, the system holding the record and an object of that entity in the other system (person: Lead or Contact / contacts)", c.Entity, c.From, c.Object)
		}
	}
	for _, list := range []struct {
		key string
		sys []string
	}{{"merge_duplicates", p.Golden.MergeDuplicates}, {"propagate_deletions", p.Golden.PropagateDeletions}} {
		for _, s := range list.sys {
			if !systems[s] {
				bad(p.line("golden", list.key), "golden.%s %q: want hubspot or salesforce", list.key, s)
			}
		}
	}
	if p.Load.BulkThreshold < 0 {
		bad(p.line("load", "bulk_threshold"), "load.bulk_threshold %d: must not be negative (0 never uses Bulk API)", p.Load.BulkThreshold)
	}
	if p.Load.MaxAttempts < 1 {
		bad(p.line("load", "max_attempts"), "load.max_attempts %d: must be at least 1", p.Load.MaxAttempts)
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
		"block_window":             m.BlockWindow,
		"name_block_window":        m.NameBlockWindow,
		"estimate_sample_pairs":    m.EstimateSamplePairs,
		"estimate_iterations":      m.EstimateIterations,
		"match_probability":        m.MatchProbability,
		"review_probability":       m.ReviewProbability,
		"reference_records":        m.ReferenceRecords,
		"match_estimate":           m.Estimate,
		"default_region":           m.DefaultRegion,
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
