package load

import (
	"context"
	"fmt"
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
	types  map[string]map[string]string // object -> field -> describe type
}

func (t *SalesforceTarget) System() string { return seed.Salesforce }

func (t *SalesforceTarget) BatchSize() int {
	if t.Batch <= 0 || t.Batch > salesforce.MaxCollection {
		return salesforce.MaxCollection
	}
	return t.Batch
}

// Prepare reads describe for every object written, and creates crmhub's
// external-id field (HubSpot_Id__c: unique, external id) where missing.
func (t *SalesforceTarget) Prepare(ctx context.Context, fieldsByObject map[string][]string) error {
	t.types = map[string]map[string]string{}
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
			if !strings.EqualFold(f, "HubSpot_Id__c") {
				return fmt.Errorf("salesforce %s has no field %q that the field map writes", obj, f)
			}
			if err := t.Client.CreateCustomField(ctx, obj, f, "HubSpot ID", 32, true, true); err != nil {
				return err
			}
			created = true
		}
		if created {
			if d, err = t.Client.Describe(ctx, obj); err != nil {
				return err
			}
		}
		types := map[string]string{}
		for _, f := range d.Fields {
			types[f.Name] = f.Type
		}
		t.types[obj] = types
	}
	return nil
}

// Apply sends one collection update; values are typed from describe.
func (t *SalesforceTarget) Apply(ctx context.Context, object string, batch []Change) ([]RecordError, error) {
	recs := make([]salesforce.Record, len(batch))
	for i, c := range batch {
		r := salesforce.Record{"Id": c.RecordID}
		for f, v := range c.Values {
			r[f] = typed(t.types[object][f], v)
		}
		recs[i] = r
	}
	res, err := t.Client.Update(ctx, object, recs, false)
	if err != nil {
		return nil, err
	}
	var out []RecordError
	for i, r := range res {
		if r.Success {
			continue
		}
		e := RecordError{System: seed.Salesforce, Object: object, RecordID: batch[i].RecordID}
		for _, x := range r.Errors {
			e.Code, e.Message = x.StatusCode, x.Message
			if len(x.Fields) > 0 {
				e.Message += " (fields: " + strings.Join(x.Fields, ", ") + ")"
			}
			break
		}
		out = append(out, e)
	}
	return out, nil
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
