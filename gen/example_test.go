package gen_test

import (
	"fmt"
	"os"

	"github.com/crmhub/crmhub/gen"
	"github.com/crmhub/crmhub/seed"
)

// A small demo dataset, one day of activity, and a seed directory that the
// simulators and `crmhub demo --seed` can load.
func Example() {
	d := gen.Generate(gen.Options{People: 1000, Seed: 1})
	for _, obj := range seed.HubSpotObjects {
		fmt.Println(seed.HubSpot, obj, len(d.Records(seed.HubSpot, obj)))
	}
	for _, obj := range seed.SalesforceObjects {
		fmt.Println(seed.Salesforce, obj, len(d.Records(seed.Salesforce, obj)))
	}
	st := gen.Mutate(d, gen.MutateOptions{Day: 1, Seed: 1, ChangeRate: 0.02})
	fmt.Printf("day 1: %+v\n", st.Total())

	dir, err := os.MkdirTemp("", "seed")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := seed.Write(d, dir); err != nil {
		panic(err)
	}
	back, err := seed.Load(dir)
	if err != nil {
		panic(err)
	}
	fmt.Println("records", back.Count(), "truth rows", len(back.Truth))
	// Output:
	// hubspot companies 216
	// hubspot contacts 1050
	// hubspot deals 338
	// salesforce Account 193
	// salesforce Contact 550
	// salesforce Lead 512
	// salesforce Opportunity 341
	// day 1: {Updated:77 Conflicts:22 Created:14 Duplicates:4 Archived:8}
	// records 3214 truth rows 3214
}
