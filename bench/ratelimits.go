package bench

// The documented API limits the estimates use, and the per-call latencies
// they assume for the real services (the simulators answer on loopback in
// a millisecond or two, so a measured run shows crmhub's own cost, not the
// CRMs'). The latencies are assumptions, stated as such in the report.
const (
	// HubSpot private app, Professional/Enterprise: 190 requests per
	// rolling 10 s; search endpoints 5 per second; daily 650,000
	// (Professional) or 1,000,000 (Enterprise) shared by every app.
	hubspotPerSecond       = 19.0
	hubspotSearchPerSecond = 5.0
	hubspotDailyPro        = 650_000
	hubspotDailyEnterprise = 1_000_000
	// Salesforce Enterprise edition: 100,000 calls per 24 h plus 1,000 per
	// user license; no per-second limit on REST, 25 concurrent long
	// requests. Bulk API 2.0 ingest: 150,000,000 records per 24 h.
	salesforceDailyBase       = 100_000
	salesforceDailyPerLicense = 1_000

	// assumed real-service latencies per call
	hubspotReadLatency     = 0.30 // s per list/search/batch read page
	hubspotWriteLatency    = 0.50 // s per batch update of 100
	salesforceQueryLatency = 1.00 // s per query page of 2,000
	salesforceWriteLatency = 1.00 // s per sObject Collections call of 200
	salesforceBulkRate     = 2000 // records/s a Bulk API 2.0 ingest job processes
)

// LimitEstimate is one run's wall time with the API limits on.
type LimitEstimate struct {
	Run string `json:"run"`
	// Calls per system in the run (extract and load).
	HubSpotCalls       int `json:"hubspot_calls"`
	HubSpotSearchCalls int `json:"hubspot_search_calls"`
	SalesforceCalls    int `json:"salesforce_calls"`
	SalesforceBulkRecs int `json:"salesforce_bulk_records"`
	// HubSpotLimitSec is the least time the rolling and search limits
	// allow for the HubSpot calls (calls / allowed rate); HubSpotLatencySec
	// is the time crmhub's sequential pages take at the assumed latency.
	HubSpotLimitSec   float64 `json:"hubspot_limit_seconds"`
	HubSpotLatencySec float64 `json:"hubspot_latency_seconds"`
	// SalesforceSec is the time at the assumed latencies plus the bulk
	// jobs' processing (Salesforce has no per-second limit).
	SalesforceSec float64 `json:"salesforce_seconds"`
	// LocalSec is the measured transform and publish (no API involved).
	LocalSec float64 `json:"local_seconds"`
	// WallSec = max(HubSpot, Salesforce) extract + local + the load: the
	// two CRMs' loads side by side when each has several write calls in
	// flight, else one after the other (load.eachTarget).
	WallSec float64 `json:"estimated_wall_seconds"`
	// Daily budget shares.
	HubSpotDailyPro        float64 `json:"hubspot_daily_share_professional"`
	HubSpotDailyEnterprise float64 `json:"hubspot_daily_share_enterprise"`
	SalesforceDailyBase    float64 `json:"salesforce_daily_share_100k"`
	Bound                  string  `json:"bound"`
}

func isHubSpotWrite(kind string) bool {
	switch kind {
	case "batch_update", "batch_create", "batch_upsert", "batch_archive", "merge", "associations_batch_create", "create_property":
		return true
	}
	return false
}

func isSalesforceWrite(kind string) bool {
	switch kind {
	case "collections", "create", "update", "upsert", "delete", "composite", "bulk_ingest", "tooling_custom_field":
		return true
	}
	return false
}

// estimateLimits turns each run's measured calls into wall-time estimates.
func estimateLimits(r *CycleReport) []LimitEstimate {
	var out []LimitEstimate
	// several write calls in flight divide the latency of the writes, not
	// the rate limit (nor the bulk jobs' processing, which Salesforce
	// schedules); updates go several at a time, creates one by one (both
	// counted as divided here: creates are a few percent of the calls)
	hsWorkers, sfWorkers := float64(max(1, r.HubSpotWorkers)), float64(max(1, r.SalesforceWorkers))
	for _, run := range r.Runs {
		e := LimitEstimate{Run: run.Name}
		var hsExtractLat, hsLoadLat, hsExtractLim, hsLoadLim, sfExtract, sfLoad float64
		for _, c := range run.API {
			switch c.System {
			case "hubspot":
				e.HubSpotCalls += c.Calls
				write := isHubSpotWrite(c.Kind)
				lim := float64(c.Calls) / hubspotPerSecond
				if c.Kind == "search" {
					e.HubSpotSearchCalls += c.Calls
					lim = float64(c.Calls) / hubspotSearchPerSecond
				}
				if write {
					hsLoadLim += lim
					hsLoadLat += float64(c.Calls) * hubspotWriteLatency / hsWorkers
				} else {
					hsExtractLim += lim
					hsExtractLat += float64(c.Calls) * hubspotReadLatency
				}
			case "salesforce":
				e.SalesforceCalls += c.Calls
				if isSalesforceWrite(c.Kind) {
					sfLoad += float64(c.Calls) * salesforceWriteLatency / sfWorkers
				} else {
					sfExtract += float64(c.Calls) * salesforceQueryLatency
				}
			}
		}
		for _, l := range run.Load {
			if l.System == "salesforce" {
				e.SalesforceBulkRecs += l.Bulk
			}
		}
		sfLoad += float64(e.SalesforceBulkRecs) / salesforceBulkRate
		e.HubSpotLimitSec = hsExtractLim + hsLoadLim
		e.HubSpotLatencySec = hsExtractLat + hsLoadLat
		e.SalesforceSec = sfExtract + sfLoad
		for _, s := range run.Steps {
			if s.Step == "transform" || s.Step == "publish" {
				e.LocalSec += s.Seconds
			}
		}
		hsExtract, hsLoad := max(hsExtractLim, hsExtractLat), max(hsLoadLim, hsLoadLat)
		load := hsLoad + sfLoad
		if hsWorkers > 1 && sfWorkers > 1 {
			load = max(hsLoad, sfLoad)
		}
		e.WallSec = max(hsExtract, sfExtract) + e.LocalSec + load
		e.HubSpotDailyPro = float64(e.HubSpotCalls) / hubspotDailyPro
		e.HubSpotDailyEnterprise = float64(e.HubSpotCalls) / hubspotDailyEnterprise
		e.SalesforceDailyBase = float64(e.SalesforceCalls) / salesforceDailyBase
		e.Bound = bound(e, hsExtractLim+hsLoadLim, hsExtractLat+hsLoadLat, sfExtract+sfLoad)
		out = append(out, e)
	}
	return out
}

// bound names what limits a run's wall time.
func bound(e LimitEstimate, hsLim, hsLat, sf float64) string {
	api := max(max(hsLim, hsLat), sf)
	switch {
	case e.HubSpotDailyPro > 1:
		return "HubSpot daily limit (Professional): the run needs more than one day's calls"
	case e.LocalSec > api:
		return "crmhub (transform and publish on this machine)"
	case hsLim >= hsLat && hsLim >= sf:
		return "HubSpot rate limit (190/10 s, search 5/s)"
	case hsLat >= sf:
		return "HubSpot latency of sequential pages (the rate limit leaves room for parallel pages)"
	default:
		return "Salesforce call latency and bulk processing"
	}
}
