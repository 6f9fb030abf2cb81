package salesforce

import (
	"strings"
)

// Field types as describe reports them.
const (
	typeID        = "id"
	typeBoolean   = "boolean"
	typeString    = "string"
	typeEmail     = "email"
	typePhone     = "phone"
	typeURL       = "url"
	typeTextarea  = "textarea"
	typePicklist  = "picklist"
	typeReference = "reference"
	typeDate      = "date"
	typeDateTime  = "datetime"
	typeInt       = "int"
	typeDouble    = "double"
	typeCurrency  = "currency"
)

// field is one describe field. System fields (Id, IsDeleted, the three
// timestamps) are not stored in record values; every other field has a slot.
type field struct {
	Name       string
	Label      string
	Type       string
	Length     int
	Nillable   bool
	ExternalID bool
	Unique     bool
	Custom     bool
	Updateable bool
	Createable bool
	Picklist   []string
	RefTo      string
	system     bool
	slot       int // index into rec.vals; -1 for system fields
}

func (f *field) isText() bool {
	switch f.Type {
	case typeString, typeEmail, typePhone, typeURL, typeTextarea, typePicklist:
		return true
	}
	return false
}

func (f *field) isIDLike() bool { return f.Type == typeID || f.Type == typeReference }

func (f *field) isNumber() bool {
	return f.Type == typeInt || f.Type == typeDouble || f.Type == typeCurrency
}

// Names of the system fields every object has.
const (
	fID               = "Id"
	fIsDeleted        = "IsDeleted"
	fCreatedDate      = "CreatedDate"
	fLastModifiedDate = "LastModifiedDate"
	fSystemModstamp   = "SystemModstamp"
)

// objectDef is the schema of one sObject type. It is guarded by the
// server's lock.
type objectDef struct {
	Name      string
	Label     string
	Plural    string
	KeyPrefix string
	fields    []*field
	byLower   map[string]*field
	slots     int
}

func (o *objectDef) lookup(name string) *field { return o.byLower[strings.ToLower(name)] }

func (o *objectDef) add(f field) *field {
	nf := f
	if nf.system {
		nf.slot = -1
	} else {
		nf.slot = o.slots
		o.slots++
	}
	if nf.Label == "" {
		nf.Label = labelOf(nf.Name)
	}
	o.fields = append(o.fields, &nf)
	o.byLower[strings.ToLower(nf.Name)] = &nf
	return &nf
}

