package pipelines

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The operations sections: which objects and extra field mappings a run
// covers, how runs are scheduled, locked and resumed, and where metrics,
// alerts and the parity audit go. Declared (defaults, docs, checks) in the
// spec functions below.

// Objects lists the objects a run extracts and loads, per system.
type Objects struct {
	HubSpot    []string `yaml:"hubspot"`
	Salesforce []string `yaml:"salesforce"`
}

// Mapping adds or overrides one row of sql/ref/field_map.csv.
type Mapping struct {
	Entity   string `yaml:"entity"`
	Field    string `yaml:"field"`
	System   string `yaml:"system"`
	Object   string `yaml:"object"`
	CRMField string `yaml:"crm_field"`
	line     int
}

// Line is the mapping's line in its file.
func (m Mapping) Line() int { return m.line }

func (m *Mapping) UnmarshalYAML(n *yaml.Node) error {
	type plain Mapping
	errs := checkItemKeys(n, "mappings")
	if err := n.Decode((*plain)(m)); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return err
		}
		errs = append(errs, te.Errors...)
	}
	m.line = n.Line
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// Run controls `crmhub run` itself.
type Run struct {
	LockTTL Duration `yaml:"lock_ttl"`
	Resume  bool     `yaml:"resume"`
	Audit   bool     `yaml:"audit"`
	// Incremental lets a run rebuild only what changed since the last one
	// (cycle/incremental.go); FullEvery bounds how long it may go on.
	Incremental bool     `yaml:"incremental"`
	FullEvery   Duration `yaml:"full_every"`
}

// Schedule says when the nightly run starts (for the docs and the
// generated crontab / systemd timer; the scheduler itself runs it).
type Schedule struct {
	Cron     string `yaml:"cron"`
	Timezone string `yaml:"timezone"`
}

// Metrics says where each run's Prometheus metrics go.
type Metrics struct {
	File           string `yaml:"file"`
	PushgatewayURL string `yaml:"pushgateway_url"`
	Job            string `yaml:"job"`
}

// Alerts configures anomaly alerts against the trailing run history.
type Alerts struct {
	WebhookURLEnv     string  `yaml:"webhook_url_env"`
	WebhookURL        string  `yaml:"webhook_url"`
	History           int     `yaml:"history"`
	MinHistory        int     `yaml:"min_history"`
	ErrorRateSpike    float64 `yaml:"error_rate_spike"`
	ErrorRateFloor    float64 `yaml:"error_rate_floor"`
	VolumeDrop        float64 `yaml:"volume_drop"`
	DuplicateRateJump float64 `yaml:"duplicate_rate_jump"`
	ReviewQueueGrowth float64 `yaml:"review_queue_growth"`
	ReviewQueueFloor  int     `yaml:"review_queue_floor"`
}

// Audit configures the parity audit.
type Audit struct {
	Sample         int            `yaml:"sample"`
	Threshold      float64        `yaml:"threshold"`
	CriticalFields CriticalFields `yaml:"critical_fields"`
}

// CriticalFields are the golden fields the audit compares, per entity.
type CriticalFields struct {
	Person  []string `yaml:"person"`
	Company []string `yaml:"company"`
	Deal    []string `yaml:"deal"`
}

var (
	apiVersionRe = regexp.MustCompile(`^v\d+\.\d$`)
	identRe      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)
	cronFieldRe  = regexp.MustCompile(`^[0-9A-Za-z*,/\-]+$`)
	hubspotObjs  = []string{"contacts", "companies", "deals"}
	sfObjs       = []string{"Contact", "Lead", "Account", "Opportunity"}
)

func objectsSpec() Field {
	return Field{Name: "objects", Kind: "object", Description: "Objects a run extracts and writes back, per system. Leaving one out skips it in both directions.", Fields: []Field{
		{Name: "hubspot", Kind: "list<string>", Default: "[companies, contacts, deals]", Enum: hubspotObjs, Description: "HubSpot objects."},
		{Name: "salesforce", Kind: "list<string>", Default: "[Account, Contact, Lead, Opportunity]", Enum: sfObjs, Description: "Salesforce sObjects."},
	}}
}

