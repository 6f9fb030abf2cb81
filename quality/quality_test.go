package quality

import (
	"context"
	"database/sql"
	"math"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/crmhub/crmhub/seed"
)

// The hand-made case: truth entities, the golden ids a run gave, and the
// expected scores worked out by hand.
//
//	person   E1: hubspot contacts 1, salesforce Contact 003A, salesforce Lead 00QA
//	         E2: hubspot contacts 2, salesforce Contact 003B, salesforce Lead 00QZ (00QZ absent from xref)
//	         E3: hubspot contacts 3
//	   xref  G1 = {contacts 1, Contact 003A, contacts 99 (not in truth)}
//	         G2 = {Lead 00QA, contacts 2, Contact 003B}
//	         G3 = {contacts 3}
//	   records   = 7 truth records (00QZ counts as a singleton; contacts 99 is not in truth)
//	   true      = E1 C(3,2)=3 + E2 C(3,2)=3 + E3 0 = 6
//	   predicted = G1 C(2,2)=1 (truth records only) + G2 C(3,2)=3 + G3 0 + 00QZ 0 = 4
//	   correct   = (E1,G1) {1,003A} 1 + (E1,G2) {00QA} 0 + (E2,G2) {2,003B} 1 + rest 0 = 2
//	   precision = 2/4 = 0.5, recall = 2/6 = 1/3, F1 = 2·0.5·(1/3)/(0.5+1/3) = (1/3)/(5/6) = 0.4
//
//	company  C1: hubspot companies 10, salesforce Account 001A
//	         C2: hubspot companies 11, salesforce Account 001B
//	   xref  K1 = all four
//	   true 2, predicted C(4,2)=6, correct 2: precision 1/3, recall 1, F1 = (2/3)/(4/3) = 0.5
//
//	deal     D1: hubspot deals 20, salesforce Opportunity 006A; xref puts them in two goldens
//	   true 1, predicted 0, correct 0: precision 0, recall 0, F1 0
const xrefRows = `
	('person', 'G1', 'hubspot', 'contacts', '1'),
	('person', 'G1', 'salesforce', 'Contact', '003A'),
	('person', 'G1', 'hubspot', 'contacts', '99'),
	('person', 'G2', 'salesforce', 'Lead', '00QA'),
	('person', 'G2', 'hubspot', 'contacts', '2'),
	('person', 'G2', 'salesforce', 'Contact', '003B'),
	('person', 'G3', 'hubspot', 'contacts', '3'),
	('company', 'K1', 'hubspot', 'companies', '10'),
	('company', 'K1', 'salesforce', 'Account', '001A'),
	('company', 'K1', 'hubspot', 'companies', '11'),
	('company', 'K1', 'salesforce', 'Account', '001B'),
	('deal', 'D-a', 'hubspot', 'deals', '20'),
	('deal', 'D-b', 'salesforce', 'Opportunity', '006A')`

var truthRows = []seed.TruthRow{
	{System: "hubspot", Object: "contacts", RecordID: "1", EntityID: "E1"},
	{System: "salesforce", Object: "Contact", RecordID: "003A", EntityID: "E1"},
	{System: "salesforce", Object: "Lead", RecordID: "00QA", EntityID: "E1"},
	{System: "hubspot", Object: "contacts", RecordID: "2", EntityID: "E2"},
	{System: "salesforce", Object: "Contact", RecordID: "003B", EntityID: "E2"},
	{System: "salesforce", Object: "Lead", RecordID: "00QZ", EntityID: "E2"},
	{System: "hubspot", Object: "contacts", RecordID: "3", EntityID: "E3"},
	{System: "hubspot", Object: "companies", RecordID: "10", EntityID: "C1"},
	{System: "salesforce", Object: "Account", RecordID: "001A", EntityID: "C1"},
	{System: "hubspot", Object: "companies", RecordID: "11", EntityID: "C2"},
	{System: "salesforce", Object: "Account", RecordID: "001B", EntityID: "C2"},
	{System: "hubspot", Object: "deals", RecordID: "20", EntityID: "D1"},
	{System: "salesforce", Object: "Opportunity", RecordID: "006A", EntityID: "D1"},
}

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		xref  string
		truth []seed.TruthRow
		want  []Scores
	}{
		{"hand-made clusters", xrefRows, truthRows, []Scores{
			{Entity: "company", Records: 4, TruePairs: 2, PredictedPairs: 6, CorrectPairs: 2, Precision: 1.0 / 3, Recall: 1, F1: 0.5},
			{Entity: "deal", Records: 2, TruePairs: 1, PredictedPairs: 0, CorrectPairs: 0},
			{Entity: "person", Records: 7, TruePairs: 6, PredictedPairs: 4, CorrectPairs: 2, Precision: 0.5, Recall: 1.0 / 3, F1: 0.4},
		}},
		// Perfect clusters under other golden ids score 1 everywhere.
		{"perfect", `('company', 'x', 'hubspot', 'companies', '10'), ('company', 'x', 'salesforce', 'Account', '001A'),
			('company', 'y', 'hubspot', 'companies', '11'), ('company', 'y', 'salesforce', 'Account', '001B')`,
			truthRows[7:11], []Scores{{Entity: "company", Records: 4, TruePairs: 2, PredictedPairs: 2, CorrectPairs: 2, Precision: 1, Recall: 1, F1: 1}}},
		// Entity kinds absent from xref are not scored.
		{"kinds present in both", `('deal', 'd', 'hubspot', 'deals', '20')`, truthRows,
			[]Scores{{Entity: "deal", Records: 2, TruePairs: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openDB(t)
			if _, err := db.Exec(`CREATE TABLE xref AS SELECT * FROM (VALUES ` + tc.xref + `) t(entity, golden_id, system, object, record_id)`); err != nil {
				t.Fatal(err)
			}
			if err := LoadTruth(ctx, db, tc.truth); err != nil {
				t.Fatal(err)
			}
			got, err := Evaluate(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("Evaluate = %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Entity != w.Entity || g.Records != w.Records || g.TruePairs != w.TruePairs || g.PredictedPairs != w.PredictedPairs || g.CorrectPairs != w.CorrectPairs {
					t.Errorf("%s counts = %+v, want %+v", w.Entity, g, w)
				}
				for _, f := range []struct {
					name      string
					got, want float64
				}{{"precision", g.Precision, w.Precision}, {"recall", g.Recall, w.Recall}, {"F1", g.F1, w.F1}} {
					if math.Abs(f.got-f.want) > 1e-9 {
						t.Errorf("%s %s = %v, want %v", w.Entity, f.name, f.got, f.want)
					}
				}
			}
		})
	}
}

func TestLoadTruthReplaces(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, rows := range [][]seed.TruthRow{truthRows, truthRows[:2], nil} {
		if err := LoadTruth(ctx, db, rows); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow("SELECT count(*) FROM truth").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(rows) {
			t.Errorf("truth holds %d rows, want %d", n, len(rows))
		}
	}
}
