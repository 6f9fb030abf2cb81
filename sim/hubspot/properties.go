package hubspot

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
)

var propNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)

var propTypes = map[string][]string{
	"string":      {"text", "textarea", "phonenumber", "html", "file"},
	"number":      {"number", "calculation_equation"},
	"date":        {"date"},
	"datetime":    {"date"},
	"enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
	"bool":        {"booleancheckbox"},
}

func (s *Server) handleProperties(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	s.mu.RLock()
	props := s.stores[ti].schema.sorted()
	out := make([]Property, len(props))
	for i, p := range props {
		out[i] = *p
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

func (s *Server) handleProperty(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	s.mu.RLock()
	p, found := s.stores[ti].schema.props[r.PathValue("name")]
	var out Property
	if found {
		out = *p
	}
	s.mu.RUnlock()
	if !found {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateProperty(w http.ResponseWriter, r *http.Request) {
	ti, ok := s.objectType(w, r.PathValue("type"))
	if !ok {
		return
	}
	var in Property
	if !s.decode(w, r, &in) {
		return
	}
	var errs []errorDetail
	missing := func(field, v string) {
		if v == "" {
			errs = append(errs, errorDetail{Message: field + " is required", Code: "REQUIRED_FIELD", In: field})
		}
	}
	missing("name", in.Name)
	missing("label", in.Label)
	missing("type", in.Type)
	missing("fieldType", in.FieldType)
	missing("groupName", in.GroupName)
	if in.Name != "" && !propNameRE.MatchString(in.Name) {
		errs = append(errs, errorDetail{Message: fmt.Sprintf("Invalid property name %q: use lowercase letters, digits and underscores, starting with a letter", in.Name),
			Code: "INVALID_PROPERTY_NAME", In: "name"})
	}
	if fields, known := propTypes[in.Type]; in.Type != "" && (!known || (in.FieldType != "" && !slices.Contains(fields, in.FieldType))) {
		errs = append(errs, errorDetail{Message: fmt.Sprintf("Invalid type/fieldType combination %s/%s", in.Type, in.FieldType),
			Code: "INVALID_TYPE", In: "type"})
	}
	if len(errs) > 0 {
		s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Property definition is not valid", errs)
		return
	}
	s.mu.Lock()
	st := s.stores[ti]
	if _, exists := st.schema.props[in.Name]; exists {
		s.mu.Unlock()
		s.writeError(w, http.StatusConflict, "OBJECT_ALREADY_EXISTS", fmt.Sprintf("Property named '%s' already exists.", in.Name), nil)
		return
	}
	now := isoTime(s.now())
	p := &Property{Name: in.Name, Label: in.Label, Type: in.Type, FieldType: in.FieldType, Description: in.Description,
		GroupName: in.GroupName, Options: in.Options, DisplayOrder: in.DisplayOrder, HasUniqueValue: in.HasUniqueValue,
		Hidden: in.Hidden, FormField: in.FormField, CreatedAt: now, UpdatedAt: now,
		Modification: modificationMeta{Archivable: true}}
	st.define(p)
	out := *p
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

// define adds a property definition; a unique one claims the values records
// already hold.
func (st *objStore) define(p *Property) {
	if p.Options == nil {
		p.Options = []PropertyEnum{}
	}
	st.schema.props[p.Name] = p
	if p.HasUniqueValue {
		st.uniq[p.Name] = map[string]uint64{}
		for _, rec := range st.order {
			if rec.prop(p.Name) != "" {
				st.claim(p.Name, rec.prop(p.Name), rec)
			}
		}
	}
}

// CustomProperties returns, per object, the definitions of every property
// that is not one of HubSpot's standard ones (created through the API, or
// added by Load for an unknown column). Records alone do not carry them:
// a portal restored from a Snapshot needs them too (DefineProperties), or
// a unique property comes back as a plain one.
func (s *Server) CustomProperties() map[string][]Property {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]Property{}
	for ti, st := range s.stores {
		standard := map[string]bool{}
		for _, p := range standardProperties(ti) {
			standard[p.Name] = true
		}
		for _, p := range st.schema.sorted() {
			if !standard[p.Name] {
				out[objTypes[ti].name] = append(out[objTypes[ti].name], *p)
			}
		}
	}
	return out
}

// DefineProperties adds property definitions to an object as
// POST /crm/v3/properties/{object} would, keeping their settings and times;
// a name already defined is left as it is. Call it before Load so that
// unique properties index the loaded values.
func (s *Server) DefineProperties(object string, props []Property) error {
	ti, ok := lookupType(object)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownObject, object)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[ti]
	for _, p := range props {
		if !propNameRE.MatchString(p.Name) {
			return fmt.Errorf("hubspot sim: %s property %q: invalid name", object, p.Name)
		}
		if _, exists := st.schema.props[p.Name]; exists {
			continue
		}
		p := p
		st.define(&p)
	}
	return nil
}
