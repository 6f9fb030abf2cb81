package salesforce

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/seed"
	"github.com/simpleforce/simpleforce"
)

// TestSimpleforceClient drives the simulator with github.com/simpleforce/
// simpleforce, an independent Go client of the REST API, as its README
// shows: SOAP password login, SOQL with nextRecordsUrl paging, describe,
// create, get, update, upsert by external id and delete.
func TestSimpleforceClient(t *testing.T) {
	sim := New(Options{})
	recs := make([]seed.Record, 2500)
	for i := range recs {
		recs[i] = seed.Record{Values: map[string]string{"LastName": "Paged", "Ext__c": ""}}
	}
	if err := sim.Load("Contact", recs); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sim.mu.Lock()
	f := sim.table("Contact").def.lookup("Ext__c")
	f.ExternalID, f.Unique = true, true
	sim.table("Contact").reindexField(f)
	sim.mu.Unlock()

	client := simpleforce.NewClient(srv.URL, simpleforce.DefaultClientID, simpleforce.DefaultAPIVersion)
	if err := client.LoginPassword("test-user@example.com", "wrong", ""); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if err := client.LoginPassword("test-user@example.com", "test-password", ""); err != nil {
		t.Fatalf("login: %v", err)
	}

	// Query with paging through nextRecordsUrl.
	res, err := client.Query("SELECT Id, LastName FROM Contact WHERE LastName = 'Paged'")
	if err != nil {
		t.Fatal(err)
	}
	total := len(res.Records)
	for !res.Done {
		if res, err = client.Query(res.NextRecordsURL); err != nil {
			t.Fatal(err)
		}
		total += len(res.Records)
	}
	if total != 2500 || res.TotalSize != 2500 {
		t.Fatalf("paged query: %d records, totalSize %d", total, res.TotalSize)
	}

	meta := client.SObject("Contact").Describe()
	if meta == nil || (*meta)["name"] != "Contact" || len((*meta)["fields"].([]any)) == 0 {
		t.Fatalf("describe: %v", meta)
	}

	created := client.SObject("Contact").Set("LastName", "Lovelace").Set("FirstName", "Ada").Create()
	if created == nil || !strings.HasPrefix(created.ID(), "003") {
		t.Fatalf("create: %v", created)
	}
	got := client.SObject("Contact").Get(created.ID())
	if got == nil || got.StringField("LastName") != "Lovelace" || got.AttributesField().Type != "Contact" {
		t.Fatalf("get: %v", got)
	}
	if client.SObject("Contact").Set("Id", created.ID()).Set("Title", "Countess").Update() == nil {
		t.Fatal("update failed")
	}
	up := client.SObject("Contact").Set("ExternalIDField", "Ext__c").Set("Ext__c", "ada-1").Set("LastName", "Byron").Upsert()
	if up == nil || !strings.HasPrefix(up.ID(), "003") {
		t.Fatalf("upsert (create): %v", up)
	}
	again := client.SObject("Contact").Set("ExternalIDField", "Ext__c").Set("Ext__c", "ada-1").Set("Title", "Poet").Upsert()
	if again == nil || again.ID() != up.ID() {
		t.Fatalf("upsert (update): %v", again)
	}
	res, err = client.Query("SELECT Id, Title, LastName FROM Contact WHERE Title != null ORDER BY Title")
	if err != nil || len(res.Records) != 2 || res.Records[0].StringField("Title") != "Countess" ||
		res.Records[1].StringField("LastName") != "Byron" {
		t.Fatalf("after writes: %v %v", err, res)
	}
	if err := client.SObject("Contact").Set("Id", created.ID()).Delete(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if client.SObject("Contact").Get(created.ID()) != nil {
		t.Fatal("deleted record still readable")
	}
}
