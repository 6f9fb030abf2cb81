package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func objectPath(object string) string { return "/crm/v3/objects/" + url.PathEscape(object) }

// Properties lists the property definitions of an object type.
func (c *Client) Properties(ctx context.Context, object string) ([]Property, error) {
	var out struct {
		Results []struct {
			Property
			Modification struct {
				ReadOnlyValue bool `json:"readOnlyValue"`
			} `json:"modificationMetadata"`
		} `json:"results"`
	}
	if _, err := c.do(ctx, call{kind: "properties", method: http.MethodGet,
		path: "/crm/v3/properties/" + url.PathEscape(object), out: &out}); err != nil {
		return nil, fmt.Errorf("hubspot: properties of %s: %w", object, err)
	}
	props := make([]Property, len(out.Results))
	for i, r := range out.Results {
		props[i] = r.Property
		props[i].ReadOnlyValue = r.Modification.ReadOnlyValue
	}
	return props, nil
}

// CreateProperty creates a custom property; an existing name answers an
// error matching ErrConflict.
func (c *Client) CreateProperty(ctx context.Context, object string, p Property) (Property, error) {
	var out Property
	if _, err := c.do(ctx, call{kind: "create_property", method: http.MethodPost,
		path: "/crm/v3/properties/" + url.PathEscape(object), body: p, out: &out}); err != nil {
		return Property{}, fmt.Errorf("hubspot: create property %s.%s: %w", object, p.Name, err)
	}
	return out, nil
}

// Get reads one record by id, or by a unique property when idProperty is set.
func (c *Client) Get(ctx context.Context, object, id, idProperty string, props []string) (Object, error) {
	q := url.Values{}
	if idProperty != "" {
		q.Set("idProperty", idProperty)
	}
	if len(props) > 0 {
		q.Set("properties", strings.Join(props, ","))
	}
	var w wireObject
	if _, err := c.do(ctx, call{kind: "get", method: http.MethodGet,
		path: objectPath(object) + "/" + url.PathEscape(id), query: q, out: &w}); err != nil {
		return Object{}, fmt.Errorf("hubspot: get %s %s: %w", object, id, err)
	}
	return w.object(), nil
}

