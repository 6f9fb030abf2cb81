package pipelines

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Field declares one key of a pipeline file once: its name, kind, default
// and description, and the checks `crmhub validate` applies. The same
// declarations make the defaults (Default) and the generated reference
// (docs/pipeline-reference.md, `crmhub pipeline docs`).
//
// A section is a Field of kind "object" whose Fields are its keys; a list
// of records ("list<object>") declares its item keys in Fields too.
type Field struct {
	Name string
	// Kind: string, int, float, bool, duration, list<string>, map, object
	// or list<object>.
	Kind string
	// Default is YAML text ("150", "5m", "[contacts, deals]"). Empty: the
	// default comes from default.yaml (sections not yet converted) or is
	// the zero value.
	Default     string
	Description string
	// Checks: allowed values (for strings and each element of string
	// lists), inclusive bounds for numbers (durations: seconds).
	Enum     []string
	Min, Max *float64
	// Check returns a problem with the value, or "".
	Check func(v any) string
	// CheckAll checks the section as a whole (list items with their own
	// lines, fields that depend on each other).
	CheckAll func(p *Pipeline, bad func(line int, format string, args ...any))
	Fields   []Field
}

// Spec is the whole pipeline file, section by section, in document order.
// A new section is one more entry here (its declarations in its own file).
func Spec() Field {
	return Field{Kind: "object", Fields: []Field{
		{Name: "name", Kind: "string", Default: "default", Description: "Name of the pipeline, shown in logs, metrics (label pipeline) and alerts."},
		hubspotSpec(),
		salesforceSpec(),
		objectsSpec(),
		mappingsSpec(),
		extractSpec(),
		matchingSpec(),
		goldenSpec(),
		loadSpec(),
		runSpec(),
		engineSpec(),
		scheduleSpec(),
		metricsSpec(),
		alertsSpec(),
		auditSpec(),
	}}
}

func num(v float64) *float64 { return &v }

func hubspotSpec() Field {
	return Field{Name: "hubspot", Kind: "object", Description: "How to reach HubSpot. The token comes from the environment variable or file named here, never from the file itself.", Fields: []Field{
		{Name: "base_url", Kind: "string", Default: "https://api.hubapi.com", Description: "API base URL (a simulator's URL in tests).", Check: checkURL},
		{Name: "token_env", Kind: "string", Default: "HUBSPOT_TOKEN", Description: "Environment variable holding the private-app token."},
		{Name: "token_file", Kind: "string", Description: "File holding the token, read when token_env is unset or empty."},
		{Name: "requests_per_10s", Kind: "int", Default: "150", Min: num(1), Max: num(1000), Description: "Client-side rate limit; stay under the app's limit (190 per 10 s on Professional)."},
	}}
}

func salesforceSpec() Field {
	return Field{Name: "salesforce", Kind: "object", Description: "How to reach Salesforce (OAuth client credentials of a connected app).", Fields: []Field{
		{Name: "login_url", Kind: "string", Default: "https://login.salesforce.com", Description: "OAuth token endpoint host (https://test.salesforce.com for sandboxes).", Check: checkURL},
		{Name: "client_id_env", Kind: "string", Default: "SALESFORCE_CLIENT_ID", Description: "Environment variable holding the connected app's consumer key."},
		{Name: "client_secret_env", Kind: "string", Default: "SALESFORCE_CLIENT_SECRET", Description: "Environment variable holding the consumer secret."},
		{Name: "client_secret_file", Kind: "string", Description: "File holding the consumer secret, read when client_secret_env is unset or empty."},
		{Name: "api_version", Kind: "string", Default: "v62.0", Description: "REST API version.", Check: func(v any) string {
			if s := v.(string); !apiVersionRe.MatchString(s) {
				return fmt.Sprintf("%q is not like v62.0", s)
			}
			return ""
		}},
	}}
}

func extractSpec() Field {
	return Field{Name: "extract", Kind: "object", Description: "Extraction: full on the first run, then incremental by modification time.", Fields: []Field{
		{Name: "overlap", Kind: "duration", Default: "5m", Min: num(0), Description: "Re-read this long before the last cursor (late commits, clock skew)."},
	}}
}

