package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Record is one sObject record; numbers decode as json.Number and the
// "attributes" element is removed (also from nested relationship records).
type Record map[string]any

// Describe is the part of the sObject describe answer crmhub uses.
type Describe struct {
	Name        string  `json:"name"`
	Label       string  `json:"label"`
	LabelPlural string  `json:"labelPlural"`
	KeyPrefix   string  `json:"keyPrefix"`
	Custom      bool    `json:"custom"`
	Createable  bool    `json:"createable"`
	Updateable  bool    `json:"updateable"`
	Deletable   bool    `json:"deletable"`
	Queryable   bool    `json:"queryable"`
	Fields      []Field `json:"fields"`
}

// Field is one describe field.
type Field struct {
	Name             string          `json:"name"`
	Label            string          `json:"label"`
	Type             string          `json:"type"`
	Length           int             `json:"length"`
	Nillable         bool            `json:"nillable"`
	ExternalID       bool            `json:"externalId"`
	Unique           bool            `json:"unique"`
	Custom           bool            `json:"custom"`
	Updateable       bool            `json:"updateable"`
	Createable       bool            `json:"createable"`
	PicklistValues   []PicklistValue `json:"picklistValues"`
	ReferenceTo      []string        `json:"referenceTo"`
	RelationshipName string          `json:"relationshipName"`
}

// PicklistValue is one allowed value of a picklist field.
type PicklistValue struct {
	Value        string `json:"value"`
	Label        string `json:"label"`
	Active       bool   `json:"active"`
	DefaultValue bool   `json:"defaultValue"`
}

// Field returns the named field (case-insensitive), or nil.
func (d *Describe) Field(name string) *Field {
	for i := range d.Fields {
		if strings.EqualFold(d.Fields[i].Name, name) {
			return &d.Fields[i]
		}
	}
	return nil
}

// QueryOptions tune Query.
type QueryOptions struct {
	All       bool // queryAll: include deleted and archived rows
	BatchSize int  // 200..2000; 0 lets the server choose
	// Total, when set, is called once with the first answer's totalSize.
	Total func(n int)
}

// MaxCollection is the most records one sObject Collections call takes.
const MaxCollection = 200

var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

func checkName(what, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s %q is not an API name", ErrConfig, what, name)
	}
	return nil
}

func (c *Client) dataPath(parts ...string) string {
	return "/services/data/" + c.cfg.APIVersion + "/" + strings.Join(parts, "/")
}

// Describe returns the describe of sobject.
func (c *Client) Describe(ctx context.Context, sobject string) (*Describe, error) {
	if err := checkName("sObject", sobject); err != nil {
		return nil, err
	}
	raw, err := c.call(ctx, "describe", http.MethodGet, c.dataPath("sobjects", sobject, "describe"), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", sobject, err)
	}
	var d Describe
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("describe %s: decode: %w", sobject, err)
	}
	return &d, nil
}

