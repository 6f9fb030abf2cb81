package hubspot

import (
	"fmt"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

func getID(t *testing.T, ts *httptest.Server, path string) (int, map[string]any) {
	t.Helper()
	resp, body := do(t, ts, "GET", path, "test-token", "")
	return resp.StatusCode, body
}

func TestMerge(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Load("companies", []seed.Record{{ID: "10", Values: map[string]string{"name": "Acme"}}}))
	must(s.Load("contacts", []seed.Record{
		{ID: "1", Values: map[string]string{"email": "a@acme.com", "firstname": "Ann"}},
		{ID: "2", Values: map[string]string{"email": "b@acme.com", "firstname": "Annie", "city": "Oslo", "associatedcompanyid": "10"}},
		{ID: "3", Values: map[string]string{"email": "c@acme.com"}},
	}))
	ts := httptest.NewServer(s)
	defer ts.Close()

	resp, body := do(t, ts, "POST", "/crm/v3/objects/contacts/merge", "test-token", `{"primaryObjectId":"1","objectIdToMerge":"2"}`)
	if resp.StatusCode != 200 || body["id"] != "4" {
		t.Fatalf("merge: %d %v", resp.StatusCode, body)
	}
	tests := []struct {
		name, path string
		status     int
		id         string
	}{
		{"primary id answers the merged record", "/crm/v3/objects/contacts/1?properties=email,city,hs_merged_object_ids", 200, "4"},
		{"merged id answers the merged record", "/crm/v3/objects/contacts/2?properties=email,city,hs_merged_object_ids", 200, "4"},
		{"new id", "/crm/v3/objects/contacts/4?properties=email,city,hs_merged_object_ids", 200, "4"},
		{"not archived", "/crm/v3/objects/contacts/2?archived=true", 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := getID(t, ts, tc.path)
			if status != tc.status || (tc.id != "" && body["id"] != tc.id) {
				t.Fatalf("%d %v", status, body)
			}
			if tc.id == "" {
				return
			}
			props := body["properties"].(map[string]any)
			if props["hs_merged_object_ids"] != "1;2" || props["email"] != "a@acme.com" || props["city"] != "Oslo" {
				t.Fatalf("properties = %v", props)
			}
		})
	}
	_, list := getID(t, ts, "/crm/v3/objects/contacts")
	if ids := resultIDs(list); !reflect.DeepEqual(ids, []string{"3", "4"}) {
		t.Fatalf("list ids = %v", ids)
	}
	_, found := do(t, ts, "POST", "/crm/v3/objects/contacts/search", "test-token", `{"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"LT","value":"3"}]}]}`)
	if found["total"] != 0.0 {
		t.Fatalf("search found merged records: %v", found)
	}
	resp, body = do(t, ts, "POST", "/crm/v3/objects/contacts/batch/update", "test-token", `{"inputs":[{"id":"1","properties":{"city":"Rome"}},{"id":"3","properties":{"city":"Rome"}}]}`)
	if errs, _ := body["errors"].([]any); resp.StatusCode != 207 || len(errs) != 1 ||
		!reflect.DeepEqual(errs[0].(map[string]any)["context"].(map[string]any)["ids"], []any{"1"}) {
		t.Fatalf("batch update with a merged id: %d %v", resp.StatusCode, body)
	}
	if resp, body = do(t, ts, "POST", "/crm/v3/objects/contacts", "test-token", `{"properties":{"email":"b@acme.com"}}`); resp.StatusCode != 409 {
		t.Fatalf("create with a merged email: %d %v", resp.StatusCode, body)
	}
	if _, body = getID(t, ts, "/crm/v4/objects/companies/10/associations/contacts"); fmt.Sprint(body["results"]) != "[map[associationTypes:[map[category:HUBSPOT_DEFINED label:<nil> typeId:280]] toObjectId:4]]" {
		t.Fatalf("company associations = %v", body["results"])
	}

	// Snapshot and Load keep the merge.
	s2 := New(Options{Now: func() time.Time { return t0 }})
	for obj, recs := range s.Snapshot() {
		must(s2.Load(obj, recs))
	}
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	if status, body := getID(t, ts2, "/crm/v3/objects/contacts/2"); status != 200 || body["id"] != "4" {
		t.Fatalf("after reload: %d %v", status, body)
	}
	if resp, body := do(t, ts2, "POST", "/crm/v3/objects/contacts", "test-token", `{"properties":{"email":"d@acme.com"}}`); resp.StatusCode != 201 || body["id"] != "5" {
		t.Fatalf("create after reload: %d %v", resp.StatusCode, body)
	}
}

func resultIDs(body map[string]any) []string {
	var ids []string
	for _, r := range body["results"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids
}

func TestMergeIdentityLimit(t *testing.T) {
	s := New(Options{Now: func() time.Time { return t0 }})
	recs := make([]seed.Record, 200)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"email": fmt.Sprintf("m%d@example.com", i)}}
	}
	if err := s.Load("contacts", recs); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	cur := "1"
	for i := 2; i <= 200; i++ {
		resp, body := do(t, ts, "POST", "/crm/v3/objects/contacts/merge", "test-token", fmt.Sprintf(`{"primaryObjectId":%q,"objectIdToMerge":"%d"}`, cur, i))
		if resp.StatusCode == 414 {
			// Each merge adds the two ids it replaced: 124 merges carry 248 ids
			// plus the record's own, and the next would pass 250.
			if i-2 != 124 || body["message"] != "Cannot have more than 250 identities on a profile" {
				t.Fatalf("merge %d: %v", i-1, body)
			}
			return
		}
		if resp.StatusCode != 200 {
			t.Fatalf("merge %d: %d %v", i-1, resp.StatusCode, body)
		}
		cur = body["id"].(string)
	}
	t.Fatal("no merge was refused")
}
