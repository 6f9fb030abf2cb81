package cycle

import (
	"github.com/crmhub/crmhub/extract"
	"github.com/crmhub/crmhub/seed"
)

// SeedSources lands every object of a seed dataset straight into the lake,
// without simulators: for scoring the models on benchmark seeds.
func SeedSources(d *seed.Dataset) []extract.Source {
	var out []extract.Source
	for _, sys := range []string{seed.HubSpot, seed.Salesforce} {
		for _, obj := range objects[sys] {
			out = append(out, extract.SeedSource{Dataset: d, Sys: sys, Obj: obj})
		}
	}
	return out
}
