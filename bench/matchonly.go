package bench

import (
	"io/fs"
	"strings"
	"testing/fstest"
)

// matchingOnly is the models tree with only what normalises, blocks,
// scores and clusters (macros, staging, match, cluster, ref), plus small
// stand-ins for the tables the cycle counts, scores and publishes (xref
// from the clusters; match_pairs and review_queue from the pairs; empty
// golden, conflicts and outbox). At a million people the golden and outbox
// models (another team's) spill tens of GB; this mode times matching alone.
func matchingOnly(models fs.FS) (fs.FS, error) {
	out := fstest.MapFS{}
	err := fs.WalkDir(models, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dir, _, _ := strings.Cut(p, "/")
		switch dir {
		case "staging", "match", "cluster", "ref":
		case "macros":
		default:
			return nil
		}
		b, err := fs.ReadFile(models, p)
		if err != nil {
			return err
		}
		out[p] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for name, body := range standIns {
		out["report/"+name+".sql"] = &fstest.MapFile{Data: []byte(body)}
	}
	return out, nil
}

var standIns = map[string]string{
	"xref": `-- depends: stg_persons, stg_companies, stg_deals, person_clusters, company_clusters, deal_clusters
SELECT 'person' AS entity, c.golden_id, s.system, s.object, s.record_id, s.deleted
FROM person_clusters c JOIN stg_persons s USING (record_key)
UNION ALL SELECT 'company', c.golden_id, s.system, s.object, s.record_id, s.deleted
FROM company_clusters c JOIN stg_companies s USING (record_key)
UNION ALL SELECT 'deal', c.golden_id, s.system, s.object, s.record_id, s.deleted
FROM deal_clusters c JOIN stg_deals s USING (record_key)
`,
	"match_pairs": `-- depends: person_pairs, company_pairs, deal_pairs
SELECT 'person' AS entity, decision FROM person_pairs
UNION ALL SELECT 'company', decision FROM company_pairs
UNION ALL SELECT 'deal', decision FROM deal_pairs
`,
	"review_queue": `-- depends: match_pairs
SELECT entity, 'uncertain_match' AS reason FROM match_pairs WHERE decision = 'review'
`,
	"conflicts":        "SELECT NULL::VARCHAR AS entity, NULL::TIMESTAMP AS first_seen_at WHERE false\n",
	"golden_persons":   "SELECT NULL::VARCHAR AS golden_id WHERE false\n",
	"golden_companies": "SELECT NULL::VARCHAR AS golden_id WHERE false\n",
	"golden_deals":     "SELECT NULL::VARCHAR AS golden_id WHERE false\n",
	"outbox": `SELECT NULL::VARCHAR AS system, NULL::VARCHAR AS object, NULL::VARCHAR AS crm_field, NULL::VARCHAR AS record_id,
  NULL::VARCHAR AS old_value, NULL::VARCHAR AS new_value WHERE false
`,
}
