package salesforce

import (
	"encoding/json"
	"net/url"
	"testing"
)

// sObject Collections retrieve, retrieve by External ID, and a lower-case
// "id" in a Collections update (found by simple-salesforce in peers/sdk).
func TestCollectionsRetrieveAndExternalGet(t *testing.T) {
	e := newEnv(t, Options{})
	const base = "/services/data/v62.0"
	st, _, raw := e.do("POST", base+"/tooling/sobjects/CustomField", map[string]any{
		"FullName": "Contact.Ext_Id__c", "Metadata": map[string]any{"label": "Ext", "type": "Text", "length": 20, "externalId": true}})
	if st != 201 && st != 200 {
		t.Fatalf("custom field: %d %s", st, raw)
	}
	st, _, raw = e.do("POST", base+"/composite/sobjects", map[string]any{"allOrNone": true, "records": []any{
		map[string]any{"attributes": map[string]any{"type": "Contact"}, "LastName": "A", "Ext_Id__c": "k1"},
		map[string]any{"attributes": map[string]any{"type": "Contact"}, "LastName": "B", "Ext_Id__c": "k2"},
	}})
	res := decodeResults(t, raw)
	if st != 200 || len(res) != 2 || !res[0].Success || !res[1].Success {
		t.Fatalf("create: %d %s", st, raw)
	}
	a, b := res[0].ID, res[1].ID

	st, _, raw = e.do("PATCH", base+"/composite/sobjects", map[string]any{"allOrNone": true, "records": []any{
		map[string]any{"attributes": map[string]any{"type": "Contact"}, "id": a, "Title": "Lower"}}})
	if res := decodeResults(t, raw); st != 200 || !res[0].Success || res[0].ID != a {
		t.Fatalf("update with lower-case id: %d %s", st, raw)
	}

	check := func(st int, raw []byte) {
		t.Helper()
		var recs []map[string]any
		if err := json.Unmarshal(raw, &recs); err != nil || st != 200 || len(recs) != 3 {
			t.Fatalf("retrieve: %d %s", st, raw)
		}
		if recs[0]["Id"] != b || recs[1]["Id"] != a || recs[1]["Title"] != "Lower" || recs[2] != nil {
			t.Fatalf("retrieve: %s", raw)
		}
		if attrs, _ := recs[0]["attributes"].(map[string]any); attrs["type"] != "Contact" {
			t.Fatalf("attributes: %s", raw)
		}
	}
	missing := "003000000000000AAA"
	st, _, raw = e.do("GET", base+"/composite/sobjects/Contact?ids="+url.QueryEscape(b+","+a+","+missing)+"&fields=Id,Title", nil)
	check(st, raw)
	st, _, raw = e.do("POST", base+"/composite/sobjects/Contact", map[string]any{"ids": []string{b, a, missing}, "fields": []string{"Id", "Title"}})
	check(st, raw)
	if st, _, raw := e.do("GET", base+"/composite/sobjects/Contact?ids="+a, nil); st != 400 || errorCode(raw) != "MISSING_ARGUMENT" {
		t.Fatalf("no fields: %d %s", st, raw)
	}
	if st, _, raw := e.do("GET", base+"/composite/sobjects/Contact?ids="+a+"&fields=Nope", nil); st != 400 || errorCode(raw) != "INVALID_FIELD" {
		t.Fatalf("bad field: %d %s", st, raw)
	}

	st, _, raw = e.do("GET", base+"/sobjects/Contact/Ext_Id__c/k2?fields=Id,LastName", nil)
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil || st != 200 || rec["Id"] != b || rec["LastName"] != "B" {
		t.Fatalf("by external id: %d %s", st, raw)
	}
	if st, _, _ := e.do("GET", base+"/sobjects/Contact/Ext_Id__c/nope", nil); st != 404 {
		t.Fatalf("unknown external id value: %d", st)
	}
	if st, _, _ := e.do("GET", base+"/sobjects/Contact/LastName/B", nil); st != 404 {
		t.Fatalf("not an external id field: %d", st)
	}
}
