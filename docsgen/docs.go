package docsgen

import (
	"fmt"
	"html/template"
	"io/fs"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// Doc is the sync architecture of one pipeline and model tree.
type Doc struct {
	Pipeline   string
	Source     string
	Schedule   string
	HubSpot    string
	Salesforce string
	Overlap    string
	Load       []KV
	Entities   []EntityDoc
	Identity   []Mapping
	Create     []string
	Merge      string
	Deletions  string
	Matching   []MatchDoc
	MaxBlock   int
	Models     []ModelDoc
	Lineage    transform.Lineage
	Tables     []Table
	FieldMap   FieldMap
	YAML       string
	Macros     []string
	LineageSVG template.HTML
}

// KV is a labelled setting.
type KV struct{ Key, Value string }

// EntityDoc is what syncs for one entity.
type EntityDoc struct {
	Name       string
	HubSpot    []string // objects
	Salesforce []string
	Fields     []FieldDoc
}

// FieldDoc is one mapped field: where it lives, who owns it, which rule
// decides it and which way it flows.
type FieldDoc struct {
	Field, HubSpot, Salesforce, Rule, Owner, Direction, Notes string
}

// MatchDoc is one entity's matching settings.
type MatchDoc struct {
	Entity               string
	Match, Review, Prior float64
	Compared             []string
}

// ModelDoc is one SQL model.
type ModelDoc struct {
	Name, Path, Kind, Description string
	Reads, Tests                  []string
	Published                     bool
}

// Build documents a pipeline and a model tree (the embedded sql/ or an
// overlay).
func Build(p *pipelines.Pipeline, models fs.FS) (*Doc, error) {
	fm, err := ReadFieldMap(models)
	if err != nil {
		return nil, err
	}
	ms, err := transform.LoadModels(models)
	if err != nil {
		return nil, err
	}
	d := &Doc{Pipeline: p.Name, Source: p.Source, FieldMap: fm, Tables: Tables(),
		HubSpot: p.HubSpot.BaseURL, Salesforce: p.Salesforce.LoginURL + " (API " + p.Salesforce.APIVersion + ")",
		Overlap: p.Extract.Overlap.String(), MaxBlock: p.Matching.MaxBlockSize}
	if d.Source == "" {
		d.Source = "built-in defaults (pipelines/default.yaml)"
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	d.YAML = string(b)
	var generic map[string]any
	_ = yaml.Unmarshal(b, &generic)
	d.Schedule = "not set in the pipeline: runs when the scheduler calls `crmhub run` (cron or a systemd timer)"
	if s, ok := generic["schedule"]; ok && s != nil {
		sb, _ := yaml.Marshal(s)
		d.Schedule = strings.TrimSpace(string(sb))
	}
	if l, ok := generic["load"].(map[string]any); ok {
		for _, k := range sortedKeys(l) {
			d.Load = append(d.Load, KV{k, fmt.Sprint(l[k])})
		}
	}
	rules := map[string]pipelines.FieldRule{}
	for _, r := range p.Golden.Rules {
		rules[r.Entity+"."+r.Field] = r
	}
	for _, e := range fm.Entities() {
		ed := EntityDoc{Name: e}
		for _, m := range fm {
			if m.Entity != e || m.Role != "value" {
				continue
			}
			list := &ed.HubSpot
			if m.System == "salesforce" {
				list = &ed.Salesforce
			}
			if !slices.Contains(*list, m.Object) {
				*list = append(*list, m.Object)
			}
		}
		for _, f := range fm.Fields(e, "value") {
			ed.Fields = append(ed.Fields, fieldDoc(fm, e, f, rules[e+"."+f]))
		}
		if len(ed.Fields) > 0 {
			d.Entities = append(d.Entities, ed)
		}
	}
	for _, m := range fm {
		if m.Role != "value" {
			d.Identity = append(d.Identity, m)
		}
	}
	for _, c := range p.Golden.Create {
		d.Create = append(d.Create, fmt.Sprintf("a %s only in %s gets a new %s in the other system", c.Entity, c.From, c.Object))
	}
	d.Merge = listOr(p.Golden.MergeDuplicates, "none: duplicates inside one system go to review_queue")
	d.Deletions = listOr(p.Golden.PropagateDeletions, "none: a deletion stays in the system where it happened")
	compared := comparedFields(models)
	for _, e := range []struct {
		name string
		t    pipelines.Thresholds
	}{{"person", p.Matching.Person}, {"company", p.Matching.Company}, {"deal", p.Matching.Deal}} {
		d.Matching = append(d.Matching, MatchDoc{Entity: e.name, Match: e.t.Match, Review: e.t.Review, Prior: e.t.Prior, Compared: compared[e.name]})
	}
	published := map[string]bool{}
	for _, t := range d.Tables {
		published[t.Name] = true
	}
	d.Lineage = transform.BuildLineage(ms)
	for _, m := range ms {
		md := ModelDoc{Name: m.Name, Path: m.Path, Kind: "model", Description: m.Description, Reads: m.Deps, Published: published[m.Name]}
		switch {
		case m.Macros:
			md.Kind = "macros"
			d.Macros = append(d.Macros, m.Name)
		case m.Script:
			md.Kind = "script"
		}
		for _, t := range m.Tests {
			md.Tests = append(md.Tests, t.Name())
		}
		d.Models = append(d.Models, md)
	}
	d.LineageSVG = LineageSVG(d.Lineage, published)
	return d, nil
}

func fieldDoc(fm FieldMap, entity, field string, r pipelines.FieldRule) FieldDoc {
	fd := FieldDoc{Field: field, HubSpot: strings.Join(fm.Sources(entity, field, "hubspot"), ", "),
		Salesforce: strings.Join(fm.Sources(entity, field, "salesforce"), ", "), Rule: "most_recent (default)", Owner: "none"}
	if r.Rule != "" {
		fd.Rule = r.Rule
	}
	if r.Owner != "" {
		fd.Owner = r.Owner
	}
	dir := r.Direction
	if dir == "" {
		dir = "both"
	}
	to := map[string]bool{"hubspot": dir == "both" || dir == "to_hubspot", "salesforce": dir == "both" || dir == "to_salesforce"}
	if fd.HubSpot == "" {
		to["hubspot"] = false
	}
	if fd.Salesforce == "" {
		to["salesforce"] = false
	}
	if r.Owner != "" {
		to[r.Owner] = false // an owner never receives writes for its field
	}
	if r.Lock != nil {
		to[r.Lock.System] = false
	}
	var ways []string
	if to["hubspot"] {
		ways = append(ways, "→ HubSpot")
	}
	if to["salesforce"] {
		ways = append(ways, "→ Salesforce")
	}
	fd.Direction = strings.Join(ways, ", ")
	if fd.Direction == "" {
		fd.Direction = "no writes"
	}
	var notes []string
	if len(r.Priority) > 0 {
		notes = append(notes, "priority: "+strings.Join(r.Priority, " > "))
	}
	if r.Expression != "" {
		notes = append(notes, "expression: "+r.Expression)
	}
	if r.OnConflict == "review" {
		notes = append(notes, "conflicts go to review")
	}
	if r.Lock != nil {
		notes = append(notes, "locked to "+r.Lock.System+" while "+r.Lock.When)
	}
	if r.Line() > 0 {
		notes = append(notes, fmt.Sprintf("rule at line %d", r.Line()))
	}
	fd.Notes = strings.Join(notes, "; ")
	return fd
}

// comparedFields reads ref/match_weights.csv: the compared fields per entity.
func comparedFields(models fs.FS) map[string][]string {
	out := map[string][]string{}
	b, err := fs.ReadFile(models, "ref/match_weights.csv")
	if err != nil {
		return out
	}
	for i, line := range strings.Split(string(b), "\n") {
		parts := strings.Split(line, ",")
		if i == 0 || len(parts) < 2 {
			continue
		}
		if !slices.Contains(out[parts[0]], parts[1]) {
			out[parts[0]] = append(out[parts[0]], parts[1])
		}
	}
	return out
}

func listOr(l []string, none string) string {
	if len(l) == 0 {
		return none
	}
	return strings.Join(l, ", ")
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
