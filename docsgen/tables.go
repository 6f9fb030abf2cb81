// Package docsgen documents crmhub from its own sources: the published
// tables and their columns (one catalog in code, which also becomes the
// column comments of the analyst database), and the sync architecture from
// a pipeline and the SQL models (`crmhub docs`).
package docsgen

// Table documents one published table.
type Table struct {
	Name    string
	Grain   string
	Doc     string
	Columns []Column
	// MappedEntity, when set, says the table also has one column per mapped
	// field of that entity (sql/ref/field_map.csv, role value): they are
	// documented from the field map.
	MappedEntity string
}

// Column documents one column.
type Column struct {
	Name string
	Doc  string
}

// provenanceDoc is shared by the golden tables.
const provenanceDoc = "Per field, where the winning value came from: provenance['email'].system, .object, .record_id, .rule (the golden rule that chose it) and .changed_at."

// Tables returns the catalog of the published tables, in publishing order.
// It is the single source of their documentation: docs/tables.md, the
// comments of the analyst database and `crmhub docs` all read it, and a
// test checks it against the columns a run really publishes.
func Tables() []Table {
	golden := func(name, entity, grain string, cols ...Column) Table {
		base := []Column{{"golden_id", "Stable id of the golden record: kept across runs unless its cluster really changes."}}
		base = append(base, cols...)
		base = append(base,
			Column{"records", "Source records merged into this golden record."},
			Column{"hubspot_records", "Of those, records in HubSpot."},
			Column{"salesforce_records", "Of those, records in Salesforce."},
			Column{"provenance", provenanceDoc})
		return Table{Name: name, Grain: grain, MappedEntity: entity, Columns: base,
			Doc: "Golden " + entity + " records: the winning value of each mapped field after the golden rules, with its provenance."}
	}
	side := func(prefix, what string) []Column {
		return []Column{
			{prefix + "_system", "System of the " + what + " record (hubspot or salesforce)."},
			{prefix + "_object", "Object of the " + what + " record (contacts, Contact, Lead, companies, Account, deals, Opportunity)."},
			{prefix + "_record_id", "Id of the " + what + " record in its system."},
		}
	}
	levels := "level (exact, fuzzy_high, ..., null, different) and the log2 m/u weight it added to the score"
	pairExplanation := Column{"explanation", "Per compared field, keyed by the field: explanation.email.level and explanation.email.weight, the " + levels + ". " +
		"Persons fill first_name, last_name, birthdate, email, phone, street, city, postal_code, state and company_name; companies name, domain, phone, street, city and postal_code; deals name, company, amount and close_date; the fields of other entities are NULL."}
	explanation := Column{"explanation", "Per compared field of the pair's entity, in field order: field, " + levels + "."}
	return []Table{
		{Name: "xref", Grain: "one row per source record",
			Doc: "Cross-reference of every source record of both CRMs to its golden record, and how it was matched.",
			Columns: []Column{
				{"entity", "person, company or deal."},
				{"golden_id", "Golden record the source record belongs to (golden_persons, golden_companies or golden_deals)."},
				{"system", "hubspot or salesforce."},
				{"object", "CRM object: contacts, companies, deals (HubSpot); Contact, Lead, Account, Opportunity (Salesforce)."},
				{"record_id", "Id of the record in its system."},
				{"matched_by", "Its strongest link to another record of the golden record: cross_id (the cross-system id written back), score (Fellegi-Sunter match) or unmatched (alone)."},
				{"match_score", "Score of that link when matched by score."},
				{"cluster_size", "Number of source records in its golden record."},
				{"deleted", "The record is deleted or archived in its system."},
				{"updated_at", "Last modification time of the record in its system."},
			}},
		golden("golden_persons", "person", "one row per golden person"),
		golden("golden_companies", "company", "one row per golden company"),
		golden("golden_deals", "deal", "one row per golden deal",
			Column{"company_golden_id", "Golden company of the deal's account (golden_companies.golden_id)."}),
		{Name: "match_pairs", Grain: "one row per scored candidate pair",
			Doc: "Every candidate pair that blocking produced, with its Fellegi-Sunter score, decision and per-field explanation.",
			Columns: append(append(append([]Column{{"entity", "person, company or deal."}}, side("left", "first")...), side("right", "second")...),
				Column{"score", "Sum of the log2 m/u weights of the compared fields, plus the prior."},
				Column{"probability", "Match probability from the score."},
				Column{"decision", "match, review or non-match, from the pipeline's thresholds."},
				Column{"decided_by", "What decided: the score thresholds (score), a cross-system id rule (cross_id, conflicting_cross_id) or, for companies, two differently named businesses at one site (two_names_at_site: a non-match)."},
				Column{"blocking_rules", "Blocking rules that made the two records candidates."},
				pairExplanation)},
		{Name: "review_queue", Grain: "one row per pair or merge that needs a person",
			Doc: "Work for a person: uncertain matches, conflicts held for review, duplicates inside one system that are not merged automatically.",
			Columns: append(append(append([]Column{
				{"entity", "person, company or deal."},
				{"reason", "uncertain_match, field_conflict or duplicate_in_system."},
			}, append(side("left", "first"), Column{"left_golden_id", "Golden record of the first record."})...),
				append(side("right", "second"), Column{"right_golden_id", "Golden record of the second record."})...),
				Column{"field", "The field in conflict (field_conflict)."},
				Column{"left_value", "The first side's value (field_conflict)."},
				Column{"right_value", "The second side's value (field_conflict)."},
				Column{"score", "Match score of the pair (uncertain_match)."},
				Column{"probability", "Match probability of the pair (uncertain_match)."},
				explanation,
				Column{"suggested_action", "link, keep_apart, pick_value or merge."},
				Column{"left_changed_at", "When the first side's value changed (field_conflict)."},
				Column{"right_changed_at", "When the second side's value changed (field_conflict)."},
				Column{"impact_records", "Live records a decision on the item affects (a pair: both clusters)."},
				Column{"impact_fields", "Fields a decision affects (a pair: compared fields that disagree; a conflict: 1)."},
				Column{"left_key", "Record key system:object:record_id of the first record."},
				Column{"right_key", "Record key system:object:record_id of the second record."},
				Column{"item_id", "Stable id of the item across runs (crmhub review); a conflict's also names its change times, so a new edit makes a new item."},
				Column{"fingerprint", "Changes when what a reviewer sees changes; a decision on an older fingerprint is refused."},
				Column{"group_key", "Items one decision can settle: pairs between two golden records, duplicates or conflicts of one."},
				Column{"group_size", "Items in the group."},
				Column{"group_impact_records", "Records the group's decision affects; the queue is ordered by it."},
				Column{"group_impact_fields", "Fields the group's decision affects."},
				Column{"first_seen_at", "When the item first appeared in the queue (run clock)."})},
		{Name: "conflicts", Grain: "one row per open conflict: a field changed in both systems since the last run, or held for review since an earlier run",
			Doc: "Fields that users changed in both CRMs since the last run to values that disagree, and how the golden rule resolved them; a conflict held for review stays, run after run, until someone decides it, a system edits the field again or the systems agree (docs/review.md).",
			Columns: []Column{
				{"entity", "person, company or deal."},
				{"golden_id", "Golden record of the field."},
				{"field", "Mapped field (shared vocabulary, e.g. phone)."},
				{"hubspot_object", "HubSpot object of the record that changed."},
				{"hubspot_record_id", "HubSpot record that changed."},
				{"hubspot_value", "Its new value."},
				{"hubspot_changed_at", "When it changed in HubSpot."},
				{"salesforce_object", "Salesforce object of the record that changed."},
				{"salesforce_record_id", "Salesforce record that changed."},
				{"salesforce_value", "Its new value."},
				{"salesforce_changed_at", "When it changed in Salesforce."},
				{"resolved_value", "The value the golden record keeps."},
				{"resolved_from", "System whose value won."},
				{"resolution_rule", "Golden rule that decided (owner, most_recent, ...)."},
				{"resolution", "decided (the rule settled it, or a person in review: resolution_rule review) or review (held, in review_queue)."},
				{"first_seen_at", "When a run first raised the conflict (run clock); earlier than this run's for a conflict still open."},
			}},
		{Name: "outbox", Grain: "one row per field write to one CRM record",
			Doc: "What the load sends: each field write (or create, archive) per record, with the value before and after and why.",
			Columns: []Column{
				{"entity", "person, company or deal."},
				{"golden_id", "Golden record the write comes from."},
				{"system", "System written to."},
				{"object", "Object written to."},
				{"record_id", "Record written to (empty for a create)."},
				{"field", "Mapped field."},
				{"crm_field", "Field name in the target CRM."},
				{"old_value", "Value in the CRM before the write."},
				{"new_value", "Value written."},
				{"source_system", "System the golden value came from."},
				{"source_record_id", "Record the golden value came from."},
				{"rule", "Golden rule that chose the value."},
				{"source_changed_at", "When the winning value changed in its source system."},
				{"kind", "What the write is: field (update), cross_id, create, archive or merge."},
				{"backref_object", "For a create: the object of the record the new one copies (in the other system), which gets the new id written back."},
				{"backref_record_id", "For a create: the id of that record."},
				{"backref_field", "For a create: the field of that record that receives the new id."},
			}},
		{Name: "sync_runs", Grain: "one row per run (history of every run so far)",
			Doc: "Run history: status, counts and timings of each run. Each run publishes the whole history.",
			Columns: []Column{
				{"run_id", "Run id: start time (UTC) and a random suffix; sorts by time."},
				{"started_at", "Start of the run (UTC)."},
				{"finished_at", "End of the run (UTC)."},
				{"status", "succeeded, succeeded_with_errors, refused_by_guard or failed."},
				{"dry_run", "Plan only: nothing was written to the CRMs."},
				{"approved_reason", "Reason given with --approve to pass the mass-update safeguard."},
				{"records_extracted", "Records read from both CRMs in this run."},
				{"source_records", "Source records known after the run (both CRMs)."},
				{"golden_records", "Golden records after the run."},
				{"matched_pairs", "Candidate pairs decided match."},
				{"review_items", "Rows in review_queue."},
				{"conflicts", "Conflicts the run raised (conflicts still open from earlier runs are in review_items)."},
				{"outbox_fields", "Field writes planned (rows in outbox)."},
				{"records_pushed", "Records written to the CRMs."},
				{"push_errors", "Records the CRMs refused (rows in sync_errors of this run)."},
				{"guard_refusal", "Why the safeguard refused the load, when it did."},
				{"steps", "Seconds per step, JSON: {\"extract\": 12.5, ...}."},
				{"extract", "Per object extract result, JSON: system, object, mode (full or incremental), records, cursor."},
			}},
		{Name: "sync_errors", Grain: "one row per record a CRM refused, every run",
			Doc: "Per-record failures of the load with their retry state; history of every run.",
			Columns: []Column{
				{"run_id", "Run that hit the error."},
				{"system", "System that refused."},
				{"object", "Object of the record."},
				{"record_id", "Record that failed."},
				{"code", "Error code from the API (e.g. INVALID_EMAIL, FIELD_CUSTOM_VALIDATION_EXCEPTION)."},
				{"message", "Error text from the API."},
				{"retry_state", "pending_retry (the next run tries again), retried, or stuck (failed max_attempts runs in a row)."},
				{"failed_at", "When the write failed (UTC)."},
				{"field", "CRM field the error names, when the API says."},
				{"attempts", "Runs in a row this record has failed; from load.max_attempts on its state is stuck."},
			}},
		{Name: "sync_run_steps", Grain: "one row per step attempt of every run",
			Doc: "Per step of each run (extract, transform, load, publish, ...): status, timings, records, errors and API figures; history of every run. A resumed run adds an attempt.",
			Columns: []Column{
				{"run_id", "Run of the step."},
				{"step", "Step name."},
				{"attempt", "1 for the first try; a run resumed after a failure tries the failed step again."},
				{"status", "Outcome of the step attempt (succeeded, failed, ...)."},
				{"started_at", "Start of the step (UTC)."},
				{"finished_at", "End of the step (UTC)."},
				{"seconds", "Wall time of the step."},
				{"records", "Records the step handled."},
				{"errors", "Records the step failed on."},
				{"error", "Error that failed the step."},
				{"api_calls", "CRM API calls the step made."},
				{"api_errors", "Of those, calls that failed."},
				{"api_retries", "Calls retried (rate limits, server errors)."},
				{"api_latency_seconds", "Total time spent waiting for the API, summed over calls (divide by api_calls for the mean)."},
				{"api", "Per system and endpoint API figures, JSON."},
			}},
		{Name: "write_log", Grain: "one row per value crmhub wrote to a CRM field, every run",
			Doc: "What crmhub wrote where and when, so the next run can tell its own writes coming back (echoes) from users' changes.",
			Columns: []Column{
				{"system", "System written to."},
				{"object", "Object written to."},
				{"record_id", "Record written to."},
				{"crm_field", "Field written."},
				{"value", "Value written."},
				{"source_changed_at", "When the value changed in its source system."},
				{"run_id", "Run that wrote it."},
				{"written_at", "When it was written (UTC)."},
			}},
	}
}