func matchingSpec() Field {
	th := func(entity string) Field {
		return Field{Name: entity, Kind: "object", Description: "Fellegi-Sunter decision thresholds for " + entity + " pairs (score = sum of log2 m/u weights).", Fields: []Field{
			{Name: "match_threshold", Kind: "float", Description: "Score at or above which a pair is a match."},
			{Name: "review_threshold", Kind: "float", Description: "Score at or above which a pair goes to the review queue; must not exceed match_threshold."},
			{Name: "prior", Kind: "float", Description: "log2 prior odds that a candidate pair matches."},
		}}
	}
	return Field{Name: "matching", Kind: "object", Description: "Blocking and match decisions per entity.", Fields: []Field{
		{Name: "max_block_size", Kind: "int", Description: "Largest blocking group compared pairwise; larger groups are skipped and reported."},
		{Name: "block_window", Kind: "int", Min: num(1), Description: "Within one blocking key each record is compared with its next block_window neighbours in the rule's sort order (sorted neighbourhood): candidate pairs per record stay bounded at any size."},
		{Name: "name_block_window", Kind: "int", Min: num(1), Description: "The window of the person blocking rules on names, birth dates and places (blocks of namesakes and neighbours grow with the data); identifier rules use block_window."},
		{Name: "reference_records", Kind: "int", Min: num(1), Description: "Live records per entity the thresholds hold for; above it both thresholds rise by log2(records / reference_records), as a random pair's prior odds fall as 1/N."},
		{Name: "estimate", Kind: "bool", Description: "Re-estimate m (EM over candidate pairs) and u (random record pairs) from the data; false keeps sql/ref/match_weights.csv."},
		{Name: "estimate_sample_pairs", Kind: "int", Min: num(1000), Description: "Random record pairs u is estimated from (with estimate)."},
		{Name: "estimate_iterations", Kind: "int", Min: num(1), Description: "Most EM rounds (with estimate); EM stops earlier once no m moves by 1e-4."},
		{Name: "match_probability", Kind: "float", Description: "With estimate: person pairs whose posterior match probability (estimated weights, estimated share of matching pairs) reaches this link."},
		{Name: "review_probability", Kind: "float", Description: "With estimate: person pairs at or above this probability and below match_probability go to the review queue."},
		{Name: "default_region", Kind: "string", Description: "Region (ISO 3166 alpha-2) of phone numbers written without a country code, for E.164."},
		th("person"), th("company"), th("deal"),
	}}
}

func goldenSpec() Field {
	return Field{Name: "golden", Kind: "object", Description: "Golden-record rules: which system owns each field, how conflicts resolve, which way values flow (docs/golden.md).", Fields: []Field{
		{Name: "rules", Kind: "list<object>", Description: "One rule per entity field; a file's rules replace the defaults' rules. Fields without a rule use most_recent.", Fields: []Field{
			{Name: "entity", Kind: "string", Enum: []string{"person", "company", "deal"}, Description: "Entity of the field."},
			{Name: "field", Kind: "string", Description: "Golden field name (sql/ref/field_map.csv)."},
			{Name: "rule", Kind: "string", Description: "owner | owner_unless_blank | most_recent | priority | most_frequent | longest | sql."},
			{Name: "owner", Kind: "string", Description: "Owning system for rules owner and owner_unless_blank: hubspot or salesforce."},
			{Name: "direction", Kind: "string", Description: "Which systems receive the golden value: both (default), to_hubspot, to_salesforce or none."},
			{Name: "priority", Kind: "list<string>", Description: "For rule priority: systems or system:Object in order; the first non-blank wins."},
			{Name: "expression", Kind: "string", Description: "For rule sql: a DuckDB expression scoring one candidate (value, system, object, record_id, changed_at, updated_at); highest wins."},
			{Name: "on_conflict", Kind: "string", Description: "decide (default: the rule settles it) or review (hold the field and queue the conflict)."},
			{Name: "lock", Kind: "object", Description: "While `when` holds, `system`'s value wins and that system receives no write for the field.", Fields: []Field{
				{Name: "system", Kind: "string", Description: "hubspot or salesforce."},
				{Name: "when", Kind: "string", Description: "DuckDB boolean over has_hubspot, has_salesforce, hubspot_value, salesforce_value."},
			}},
		}},
		{Name: "create", Kind: "list<object>", Description: "Counterparts to create where the other system has none (empty list: none).", Fields: []Field{
			{Name: "entity", Kind: "string", Description: "person, company or deal."},
			{Name: "from", Kind: "string", Description: "System holding the record."},
			{Name: "object", Kind: "string", Description: "Object created in the other system."},
		}},
		{Name: "merge_duplicates", Kind: "list<string>", Description: "Systems where duplicates inside the system are merged through the API; elsewhere they go to review_queue."},
		{Name: "propagate_deletions", Kind: "list<string>", Description: "Systems that receive deletions made in the other one (HubSpot: archive; Salesforce: the status field)."},
	}}
}

