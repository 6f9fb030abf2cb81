package cycle_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/crmhub/crmhub/crm/hubspot"
	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/cycle"
	"github.com/crmhub/crmhub/demo"
	"github.com/crmhub/crmhub/internal/lake"
	"github.com/crmhub/crmhub/load"
	"github.com/crmhub/crmhub/pipelines"
	"github.com/crmhub/crmhub/seed"
	sqlmodels "github.com/crmhub/crmhub/sql"
)

// TestMergeDuplicatesThroughCycle: with merge_duplicates on for both
// systems, one run merges a HubSpot duplicate through the merge API and a
// Salesforce duplicate Account by re-parenting its Contact and deleting it;
// the simulators' state is read back through the APIs afterwards. With
// merging off, the same data merges nothing. (Data: the v1 seed of
// testdata/scenarios/duplicate_merged_through_api.)
func TestMergeDuplicatesThroughCycle(t *testing.T) {
	for _, on := range []bool{true, false} {
		name := map[bool]string{true: "merging on", false: "merging off"}[on]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			d, err := seed.Load(scenarioRoot + "/duplicate_merged_through_api/v1")
			if err != nil {
				t.Fatal(err)
			}
			sims, err := demo.StartSims(d, demo.SimConfig{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer sims.Close()
			hs, err := hubspot.New(hubspot.Config{BaseURL: sims.HubSpotURL, Token: "test-token", RequestsPer10s: 100_000})
			if err != nil {
				t.Fatal(err)
			}
			sf, err := salesforce.New(salesforce.Config{LoginURL: sims.SalesforceURL, ClientID: "test-client", ClientSecret: "test-secret"})
			if err != nil {
				t.Fatal(err)
			}
			store, err := lake.OpenLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p := pipelines.Default()
			if on {
				p.Golden.MergeDuplicates = []string{"hubspot", "salesforce"}
			}
			rep, err := cycle.Run(ctx, cycle.Config{Store: store, Pipeline: p, Models: sqlmodels.Models, Sources: demo.Sources(hs, sf),
				Targets: []load.Target{&load.HubSpotTarget{Client: hs, Batch: 100}, &load.SalesforceTarget{Client: sf, Batch: 200}},
				Approve: "test: merge", WorkDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range rep.Load {
				if len(l.Errors) > 0 {
					t.Errorf("%s load errors: %+v", l.System, l.Errors)
				}
			}

			// HubSpot: both old ids still answer GET, with the merged record
			var ids []string
			for _, old := range []string{"301", "302"} {
				o, err := hs.Get(ctx, "contacts", old, "", []string{"email", "hs_merged_object_ids"})
				if err != nil {
					t.Fatalf("GET contact %s: %v", old, err)
				}
				merged := ""
				if v := o.Properties["hs_merged_object_ids"]; v != nil {
					merged = *v
				}
				ids = append(ids, o.ID)
				if on && (o.ID == old || !slices.Equal(strings.Split(merged, ";"), []string{"301", "302"})) {
					t.Errorf("GET %s: id %s, hs_merged_object_ids %q; want the merged record listing 301;302", old, o.ID, merged)
				}
				if !on && (o.ID != old || merged != "") {
					t.Errorf("merging off: GET %s answered %s merged %q", old, o.ID, merged)
				}
			}
			if on && ids[0] != ids[1] {
				t.Errorf("old ids answer different records: %v", ids)
			}

			// Salesforce: the Contact hangs off the primary Account, the
			// duplicate Account is deleted (queryAll shows it)
			accounts := map[string]string{}
			if err := sf.Query(ctx, "SELECT Id, IsDeleted FROM Account", salesforce.QueryOptions{All: true}, func(recs []salesforce.Record) error {
				for _, r := range recs {
					accounts[fmt.Sprint(r["Id"])] = strings.ToLower(fmt.Sprint(r["IsDeleted"]))
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			var parent string
			if err := sf.Query(ctx, "SELECT Id, AccountId FROM Contact", salesforce.QueryOptions{}, func(recs []salesforce.Record) error {
				for _, r := range recs {
					parent = fmt.Sprint(r["AccountId"])
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			const primary, dup = "001000000000001AAA", "001000000000002AAA"
			wantParent, wantDup := primary, "true"
			if !on {
				wantParent, wantDup = dup, "false"
			}
			if parent != wantParent || accounts[dup] != wantDup || accounts[primary] != "false" {
				t.Errorf("Contact.AccountId %s (want %s), Accounts %v (duplicate deleted: want %s)", parent, wantParent, accounts, wantDup)
			}
		})
	}
}
