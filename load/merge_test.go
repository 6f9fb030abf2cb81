package load

import (
	"context"
	"testing"

	"github.com/crmhub/crmhub/seed"
)

// TestHubSpotMergesChain: two duplicates merging into one primary in one
// batch. HubSpot gives the first merge's result a new id, so the second
// merge must name that id (the old primary id is gone); all three ids end
// in one record's hs_merged_object_ids. Simulator over a real socket.
func TestHubSpotMergesChain(t *testing.T) {
	ctx := context.Background()
	sim, client := hubspotSim(t, "contacts", []seed.Record{
		{ID: "301", Values: map[string]string{"email": "cy@x.test", "firstname": "Cy"}},
		{ID: "302", Values: map[string]string{"email": "cy@x.test", "lastname": "Diaz"}},
		{ID: "303", Values: map[string]string{"email": "cy@x.test", "phone": "+1 312 555 0120"}},
	})
	target := &HubSpotTarget{Client: client}
	batch := []Change{
		{System: "hubspot", Object: "contacts", RecordID: "302", Kind: KindMerge, Values: map[string]string{"_merge_into": "301"}},
		{System: "hubspot", Object: "contacts", RecordID: "303", Kind: KindMerge, Values: map[string]string{"_merge_into": "301"}},
	}
	errs, err := target.Apply(ctx, "contacts", batch)
	if err != nil || len(errs) > 0 {
		t.Fatalf("merge: %v %+v", err, errs)
	}
	var live []seed.Record
	for _, r := range sim.Snapshot()["contacts"] {
		if !r.Archived {
			live = append(live, r)
		}
	}
	// the first merge made 304 (ids 301;302), the second merged 303 into it
	if len(live) != 1 || live[0].Values["hs_merged_object_ids"] != "301;302;303;304" {
		t.Fatalf("after two merges: %+v", live)
	}
	v := live[0].Values
	if v["firstname"] != "Cy" || v["lastname"] != "Diaz" || v["phone"] != "+1 312 555 0120" {
		t.Errorf("merged values: %v", v)
	}
	o, err := client.Get(ctx, "contacts", "303", "", nil)
	if err != nil || o.ID != live[0].ID {
		t.Errorf("GET 303 after the merges: %v %v, want the merged record %s", o.ID, err, live[0].ID)
	}
}
