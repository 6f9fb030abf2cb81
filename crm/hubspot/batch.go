package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// BatchInput is one record of a batch write. ID and IDProperty address the
// record for update and upsert (IDProperty is a unique property such as email,
// or empty / hs_object_id for the record id).
type BatchInput struct {
	ID           string
	IDProperty   string
	Properties   map[string]string
	Associations []AssociationSpec // create only
}

// AssociationSpec associates a new record with an existing one.
type AssociationSpec struct {
	ToID     string
	TypeID   int
	Category string // default HUBSPOT_DEFINED
}

// BatchRecord is one successful result; New reports an upsert that created.
type BatchRecord struct {
	Object
	New bool
}

// BatchError is one group of per-record failures of a batch.
type BatchError struct {
	Category string
	Message  string
	IDs      []string            // context.ids
	Context  map[string][]string // the full context
	Details  []ErrorDetail
}

// BatchResult is a batch answer. Errors lists per-record failures of a 207
// answer; the call itself succeeded.
type BatchResult struct {
	Status      string
	HTTPStatus  int
	Results     []BatchRecord
	Errors      []BatchError
	StartedAt   time.Time
	CompletedAt time.Time
}

type wireBatch struct {
	Status  string       `json:"status"`
	Results []wireObject `json:"results"`
	Errors  []struct {
		Category string              `json:"category"`
		Message  string              `json:"message"`
		Context  map[string][]string `json:"context"`
		Errors   []ErrorDetail       `json:"errors"`
	} `json:"errors"`
	StartedAt   time.Time `json:"startedAt"`
	CompletedAt time.Time `json:"completedAt"`
}

func (w *wireBatch) result(status int) *BatchResult {
	r := &BatchResult{Status: w.Status, HTTPStatus: status, StartedAt: w.StartedAt, CompletedAt: w.CompletedAt}
	for i := range w.Results {
		rec := BatchRecord{Object: w.Results[i].object()}
		if w.Results[i].New != nil {
			rec.New = *w.Results[i].New
		}
		r.Results = append(r.Results, rec)
	}
	for _, e := range w.Errors {
		r.Errors = append(r.Errors, BatchError{Category: e.Category, Message: e.Message, IDs: e.Context["ids"],
			Context: e.Context, Details: e.Errors})
	}
	return r
}

type wireInput struct {
	ID           string            `json:"id,omitempty"`
	IDProperty   string            `json:"idProperty,omitempty"`
	Properties   map[string]string `json:"properties,omitempty"`
	Associations []wireAssoc       `json:"associations,omitempty"`
}

type wireAssoc struct {
	To struct {
		ID string `json:"id"`
	} `json:"to"`
	Types []wireAssocType `json:"types"`
}

type wireAssocType struct {
	Category string `json:"associationCategory"`
	TypeID   int    `json:"associationTypeId"`
}

func wireInputs(in []BatchInput, withProps bool) []wireInput {
	out := make([]wireInput, len(in))
	for i, b := range in {
		w := wireInput{ID: b.ID, IDProperty: b.IDProperty}
		if withProps {
			w.Properties = b.Properties
			if w.Properties == nil {
				w.Properties = map[string]string{}
			}
		}
		for _, a := range b.Associations {
			wa := wireAssoc{Types: []wireAssocType{{Category: a.Category, TypeID: a.TypeID}}}
			if wa.Types[0].Category == "" {
				wa.Types[0].Category = "HUBSPOT_DEFINED"
			}
			wa.To.ID = a.ToID
			w.Associations = append(w.Associations, wa)
		}
		out[i] = w
	}
	return out
}

func (c *Client) batch(ctx context.Context, object, op string, body any) (*BatchResult, error) {
	var w wireBatch
	status, err := c.do(ctx, call{kind: "batch_" + op, method: http.MethodPost,
		path: objectPath(object) + "/batch/" + op, body: body, out: &w})
	if err != nil {
		return nil, fmt.Errorf("hubspot: batch %s %s: %w", op, object, err)
	}
	return w.result(status), nil
}

// BatchReadOptions select what BatchRead returns.
type BatchReadOptions struct {
	Properties []string
	IDProperty string
	Archived   bool
}

