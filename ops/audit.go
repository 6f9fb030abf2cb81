package ops

import (
	"context"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/transform"
)

// AuditConfig wires a parity audit.
type AuditConfig struct {
	Store      lake.Store
	Pipeline   *pipelines.Pipeline
	Models     fs.FS // the sql/ tree, for ref/field_map.csv
	HubSpot    *hubspot.Client
	Salesforce *salesforce.Client
	// Sample overrides the pipeline's audit.sample when above 0.
	Sample int
	// Seed varies the sample (e.g. the run id); the same seed picks the
	// same records.
	Seed string
}

// AuditReport is the parity of the sampled golden records' critical
// fields between HubSpot and Salesforce, as the APIs return them now.
type AuditReport struct {
	RunID      string        `json:"run_id"` // the published run audited
	Sampled    int           `json:"sampled"`
	Compared   int           `json:"compared"`
	Agree      int           `json:"agree"`
	Parity     float64       `json:"parity"`
	Threshold  float64       `json:"threshold"`
	Fields     []FieldParity `json:"fields"`
	Mismatches []Mismatch    `json:"mismatches"`
	// Pairs are the records compared, one per golden record and system.
	Pairs []AuditPair `json:"pairs"`
}

// AuditPair is one sampled golden record's HubSpot and Salesforce record.
type AuditPair struct {
	Entity           string `json:"entity"`
	GoldenID         string `json:"golden_id"`
	HubSpotObject    string `json:"hubspot_object"`
	HubSpotID        string `json:"hubspot_id"`
	SalesforceObject string `json:"salesforce_object"`
	SalesforceID     string `json:"salesforce_id"`
}

// Below reports whether parity is under the threshold.
func (r *AuditReport) Below() bool { return r.Compared > 0 && r.Parity < r.Threshold }

// FieldParity is one critical field's tally.
type FieldParity struct {
	Entity   string `json:"entity"`
	Field    string `json:"field"`
	Compared int    `json:"compared"`
	Agree    int    `json:"agree"`
}

// Mismatch is one field that differs (or a record one API no longer has).
type Mismatch struct {
	Entity           string `json:"entity"`
	GoldenID         string `json:"golden_id"`
	Field            string `json:"field"`
	HubSpotObject    string `json:"hubspot_object"`
	HubSpotID        string `json:"hubspot_id"`
	HubSpotValue     string `json:"hubspot_value"`
	SalesforceObject string `json:"salesforce_object"`
	SalesforceID     string `json:"salesforce_id"`
	SalesforceValue  string `json:"salesforce_value"`
}

type member struct{ entity, golden, system, object, id string }

var (
	sfIDRe    = regexp.MustCompile(`^[A-Za-z0-9]{15,18}$`)
	sfFieldRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
)

