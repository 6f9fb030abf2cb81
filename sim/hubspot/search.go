package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

const (
	searchMaxLimit   = 200
	searchMaxResults = 10_000
	maxFilterGroups  = 5
	maxGroupFilters  = 6
	maxFilters       = 18
)

type searchFilter struct {
	PropertyName string       `json:"propertyName"`
	Operator     string       `json:"operator"`
	Value        flexString   `json:"value"`
	Values       []flexString `json:"values"`
	HighValue    flexString   `json:"highValue"`
}

type searchSort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// UnmarshalJSON accepts {propertyName, direction} or a bare name ("-name"
// sorts descending).
func (s *searchSort) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		s.Direction = "ASCENDING"
		if n, desc := strings.CutPrefix(name, "-"); desc {
			name, s.Direction = n, "DESCENDING"
		}
		s.PropertyName = name
		return nil
	}
	type plain searchSort
	return json.Unmarshal(b, (*plain)(s))
}

type searchRequest struct {
	FilterGroups []struct {
		Filters []searchFilter `json:"filters"`
	} `json:"filterGroups"`
	Sorts      []searchSort `json:"sorts"`
	Query      string       `json:"query"`
	Properties []string     `json:"properties"`
	Limit      flexString   `json:"limit"`
	After      flexString   `json:"after"`
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	var req searchRequest
	if !s.decode(w, r, &req) {
		return
	}
	bad := func(format string, args ...any) {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf(format, args...), nil)
	}
	limit, after := 10, 0
	if req.Limit != "" {
		n, err := strconv.Atoi(string(req.Limit))
		if err != nil || n < 0 || n > searchMaxLimit {
			bad("limit must be between 0 and %d, got %s", searchMaxLimit, req.Limit)
			return
		}
		limit = n
	}
	if req.After != "" {
		n, err := strconv.Atoi(string(req.After))
		if err != nil || n < 0 {
			bad("after must be a non-negative integer offset, got %q", req.After)
			return
		}
		after = n
	}
	if after+limit > searchMaxResults {
		bad("The search API returns at most %d results for a query: after (%d) + limit (%d) is past that. Narrow the filters, for example with hs_object_id GT the last id seen.",
			searchMaxResults, after, limit)
		return
	}
	if len(req.Sorts) > 1 {
		bad("Only one sort is allowed, got %d", len(req.Sorts))
		return
	}
	if len(req.FilterGroups) > maxFilterGroups {
		bad("Too many filter groups: %d (max %d)", len(req.FilterGroups), maxFilterGroups)
		return
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.stores[ti]
	groups := make([][]*compiledFilter, 0, len(req.FilterGroups))
	total := 0
	for gi, g := range req.FilterGroups {
		if len(g.Filters) > maxGroupFilters {
			bad("Too many filters in group %d: %d (max %d)", gi, len(g.Filters), maxGroupFilters)
			return
		}
		total += len(g.Filters)
		cg := make([]*compiledFilter, 0, len(g.Filters))
		for _, f := range g.Filters {
			cf, err := compileFilter(st.schema, f)
			if err != nil {
				bad("%s", err.Error())
				return
			}
			cg = append(cg, cf)
		}
		groups = append(groups, cg)
	}
	if total > maxFilters {
		bad("Too many filters: %d (max %d)", total, maxFilters)
		return
	}
	var sortBy *searchSort
	if len(req.Sorts) == 1 {
		sortBy = &req.Sorts[0]
		switch strings.ToUpper(sortBy.Direction) {
		case "", "ASCENDING":
			sortBy.Direction = "ASCENDING"
		case "DESCENDING":
			sortBy.Direction = "DESCENDING"
		default:
			bad("Invalid sort direction %q", sortBy.Direction)
			return
		}
	}
	query := strings.ToLower(strings.TrimSpace(req.Query))
	match := func(rec *record) bool {
		return !rec.archived && matchGroups(groups, rec) && (query == "" || matchQuery(ti, rec, query))
	}

	// A query's matches are kept until the next write, so the pages of one
	// search cost one scan.
	key, _ := json.Marshal(struct {
		Ti     int
		Groups any
		Sort   *searchSort
		Query  string
	}{ti, req.FilterGroups, sortBy, query})
	gen := s.mu.gen.Load()
	hit := s.search.get(string(key), gen)
	if hit == nil {
		hit = &searchHit{key: string(key), gen: gen}
		scan := st.order[st.indexFrom(idLowerBound(groups)):]
		if sortBy == nil || sortBy.PropertyName == "hs_object_id" {
			desc := sortBy != nil && sortBy.Direction == "DESCENDING"
			n := len(scan)
			for i := range n {
				j := i
				if desc {
					j = n - 1 - i
				}
				rec := scan[j]
				if !match(rec) {
					continue
				}
				if hit.total < searchMaxResults {
					hit.recs = append(hit.recs, rec)
				}
				hit.total++
			}
		} else {
			var all []*record
			for _, rec := range scan {
				if match(rec) {
					all = append(all, rec)
				}
			}
			sortRecords(all, st.schema.props[sortBy.PropertyName], sortBy.PropertyName, sortBy.Direction == "DESCENDING")
			hit.total = len(all)
			hit.recs = all
			if len(all) > searchMaxResults {
				hit.recs = slices.Clone(all[:searchMaxResults]) // let the rest go
			}
		}
		s.search.put(hit)
	}
	matched := hit.total
	var page []*record
	if after < len(hit.recs) {
		page = hit.recs[after:min(len(hit.recs), after+limit)]
	}
	// The body as encoding/json writes {"total", "results", "paging"}: keys
	// sorted, so paging first and total last.
	plan := st.plan(propNames(ti, req.Properties))
	bp := pageBuf.Get().(*[]byte)
	buf := append((*bp)[:0], '{')
	if after+limit < matched {
		buf = append(buf, `"paging":{"next":{"after":"`...)
		buf = strconv.AppendInt(buf, int64(after+limit), 10)
		buf = append(buf, `"}},`...)
	}
	buf = append(buf, `"results":[`...)
	for i, rec := range page {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(plan.appendRecord(buf, rec), '}')
	}
	buf = append(buf, `],"total":`...)
	buf = strconv.AppendInt(buf, int64(matched), 10)
	*bp = append(buf, '}', '\n')
	writeRaw(w, http.StatusOK, nil, bp)
}

