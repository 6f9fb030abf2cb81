package load

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/crmhub/crmhub/crm/salesforce"
	"github.com/crmhub/crmhub/seed"
)

// SalesforceTarget writes changes with sObject Collections update, at most
// Batch records per call, allOrNone false so one bad record fails alone.
type SalesforceTarget struct {
	Client *salesforce.Client
	Batch  int
	// Workers is the most collection calls or bulk jobs in flight at once;
	// 0 means DefaultWorkers (Salesforce allows 25 long-running requests
	// per org at once).
	Workers int
	types   map[string]map[string]string // object -> field -> describe type
	specs   map[string]map[string]fieldSpec
	// noUpsert: objects whose golden id field is no External ID
	noUpsert map[string]bool
}

func (t *SalesforceTarget) System() string { return seed.Salesforce }

func (t *SalesforceTarget) Concurrency() int { return cmp.Or(t.Workers, DefaultWorkers) }

func (t *SalesforceTarget) BatchSize() int {
	if t.Batch <= 0 || t.Batch > salesforce.MaxCollection {
		return salesforce.MaxCollection
	}
	return t.Batch
}

// GoldenIDField is the Salesforce External ID field creates upsert on.
const GoldenIDField = "Crmhub_Golden_Id__c"

// crmhubFields are the custom fields crmhub creates through the Tooling API
// when missing: length, external id, unique.
var crmhubFields = map[string]struct {
	label          string
	length         int
	external, uniq bool
}{
	"hubspot_id__c":       {"HubSpot ID", 32, true, true},
	"crmhub_golden_id__c": {"Golden ID (crmhub)", 64, true, true},
	"crmhub_status__c":    {"Status (crmhub)", 32, false, false},
}

// Prepare reads describe for every object written, and creates crmhub's
// fields (HubSpot_Id__c, Crmhub_Golden_Id__c: unique external ids;
// Crmhub_Status__c) where missing. It keeps each field's type, length and
// picklist values for checking values before the call.
func (t *SalesforceTarget) Prepare(ctx context.Context, fieldsByObject map[string][]string) error {
	t.types = map[string]map[string]string{}
	t.specs = map[string]map[string]fieldSpec{}
	t.noUpsert = map[string]bool{}
	for obj, fields := range fieldsByObject {
		d, err := t.Client.Describe(ctx, obj)
		if err != nil {
			return err
		}
		created := false
		for _, f := range fields {
			if d.Field(f) != nil {
				continue
			}
			spec, ok := crmhubFields[strings.ToLower(f)]
			if !ok {
				return fmt.Errorf("salesforce %s has no field %q that the field map writes", obj, f)
			}
			if err := t.Client.CreateCustomField(ctx, obj, f, spec.label, spec.length, spec.external, spec.uniq); err != nil {
				return err
			}
			created = true
		}
		if created {
			if d, err = t.Client.Describe(ctx, obj); err != nil {
				return err
			}
		}
		if f := d.Field(GoldenIDField); f != nil && !f.ExternalID {
			// an org whose field lost its External ID flag (or a simulator
			// restored from records alone): creates cannot upsert on it
			t.noUpsert[obj] = true
			slog.Warn("salesforce golden id field is not an External ID: creates use insert, a retried batch may duplicate",
				"object", obj, "field", GoldenIDField)
		}
		types := map[string]string{}
		specs := map[string]fieldSpec{}
		for _, f := range d.Fields {
			types[f.Name] = f.Type
			specs[f.Name] = salesforceSpec(f)
		}
		t.types[obj] = types
		t.specs[obj] = specs
	}
	return nil
}

func salesforceSpec(f salesforce.Field) fieldSpec {
	s := fieldSpec{Type: "string"}
	switch f.Type {
	case "email":
		s.Type = "email"
	case "double", "currency", "percent", "int", "long":
		s.Type = "number"
	case "date":
		s.Type = "date"
	case "boolean":
		s.Type = "bool"
	case "picklist":
		s.Options = map[string]bool{}
		for _, p := range f.PicklistValues {
			if p.Active {
				s.Options[p.Value] = true
			}
		}
	}
	switch f.Type {
	case "string", "textarea", "email", "phone", "url", "picklist":
		s.Length = f.Length
	}
	return s
}

// Apply sends one sObject Collections call, allOrNone false so one bad
// record fails alone: update by Id, create as upsert on Crmhub_Golden_Id__c
// (a batch retried after a timeout updates what it created), archive as the
// status field, merge as a delete after the re-parenting updates. Values
// Salesforce would refuse are held back and reported.
func (t *SalesforceTarget) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	kind := kindOf(batch[0])
	send, out := batch, []RecordError(nil)
	if kind != KindMerge {
		send, out = screen(seed.Salesforce, object, batch, t.specs[object])
	}
	if len(send) == 0 {
		return out, nil
	}
	var res []salesforce.SaveResult
	var err error
	switch kind {
	case KindMerge:
		ids := make([]string, len(send))
		for i, c := range send {
			ids[i] = c.RecordID
		}
		res, err = t.Client.Delete(ctx, ids, false)
	case KindCreate:
		if t.noUpsert[object] {
			res, err = t.Client.Create(ctx, object, t.records(object, send, false), false)
		} else {
			res, err = t.Client.Upsert(ctx, object, GoldenIDField, t.records(object, send, false), false)
		}
	default:
		res, err = t.Client.Update(ctx, object, t.records(object, send, true), false)
	}
	if err != nil {
		return nil, err
	}
	setCreated := createdSetter(batch)
	for i, r := range res {
		if r.Success {
			if kind == KindCreate {
				setCreated(send[i].RecordID, r.ID)
			}
			continue
		}
		out = append(out, saveError(object, send[i].RecordID, r.Errors))
	}
	return out, nil
}