// Query runs soql and calls fn with each batch of records, following
// nextRecordsUrl until done. An error from fn stops the query.
func (c *Client) Query(ctx context.Context, soql string, opts QueryOptions, fn func([]Record) error) error {
	resource := "query"
	if opts.All {
		resource = "queryAll"
	}
	var hdr http.Header
	if opts.BatchSize > 0 {
		hdr = http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(opts.BatchSize)}}
	}
	path := c.dataPath(resource) + "?q=" + url.QueryEscape(soql)
	kind, seen := resource, map[string]bool{}
	for page := 1; path != ""; page++ {
		raw, err := c.call(ctx, kind, http.MethodGet, path, nil, hdr)
		if err != nil {
			return fmt.Errorf("%s page %d: %w", resource, page, err)
		}
		var answer struct {
			TotalSize      int      `json:"totalSize"`
			Done           bool     `json:"done"`
			NextRecordsURL string   `json:"nextRecordsUrl"`
			Records        []Record `json:"records"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&answer); err != nil {
			return fmt.Errorf("%s page %d: decode answer: %w", resource, page, err)
		}
		if page == 1 && opts.Total != nil {
			opts.Total(answer.TotalSize)
		}
		recs := answer.Records
		for _, r := range recs {
			stripAttributes(r)
		}
		if len(recs) > 0 {
			if err := fn(recs); err != nil {
				return err
			}
		}
		path, kind = "", "queryMore"
		if !answer.Done {
			if !strings.HasPrefix(answer.NextRecordsURL, "/services/data/") {
				return fmt.Errorf("%s page %d: answer not done but nextRecordsUrl %q is unusable", resource, page, answer.NextRecordsURL)
			}
			if seen[answer.NextRecordsURL] {
				// locators that lead back to one another would page forever
				return fmt.Errorf("%s page %d: answer not done but nextRecordsUrl %q was already read", resource, page, answer.NextRecordsURL)
			}
			seen[answer.NextRecordsURL] = true
			path = answer.NextRecordsURL
		}
	}
	return nil
}

func stripAttributes(m map[string]any) {
	delete(m, "attributes")
	for _, v := range m {
		switch x := v.(type) {
		case map[string]any:
			stripAttributes(x)
		}
	}
}

// Create inserts up to 200 records of sobject.
func (c *Client) Create(ctx context.Context, sobject string, recs []Record, allOrNone bool) ([]SaveResult, error) {
	return c.collection(ctx, "create", http.MethodPost, sobject, c.dataPath("composite", "sobjects"), recs, allOrNone)
}

// Update changes up to 200 records of sobject; each record carries its Id.
func (c *Client) Update(ctx context.Context, sobject string, recs []Record, allOrNone bool) ([]SaveResult, error) {
	return c.collection(ctx, "update", http.MethodPatch, sobject, c.dataPath("composite", "sobjects"), recs, allOrNone)
}

// Upsert creates or updates up to 200 records of sobject keyed on the
// external id field externalIDField; SaveResult.Created tells which.
func (c *Client) Upsert(ctx context.Context, sobject, externalIDField string, recs []Record, allOrNone bool) ([]SaveResult, error) {
	if err := checkName("external id field", externalIDField); err != nil {
		return nil, err
	}
	return c.collection(ctx, "upsert", http.MethodPatch, sobject,
		c.dataPath("composite", "sobjects", sobject, externalIDField), recs, allOrNone)
}

func (c *Client) collection(ctx context.Context, kind, method, sobject, path string, recs []Record, allOrNone bool) ([]SaveResult, error) {
	if err := checkName("sObject", sobject); err != nil {
		return nil, err
	}
	if len(recs) > MaxCollection {
		return nil, fmt.Errorf("%s %s: %d records: %w", kind, sobject, len(recs), ErrTooManyRecords)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		m := make(map[string]any, len(r)+1)
		for k, v := range r {
			m[k] = v
		}
		m["attributes"] = map[string]string{"type": sobject}
		out[i] = m
	}
	body, err := json.Marshal(map[string]any{"allOrNone": allOrNone, "records": out})
	if err != nil {
		return nil, fmt.Errorf("%s %s: encode: %w", kind, sobject, err)
	}
	raw, err := c.call(ctx, kind, method, path, body, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", kind, sobject, err)
	}
	return decodeResults(kind, raw, len(recs))
}

func decodeResults(kind string, raw []byte, want int) ([]SaveResult, error) {
	var res []SaveResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("%s: decode results: %w", kind, err)
	}
	if len(res) != want {
		return nil, fmt.Errorf("%s: %d results for %d records", kind, len(res), want)
	}
	return res, nil
}

// Delete moves up to 200 records (of any types) to the recycle bin.
func (c *Client) Delete(ctx context.Context, ids []string, allOrNone bool) ([]SaveResult, error) {
	if len(ids) > MaxCollection {
		return nil, fmt.Errorf("delete: %d ids: %w", len(ids), ErrTooManyRecords)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	for _, id := range ids {
		if id == "" || strings.ContainsAny(id, ",&?#/ ") {
			return nil, fmt.Errorf("%w: id %q is not a record id", ErrConfig, id)
		}
	}
	q := url.Values{"ids": {strings.Join(ids, ",")}, "allOrNone": {strconv.FormatBool(allOrNone)}}
	raw, err := c.call(ctx, "delete", http.MethodDelete, c.dataPath("composite", "sobjects")+"?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	return decodeResults("delete", raw, len(ids))
}

// CreateCustomField adds a Text custom field to sobject through the Tooling
// API; name gets the __c suffix when it lacks one.
func (c *Client) CreateCustomField(ctx context.Context, sobject, name, label string, length int, externalID, unique bool) error {
	if err := checkName("sObject", sobject); err != nil {
		return err
	}
	if !strings.HasSuffix(name, "__c") {
		name += "__c"
	}
	if err := checkName("field", name); err != nil {
		return err
	}
	body, err := json.Marshal(map[string]any{
		"FullName": sobject + "." + name,
		"Metadata": map[string]any{"label": label, "type": "Text", "length": length,
			"externalId": externalID, "unique": unique},
	})
	if err != nil {
		return fmt.Errorf("create field %s.%s: encode: %w", sobject, name, err)
	}
	if _, err := c.call(ctx, "tooling_custom_field", http.MethodPost, c.dataPath("tooling", "sobjects", "CustomField"), body, nil); err != nil {
		return fmt.Errorf("create field %s.%s: %w", sobject, name, err)
	}
	return nil
}