func loadSpec() Field {
	return Field{Name: "load", Kind: "object", Description: "Write-back to the CRMs and its safeguards.", Fields: []Field{
		{Name: "enabled", Kind: "bool", Description: "Write golden values back; false computes and publishes only."},
		{Name: "hubspot_batch_size", Kind: "int", Description: "Records per HubSpot batch call (1-100)."},
		{Name: "salesforce_batch_size", Kind: "int", Description: "Records per sObject Collections call (1-200)."},
		{Name: "hubspot_workers", Kind: "int", Default: "4", Min: num(1), Max: num(10), Description: "HubSpot batch calls in flight at once; the client's rate limit (hubspot.requests_per_10s) still holds."},
		{Name: "salesforce_workers", Kind: "int", Default: "4", Min: num(1), Max: num(25), Description: "Salesforce collection calls or bulk jobs in flight at once (Salesforce allows 25 long-running requests per org)."},
		{Name: "max_update_share", Kind: "float", Description: "Safeguard: refuse a load updating more than this share of a system's records unless approved (--approve \"reason\")."},
		{Name: "max_updates", Kind: "int", Description: "Safeguard: refuse a load updating more than this many records of a system unless approved; also limits creates and archives."},
		{Name: "bulk_threshold", Kind: "int", Description: "Salesforce: more records per object than this go through Bulk API 2.0 (0: never)."},
		{Name: "max_attempts", Kind: "int", Description: "A record failing this many runs in a row is reported as stuck in sync_errors (still retried)."},
	}}
}

// --- the mechanism ---

// specDefaults is the pipeline the spec's defaults make.
func specDefaults() *Pipeline {
	root := &yaml.Node{Kind: yaml.MappingNode}
	var add func(into *yaml.Node, f Field)
	add = func(into *yaml.Node, f Field) {
		if f.Kind == "object" {
			m := &yaml.Node{Kind: yaml.MappingNode}
			for _, c := range f.Fields {
				add(m, c)
			}
			if len(m.Content) > 0 {
				into.Content = append(into.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.Name}, m)
			}
			return
		}
		if f.Default == "" {
			return
		}
		var v yaml.Node
		if err := yaml.Unmarshal([]byte(f.Default), &v); err != nil || len(v.Content) == 0 {
			panic(fmt.Sprintf("pipelines: default of %s: %q is not YAML: %v", f.Name, f.Default, err))
		}
		into.Content = append(into.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.Name}, v.Content[0])
	}
	for _, f := range Spec().Fields {
		add(root, f)
	}
	p := &Pipeline{}
	if err := root.Decode(p); err != nil {
		panic("pipelines: spec defaults do not decode: " + err.Error())
	}
	return p
}

// SpecField is one declared key with its dotted path.
type SpecField struct {
	Path []string
	Field
}

// Walk lists every declared key, depth first, in document order. Item keys
// of a list<object> have the list's path plus "[]".
func Walk(f Field) []SpecField {
	var out []SpecField
	var rec func(path []string, f Field)
	rec = func(path []string, f Field) {
		for _, c := range f.Fields {
			p := append(slices.Clone(path), c.Name)
			out = append(out, SpecField{Path: p, Field: c})
			if c.Kind == "list<object>" {
				rec(append(p, "[]"), c)
			} else if len(c.Fields) > 0 {
				rec(p, c)
			}
		}
	}
	rec(nil, f)
	return out
}

