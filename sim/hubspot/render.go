package hubspot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiObject is a record as the objects APIs return it.
type apiObject struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt,omitempty"`
	New        *bool              `json:"new,omitempty"`

	PropertiesWithHistory map[string][]apiVersion `json:"propertiesWithHistory,omitempty"`
	Associations          map[string]assocPage    `json:"associations,omitempty"`
}

type assocPage struct {
	Results []assocRef `json:"results"`
}

type assocRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// splitList reads repeated and comma-separated query values.
func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// propNames returns the property names to render: the requested ones or the
// type's defaults, plus the system properties HubSpot always returns.
func propNames(ti int, requested []string) []string {
	t := &objTypes[ti]
	names := requested
	if len(names) == 0 {
		names = t.defaults
	}
	out := make([]string, 0, len(names)+3)
	out = append(out, names...)
	return append(out, "createdate", t.lastMod, "hs_object_id")
}

// render converts a record; names must come from propNames. Unknown names
// are left out; known ones without a value are null.
func (st *objStore) render(r *record, names []string) apiObject {
	return st.renderColumns(r, st.columns(names))
}

// renderColumns is render with the names resolved by columns.
func (st *objStore) renderColumns(r *record, cols []column) apiObject {
	props := make(map[string]*string, len(cols))
	for _, c := range cols {
		if !c.known {
			continue
		}
		props[c.name] = nil
		if c.ok {
			if v, ok := r.props.lookup(c.id); ok {
				props[c.name] = &v
			}
		}
	}
	o := apiObject{ID: strconv.FormatUint(r.id, 10), Properties: props,
		CreatedAt: isoMillis(r.createdMs), UpdatedAt: isoMillis(r.updatedMs), Archived: r.archived}
	if r.archived {
		o.ArchivedAt = isoMillis(r.archivedMs)
	}
	return o
}

// withAssociations adds v3-style association lists for the requested types.
func (s *Server) withAssociations(o *apiObject, ti int, id uint64, to []int) {
	for _, tj := range to {
		es := s.assoc.edges(ti, id, tj)
		if len(es) == 0 {
			continue
		}
		if o.Associations == nil {
			o.Associations = map[string]assocPage{}
		}
		label := objTypes[ti].singular + "_to_" + objTypes[tj].singular
		refs := make([]assocRef, 0, len(es))
		for _, e := range es {
			refs = append(refs, assocRef{ID: strconv.FormatUint(e.id, 10), Type: label})
		}
		o.Associations[objTypes[tj].name] = assocPage{Results: refs}
	}
}

// assocTypes resolves an associations query parameter; unknown types are ignored.
func assocTypes(q url.Values) []int {
	var out []int
	for _, n := range splitList(q["associations"]) {
		if tj, ok := lookupType(n); ok {
			out = append(out, tj)
		}
	}
	return out
}

// validateWrite checks property values of an API write and returns them
// keyed by interned name, normalised (dates as ISO ms UTC).
func (st *objStore) validateWrite(vals map[string]string, create bool) (map[string]string, []errorDetail) {
	var errs []errorDetail
	out := make(map[string]string, len(vals))
	for name, v := range vals {
		p, ok := st.schema.props[name]
		switch {
		case !ok:
			errs = append(errs, errorDetail{Message: fmt.Sprintf("Property \"%s\" does not exist", name),
				Code: "PROPERTY_DOESNT_EXIST", Context: map[string][]string{"propertyName": {name}}})
			continue
		case p.Modification.ReadOnlyValue && !(create && name == "createdate"):
			errs = append(errs, errorDetail{Message: fmt.Sprintf("\"%s\" is a read only property; its value cannot be set.", name),
				Code: "READ_ONLY_VALUE", Context: map[string][]string{"propertyName": {name}}})
			continue
		case name == "email" && v != "" && !plausibleEmail(v):
			errs = append(errs, errorDetail{Message: fmt.Sprintf("Email address %s is invalid", v),
				Code: "INVALID_EMAIL", Context: map[string][]string{"propertyName": {name}}})
			continue
		}
		if p.isDate() && v != "" {
			if ms, ok := parseMillis(v); ok {
				v = isoTime(time.UnixMilli(ms))
			}
		}
		out[p.Name] = v
	}
	return out, errs
}

func plausibleEmail(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(v, " \t\r\n") &&
		!strings.Contains(domain, "@") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

// validationMessage renders HubSpot's "Property values were not valid" text.
func validationMessage(errs []errorDetail) string {
	type item struct {
		IsValid bool   `json:"isValid"`
		Message string `json:"message"`
		Error   string `json:"error"`
		Name    string `json:"name"`
	}
	items := make([]item, 0, len(errs))
	for _, e := range errs {
		items = append(items, item{Message: e.Message, Error: e.Code, Name: strings.Join(e.Context["propertyName"], ",")})
	}
	b, _ := json.Marshal(items)
	return "Property values were not valid: " + string(b)
}

// conflict returns the id of another live record already holding one of the
// unique values in vals, or 0.
func (st *objStore) conflict(vals map[string]string, self uint64) uint64 {
	for name := range st.uniq {
		if v := vals[name]; v != "" {
			if o := st.byUnique(name, v); o != nil && !o.archived && o.id != self {
				return o.id
			}
		}
	}
	return 0
}

// apply writes validated values and bumps the modification times.
// The record's values are encoded once for all of them (a put per value
// re-encoded the whole record each time).
func (st *objStore) apply(r *record, vals map[string]string, now time.Time) {
	lm, ms := objTypes[st.ti].lastMod, now.UnixMilli()
	for k, v := range vals {
		r.recordVersion(k, v, lm, ms, srcIntegration)
		st.reindex(r, k, v)
	}
	r.putAll(vals, lm, isoTime(now))
	r.updatedMs = now.UnixMilli()
}

// create stores a new record from validated values.
func (st *objStore) create(vals map[string]string, now time.Time) *record {
	r := st.newRecord()
	*r = record{id: st.maxID + 1, keys: st.keys, createdMs: now.UnixMilli(), updatedMs: now.UnixMilli(),
		origin: srcIntegration, baseMs: now.UnixMilli()}
	props := make(map[string]string, len(vals)+3)
	for k, v := range vals {
		if v != "" {
			props[k] = v
		}
	}
	props["hs_object_id"] = strconv.FormatUint(r.id, 10)
	if ms, ok := parseMillis(props["createdate"]); ok {
		r.createdMs = ms
	} else {
		props["createdate"] = isoTime(now)
	}
	props[objTypes[st.ti].lastMod] = isoTime(now)
	r.setProps(props)
	st.insert(r)
	return r
}