func mappingsSpec() Field {
	return Field{Name: "mappings", Kind: "list<object>", Default: "[]",
		Description: "Field mappings added to (or overriding) the default map in sql/ref/field_map.csv: one golden field of an entity to one CRM field of one object. A row with the same entity, system, object and field replaces the default row.",
		CheckAll:    checkMappings,
		Fields: []Field{
			{Name: "entity", Kind: "string", Description: "person, company or deal."},
			{Name: "field", Kind: "string", Description: "Golden field name (an existing one, or a new one carried through to golden_* tables)."},
			{Name: "system", Kind: "string", Description: "hubspot or salesforce."},
			{Name: "object", Kind: "string", Description: "Object of that system (contacts, companies, deals; Contact, Lead, Account, Opportunity)."},
			{Name: "crm_field", Kind: "string", Description: "CRM field (property) API name."},
		}}
}

func checkMappings(p *Pipeline, bad func(int, string, ...any)) {
	for _, m := range p.Mappings {
		if !entities[m.Entity] {
			bad(m.line, "mappings: entity %q: want person, company or deal", m.Entity)
		}
		if !identRe.MatchString(m.Field) {
			bad(m.line, "mappings: field %q: want a name of letters, digits and _", m.Field)
		}
		if !identRe.MatchString(m.CRMField) {
			bad(m.line, "mappings: crm_field %q: want an API name of letters, digits and _", m.CRMField)
		}
		switch m.System {
		case "hubspot":
			if !slices.Contains(hubspotObjs, m.Object) {
				bad(m.line, "mappings: object %q is not a HubSpot object (%s)", m.Object, strings.Join(hubspotObjs, ", "))
			}
		case "salesforce":
			if !slices.Contains(sfObjs, m.Object) {
				bad(m.line, "mappings: object %q is not a Salesforce object (%s)", m.Object, strings.Join(sfObjs, ", "))
			}
		default:
			bad(m.line, "mappings: system %q: want hubspot or salesforce", m.System)
		}
	}
}

func runSpec() Field {
	return Field{Name: "run", Kind: "object", Description: "`crmhub run`: the lake lock, resuming failed runs, the closing audit.", Fields: []Field{
		{Name: "lock_ttl", Kind: "duration", Default: "10m", Min: num(5), Description: "Lease on the lake (runs/_lock.json), renewed every third of this while the run lives; a crashed run's lease expires after it."},
		{Name: "resume", Kind: "bool", Default: "true", Description: "A run after a failed one resumes it from the failed step (same run id; committed extracts and sent load batches are not repeated). --fresh overrides."},
		{Name: "audit", Kind: "bool", Default: "false", Description: "Run the parity audit (section audit) as the last step of each run."},
		{Name: "incremental", Kind: "bool", Default: "true", Description: "Rebuild golden person records, their conflicts and their outbox rows only for the golden ids whose records, membership, company name, pending writes or review overrides changed since the last run; the others are carried from its published tables (docs/scaling.md). A run is full anyway when there is no previous run, the models, reference tables, pipeline or crmhub build changed, or full_every has passed. `crmhub run --full-transform` forces a full run."},
		{Name: "full_every", Kind: "duration", Default: "168h", Min: num(0), Description: "An incremental run more than this after the last full transform runs full instead (0: every run is full)."},
	}}
}

func scheduleSpec() Field {
	return Field{Name: "schedule", Kind: "object", Description: "When the nightly run starts. crmhub does not schedule itself: `crmhub pipeline schedule` prints the crontab line and systemd timer for this (docs/operations.md).", Fields: []Field{
		{Name: "cron", Kind: "string", Default: "\"30 2 * * *\"", Description: "Five-field cron expression (minute hour day month weekday).", Check: func(v any) string {
			f := strings.Fields(v.(string))
			if len(f) != 5 {
				return fmt.Sprintf("%q: want five fields (minute hour day month weekday)", v)
			}
			for _, x := range f {
				if !cronFieldRe.MatchString(x) {
					return fmt.Sprintf("%q: field %q has characters cron does not take", v, x)
				}
			}
			return ""
		}},
		{Name: "timezone", Kind: "string", Default: "UTC", Description: "Time zone of the cron expression (IANA name)."},
	}}
}

