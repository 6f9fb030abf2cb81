package salesforce

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

type customFieldBody struct {
	FullName string `json:"FullName"`
	Metadata struct {
		Label      string `json:"label"`
		Type       string `json:"type"`
		Length     int    `json:"length"`
		ExternalID bool   `json:"externalId"`
		Unique     bool   `json:"unique"`
		Required   bool   `json:"required"`
	} `json:"Metadata"`
}

var customNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*__c$`)

// metadataTypes maps Metadata API field types to describe types.
var metadataTypes = map[string]string{
	"Text": typeString, "Email": typeEmail, "Phone": typePhone, "Url": typeURL, "Checkbox": typeBoolean,
	"Date": typeDate, "DateTime": typeDateTime, "Number": typeDouble, "Currency": typeCurrency,
	"TextArea": typeTextarea,
}

// handleCustomField serves POST tooling/sobjects/CustomField: it adds a
// custom field to an object, as the Tooling API does.
func (s *Server) handleCustomField(w http.ResponseWriter, r *http.Request, _ *reqCtx) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, "POST")
		return
	}
	var body customFieldBody
	if !readJSON(w, r, &body) {
		return
	}
	object, name, ok := strings.Cut(body.FullName, ".")
	if !ok || !customNameRE.MatchString(name) || len(name) > 43 {
		writeErr(w, http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
			"FullName must be Object.Name__c with a valid API name, got: "+truncate(body.FullName, 80), "FullName")
		return
	}
	md := body.Metadata
	typ, known := metadataTypes[md.Type]
	if !known {
		writeErr(w, http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
			fmt.Sprintf("Unsupported field type: %s", truncate(md.Type, 40)), "Metadata")
		return
	}
	length := 0
	switch typ {
	case typeString:
		if md.Length < 1 || md.Length > 255 {
			writeErr(w, http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
				"Length: the length of a Text field must be between 1 and 255", "Metadata")
			return
		}
		length = md.Length
	case typeEmail:
		length = 80
	case typePhone:
		length = 40
	case typeURL:
		length = 255
	case typeTextarea:
		length = 255
	}
	if md.ExternalID && typ != typeString && typ != typeEmail && typ != typeDouble {
		writeErr(w, http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION",
			"External ID is only allowed on Text, Email and Number fields", "Metadata")
		return
	}
	label := md.Label
	if label == "" {
		label = labelOf(name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if t == nil {
		writeErr(w, http.StatusBadRequest, "INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", truncate(object, 80)))
		return
	}
	if t.def.lookup(name) != nil {
		writeErr(w, http.StatusBadRequest, "DUPLICATE_DEVELOPER_NAME",
			fmt.Sprintf("There is already a field named %s on %s.", name, t.def.Name))
		return
	}
	f := t.def.add(field{Name: name, Label: label, Type: typ, Length: length, Nillable: !md.Required,
		ExternalID: md.ExternalID, Unique: md.Unique, Custom: true, Updateable: true, Createable: true})
	if f.ExternalID || f.Unique {
		t.reindexField(f)
	}
	s.fieldSeq++
	id := makeID("00N", s.fieldSeq)
	s.log.Info("salesforce sim: custom field created", "object", t.def.Name, "field", name, "type", typ)
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "success": true, "errors": []any{}, "warnings": []any{}, "infos": []any{}})
}

// CustomField is a custom field's definition as a snapshot keeps it.
type CustomField struct {
	Name       string `json:"name"`
	Label      string `json:"label"`
	Type       string `json:"type"` // describe type: string, email, double, ...
	Length     int    `json:"length,omitempty"`
	ExternalID bool   `json:"externalId,omitempty"`
	Unique     bool   `json:"unique,omitempty"`
	Required   bool   `json:"required,omitempty"`
}

// CustomFields returns every object's custom fields. Records alone do not
// carry them: an org restored from a Snapshot needs them too
// (DefineFields), or an External ID field comes back as plain text.
func (s *Server) CustomFields() map[string][]CustomField {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string][]CustomField{}
	for name, t := range s.tables {
		for _, f := range t.def.fields {
			if f.Custom {
				out[name] = append(out[name], CustomField{Name: f.Name, Label: f.Label, Type: f.Type, Length: f.Length,
					ExternalID: f.ExternalID, Unique: f.Unique, Required: !f.Nillable})
			}
		}
	}
	return out
}

// DefineFields adds custom fields to an object as the Tooling API would; a
// field already there is left as it is. Call it before Load so that
// External ID and unique fields index the loaded values.
func (s *Server) DefineFields(object string, fields []CustomField) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table(object)
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownObject, object)
	}
	for _, cf := range fields {
		if !customNameRE.MatchString(cf.Name) {
			return fmt.Errorf("salesforce sim: %s field %q: not a custom field name", object, cf.Name)
		}
		if t.def.lookup(cf.Name) != nil {
			continue
		}
		f := t.def.add(field{Name: cf.Name, Label: cf.Label, Type: cf.Type, Length: cf.Length, Nillable: !cf.Required,
			ExternalID: cf.ExternalID, Unique: cf.Unique, Custom: true, Updateable: true, Createable: true})
		if f.ExternalID || f.Unique {
			t.reindexField(f)
		}
	}
	return nil
}
