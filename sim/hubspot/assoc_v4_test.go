package hubspot

import (
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Shapes and effects of the v4 association writes as HubSpot's reference
// gives them (found by hubspot-api-client in peers/sdk).
func TestAssociationsV4Writes(t *testing.T) {
	ts := httptest.NewServer(New(Options{Now: func() time.Time { return t0 }}))
	defer ts.Close()
	create := func(typ, body string) string {
		resp, m := do(t, ts, "POST", "/crm/v3/objects/"+typ, "test-token", body)
		if resp.StatusCode != 201 {
			t.Fatalf("create %s: %d %v", typ, resp.StatusCode, m)
		}
		return m["id"].(string)
	}
	contact := create("contacts", `{"properties":{"email":"a@example.org"}}`)
	deal := create("deals", `{"properties":{"dealname":"D"}}`)
	co1 := create("companies", `{"properties":{"name":"One"}}`)
	co2 := create("companies", `{"properties":{"name":"Two"}}`)
	companyOf := func() string {
		_, m := do(t, ts, "GET", "/crm/v3/objects/contacts/"+contact+"?properties=associatedcompanyid", "test-token", "")
		v, _ := m["properties"].(map[string]any)["associatedcompanyid"].(string)
		return v
	}
	targetsOf := func() []string {
		_, m := do(t, ts, "GET", "/crm/v4/objects/contacts/"+contact+"/associations/companies", "test-token", "")
		var out []string
		for _, r := range m["results"].([]any) {
			out = append(out, jsonNum(r.(map[string]any)["toObjectId"]))
		}
		slices.Sort(out)
		return out
	}

	// contact -> deal must not touch the contact's company.
	if resp, m := do(t, ts, "PUT", "/crm/v4/objects/contacts/"+contact+"/associations/default/deals/"+deal, "test-token", ""); resp.StatusCode != 200 {
		t.Fatalf("default deal: %d %v", resp.StatusCode, m)
	}
	if got := companyOf(); got != "" {
		t.Fatalf("a deal association set associatedcompanyid = %q", got)
	}

	resp, m := do(t, ts, "PUT", "/crm/v4/objects/contacts/"+contact+"/associations/default/companies/"+co1, "test-token", "")
	results, _ := m["results"].([]any)
	if resp.StatusCode != 200 || m["status"] != "COMPLETE" || len(results) != 2 {
		t.Fatalf("default: %d %v", resp.StatusCode, m)
	}
	first := results[0].(map[string]any)
	spec := first["associationSpec"].(map[string]any)
	if first["from"].(map[string]any)["id"] != contact || first["to"].(map[string]any)["id"] != co1 ||
		spec["associationTypeId"] != float64(279) || spec["associationCategory"] != "HUBSPOT_DEFINED" {
		t.Fatalf("default result %v", first)
	}
	if companyOf() != co1 {
		t.Fatalf("associatedcompanyid = %q, want %s", companyOf(), co1)
	}

	resp, m = do(t, ts, "PUT", "/crm/v4/objects/contacts/"+contact+"/associations/companies/"+co2, "test-token",
		`[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":1}]`)
	if resp.StatusCode != 201 || jsonNum(m["toObjectId"]) != co2 || m["fromObjectTypeId"] != "0-1" {
		t.Fatalf("labelled create: %d %v", resp.StatusCode, m)
	}
	if resp, _ := do(t, ts, "PUT", "/crm/v4/objects/contacts/"+contact+"/associations/companies/"+co2, "test-token",
		`[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":999}]`); resp.StatusCode != 400 {
		t.Fatalf("invalid type: %d", resp.StatusCode)
	}
	if got := targetsOf(); !slices.Equal(got, []string{co1, co2}) {
		t.Fatalf("targets %v", got)
	}

	resp, _ = do(t, ts, "DELETE", "/crm/v4/objects/contacts/"+contact+"/associations/companies/"+co1, "test-token", "")
	if resp.StatusCode != 204 || !slices.Equal(targetsOf(), []string{co2}) || companyOf() != co2 {
		t.Fatalf("archive: %d targets %v company %q", resp.StatusCode, targetsOf(), companyOf())
	}
	_, back := do(t, ts, "GET", "/crm/v4/objects/companies/"+co1+"/associations/contacts", "test-token", "")
	if len(back["results"].([]any)) != 0 {
		t.Fatalf("reverse direction kept: %v", back)
	}

	resp, m = do(t, ts, "POST", "/crm/v4/associations/contacts/companies/batch/associate/default", "test-token",
		`{"inputs":[{"from":{"id":"`+contact+`"},"to":{"id":"`+co1+`"}},{"from":{"id":"`+contact+`"},"to":{"id":"999"}}]}`)
	if resp.StatusCode != 207 || len(m["results"].([]any)) != 2 || m["numErrors"] != float64(1) {
		t.Fatalf("batch default: %d %v", resp.StatusCode, m)
	}
	resp, _ = do(t, ts, "POST", "/crm/v4/associations/contacts/companies/batch/archive", "test-token",
		`{"inputs":[{"from":{"id":"`+contact+`"},"to":[{"id":"`+co1+`"},{"id":"`+co2+`"}]}]}`)
	if resp.StatusCode != 204 || len(targetsOf()) != 0 || companyOf() != "" {
		t.Fatalf("batch archive: %d targets %v company %q", resp.StatusCode, targetsOf(), companyOf())
	}
}

// HubSpot's Python client sends booleans as True/False.
func TestArchivedQueryIgnoresCase(t *testing.T) {
	ts := httptest.NewServer(New(Options{}))
	defer ts.Close()
	_, m := do(t, ts, "POST", "/crm/v3/objects/contacts", "test-token", `{"properties":{"email":"a@example.org"}}`)
	id := m["id"].(string)
	do(t, ts, "DELETE", "/crm/v3/objects/contacts/"+id, "test-token", "")
	for _, v := range []string{"true", "True", "TRUE"} {
		_, list := do(t, ts, "GET", "/crm/v3/objects/contacts?archived="+v, "test-token", "")
		if rs := list["results"].([]any); len(rs) != 1 || rs[0].(map[string]any)["id"] != id {
			t.Fatalf("archived=%s: %v", v, list)
		}
		if resp, _ := do(t, ts, "GET", "/crm/v3/objects/contacts/"+id+"?archived="+v, "test-token", ""); resp.StatusCode != 200 {
			t.Fatalf("get archived=%s: %d", v, resp.StatusCode)
		}
	}
}

func jsonNum(v any) string {
	switch n := v.(type) {
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64)
	case string:
		return n
	}
	return ""
}