// BatchRead reads up to 100 records; missing ids come back in Errors.
func (c *Client) BatchRead(ctx context.Context, object string, ids []string, opts BatchReadOptions) (*BatchResult, error) {
	inputs := make([]wireInput, len(ids))
	for i, id := range ids {
		inputs[i] = wireInput{ID: id}
	}
	return c.batch(ctx, object, "read", map[string]any{"inputs": inputs, "properties": nonNil(opts.Properties),
		"idProperty": opts.IDProperty, "archived": opts.Archived})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// BatchCreate creates up to 100 records.
func (c *Client) BatchCreate(ctx context.Context, object string, inputs []BatchInput) (*BatchResult, error) {
	return c.batch(ctx, object, "create", map[string]any{"inputs": wireInputs(inputs, true)})
}

// BatchUpdate updates up to 100 records by id (or IDProperty).
func (c *Client) BatchUpdate(ctx context.Context, object string, inputs []BatchInput) (*BatchResult, error) {
	return c.batch(ctx, object, "update", map[string]any{"inputs": wireInputs(inputs, true)})
}

// BatchUpsert creates or updates up to 100 records keyed on each input's
// IDProperty; results report New.
func (c *Client) BatchUpsert(ctx context.Context, object string, inputs []BatchInput) (*BatchResult, error) {
	return c.batch(ctx, object, "upsert", map[string]any{"inputs": wireInputs(inputs, true)})
}

// BatchArchive archives up to 100 records by id.
func (c *Client) BatchArchive(ctx context.Context, object string, ids []string) (*BatchResult, error) {
	inputs := make([]wireInput, len(ids))
	for i, id := range ids {
		inputs[i] = wireInput{ID: id}
	}
	return c.batch(ctx, object, "archive", map[string]any{"inputs": inputs})
}

// Association is one v4 association target.
type Association struct {
	ToObjectID string
	TypeIDs    []int
}

type wireTarget struct {
	ToObjectID       jsonID `json:"toObjectId"`
	AssociationTypes []struct {
		TypeID int `json:"typeId"`
	} `json:"associationTypes"`
}

func (t wireTarget) association() Association {
	a := Association{ToObjectID: string(t.ToObjectID)}
	for _, at := range t.AssociationTypes {
		a.TypeIDs = append(a.TypeIDs, at.TypeID)
	}
	return a
}

// Associations lists the associations of one record toward type to (v4),
// following paging.
func (c *Client) Associations(ctx context.Context, from, id, to string) ([]Association, error) {
	var all []Association
	q := url.Values{"limit": {"500"}}
	for {
		var out struct {
			Results []wireTarget `json:"results"`
			Paging  *struct {
				Next *struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		path := "/crm/v4/objects/" + url.PathEscape(from) + "/" + url.PathEscape(id) + "/associations/" + url.PathEscape(to)
		if _, err := c.do(ctx, call{kind: "associations", method: http.MethodGet, path: path, query: q, out: &out}); err != nil {
			return nil, fmt.Errorf("hubspot: associations %s %s -> %s: %w", from, id, to, err)
		}
		for _, t := range out.Results {
			all = append(all, t.association())
		}
		if out.Paging == nil || out.Paging.Next == nil || out.Paging.Next.After == "" {
			return all, nil
		}
		q.Set("after", out.Paging.Next.After)
	}
}

// AssociationPair links one record to another with a type id (0 = default).
type AssociationPair struct {
	FromID, ToID string
	TypeID       int
}

// CreateAssociations creates associations in one v4 batch; per-pair failures
// come back in BatchResult.Errors.
func (c *Client) CreateAssociations(ctx context.Context, from, to string, pairs []AssociationPair) (*BatchResult, error) {
	type ref struct {
		ID string `json:"id"`
	}
	type input struct {
		From  ref             `json:"from"`
		To    ref             `json:"to"`
		Types []wireAssocType `json:"types,omitempty"`
	}
	inputs := make([]input, len(pairs))
	for i, p := range pairs {
		inputs[i] = input{From: ref{p.FromID}, To: ref{p.ToID}}
		if p.TypeID != 0 {
			inputs[i].Types = []wireAssocType{{Category: "HUBSPOT_DEFINED", TypeID: p.TypeID}}
		}
	}
	var w wireBatch
	status, err := c.do(ctx, call{kind: "associations_batch_create", method: http.MethodPost,
		path: "/crm/v4/associations/" + url.PathEscape(from) + "/" + url.PathEscape(to) + "/batch/create",
		body: map[string]any{"inputs": inputs}, out: &w})
	if err != nil {
		return nil, fmt.Errorf("hubspot: create associations %s -> %s: %w", from, to, err)
	}
	w.Results = nil // v4 results are association records, not objects
	return w.result(status), nil
}

// jsonID accepts an id sent as a JSON number or string.
type jsonID string

func (j *jsonID) UnmarshalJSON(b []byte) error {
	// a string (escapes decoded; null leaves no id, which the caller
	// reports) or a number; anything else is refused, never kept as text
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*j = jsonID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*j = jsonID(n.String())
		return nil
	}
	return fmt.Errorf("id %.40s is neither a string nor a number", b)
}

// BatchAssociations reads the associations of many records toward type to
// in one v4 batch (at most 1,000 ids); the answer maps each from-id to its
// targets. Ids without associations are absent.
func (c *Client) BatchAssociations(ctx context.Context, from, to string, ids []string) (map[string][]Association, error) {
	type ref struct {
		ID string `json:"id"`
	}
	inputs := make([]ref, len(ids))
	for i, id := range ids {
		inputs[i] = ref{id}
	}
	var out struct {
		Results []struct {
			From ref          `json:"from"`
			To   []wireTarget `json:"to"`
		} `json:"results"`
	}
	if _, err := c.do(ctx, call{kind: "associations_batch_read", method: http.MethodPost,
		path: "/crm/v4/associations/" + url.PathEscape(from) + "/" + url.PathEscape(to) + "/batch/read",
		body: map[string]any{"inputs": inputs}, out: &out}); err != nil {
		return nil, fmt.Errorf("hubspot: read associations %s -> %s: %w", from, to, err)
	}
	res := make(map[string][]Association, len(out.Results))
	for _, r := range out.Results {
		for _, t := range r.To {
			res[r.From.ID] = append(res[r.From.ID], t.association())
		}
	}
	return res, nil
}
