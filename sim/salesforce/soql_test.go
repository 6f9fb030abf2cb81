package salesforce

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func TestSOQLParseAndBind(t *testing.T) {
	def := standardObjects()["Contact"]
	tests := []struct {
		q    string
		code string // "" = valid
	}{
		{"SELECT Id FROM Contact", ""},
		{"select id, lastname from contact where email = 'a@b.c'", ""},
		{"SELECT COUNT() FROM Contact", ""},
		{"SELECT Id FROM Contact WHERE (Email != null AND LastName LIKE 'Sm%') OR FirstName IN ('A','B')", ""},
		{"SELECT Id FROM Contact WHERE NOT (Email = null) AND Birthdate > 1990-01-01", ""},
		{"SELECT Id FROM Contact WHERE SystemModstamp >= 2026-01-31T10:00:00Z ORDER BY SystemModstamp, Id", ""},
		{"SELECT Id FROM Contact WHERE SystemModstamp >= 2026-01-31T10:00:00.000+0000", ""},
		{"SELECT Id FROM Contact WHERE CreatedDate < 2026-01-31T10:00:00-05:00", ""},
		{"SELECT Id FROM Contact WHERE LastName NOT IN ('x') ORDER BY LastName DESC NULLS LAST LIMIT 10 OFFSET 5", ""},
		{"SELECT Id FROM Contact WHERE LastName = 'O\\'Brien\\n\\\\'", ""},
		{"SELECT Id FROM Contact WHERE IsDeleted = true", ""},
		{"SELECT Id FROM Contact WHERE AccountId = '001000000000000AAA'", ""},
		{"SELECT Contact.Id FROM Contact", ""},
		{"SELECT Id FROM Contact WHERE LastName <> 'x'", ""},
		{"SELECT Id FROM Contact WHERE LastName LIKE '100\\%'", ""},
		// syntax errors
		{"", "MALFORMED_QUERY"},
		{"SELECT FROM Contact", "MALFORMED_QUERY"},
		{"SELECT Id Contact", "MALFORMED_QUERY"},
		{"SELECT Id FRM Contact", "MALFORMED_QUERY"},
		{"SELECT Id, FROM Contact", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName = 'unterminated", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName = 'bad\\q'", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName = 'x' AND Email = 'y' OR Title = 'z'", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE (LastName = 'x'", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName IN ()", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact LIMIT -1", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact LIMIT 5 extra", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE CreatedDate > 2026-13-45T00:00:00Z", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName = 'x' ; DROP", "MALFORMED_QUERY"},
		{"SELECT COUNT(Id) FROM Contact", "MALFORMED_QUERY"},
		{"SELECT Id, COUNT() FROM Contact", "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE " + strings.Repeat("(", 500) + "Id = null" + strings.Repeat(")", 500), "MALFORMED_QUERY"},
		{"SELECT Id FROM Contact WHERE LastName = '\\%'", "MALFORMED_QUERY"},
		// semantic errors
		{"SELECT Nope FROM Contact", "INVALID_FIELD"},
		{"SELECT Id FROM Contact WHERE Nope = 'x'", "INVALID_FIELD"},
		{"SELECT Id FROM Contact ORDER BY Nope", "INVALID_FIELD"},
		{"SELECT Account.Name FROM Contact", "INVALID_FIELD"},
		{"SELECT Id FROM Contact WHERE CreatedDate > '2026-01-01'", "INVALID_FIELD"},
		{"SELECT Id FROM Contact WHERE Birthdate > 2026-01-01T00:00:00Z", "INVALID_FIELD"},
		{"SELECT Id FROM Contact WHERE LastName = 5", "INVALID_FIELD"},
		{"SELECT Id FROM Contact WHERE IsDeleted = 'true'", "INVALID_FIELD"},
		{"SELECT Id, Id FROM Contact", "DUPLICATE_FIELD"},
		{"SELECT Id FROM Contact WHERE Birthdate LIKE '19%'", "INVALID_QUERY_FILTER_OPERATOR"},
		{"SELECT Id FROM Contact WHERE AccountId = 'notanid'", "INVALID_QUERY_FILTER_OPERATOR"},
		{"SELECT Id FROM Contact OFFSET 2001", "NUMBER_OUTSIDE_VALID_RANGE"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			sq, err := parseSOQL(tc.q)
			if err == nil {
				_, err = bind(sq, def)
			}
			got := ""
			if err != nil {
				got = err.Code
			}
			if got != tc.code {
				t.Fatalf("code = %q, want %q (err %v)", got, tc.code, err)
			}
		})
	}
}