func labelOf(name string) string {
	name = strings.TrimSuffix(name, "__c")
	var b strings.Builder
	for i, r := range name {
		if r == '_' {
			b.WriteByte(' ')
			continue
		}
		if i > 0 && r >= 'A' && r <= 'Z' {
			prev := name[i-1]
			if prev >= 'a' && prev <= 'z' {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Field helpers for the standard schema.
func str(name string, length int) field {
	return field{Name: name, Type: typeString, Length: length, Nillable: true, Updateable: true, Createable: true}
}

func required(f field) field { f.Nillable = false; return f }

func typed(name, typ string, length int) field {
	f := str(name, length)
	f.Type = typ
	return f
}

func ref(name, to string) field {
	f := typed(name, typeReference, 18)
	f.RefTo = to
	return f
}

func readOnly(f field) field { f.Updateable = false; f.Createable = false; return f }

var stageNames = []string{"Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
	"Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review",
	"Closed Won", "Closed Lost"}

var leadStatuses = []string{"Open - Not Contacted", "Working - Contacted", "Closed - Converted",
	"Closed - Not Converted"}

var industries = []string{"Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals",
	"Communications", "Construction", "Consulting", "Education", "Electronics", "Energy",
	"Engineering", "Entertainment", "Environmental", "Finance", "Food & Beverage", "Government",
	"Healthcare", "Hospitality", "Insurance", "Machinery", "Manufacturing", "Media",
	"Not For Profit", "Other", "Recreation", "Retail", "Shipping", "Technology",
	"Telecommunications", "Transportation", "Utilities"}

func picklist(name string, values []string) field {
	f := typed(name, typePicklist, 255)
	f.Picklist = values
	return f
}

// keyPrefixes maps the supported objects to their Id key prefixes.
var keyPrefixes = map[string]string{"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006"}

// standardObjects builds fresh schemas for the supported objects.
func standardObjects() map[string]*objectDef {
	defs := map[string][]field{
		"Account": {
			required(str("Name", 255)), typed("Website", typeURL, 255), typed("Phone", typePhone, 40),
			typed("BillingStreet", typeTextarea, 255), str("BillingCity", 40), str("BillingState", 80),
			str("BillingPostalCode", 20), str("BillingCountry", 80), picklist("Industry", industries),
			typed("NumberOfEmployees", typeInt, 0), typed("AnnualRevenue", typeCurrency, 0),
		},
		"Contact": {
			str("FirstName", 40), required(str("LastName", 80)), typed("Email", typeEmail, 80),
			typed("Phone", typePhone, 40), typed("MobilePhone", typePhone, 40), str("Title", 128),
			ref("AccountId", "Account"), typed("MailingStreet", typeTextarea, 255), str("MailingCity", 40),
			str("MailingState", 80), str("MailingPostalCode", 20), str("MailingCountry", 80),
			typed("Birthdate", typeDate, 0),
		},
		"Lead": {
			str("FirstName", 40), required(str("LastName", 80)), required(str("Company", 255)),
			typed("Email", typeEmail, 80), typed("Phone", typePhone, 40), typed("MobilePhone", typePhone, 40),
			str("Title", 128), typed("Street", typeTextarea, 255), str("City", 40), str("State", 80),
			str("PostalCode", 20), str("Country", 80), picklist("Status", leadStatuses),
			readOnly(required(typed("IsConverted", typeBoolean, 0))),
			readOnly(ref("ConvertedContactId", "Contact")), readOnly(ref("ConvertedAccountId", "Account")),
		},
		"Opportunity": {
			required(str("Name", 120)), typed("Amount", typeCurrency, 0), required(typed("CloseDate", typeDate, 0)),
			required(picklist("StageName", stageNames)), ref("AccountId", "Account"),
		},
	}
	labels := map[string][2]string{
		"Account": {"Account", "Accounts"}, "Contact": {"Contact", "Contacts"},
		"Lead": {"Lead", "Leads"}, "Opportunity": {"Opportunity", "Opportunities"},
	}
	out := make(map[string]*objectDef, len(defs))
	for name, fields := range defs {
		o := &objectDef{Name: name, Label: labels[name][0], Plural: labels[name][1],
			KeyPrefix: keyPrefixes[name], byLower: map[string]*field{}}
		o.add(field{Name: fID, Label: labels[name][0] + " ID", Type: typeID, Length: 18, system: true})
		o.add(field{Name: fIsDeleted, Label: "Deleted", Type: typeBoolean, system: true})
		for _, f := range fields {
			o.add(f)
		}
		o.add(field{Name: fCreatedDate, Type: typeDateTime, system: true})
		o.add(field{Name: fLastModifiedDate, Type: typeDateTime, system: true})
		o.add(field{Name: fSystemModstamp, Label: "System Modstamp", Type: typeDateTime, system: true})
		out[name] = o
	}
	return out
}

// describeField renders one field as the describe resource shows it.
func describeField(f *field) map[string]any {
	pl := make([]map[string]any, 0, len(f.Picklist))
	for _, v := range f.Picklist {
		pl = append(pl, map[string]any{"active": true, "defaultValue": false, "label": v, "validFor": nil, "value": v})
	}
	var refTo []string
	var relName any
	if f.RefTo != "" {
		refTo = []string{f.RefTo}
		relName = strings.TrimSuffix(f.Name, "Id")
	} else {
		refTo = []string{}
	}
	soap := map[string]string{typeID: "tns:ID", typeReference: "tns:ID", typeBoolean: "xsd:boolean",
		typeDate: "xsd:date", typeDateTime: "xsd:dateTime", typeInt: "xsd:int", typeDouble: "xsd:double",
		typeCurrency: "xsd:double"}[f.Type]
	if soap == "" {
		soap = "xsd:string"
	}
	precision, scale := 0, 0
	switch f.Type {
	case typeCurrency:
		precision, scale = 18, 2
	case typeDouble:
		precision, scale = 18, 0
	}
	digits := 0
	if f.Type == typeInt {
		digits = 8
	}
	length := f.Length
	if !f.isText() && !f.isIDLike() {
		length = 0
	}
	return map[string]any{
		"name": f.Name, "label": f.Label, "type": f.Type, "length": length, "byteLength": length * 3,
		"precision": precision, "scale": scale, "digits": digits,
		"nillable": f.Nillable, "externalId": f.ExternalID, "unique": f.Unique, "custom": f.Custom,
		"updateable": f.Updateable, "createable": f.Createable, "filterable": true, "sortable": f.Type != typeTextarea,
		"idLookup": f.Name == fID || f.ExternalID, "calculated": false, "caseSensitive": false,
		"defaultedOnCreate": f.system || f.Type == typeBoolean, "picklistValues": pl,
		"referenceTo": refTo, "relationshipName": relName, "soapType": soap,
		"restrictedPicklist": false, "nameField": f.Name == "Name",
	}
}
