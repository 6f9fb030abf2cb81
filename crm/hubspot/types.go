package hubspot

import (
	"strconv"
	"time"
)

// Object is one CRM record.
type Object struct {
	ID           string
	Properties   map[string]*string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Archived     bool
	Associations map[string][]string // to-object type -> ids
	// AssociationsTruncated names the to-object types whose embedded
	// association list has more pages (read them with BatchAssociations).
	AssociationsTruncated map[string]bool
}

// Value returns a property value and whether it is non-null.
func (o Object) Value(name string) (string, bool) {
	if v := o.Properties[name]; v != nil {
		return *v, true
	}
	return "", false
}

// wireObject is the JSON form of a record.
type wireObject struct {
	ID           jsonID             `json:"id"`
	Properties   map[string]*string `json:"properties"`
	CreatedAt    time.Time          `json:"createdAt"`
	UpdatedAt    time.Time          `json:"updatedAt"`
	Archived     bool               `json:"archived"`
	New          *bool              `json:"new"`
	Associations map[string]struct {
		Results []struct {
			ID   jsonID `json:"id"`
			Type string `json:"type"`
		} `json:"results"`
		Paging *struct {
			Next *struct {
				After string `json:"after"`
			} `json:"next"`
		} `json:"paging"`
	} `json:"associations"`
}

func (w *wireObject) object() Object {
	o := Object{ID: string(w.ID), Properties: w.Properties, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Archived: w.Archived}
	if o.Properties == nil {
		o.Properties = map[string]*string{}
	}
	for to, page := range w.Associations {
		if o.Associations == nil {
			o.Associations = map[string][]string{}
		}
		if page.Paging != nil && page.Paging.Next != nil {
			if o.AssociationsTruncated == nil {
				o.AssociationsTruncated = map[string]bool{}
			}
			o.AssociationsTruncated[to] = true
		}
		seen := map[string]bool{}
		for _, r := range page.Results {
			if id := string(r.ID); !seen[id] {
				seen[id] = true
				o.Associations[to] = append(o.Associations[to], id)
			}
		}
	}
	return o
}

func objects(ws []wireObject) []Object {
	out := make([]Object, len(ws))
	for i := range ws {
		out[i] = ws[i].object()
	}
	return out
}

// Property is a property definition.
type Property struct {
	Name           string           `json:"name"`
	Label          string           `json:"label"`
	Type           string           `json:"type"`
	FieldType      string           `json:"fieldType"`
	GroupName      string           `json:"groupName"`
	Description    string           `json:"description,omitempty"`
	Options        []PropertyOption `json:"options,omitempty"`
	HasUniqueValue bool             `json:"hasUniqueValue"`
	Calculated     bool             `json:"calculated,omitempty"`
	HubspotDefined bool             `json:"hubspotDefined,omitempty"`
	ReadOnlyValue  bool             `json:"-"`
}

// PropertyOption is one option of an enumeration property.
type PropertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder,omitempty"`
	Hidden       bool   `json:"hidden,omitempty"`
}

// ListOptions select what List returns.
type ListOptions struct {
	Properties   []string
	Associations []string
	Archived     bool
	PageSize     int // default and max 100
}

// Filter is one search filter. Date values are epoch milliseconds.
type Filter struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        string   `json:"value,omitempty"`
	Values       []string `json:"values,omitempty"`
	HighValue    string   `json:"highValue,omitempty"`
}

// FilterGroup ANDs its filters; groups are ORed.
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Sort orders search results; Direction is ASCENDING or DESCENDING.
type Sort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// SearchRequest is the body of a search call.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups,omitempty"`
	Sorts        []Sort        `json:"sorts,omitempty"`
	Query        string        `json:"query,omitempty"`
	Properties   []string      `json:"properties,omitempty"`
	Limit        int           `json:"limit,omitempty"`
	After        string        `json:"after,omitempty"`
}

// SearchPage is one page of search results; After is empty on the last page.
type SearchPage struct {
	Total   int
	Results []Object
	After   string
}

// Millis formats t as the epoch-milliseconds string search filters expect.
func Millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