func TestSOQLEvaluation(t *testing.T) {
	e := newEnv(t, Options{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var recs []seed.Record
	for i := 0; i < 10; i++ {
		v := map[string]string{"LastName": fmt.Sprintf("Name%02d", i), "Birthdate": fmt.Sprintf("19%02d-01-01", 80+i)}
		if i%2 == 0 {
			v["Email"] = fmt.Sprintf("p%d@example.com", i)
		}
		recs = append(recs, seed.Record{Values: v, CreatedAt: base, UpdatedAt: base.Add(time.Duration(i) * time.Hour)})
	}
	recs[3].Values["LastName"] = "O'Brien_x"
	if err := e.sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		where string
		want  int
	}{
		{"Email != null", 5},
		{"Email = null", 5},
		{"LastName LIKE 'name0%'", 9},
		{"LastName LIKE 'O\\'Brien\\_x'", 1},
		{"LastName LIKE '%\\_%'", 1},
		{"LastName LIKE 'Name0_'", 9},
		{"LastName = 'NAME01'", 1},
		{"LastName IN ('Name01', 'name02', 'zzz')", 2},
		{"LastName NOT IN ('Name01', 'name02')", 8},
		{"Birthdate >= 1985-01-01", 5},
		{"SystemModstamp >= 2026-01-01T05:00:00Z", 5},
		{"SystemModstamp >= 2026-01-01T05:00:00.000+0000", 5},
		{"SystemModstamp > 2026-01-01T06:00:00+01:00", 4},
		{"NOT (Email = null) AND Birthdate < 1984-06-01", 3},
		{"(Email = null OR LastName = 'Name00') AND IsDeleted = false", 6},
	}
	for _, tc := range tests {
		t.Run(tc.where, func(t *testing.T) {
			st, out, raw := e.query("SELECT Id FROM Contact WHERE " + tc.where)
			if st != 200 {
				t.Fatalf("status %d: %s", st, raw)
			}
			if got := int(out["totalSize"].(float64)); got != tc.want {
				t.Fatalf("totalSize = %d, want %d", got, tc.want)
			}
		})
	}
	st, out, raw := e.query("SELECT LastName, SystemModstamp FROM Contact WHERE SystemModstamp >= 2026-01-01T07:00:00Z ORDER BY SystemModstamp DESC, Id")
	if st != 200 {
		t.Fatalf("status %d: %s", st, raw)
	}
	rs := out["records"].([]any)
	if len(rs) != 3 || rs[0].(map[string]any)["LastName"] != "Name09" ||
		rs[0].(map[string]any)["SystemModstamp"] != "2026-01-01T09:00:00.000+0000" {
		t.Fatalf("ordered records = %s", raw)
	}
	st, out, _ = e.query("SELECT COUNT() FROM Contact WHERE Email != null")
	if st != 200 || out["totalSize"].(float64) != 5 || len(out["records"].([]any)) != 0 {
		t.Fatalf("count: %v", out)
	}
	st, out, _ = e.query("SELECT LastName FROM Contact ORDER BY Email NULLS LAST, LastName LIMIT 2 OFFSET 4")
	rs = out["records"].([]any)
	if st != 200 || len(rs) != 2 || rs[0].(map[string]any)["LastName"] != "Name08" || rs[1].(map[string]any)["LastName"] != "Name01" {
		t.Fatalf("order nulls last: %v", out)
	}
}

func FuzzParseSOQL(f *testing.F) {
	for _, s := range []string{"SELECT Id FROM Contact WHERE LastName LIKE 'a%' ORDER BY Id LIMIT 5",
		"SELECT COUNT() FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00Z", "SELECT Id FROM Contact WHERE (A = 1 OR NOT B IN ('x'))"} {
		f.Add(s)
	}
	def := standardObjects()["Contact"]
	f.Fuzz(func(t *testing.T, q string) {
		sq, err := parseSOQL(q)
		if err != nil {
			return
		}
		if bq, err := bind(sq, def); err == nil {
			bq.run(newTable(def), true)
		}
	})
}