func metricsSpec() Field {
	return Field{Name: "metrics", Kind: "object", Description: "Per-run metrics in the Prometheus text format. Every run also keeps runs/RUN/metrics.prom in the lake.", Fields: []Field{
		{Name: "file", Kind: "string", Description: "Write the metrics here too (e.g. node_exporter's textfile collector: /var/lib/node_exporter/textfile/crmhub.prom)."},
		{Name: "pushgateway_url", Kind: "string", Check: checkURL, Description: "Push the metrics to this Prometheus Pushgateway (grouping: job, pipeline)."},
		{Name: "job", Kind: "string", Default: "crmhub", Description: "Job label of pushed metrics."},
	}}
}

func alertsSpec() Field {
	return Field{Name: "alerts", Kind: "object", Description: "Anomaly alerts against the trailing run history, sent once per change of state (firing, resolved) as JSON to a webhook (Slack incoming webhooks and generic receivers).", Fields: []Field{
		{Name: "webhook_url_env", Kind: "string", Default: "CRMHUB_ALERT_WEBHOOK", Description: "Environment variable holding the webhook URL (Slack webhook URLs are secrets)."},
		{Name: "webhook_url", Kind: "string", Check: checkURL, Description: "Webhook URL, when it is no secret; the environment variable wins."},
		{Name: "history", Kind: "int", Default: "7", Min: num(1), Max: num(100), Description: "Trailing runs that make the baseline (median)."},
		{Name: "min_history", Kind: "int", Default: "3", Min: num(1), Description: "Runs needed before anomalies are judged."},
		{Name: "error_rate_spike", Kind: "float", Default: "3", Min: num(1), Description: "Fire when the push error rate exceeds this multiple of the baseline (and error_rate_floor)."},
		{Name: "error_rate_floor", Kind: "float", Default: "0.02", Min: num(0), Max: num(1), Description: "Error rates at or below this never fire."},
		{Name: "volume_drop", Kind: "float", Default: "0.5", Min: num(0), Max: num(1), Description: "Fire when records extracted fall below this share of the baseline."},
		{Name: "duplicate_rate_jump", Kind: "float", Default: "0.05", Min: num(0), Max: num(1), Description: "Fire when the duplicate creation rate exceeds the baseline by this much (absolute)."},
		{Name: "review_queue_growth", Kind: "float", Default: "1.5", Min: num(1), Description: "Fire when the review queue exceeds this multiple of the baseline (and review_queue_floor)."},
		{Name: "review_queue_floor", Kind: "int", Default: "20", Min: num(0), Description: "Review queues at or below this never fire."},
	}}
}

func auditSpec() Field {
	fields := func(entity, def string) Field {
		return Field{Name: entity, Kind: "list<string>", Default: def, Description: "Golden fields compared for " + entity + " records."}
	}
	return Field{Name: "audit", Kind: "object", Description: "Parity audit (`crmhub audit`, or the last step of a run with run.audit): sample golden records, read them back from both APIs and compare the critical fields.", Fields: []Field{
		{Name: "sample", Kind: "int", Default: "20", Min: num(1), Max: num(1000), Description: "Golden records sampled per run."},
		{Name: "threshold", Kind: "float", Default: "0.95", Min: num(0), Max: num(1), Description: "Alert when the share of compared fields that agree falls below this."},
		{Name: "critical_fields", Kind: "object", Description: "Fields compared, per entity (names from sql/ref/field_map.csv).", Fields: []Field{
			fields("person", "[email, first_name, last_name, phone]"),
			fields("company", "[name, domain, phone]"),
			fields("deal", "[name, amount, close_date]"),
		}},
	}}
}

// checkItemKeys reports keys of a list item that the spec does not declare
// (Node.Decode does not inherit the decoder's KnownFields).
func checkItemKeys(n *yaml.Node, list string) []string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var known []string
	for _, f := range Walk(Spec()) {
		if len(f.Path) == 3 && f.Path[0] == list && f.Path[1] == "[]" {
			known = append(known, f.Name)
		}
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(known, k.Value) {
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in %s item (want %s)", k.Line, k.Value, list, strings.Join(known, ", ")))
		}
	}
	return errs
}
