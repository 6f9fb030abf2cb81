package load

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/seed"
	simhs "github.com/crmhub/crmhub/sim/hubspot"
)

// TestHubSpotCreatesWithoutUniqueGoldenID: a portal whose crmhub_golden_id
// property exists without hasUniqueValue (made by hand; HubSpot sets the
// flag only at creation) refuses an upsert keyed on it. Creates then go
// through batch create, and each created id is reported. Before, every
// create batch failed and stopped the load.
func TestHubSpotCreatesWithoutUniqueGoldenID(t *testing.T) {
	ctx := context.Background()
	// Load makes an unknown column a plain string property
	sim, client := hubspotSim(t, "companies", []seed.Record{{ID: "9", Values: map[string]string{"name": "Old", GoldenIDProperty: "C0"}}})
	target := &HubSpotTarget{Client: client}
	batch := []Change{
		{System: "hubspot", Object: "companies", RecordID: "new:C1", Kind: KindCreate, Values: map[string]string{"name": "Acme", GoldenIDProperty: "C1"}},
		{System: "hubspot", Object: "companies", RecordID: "new:C2", Kind: KindCreate, Values: map[string]string{"name": "Globex", GoldenIDProperty: "C2"}},
	}
	if err := target.Prepare(ctx, fieldsByObject(batch)); err != nil {
		t.Fatal(err)
	}
	if !target.noUpsert["companies"] {
		t.Fatal("a golden id property without unique values was taken for an upsert key")
	}
	errs, err := target.Apply(ctx, "companies", batch)
	if err != nil || len(errs) > 0 {
		t.Fatalf("apply: %v %v", err, errs)
	}
	byGolden := map[string]string{}
	for _, r := range sim.Snapshot()["companies"] {
		byGolden[r.Values[GoldenIDProperty]] = r.ID
	}
	for _, c := range batch {
		if c.CreatedID == "" || byGolden[c.Values[GoldenIDProperty]] != c.CreatedID {
			t.Errorf("%s: created id %q, simulator holds %q", c.RecordID, c.CreatedID, byGolden[c.Values[GoldenIDProperty]])
		}
	}
}

// hubspotSim serves a HubSpot simulator holding recs over a real socket
// and returns it with a client of it.
func hubspotSim(t *testing.T, object string, recs []seed.Record) (*simhs.Server, *hubspot.Client) {
	t.Helper()
	sim := simhs.New(simhs.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := sim.Load(object, recs); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := hubspot.New(hubspot.Config{BaseURL: srv.URL, Token: "test-token"})
	if err != nil {
		t.Fatal(err)
	}
	return sim, client
}