// value returns the field at a yaml path of v (a struct), or false.
func value(v reflect.Value, path []string) (reflect.Value, bool) {
	for _, key := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return v, false
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return v, false
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if tag == key {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return v, false
		}
	}
	return v, true
}

// Value is the current value of a declared key, for docs and checks.
func (p *Pipeline) Value(path ...string) (any, bool) {
	v, ok := value(reflect.ValueOf(p).Elem(), path)
	if !ok || !v.CanInterface() {
		return nil, false
	}
	return v.Interface(), true
}

// validateSpec applies every declared check to the values in p.
func (p *Pipeline) validateSpec(bad func(line int, format string, args ...any)) {
	for _, f := range Walk(Spec()) {
		if f.CheckAll != nil {
			f.CheckAll(p, bad)
		}
		if slices.Contains(f.Path, "[]") || (f.Enum == nil && f.Min == nil && f.Max == nil && f.Check == nil) {
			continue
		}
		v, ok := p.Value(f.Path...)
		if !ok {
			continue
		}
		dotted := strings.Join(f.Path, ".")
		line := p.line(f.Path...)
		var n float64
		isNum := true
		switch x := v.(type) {
		case int:
			n = float64(x)
		case float64:
			n = x
		case Duration:
			n = x.Seconds()
		default:
			isNum = false
		}
		if isNum && f.Min != nil && n < *f.Min {
			bad(line, "%s %v: must be at least %v", dotted, show(v), *f.Min)
		}
		if isNum && f.Max != nil && n > *f.Max {
			bad(line, "%s %v: must be at most %v", dotted, show(v), *f.Max)
		}
		if f.Enum != nil {
			var vals []string
			switch x := v.(type) {
			case string:
				vals = []string{x}
			case []string:
				vals = x
			}
			for _, s := range vals {
				if !slices.Contains(f.Enum, s) {
					bad(line, "%s %q: want one of %s", dotted, s, strings.Join(f.Enum, ", "))
				}
			}
		}
		if f.Check != nil {
			if msg := f.Check(v); msg != "" {
				bad(line, "%s: %s", dotted, msg)
			}
		}
	}
}

func show(v any) any {
	if d, ok := v.(Duration); ok {
		return d.Duration
	}
	return v
}

func checkURL(v any) string {
	s, _ := v.(string)
	if s == "" {
		return ""
	}
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return fmt.Sprintf("%q is not an http(s) URL", s)
	}
	return ""
}

// suggest names the declared key closest to a misspelt one under parent.
func suggest(parent []string, key string) string {
	best, bestD := "", 3
	for _, f := range Walk(Spec()) {
		if len(f.Path) != len(parent)+1 || !slices.Equal(f.Path[:len(parent)], parent) {
			continue
		}
		if d := editDistance(key, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// unknownKeys adds the dotted path and a suggestion to the decoder's
// "field X not found" messages: it finds the key at its line in the file.
func (p *Pipeline) unknownHint(line int, key string) string {
	if p.doc == nil || len(p.doc.Content) == 0 {
		return ""
	}
	var path []string
	var find func(n *yaml.Node, at []string) bool
	find = func(n *yaml.Node, at []string) bool {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Line == line && k.Value == key {
					path = at
					return true
				}
				if find(n.Content[i+1], append(slices.Clone(at), k.Value)) {
					return true
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if find(c, append(slices.Clone(at), "[]")) {
					return true
				}
			}
		}
		return false
	}
	if !find(p.doc.Content[0], nil) {
		return ""
	}
	where := strings.Join(append(slices.Clone(path), key), ".")
	if s := suggest(path, key); s != "" {
		return fmt.Sprintf(" (%s: did you mean %s?)", where, s)
	}
	return fmt.Sprintf(" (%s: unknown key; see docs/pipeline-reference.md)", where)
}

var notFoundRe = regexp.MustCompile(`:(\d+): field (\S+) not found in type`)

// hintUnknown adds the dotted path and the nearest declared key to the
// decoder's "field X not found in type T" messages.
func (p *Pipeline) hintUnknown(err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var out []error
	for _, e := range j.Unwrap() {
		if m := notFoundRe.FindStringSubmatch(e.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			if h := p.unknownHint(line, m[2]); h != "" {
				e = fmt.Errorf("%w%s", e, h)
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}
