package hubspot

import (
	"sort"
	"time"
)

// objType describes one simulated CRM object type.
type objType struct {
	name     string // contacts
	typeID   string // 0-1
	singular string // contact
	upper    string // CONTACT
	lastMod  string // lastmodifieddate | hs_lastmodifieddate
	defaults []string
}

var objTypes = [...]objType{
	{name: "contacts", typeID: "0-1", singular: "contact", upper: "CONTACT", lastMod: "lastmodifieddate",
		defaults: []string{"firstname", "lastname", "email"}},
	{name: "companies", typeID: "0-2", singular: "company", upper: "COMPANY", lastMod: "hs_lastmodifieddate",
		defaults: []string{"name", "domain"}},
	{name: "deals", typeID: "0-3", singular: "deal", upper: "DEAL", lastMod: "hs_lastmodifieddate",
		defaults: []string{"dealname", "amount", "closedate", "pipeline", "dealstage"}},
}

// lookupType resolves an object type name or id ("contacts", "contact", "0-1")
// to its index in objTypes.
func lookupType(s string) (int, bool) {
	for i := range objTypes {
		t := &objTypes[i]
		if s == t.name || s == t.typeID || s == t.singular {
			return i, true
		}
	}
	return 0, false
}

// Property is a property definition as the properties API returns it.
type Property struct {
	Name           string           `json:"name"`
	Label          string           `json:"label"`
	Type           string           `json:"type"`
	FieldType      string           `json:"fieldType"`
	Description    string           `json:"description"`
	GroupName      string           `json:"groupName"`
	Options        []PropertyEnum   `json:"options"`
	DisplayOrder   int              `json:"displayOrder"`
	Calculated     bool             `json:"calculated"`
	ExternalOpts   bool             `json:"externalOptions"`
	HasUniqueValue bool             `json:"hasUniqueValue"`
	Hidden         bool             `json:"hidden"`
	HubspotDefined bool             `json:"hubspotDefined"`
	FormField      bool             `json:"formField"`
	CreatedAt      string           `json:"createdAt,omitempty"`
	UpdatedAt      string           `json:"updatedAt,omitempty"`
	Modification   modificationMeta `json:"modificationMetadata"`
}

// PropertyEnum is one option of an enumeration property.
type PropertyEnum struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

type modificationMeta struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// std builds a HubSpot-defined property.
func std(name, label, typ, field, group string) *Property {
	return &Property{Name: name, Label: label, Type: typ, FieldType: field, GroupName: group,
		Options: []PropertyEnum{}, HubspotDefined: true, FormField: field != "calculation_read_time",
		Modification: modificationMeta{ReadOnlyDefinition: true}}
}

func readOnly(p *Property) *Property {
	p.Modification.ReadOnlyValue = true
	p.FormField = false
	return p
}

func unique(p *Property) *Property { p.HasUniqueValue = true; return p }

// standardProperties returns fresh definitions of the HubSpot-defined
// properties of object type ti.
func standardProperties(ti int) []*Property {
	str := func(n, l, g string) *Property { return std(n, l, "string", "text", g) }
	num := func(n, l, g string) *Property { return std(n, l, "number", "number", g) }
	enum := func(n, l, g string) *Property { return std(n, l, "enumeration", "select", g) }
	dt := func(n, l, g string) *Property { return std(n, l, "datetime", "date", g) }
	switch objTypes[ti].name {
	case "contacts":
		g := "contactinformation"
		return []*Property{
			unique(str("email", "Email", g)), str("firstname", "First Name", g), str("lastname", "Last Name", g),
			std("phone", "Phone Number", "string", "phonenumber", g), std("mobilephone", "Mobile Phone Number", "string", "phonenumber", g),
			str("jobtitle", "Job Title", g), str("company", "Company Name", g), str("address", "Street Address", g),
			str("city", "City", g), str("state", "State/Region", g), str("zip", "Postal Code", g), str("country", "Country/Region", g),
			str("date_of_birth", "Date of birth", g), enum("lifecyclestage", "Lifecycle Stage", g),
			num("associatedcompanyid", "Primary Associated Company ID", g),
			readOnly(dt("createdate", "Create Date", g)), readOnly(dt("lastmodifieddate", "Last Modified Date", g)),
			readOnly(num("hs_object_id", "Record ID", g)),
			readOnly(std("hs_merged_object_ids", "Merged Contact IDs", "enumeration", "checkbox", g)),
		}
	case "companies":
		g := "companyinformation"
		return []*Property{
			str("name", "Company name", g), str("domain", "Company Domain Name", g),
			std("phone", "Phone Number", "string", "phonenumber", g), str("address", "Street Address", g),
			str("city", "City", g), str("state", "State/Region", g), str("zip", "Postal Code", g), str("country", "Country/Region", g),
			enum("industry", "Industry", g), num("numberofemployees", "Number of Employees", g),
			num("annualrevenue", "Annual Revenue", g),
			readOnly(dt("createdate", "Create Date", g)), readOnly(dt("hs_lastmodifieddate", "Last Modified Date", g)),
			readOnly(num("hs_object_id", "Record ID", g)),
		}
	default:
		g := "dealinformation"
		return []*Property{
			str("dealname", "Deal Name", g), num("amount", "Amount", g), dt("closedate", "Close Date", g),
			enum("dealstage", "Deal Stage", g), enum("pipeline", "Pipeline", g),
			readOnly(dt("createdate", "Create Date", g)), readOnly(dt("hs_lastmodifieddate", "Last Modified Date", g)),
			readOnly(num("hs_object_id", "Record ID", g)),
		}
	}
}

// schema holds the property definitions of one object type. Property names
// double as interned map keys for record values.
type schema struct {
	props map[string]*Property
}

func newSchema(ti int, now time.Time) *schema {
	s := &schema{props: map[string]*Property{}}
	for i, p := range standardProperties(ti) {
		p.DisplayOrder = i
		p.CreatedAt = isoTime(now)
		p.UpdatedAt = p.CreatedAt
		s.props[p.Name] = p
	}
	return s
}

// addCustom registers a custom string property with default settings.
func (s *schema) addCustom(name string, now time.Time) *Property {
	p := &Property{Name: name, Label: name, Type: "string", FieldType: "text", GroupName: "custom",
		Options: []PropertyEnum{}, DisplayOrder: -1, FormField: true, CreatedAt: isoTime(now), UpdatedAt: isoTime(now),
		Modification: modificationMeta{Archivable: true}}
	s.props[name] = p
	return p
}

// sorted returns the definitions ordered by name.
func (s *schema) sorted() []*Property {
	out := make([]*Property, 0, len(s.props))
	for _, p := range s.props {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isNumeric reports whether values of p compare as numbers (dates as epoch ms).
func (p *Property) isNumeric() bool {
	return p.Type == "number" || p.Type == "datetime" || p.Type == "date"
}

func (p *Property) isDate() bool { return p.Type == "datetime" || p.Type == "date" }

const isoLayout = "2006-01-02T15:04:05.000Z"

func isoTime(t time.Time) string { return t.UTC().Format(isoLayout) }