// List pages through every record of an object type in id order, calling fn
// once per page, until the last page or an error from fn.
func (c *Client) List(ctx context.Context, object string, opts ListOptions, fn func([]Object) error) error {
	q := url.Values{}
	q.Set("limit", strconv.Itoa(min(cmpOr(opts.PageSize, 100), 100)))
	if len(opts.Properties) > 0 {
		q.Set("properties", strings.Join(opts.Properties, ","))
	}
	if len(opts.Associations) > 0 {
		q.Set("associations", strings.Join(opts.Associations, ","))
	}
	if opts.Archived {
		q.Set("archived", "true")
	}
	for page := 1; ; page++ {
		var out struct {
			Results []wireObject `json:"results"`
			Paging  *struct {
				Next *struct {
					After string `json:"after"`
				} `json:"next"`
			} `json:"paging"`
		}
		if _, err := c.do(ctx, call{kind: "list", method: http.MethodGet, path: objectPath(object), query: q, out: &out}); err != nil {
			return fmt.Errorf("hubspot: list %s page %d: %w", object, page, err)
		}
		if err := fn(objects(out.Results)); err != nil {
			return err
		}
		if out.Paging == nil || out.Paging.Next == nil || out.Paging.Next.After == "" {
			return nil
		}
		if out.Paging.Next.After == q.Get("after") {
			return fmt.Errorf("hubspot: list %s: paging cursor %q did not advance", object, q.Get("after"))
		}
		q.Set("after", out.Paging.Next.After)
	}
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// Search runs one search request and returns one page.
func (c *Client) Search(ctx context.Context, object string, req SearchRequest) (*SearchPage, error) {
	var out struct {
		Total   int          `json:"total"`
		Results []wireObject `json:"results"`
		Paging  *struct {
			Next *struct {
				After string `json:"after"`
			} `json:"next"`
		} `json:"paging"`
	}
	if _, err := c.do(ctx, call{kind: "search", method: http.MethodPost, path: objectPath(object) + "/search",
		body: req, out: &out}); err != nil {
		return nil, fmt.Errorf("hubspot: search %s: %w", object, err)
	}
	page := &SearchPage{Total: out.Total, Results: objects(out.Results)}
	if out.Paging != nil && out.Paging.Next != nil {
		page.After = out.Paging.Next.After
	}
	return page, nil
}

// CountModified asks search how many live records of object were modified
// at or after since, and how many live records there are in all: two
// one-record searches, so the caller can choose between searching the
// changes and listing everything.
func (c *Client) CountModified(ctx context.Context, object string, since time.Time) (changed, all int, err error) {
	modified := SearchRequest{FilterGroups: []FilterGroup{{Filters: []Filter{
		{PropertyName: LastModifiedProperty(object), Operator: "GTE", Value: Millis(since)},
	}}}, Properties: []string{"hs_object_id"}, Limit: 1}
	page, err := c.Search(ctx, object, modified)
	if err != nil {
		return 0, 0, err
	}
	everything := SearchRequest{Properties: []string{"hs_object_id"}, Limit: 1}
	total, err := c.Search(ctx, object, everything)
	if err != nil {
		return 0, 0, err
	}
	return page.Total, total.Total, nil
}

// SearchMaxResults is how far HubSpot lets a search page (after + limit).
const SearchMaxResults = 10_000

const searchPageSize = 200

// LastModifiedProperty names the last-modified property of an object type.
func LastModifiedProperty(object string) string {
	if object == "contacts" || object == "0-1" {
		return "lastmodifieddate"
	}
	return "hs_lastmodifieddate"
}

// ModifiedSince reads every live record modified at or after since, in id
// order. It filters on last-modified >= since and hs_object_id > a floor,
// sorts by hs_object_id, and restarts the query before paging would pass the
// 10,000-result cap with hs_object_id > the last id read, so any number of records sharing
// one timestamp are read exactly once.
func (c *Client) ModifiedSince(ctx context.Context, object string, since time.Time, props []string, fn func([]Object) error) error {
	return c.ScanModified(ctx, object, since, props, nil, fn)
}

// ScanModified is ModifiedSince that also reports, through total when it is
// not nil, how many records the first search said match.
func (c *Client) ScanModified(ctx context.Context, object string, since time.Time, props []string, total func(int), fn func([]Object) error) error {
	lastID := "0" // last id handed to fn
	floor := "0"  // hs_object_id bound of the running query; moves only on restart
	after := ""
	for {
		req := SearchRequest{
			FilterGroups: []FilterGroup{{Filters: []Filter{
				{PropertyName: LastModifiedProperty(object), Operator: "GTE", Value: Millis(since)},
				{PropertyName: "hs_object_id", Operator: "GT", Value: floor},
			}}},
			Sorts:      []Sort{{PropertyName: "hs_object_id", Direction: "ASCENDING"}},
			Properties: props,
			Limit:      searchPageSize,
			After:      after,
		}
		page, err := c.Search(ctx, object, req)
		if err != nil {
			return fmt.Errorf("hubspot: modified since %s after id %s: %w", since.Format(time.RFC3339), lastID, err)
		}
		if total != nil && floor == "0" && after == "" {
			total(page.Total)
		}
		if len(page.Results) > 0 {
			if err := fn(page.Results); err != nil {
				return err
			}
			lastID = page.Results[len(page.Results)-1].ID
		}
		if page.After == "" || len(page.Results) == 0 {
			return nil
		}
		next, err := strconv.Atoi(page.After)
		if err != nil {
			return fmt.Errorf("hubspot: modified since: %w", errors.New("non-numeric search cursor "+strconv.Quote(page.After)))
		}
		if next+searchPageSize > SearchMaxResults {
			c.log.Debug("hubspot: restarting search below the 10,000 cap", "object", object, "lastID", lastID)
			floor, after = lastID, ""
			continue
		}
		after = page.After
	}
}

// Merge merges objectIDToMerge into primaryObjectID and returns the
// resulting record (HubSpot may give it a new id; the old ids land in
// hs_merged_object_ids).
func (c *Client) Merge(ctx context.Context, object, primaryObjectID, objectIDToMerge string) (Object, error) {
	var w wireObject
	body := map[string]string{"primaryObjectId": primaryObjectID, "objectIdToMerge": objectIDToMerge}
	if _, err := c.do(ctx, call{kind: "merge", method: http.MethodPost, path: objectPath(object) + "/merge", body: body, out: &w}); err != nil {
		return Object{}, fmt.Errorf("hubspot: merge %s %s into %s: %w", object, objectIDToMerge, primaryObjectID, err)
	}
	return w.object(), nil
}