// Audit samples golden records with a record in both CRMs from the latest
// published run, reads them back from both APIs and compares the critical
// fields.
func Audit(ctx context.Context, cfg AuditConfig) (*AuditReport, error) {
	p := cfg.Pipeline
	n := p.Audit.Sample
	if cfg.Sample > 0 {
		n = cfg.Sample
	}
	latest, err := cycle.ReadLatest(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	if latest == nil {
		return nil, fmt.Errorf("audit: %s has no published run yet", cfg.Store)
	}
	rep := &AuditReport{RunID: latest.RunID, Threshold: p.Audit.Threshold}
	fmap, err := fieldMap(cfg.Models, p)
	if err != nil {
		return nil, err
	}
	members, err := sample(ctx, cfg.Store, latest, n, cfg.Seed)
	if err != nil {
		return nil, err
	}
	critical := map[string][]string{"person": p.Audit.CriticalFields.Person, "company": p.Audit.CriticalFields.Company, "deal": p.Audit.CriticalFields.Deal}

	// read back, one call per object and system
	byObj := map[[2]string][]string{}
	goldens := map[string]bool{}
	for _, m := range members {
		k := [2]string{m.system, m.object}
		byObj[k] = append(byObj[k], m.id)
		goldens[m.entity+"/"+m.golden] = true
	}
	rep.Sampled = len(goldens)
	values := map[[3]string]map[string]string{} // system, object, id -> crm field -> value
	for k, ids := range byObj {
		entity := ""
		for _, m := range members {
			if m.system == k[0] && m.object == k[1] {
				entity = m.entity
				break
			}
		}
		var fields []string
		for _, f := range critical[entity] {
			if cf := fmap[[4]string{entity, f, k[0], k[1]}]; cf != "" {
				fields = append(fields, cf)
			}
		}
		if len(fields) == 0 {
			continue
		}
		got, err := readBack(ctx, cfg, k[0], k[1], ids, fields)
		if err != nil {
			return nil, err
		}
		for id, v := range got {
			values[[3]string{k[0], k[1], id}] = v
		}
	}

	// compare per golden record: its first HubSpot and Salesforce record
	type pair struct{ hs, sf *member }
	pairs := map[string]*pair{}
	var order []string
	for i := range members {
		m := &members[i]
		key := m.entity + "/" + m.golden
		pr := pairs[key]
		if pr == nil {
			pr = &pair{}
			pairs[key] = pr
			order = append(order, key)
		}
		if m.system == "hubspot" && pr.hs == nil {
			pr.hs = m
		}
		if m.system == "salesforce" && pr.sf == nil {
			pr.sf = m
		}
	}
	tally := map[[2]string]*FieldParity{}
	for _, key := range order {
		pr := pairs[key]
		if pr.hs == nil || pr.sf == nil {
			continue
		}
		entity := pr.hs.entity
		rep.Pairs = append(rep.Pairs, AuditPair{Entity: entity, GoldenID: pr.hs.golden, HubSpotObject: pr.hs.object, HubSpotID: pr.hs.id,
			SalesforceObject: pr.sf.object, SalesforceID: pr.sf.id})
		hv, hok := values[[3]string{"hubspot", pr.hs.object, pr.hs.id}]
		sv, sok := values[[3]string{"salesforce", pr.sf.object, pr.sf.id}]
		for _, f := range critical[entity] {
			hf, sf := fmap[[4]string{entity, f, "hubspot", pr.hs.object}], fmap[[4]string{entity, f, "salesforce", pr.sf.object}]
			if hf == "" || sf == "" {
				continue
			}
			a, b := hv[hf], sv[sf]
			if hok && sok && a == "" && b == "" {
				continue // nothing to compare
			}
			t := tally[[2]string{entity, f}]
			if t == nil {
				t = &FieldParity{Entity: entity, Field: f}
				tally[[2]string{entity, f}] = t
			}
			t.Compared++
			rep.Compared++
			if hok && sok && normalize(a) == normalize(b) {
				t.Agree++
				rep.Agree++
				continue
			}
			if !hok {
				a = "(not found)"
			}
			if !sok {
				b = "(not found)"
			}
			rep.Mismatches = append(rep.Mismatches, Mismatch{Entity: entity, GoldenID: pr.hs.golden, Field: f,
				HubSpotObject: pr.hs.object, HubSpotID: pr.hs.id, HubSpotValue: a,
				SalesforceObject: pr.sf.object, SalesforceID: pr.sf.id, SalesforceValue: b})
		}
	}
	for _, t := range tally {
		rep.Fields = append(rep.Fields, *t)
	}
	sort.Slice(rep.Fields, func(i, j int) bool {
		if rep.Fields[i].Entity != rep.Fields[j].Entity {
			return rep.Fields[i].Entity < rep.Fields[j].Entity
		}
		return rep.Fields[i].Field < rep.Fields[j].Field
	})
	rep.Parity = 1
	if rep.Compared > 0 {
		rep.Parity = float64(rep.Agree) / float64(rep.Compared)
	}
	return rep, nil
}

// fieldMap maps entity, golden field, system, object to the CRM field:
// sql/ref/field_map.csv (role value) with the pipeline's mappings over it.
func fieldMap(models fs.FS, p *pipelines.Pipeline) (map[[4]string]string, error) {
	f, err := models.Open("ref/field_map.csv")
	if err != nil {
		return nil, fmt.Errorf("audit: field map: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("audit: field map: %w", err)
	}
	out := map[[4]string]string{}
	for _, row := range rows[1:] {
		if len(row) >= 6 && row[5] == "value" {
			out[[4]string{row[0], row[1], row[2], row[3]}] = row[4]
		}
	}
	for _, m := range p.Mappings {
		out[[4]string{m.Entity, m.Field, m.System, m.Object}] = m.CRMField
	}
	return out, nil
}

// sample picks n golden records with a live record in both systems,
// ordered by a hash of the seed so each seed gives a repeatable sample.
func sample(ctx context.Context, store lake.Store, latest *cycle.Latest, n int, seed string) ([]member, error) {
	xref, err := store.LocalPath(ctx, latest.Tables["xref"])
	if err != nil {
		return nil, err
	}
	db, err := transform.Open(ctx, transform.EngineConfig{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `
		WITH x AS (SELECT entity, golden_id, system, object, record_id FROM read_parquet(?) WHERE NOT deleted),
		     groups AS (SELECT entity, golden_id FROM x GROUP BY entity, golden_id HAVING count(DISTINCT system) = 2),
		     picked AS (SELECT entity, golden_id FROM groups ORDER BY hash(golden_id || ?::VARCHAR), golden_id LIMIT ?)
		SELECT x.entity, x.golden_id, x.system, x.object, x.record_id FROM x SEMI JOIN picked USING (entity, golden_id)
		ORDER BY x.entity, x.golden_id, x.system, x.object, x.record_id`, xref, seed, n)
	if err != nil {
		return nil, fmt.Errorf("audit: sample: %w", err)
	}
	defer rows.Close()
	var out []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.entity, &m.golden, &m.system, &m.object, &m.id); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// readBack reads records' fields: HubSpot batch read (100 per call),
// Salesforce SOQL by Id (ids and field names checked before they go into
// the query text).
func readBack(ctx context.Context, cfg AuditConfig, system, object string, ids, fields []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	switch system {
	case "hubspot":
		for i := 0; i < len(ids); i += 100 {
			res, err := cfg.HubSpot.BatchRead(ctx, object, ids[i:min(i+100, len(ids))], hubspot.BatchReadOptions{Properties: fields})
			if err != nil {
				return nil, fmt.Errorf("audit: hubspot %s: %w", object, err)
			}
			for _, r := range res.Results {
				v := map[string]string{}
				for _, f := range fields {
					if p := r.Properties[f]; p != nil {
						v[f] = *p
					}
				}
				out[r.ID] = v
			}
		}
	case "salesforce":
		for _, f := range append([]string{object}, fields...) {
			if !sfFieldRe.MatchString(f) {
				return nil, fmt.Errorf("audit: salesforce name %q is not an API name", f)
			}
		}
		var safe []string
		for _, id := range ids {
			if sfIDRe.MatchString(id) {
				safe = append(safe, "'"+id+"'")
			}
		}
		for i := 0; i < len(safe); i += 200 {
			soql := fmt.Sprintf("SELECT Id, %s FROM %s WHERE Id IN (%s)", strings.Join(fields, ", "), object, strings.Join(safe[i:min(i+200, len(safe))], ", "))
			err := cfg.Salesforce.Query(ctx, soql, salesforce.QueryOptions{}, func(recs []salesforce.Record) error {
				for _, r := range recs {
					id, _ := salesforce.String(r["Id"])
					v := map[string]string{}
					for _, f := range fields {
						if s, ok := salesforce.String(r[f]); ok {
							v[f] = s
						}
					}
					out[id] = v
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("audit: salesforce %s: %w", object, err)
			}
		}
	}
	return out, nil
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
var phoneRe = regexp.MustCompile(`^[+(\d][\d\s().\-/]{5,}$`)

// normalize makes formatting differences the two CRMs introduce compare
// equal: case and spaces, URL scheme and www, number formats, date-times
// against dates, phone punctuation.
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "www."), "/")
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	if dateRe.MatchString(s) {
		return s[:10]
	}
	if phoneRe.MatchString(s) {
		var b strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		d := b.String()
		if len(d) == 11 && d[0] == '1' {
			d = d[1:] // North American numbers with and without the country code
		}
		return d
	}
	return strings.Join(strings.Fields(s), " ")
}