func matchGroups(groups [][]*compiledFilter, rec *record) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		ok := true
		for _, f := range g {
			if !f.match(rec) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

var searchableProps = map[string][]string{
	"contacts":  {"firstname", "lastname", "email", "phone", "mobilephone", "company", "hs_object_id"},
	"companies": {"name", "domain", "phone", "website", "hs_object_id"},
	"deals":     {"dealname", "hs_object_id"},
}

// matchQuery implements the free-text query: every word must occur in one
// of the type's default searchable properties.
func matchQuery(ti int, rec *record, query string) bool {
	for _, word := range strings.Fields(query) {
		found := false
		for _, p := range searchableProps[objTypes[ti].name] {
			if strings.Contains(strings.ToLower(rec.prop(p)), word) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sortRecords orders records by a property; missing values sort last and
// ties keep id order.
func sortRecords(recs []*record, p *Property, name string, desc bool) {
	numeric := p != nil && p.isNumeric()
	slices.SortStableFunc(recs, func(a, b *record) int {
		va, oka := a.get(name)
		vb, okb := b.get(name)
		switch {
		case !oka && !okb:
			return 0
		case !oka:
			return 1
		case !okb:
			return -1
		}
		c := 0
		if numeric {
			na, ea := numericValue(p, va)
			nb, eb := numericValue(p, vb)
			if ea && eb {
				c = compareFloat(na, nb)
			} else {
				c = strings.Compare(va, vb)
			}
		} else {
			c = strings.Compare(strings.ToLower(va), strings.ToLower(vb))
		}
		if desc {
			c = -c
		}
		return c
	})
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
