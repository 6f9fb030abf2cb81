package hubspot

import "slices"

// historyMax bounds the versions kept per property of a record.
const historyMax = 20

// Source types of property versions, as HubSpot reports them in
// propertiesWithHistory: values written by a private app carry INTEGRATION
// with the app id as sourceId; seeded values stand for an import.
const (
	srcImport uint8 = iota
	srcIntegration
)

var sourceTypes = [...]string{srcImport: "IMPORT", srcIntegration: "INTEGRATION"}

// version is one stored value of a property. Records keep versions only for
// properties changed after they were loaded or created; the others have one
// implied version (their value at the record's base time).
type version struct {
	value  string
	ms     int64 // epoch milliseconds
	source uint8
}

// apiVersion is a version as the objects APIs return it, newest first.
type apiVersion struct {
	Value           string `json:"value"`
	Timestamp       string `json:"timestamp"`
	SourceType      string `json:"sourceType"`
	SourceID        string `json:"sourceId,omitempty"`
	UpdatedByUserID *int64 `json:"updatedByUserId,omitempty"`
}

// versionsOf returns the versions of one property, oldest first.
func (r *record) versionsOf(name, lastMod string) []version {
	if vs, ok := r.hist[name]; ok {
		return vs
	}
	v, ok := r.get(name)
	if !ok {
		return nil
	}
	switch name {
	case "createdate", "hs_object_id":
		return []version{{value: v, ms: r.createdMs, source: r.origin}}
	case lastMod:
		return []version{{value: v, ms: r.updatedMs, source: r.origin}}
	}
	return []version{{value: v, ms: r.baseMs, source: r.origin}}
}

// record appends a new version of name when value differs from the current
// one; s.mu must be held for writing.
func (r *record) recordVersion(name, value, lastMod string, ms int64, source uint8) {
	if r.prop(name) == value {
		return
	}
	vs := slices.Clone(r.versionsOf(name, lastMod))
	vs = append(vs, version{value: value, ms: ms, source: source})
	if len(vs) > historyMax {
		vs = slices.Delete(vs, 0, len(vs)-historyMax)
	}
	if r.hist == nil {
		r.hist = map[string][]version{}
	}
	r.hist[name] = vs
}

// renderHistory returns the propertiesWithHistory object for names; unknown
// properties and properties that never had a value are left out.
func (st *objStore) renderHistory(r *record, names []string, appID string) map[string][]apiVersion {
	lm := objTypes[st.ti].lastMod
	out := make(map[string][]apiVersion, len(names))
	for _, n := range names {
		if _, ok := st.schema.props[n]; !ok {
			continue
		}
		vs := r.versionsOf(n, lm)
		if len(vs) == 0 {
			continue
		}
		list := make([]apiVersion, len(vs))
		for i, v := range vs {
			a := apiVersion{Value: v.value, Timestamp: isoMillis(v.ms), SourceType: sourceTypes[v.source]}
			if v.source == srcIntegration {
				a.SourceID = appID
			}
			list[len(vs)-1-i] = a
		}
		out[n] = list
	}
	return out
}
