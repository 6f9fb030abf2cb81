// Package quality scores crmhub's clusters against ground truth: pairwise
// precision, recall and F1, where two records are a true pair when they share
// an entity and a predicted pair when they share a golden id.
package quality

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/crmhub/crmhub/seed"
)

// Scores are pairwise counts and rates for one entity kind.
type Scores struct {
	Entity         string  `json:"entity"`
	Records        int64   `json:"records"`
	TruePairs      int64   `json:"true_pairs"`
	PredictedPairs int64   `json:"predicted_pairs"`
	CorrectPairs   int64   `json:"correct_pairs"`
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	F1             float64 `json:"f1"`
}

// LoadTruth puts truth rows into table truth on db (one connection).
func LoadTruth(ctx context.Context, db *sql.DB, truth []seed.TruthRow) error {
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE truth (system VARCHAR, object VARCHAR, record_id VARCHAR, entity_id VARCHAR)`); err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "truth")
		if err != nil {
			return err
		}
		for _, t := range truth {
			if err := app.AppendRow(t.System, t.Object, t.RecordID, t.EntityID); err != nil {
				app.Close()
				return fmt.Errorf("truth row %s/%s/%s: %w", t.System, t.Object, t.RecordID, err)
			}
		}
		return app.Close()
	})
}

// Evaluate scores table xref against table truth, per entity kind present in
// both. Records missing from xref count as singletons.
func Evaluate(ctx context.Context, db *sql.DB) ([]Scores, error) {
	rows, err := db.QueryContext(ctx, `
WITH lj AS (
  SELECT coalesce(x.entity, CASE t.object
           WHEN 'contacts' THEN 'person' WHEN 'Contact' THEN 'person' WHEN 'Lead' THEN 'person'
           WHEN 'companies' THEN 'company' WHEN 'Account' THEN 'company'
           WHEN 'deals' THEN 'deal' WHEN 'Opportunity' THEN 'deal' END) AS entity,
         t.entity_id,
         coalesce(x.golden_id, 'missing:' || t.system || '/' || t.object || '/' || t.record_id) AS golden_id
  FROM truth t LEFT JOIN xref x ON x.system = t.system AND x.object = t.object AND x.record_id = t.record_id
),
j AS (SELECT * FROM lj WHERE entity IN (SELECT entity FROM xref)),
tp AS (SELECT entity, sum(n * (n - 1) / 2) AS pairs FROM (SELECT entity, count(*) AS n FROM j GROUP BY entity, entity_id) GROUP BY entity),
pp AS (SELECT entity, sum(n * (n - 1) / 2) AS pairs FROM (SELECT entity, count(*) AS n FROM j GROUP BY entity, golden_id) GROUP BY entity),
cp AS (SELECT entity, sum(n * (n - 1) / 2) AS pairs FROM (SELECT entity, count(*) AS n FROM j GROUP BY entity, entity_id, golden_id) GROUP BY entity),
recs AS (SELECT entity, count(*) AS n FROM j GROUP BY entity)
SELECT recs.entity, recs.n, coalesce(tp.pairs, 0)::BIGINT, coalesce(pp.pairs, 0)::BIGINT, coalesce(cp.pairs, 0)::BIGINT
FROM recs LEFT JOIN tp USING (entity) LEFT JOIN pp USING (entity) LEFT JOIN cp USING (entity)
ORDER BY recs.entity`)
	if err != nil {
		return nil, fmt.Errorf("quality: %w", err)
	}
	defer rows.Close()
	var out []Scores
	for rows.Next() {
		var s Scores
		if err := rows.Scan(&s.Entity, &s.Records, &s.TruePairs, &s.PredictedPairs, &s.CorrectPairs); err != nil {
			return nil, err
		}
		s.compute()
		out = append(out, s)
	}
	return out, rows.Err()
}

func (s *Scores) compute() {
	if s.PredictedPairs > 0 {
		s.Precision = float64(s.CorrectPairs) / float64(s.PredictedPairs)
	}
	if s.TruePairs > 0 {
		s.Recall = float64(s.CorrectPairs) / float64(s.TruePairs)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
}