// createdSetter sets CreatedID on the changes of one record id; it indexes
// the batch once, as a scan per answered row was quadratic on bulk jobs.
func createdSetter(batch []Change) func(recordID, id string) {
	at := make(map[string][]int, len(batch))
	for i := range batch {
		at[batch[i].RecordID] = append(at[batch[i].RecordID], i)
	}
	return func(recordID, id string) {
		for _, i := range at[recordID] {
			batch[i].CreatedID = id
		}
	}
}

func saveError(object, recordID string, errs []salesforce.RecordError) RecordError {
	e := RecordError{System: seed.Salesforce, Object: object, RecordID: recordID}
	for _, x := range errs {
		e.Code, e.Message = x.StatusCode, x.Message
		if len(x.Fields) > 0 {
			e.Message += " (fields: " + strings.Join(x.Fields, ", ") + ")"
		}
		break
	}
	return e
}

func (t *SalesforceTarget) records(object string, changes []Change, withID bool) []salesforce.Record {
	recs := make([]salesforce.Record, len(changes))
	for i, c := range changes {
		r := salesforce.Record{}
		if withID {
			r["Id"] = c.RecordID
		}
		for f, v := range c.Values {
			r[f] = typed(t.types[object][f], v)
		}
		recs[i] = r
	}
	return recs
}

// ApplyBulk writes one object's changes of one kind in a Bulk API 2.0
// ingest job (update by Id, or upsert on Crmhub_Golden_Id__c); failed rows
// come back as RecordErrors with the API's message.
func (t *SalesforceTarget) ApplyBulk(ctx context.Context, object string, changes []Change) ([]RecordError, error) {
	kind := kindOf(changes[0])
	send, out := screen(seed.Salesforce, object, changes, t.specs[object])
	if len(send) == 0 {
		return out, nil
	}
	cols := map[string]bool{}
	for _, c := range send {
		for f := range c.Values {
			cols[f] = true
		}
	}
	header := slices.Sorted(maps.Keys(cols))
	op, ext, key := "update", "", "Id"
	if kind == KindCreate {
		op, ext, key = "upsert", GoldenIDField, GoldenIDField
	} else {
		header = append([]string{"Id"}, header...)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	byKey := map[string]string{} // key column value -> outbox record id
	for _, c := range send {
		row := make([]string, len(header))
		for i, h := range header {
			if h == "Id" {
				row[i] = c.RecordID
				continue
			}
			// Bulk API: an empty cell leaves the field as it is, #N/A clears it
			if v, ok := c.Values[h]; ok && v == "" {
				row[i] = "#N/A"
			} else {
				row[i] = v
			}
		}
		if kind == KindCreate {
			byKey[c.Values[GoldenIDField]] = c.RecordID
		} else {
			byKey[c.RecordID] = c.RecordID
		}
		_ = w.Write(row)
	}
	w.Flush()
	res, err := t.Client.BulkIngest(ctx, object, op, ext, &buf)
	if res == nil {
		return out, err
	}
	col := func(tab salesforce.CSVTable, name string) int { return slices.Index(tab.Header, name) }
	if k, id := col(res.Successful, key), col(res.Successful, "sf__Id"); k >= 0 && id >= 0 && kind == KindCreate {
		setCreated := createdSetter(changes)
		for _, row := range res.Successful.Rows {
			setCreated(byKey[row[k]], row[id])
		}
	}
	for _, tab := range []salesforce.CSVTable{res.Failed, res.Unprocessed} {
		k, msg := col(tab, key), col(tab, "sf__Error")
		for _, row := range tab.Rows {
			e := RecordError{System: seed.Salesforce, Object: object, Code: "BULK_UNPROCESSED", Message: "not processed by the bulk job"}
			if k >= 0 {
				e.RecordID = byKey[row[k]]
			}
			if msg >= 0 {
				e.Code, e.Message = bulkError(row[msg])
			}
			out = append(out, e)
		}
	}
	return out, err
}

// bulkError splits a Bulk API 2.0 sf__Error, "CODE:message:fields --"
// (e.g. "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"),
// into the code and a message that names the fields as collections do.
func bulkError(s string) (code, message string) {
	code, rest, _ := strings.Cut(s, ":")
	rest = strings.TrimSpace(rest)
	if trimmed, ok := strings.CutSuffix(rest, "--"); ok {
		rest = strings.TrimSpace(trimmed)
		if i := strings.LastIndex(rest, ":"); i >= 0 {
			fields := strings.TrimSpace(rest[i+1:])
			rest = strings.TrimSpace(rest[:i])
			if fields != "" {
				rest += " (fields: " + fields + ")"
			}
		}
	}
	return code, rest
}

// typed turns crmhub's string value into the JSON type the field expects;
// a value that does not parse is sent as is and the API's refusal is kept.
func typed(fieldType, v string) any {
	switch fieldType {
	case "double", "currency", "percent", "int", "long":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}
