package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/seed"
)

func TestBulkIngestStates(t *testing.T) {
	e := newEnv(t, Options{})
	base := "/services/data/v62.0/jobs/ingest"
	st, _, raw := e.do("POST", base, map[string]string{"object": "Lead", "operation": "insert", "contentType": "CSV", "lineEnding": "LF"})
	var job map[string]any
	if err := json.Unmarshal(raw, &job); err != nil || st != 200 || job["state"] != "Open" || job["jobType"] != "V2Ingest" ||
		!strings.HasSuffix(job["contentUrl"].(string), "/batches") || job["apiVersion"] != 62.0 {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := job["id"].(string)
	if st, _, raw := e.do("PUT", base+"/"+id+"/batches", "LastName,Company\nA,Acme\nB,\n", "Content-Type", "text/csv"); st != 201 {
		t.Fatalf("upload: %d %s", st, raw)
	}
	if st, _, raw := e.do("GET", base+"/"+id+"/successfulResults", nil); st != 400 || errorCode(raw) != "INVALIDJOBSTATE" {
		t.Fatalf("results before completion: %d %s", st, raw)
	}
	var states []string
	for _, body := range []any{map[string]string{"state": "UploadComplete"}, nil, nil, nil} {
		method := "GET"
		if body != nil {
			method = "PATCH"
		}
		_, _, raw := e.do(method, base+"/"+id, body)
		var info map[string]any
		_ = json.Unmarshal(raw, &info)
		states = append(states, fmt.Sprint(info["state"]))
		job = info
	}
	if strings.Join(states, ",") != "UploadComplete,InProgress,JobComplete,JobComplete" ||
		job["numberRecordsProcessed"] != 2.0 || job["numberRecordsFailed"] != 1.0 {
		t.Fatalf("states %v, job %v", states, job)
	}
	_, hdr, raw := e.do("GET", base+"/"+id+"/failedResults", nil)
	want := "\"sf__Id\",\"sf__Error\",\"LastName\",\"Company\"\n\"\",\"REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --\",\"B\",\"\"\n"
	if string(raw) != want || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("failed results:\n%s", raw)
	}
	tests := []struct {
		body map[string]string
		code string
	}{
		{map[string]string{"object": "Nope", "operation": "insert"}, "INVALIDJOB"},
		{map[string]string{"object": "Lead", "operation": "merge"}, "INVALIDJOB"},
		{map[string]string{"object": "Lead", "operation": "upsert", "externalIdFieldName": "Email"}, "INVALIDJOB"},
		{map[string]string{"object": "Lead", "operation": "insert", "contentType": "JSON"}, "INVALIDJOB"},
	}
	for _, tc := range tests {
		if st, _, raw := e.do("POST", base, tc.body); st != 400 || errorCode(raw) != tc.code {
			t.Errorf("%v: %d %s", tc.body, st, raw)
		}
	}
}

func TestBulkQueryLocators(t *testing.T) {
	e := newEnv(t, Options{})
	recs := make([]seed.Record, 25)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"LastName": fmt.Sprintf("L%02d", i), "Title": "a \"quoted\", title"}}
	}
	if err := e.sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
	base := "/services/data/v62.0/jobs/query"
	st, _, raw := e.do("POST", base, map[string]string{"operation": "query", "query": "SELECT LastName, Title, Birthdate FROM Contact ORDER BY LastName"})
	var job map[string]any
	if err := json.Unmarshal(raw, &job); err != nil || st != 200 || job["state"] != "UploadComplete" {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := job["id"].(string)
	if st, _, raw := e.do("GET", base+"/"+id+"/results", nil); st != 400 {
		t.Fatalf("results before JobComplete: %d %s", st, raw)
	}
	e.do("GET", base+"/"+id, nil)
	_, _, raw = e.do("GET", base+"/"+id, nil)
	if !strings.Contains(string(raw), `"state":"JobComplete"`) || !strings.Contains(string(raw), `"jobType":"V2Query"`) {
		t.Fatalf("job info: %s", raw)
	}
	locator, rows, pages := "", 0, 0
	for {
		path := base + "/" + id + "/results?maxRecords=10"
		if locator != "" {
			path += "&locator=" + locator
		}
		st, hdr, raw := e.do("GET", path, nil)
		if st != http.StatusOK {
			t.Fatalf("results: %d %s", st, raw)
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
		if lines[0] != `"LastName","Title","Birthdate"` || fmt.Sprint(len(lines)-1) != hdr.Get("Sforce-NumberOfRecords") {
			t.Fatalf("page: %v %s", hdr, raw)
		}
		if pages == 0 && lines[1] != `"L00","a ""quoted"", title",""` {
			t.Fatalf("row: %s", lines[1])
		}
		rows += len(lines) - 1
		pages++
		if locator = hdr.Get("Sforce-Locator"); locator == "null" {
			break
		}
	}
	if rows != 25 || pages != 3 {
		t.Fatalf("%d rows in %d pages", rows, pages)
	}
	if st, _, raw := e.do("POST", base, map[string]string{"operation": "query", "query": "SELECT COUNT() FROM Contact"}); st != 400 {
		t.Fatalf("count: %d %s", st, raw)
	}
	if st, _, raw := e.do("POST", base, map[string]string{"operation": "query", "query": "SELECT FROM"}); st != 400 || errorCode(raw) != "MALFORMED_QUERY" {
		t.Fatalf("malformed: %d %s", st, raw)
	}
}
