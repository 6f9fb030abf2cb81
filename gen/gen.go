// Package gen generates deterministic demo CRM data with ground truth.
//
// Generate builds a seed.Dataset shaped like a real HubSpot portal and a
// real Salesforce org that have drifted apart: about 60% of the people and
// companies and half of the deals exist in both systems, each system holds
// its own duplicates, and every copy of an entity carries the variants real
// data has (nicknames, typos, accents, email and phone formats, street
// abbreviations, legal-form spellings, stale values, blanks). Every record
// has a truth row naming its real-world entity ("p…" persons, "c…"
// companies, "d…" deals), so matching can be scored.
//
// Mutate applies one day of user activity in place (edits, conflicting
// edits in both systems, new records and duplicates, archives).
//
// Both are pure functions of their options: the same seed gives the same
// dataset, byte for byte, on every platform. Now only places the records'
// times; the data's own dates are drawn around a fixed date, so a caller
// that passes the wall clock gets the same values on any day, at any hour.
package gen

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// Options size and seed a generated dataset. Zero fields take defaults.
type Options struct {
	// People is the number of distinct real-world persons in each system
	// (default 10,000). Each system also holds duplicates of some of them.
	People int
	// Companies is the number of distinct companies per system (default
	// People/5); negative means none.
	Companies int
	// Deals is the number of distinct deals per system (default People/3);
	// negative means none.
	Deals int
	// Seed fixes the dataset: the same Options give identical output.
	Seed uint64
	// Now is the current time; modification times lie in the 400 days
	// before it. Zero means 2026-01-01T00:00:00Z. Only those times follow
	// Now: deal close dates (and with them deal stages and the years in
	// deal names) are drawn around 2026-01-01 whatever Now is, so that the
	// seed alone fixes the values and what matching makes of them.
	Now time.Time
}

// defaultNow is the Now used when Options.Now is zero, and the date the
// data's own dates are drawn around (Mutate: plus Day days) for any Now.
func defaultNow() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

func (o Options) withDefaults() Options {
	if o.People <= 0 {
		o.People = 10_000
	}
	switch {
	case o.Companies == 0:
		o.Companies = max(1, o.People/5)
	case o.Companies < 0:
		o.Companies = 0
	}
	switch {
	case o.Deals == 0:
		o.Deals = max(1, o.People/3)
	case o.Deals < 0:
		o.Deals = 0
	}
	if o.Now.IsZero() {
		o.Now = defaultNow()
	}
	o.Now = msTrunc(o.Now.UTC())
	return o
}

// Shares of entities present in both systems; the rest split evenly
// between HubSpot only and Salesforce only.
const (
	personBoth  = 0.6
	companyBoth = 0.6
	dealBoth    = 0.5

	personDupRate  = 0.065 // share of a system's persons with a duplicate record
	companyDupRate = 0.05
	dealDupRate    = 0.03

	history = 400 * day // modification times lie within this window before Now
)

// Field slots shared by the systems; a key "" means the object lacks it.
const (
	pEmail = iota
	pFirst
	pLast
	pPhone
	pMobile
	pTitle
	pCompany
	pStreet
	pCity
	pState
	pZip
	pCountry
	pDOB
	pStatus // lifecyclestage (HubSpot) or Status (Lead)
	nPF
)

const (
	cName = iota
	cDomain
	cPhone
	cStreet
	cCity
	cState
	cZip
	cCountry
	cIndustry
	cEmployees
	cRevenue
	nCF
)

const (
	dName = iota
	dAmount
	dClose
	dStage
	dPipeline
	nDF
)

var (
	hsContactKeys = []string{"email", "firstname", "lastname", "phone", "mobilephone", "jobtitle", "company", "address", "city", "state", "zip", "country", "date_of_birth", "lifecyclestage"}
	sfContactKeys = []string{"Email", "FirstName", "LastName", "Phone", "MobilePhone", "Title", "", "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Birthdate", ""}
	sfLeadKeys    = []string{"Email", "FirstName", "LastName", "Phone", "MobilePhone", "Title", "Company", "Street", "City", "State", "PostalCode", "Country", "", "Status"}
	hsCompanyKeys = []string{"name", "domain", "phone", "address", "city", "state", "zip", "country", "industry", "numberofemployees", "annualrevenue"}
	sfAccountKeys = []string{"Name", "Website", "Phone", "BillingStreet", "BillingCity", "BillingState", "BillingPostalCode", "BillingCountry", "Industry", "NumberOfEmployees", "AnnualRevenue"}
	hsDealKeys    = []string{"dealname", "amount", "closedate", "dealstage", "pipeline"}
	sfOppKeys     = []string{"Name", "Amount", "CloseDate", "StageName", ""}
)

const (
	hsAssoc = "associatedcompanyid"
	sfAssoc = "AccountId"
)

// columns returns the header order of each object's CSV file.
func columns() map[string]map[string][]string {
	return map[string]map[string][]string{
		seed.HubSpot: {
			"companies": slices.Clone(hsCompanyKeys),
			"contacts":  append(slices.Clone(hsContactKeys), hsAssoc),
			"deals":     append(slices.Clone(hsDealKeys), hsAssoc),
		},
		seed.Salesforce: {
			"Account":     slices.Clone(sfAccountKeys),
			"Contact":     {"FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", sfAssoc, "MailingStreet", "MailingCity", "MailingState", "MailingPostalCode", "MailingCountry", "Birthdate"},
			"Lead":        {"FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "Company", "Street", "City", "State", "PostalCode", "Country", "Status"},
			"Opportunity": {"Name", "Amount", "CloseDate", "StageName", sfAssoc},
		},
	}
}

// Salesforce key prefixes.
var sfPrefix = map[string]string{"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006"}

// hsFirstID is the first HubSpot id of every object.
const hsFirstID = 1001

// Entity id prefixes in truth rows.
const (
	kindPerson  = 'p'
	kindCompany = 'c'
	kindDeal    = 'd'
)

func entityID(kind byte, n int) string {
	return string(kind) + strconv.Itoa(n)
}

// toMap turns field slots into a record's values, skipping blanks and slots
// the object lacks; extraK/extraV add an association.
func toMap(f []string, keys []string, extraK, extraV string) map[string]string {
	n := 0
	for i, v := range f {
		if v != "" && keys[i] != "" {
			n++
		}
	}
	if extraV != "" {
		n++
	}
	m := make(map[string]string, n)
	for i, v := range f {
		if v != "" && keys[i] != "" {
			m[keys[i]] = v
		}
	}
	if extraV != "" {
		m[extraK] = extraV
	}
	return m
}

// firstName is a formal first name with its nicknames.
type firstName struct {
	name  string
	nicks []string
}

var firstNames = func() []firstName {
	out := make([]firstName, 0, len(firstNameGroups)+len(singleFirstNames))
	for _, g := range firstNameGroups {
		out = append(out, firstName{g[0], g[1:]})
	}
	for _, n := range singleFirstNames {
		out = append(out, firstName{name: n})
	}
	return out
}()

// nicknames maps every first-name form to the other forms of its group.
var nicknames = func() map[string][]string {
	m := map[string][]string{}
	for _, g := range firstNameGroups {
		for _, n := range g {
			for _, o := range g {
				if o != n && !slices.Contains(m[n], o) {
					m[n] = append(m[n], o)
				}
			}
		}
	}
	return m
}()

// generator holds the state of one Generate or Mutate call.
type generator struct {
	r           *rand.Rand
	now         time.Time // record times lie before it
	today       time.Time // close dates lie around it: never Now, see Options.Now
	buf         []byte
	comps       []company
	usedNames   map[string]struct{}
	usedDomains map[string]struct{}
	copies      []copyPlan
}

// Random streams of the generation phases, so that resizing one kind of
// entity leaves the others' draws alone.
const (
	streamCompanies = 0x636f6d70616e6965
	streamPersons   = 0x706572736f6e7321
	streamDeals     = 0x6465616c73212121
	streamMutate    = 0x6d75746174652121
)

func (g *generator) reseed(seed, stream uint64) {
	g.r = rand.New(rand.NewPCG(seed, stream))
}

// pend is a rendered record waiting for its id.
type pend struct {
	rec     seed.Record
	ent     int32
	primary bool
}

// copyPlan is one record of an entity: its system and times.
type copyPlan struct {
	sys     uint8 // 0 HubSpot, 1 Salesforce
	created time.Time
	updated time.Time
}

const (
	sysHS = 0
	sysSF = 1
)

// plan lays out nHS+nSF copies with their times and returns the index of
// the base copy (created first; rendered closest to the truth) and of the
// freshest copy (updated last; carries current values).
func (g *generator) plan(nHS, nSF int) (base, fresh int) {
	g.copies = g.copies[:0]
	for i := range nHS + nSF {
		sys := uint8(sysHS)
		if i >= nHS {
			sys = sysSF
		}
		upd := randBefore(g.r, g.now, history)
		// Creation lies up to three years before the last change, skewed
		// towards recent.
		u := g.r.Float64()
		crt := msTrunc(upd.Add(-time.Duration(u * u * float64(3*365*day))))
		g.copies = append(g.copies, copyPlan{sys, crt, upd})
	}
	for i, c := range g.copies {
		if c.created.Before(g.copies[base].created) {
			base = i
		}
		if c.updated.After(g.copies[fresh].updated) {
			fresh = i
		}
	}
	return base, fresh
}

// membership draws whether an entity lives in HubSpot, Salesforce or both.
func (g *generator) membership(both float64) (hs, sf bool) {
	u := g.r.Float64()
	switch {
	case u < both:
		return true, true
	case u < both+(1-both)/2:
		return true, false
	default:
		return false, true
	}
}

// entitiesFor returns how many distinct entities give perSystem entities in
// each system when the share both lives in both.
func entitiesFor(perSystem int, both float64) int {
	if perSystem <= 0 {
		return 0
	}
	return int(math.Round(float64(perSystem) * 2 / (1 + both)))
}

// dupCount draws how many extra records a system holds for one entity.
func (g *generator) dupCount(rate float64) int {
	if !chance(g.r, rate) {
		return 0
	}
	if chance(g.r, 0.1) {
		return 2
	}
	return 1
}

// Generate builds a dataset; see the package documentation.
func Generate(opts Options) *seed.Dataset {
	opts = opts.withDefaults()
	g := &generator{
		now:         opts.Now,
		today:       defaultNow(),
		buf:         make([]byte, 0, 256),
		usedNames:   map[string]struct{}{},
		usedDomains: map[string]struct{}{},
	}
	d := seed.NewDataset()
	d.Columns = columns()
	nEnt := entitiesFor(opts.People, personBoth) + entitiesFor(opts.Companies, companyBoth) + entitiesFor(opts.Deals, dealBoth)
	d.Truth = make([]seed.TruthRow, 0, nEnt*2)

	// Companies first: persons and deals point at their records.
	g.reseed(opts.Seed, streamCompanies)
	hsC, sfA := g.genCompanies(opts.Companies)
	d.Objects[seed.HubSpot]["companies"] = finalize(hsC, seed.HubSpot, "companies", kindCompany, &d.Truth, func(ent int32, id string) { g.comps[ent-1].hsID = id })
	d.Objects[seed.Salesforce]["Account"] = finalize(sfA, seed.Salesforce, "Account", kindCompany, &d.Truth, func(ent int32, id string) { g.comps[ent-1].sfID = id })

	g.reseed(opts.Seed, streamPersons)
	hsP, sfC, sfL := g.genPersons(opts.People)
	d.Objects[seed.HubSpot]["contacts"] = finalize(hsP, seed.HubSpot, "contacts", kindPerson, &d.Truth, nil)
	d.Objects[seed.Salesforce]["Contact"] = finalize(sfC, seed.Salesforce, "Contact", kindPerson, &d.Truth, nil)
	d.Objects[seed.Salesforce]["Lead"] = finalize(sfL, seed.Salesforce, "Lead", kindPerson, &d.Truth, nil)

	g.reseed(opts.Seed, streamDeals)
	hsD, sfO := g.genDeals(opts.Deals)
	d.Objects[seed.HubSpot]["deals"] = finalize(hsD, seed.HubSpot, "deals", kindDeal, &d.Truth, nil)
	d.Objects[seed.Salesforce]["Opportunity"] = finalize(sfO, seed.Salesforce, "Opportunity", kindDeal, &d.Truth, nil)
	return d
}

// finalize orders records by creation (ids grow with time, as in both
// CRMs), assigns ids and appends truth rows.
func finalize(ps []pend, sys, obj string, kind byte, truth *[]seed.TruthRow, onPrimary func(ent int32, id string)) []seed.Record {
	// Sort a pointer-free permutation rather than the records themselves.
	type key struct {
		t int64
		i int32
	}
	order := make([]key, len(ps))
	for i := range ps {
		order[i] = key{ps[i].rec.CreatedAt.UnixMilli(), int32(i)}
	}
	slices.SortFunc(order, func(a, b key) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	recs := make([]seed.Record, len(ps))
	prefix := sfPrefix[obj]
	for n, k := range order {
		p := &ps[k.i]
		var id string
		if sys == seed.HubSpot {
			id = strconv.Itoa(hsFirstID + n)
		} else {
			id = sfID(prefix, uint64(1+n))
		}
		p.rec.ID = id
		recs[n] = p.rec
		*truth = append(*truth, seed.TruthRow{System: sys, Object: obj, RecordID: id, EntityID: entityID(kind, int(p.ent))})
		if p.primary && onPrimary != nil {
			onPrimary(p.ent, id)
		}
	}
	return recs
}

// newRecord wraps values with the times of copy c.
func newRecord(values map[string]string, c copyPlan) seed.Record {
	return seed.Record{Values: values, CreatedAt: c.created, UpdatedAt: c.updated}
}

// ---- places ---------------------------------------------------------------

// pickCountry draws a country: mostly US, some UK, DE, FR.
func (g *generator) pickCountry() uint8 {
	u := g.r.IntN(100)
	switch {
	case u < 82:
		return ctryUS
	case u < 88:
		return ctryUK
	case u < 94:
		return ctryDE
	default:
		return ctryFR
	}
}

// address is a street address in one of the supported countries.
type address struct {
	country  uint8
	num      uint16
	dir      int8 // index into directions, -1 none (US only)
	name     uint8
	typ      uint8
	unitKind int8 // index into unitForms, -1 none
	unit     uint16
}

func (g *generator) newAddress(ctry uint8, business bool) address {
	r := g.r
	a := address{country: ctry, dir: -1, unitKind: -1}
	switch ctry {
	case ctryDE:
		a.num = uint16(1 + r.IntN(180))
		a.name = uint8(r.IntN(len(germanStreets)))
		a.typ = uint8(r.IntN(len(germanStreetTypes)))
	case ctryFR:
		a.num = uint16(1 + r.IntN(180))
		a.name = uint8(r.IntN(len(frenchStreets)))
		a.typ = uint8(r.IntN(len(frenchStreetTypes)))
	default:
		if ctry == ctryUS {
			a.num = uint16(1 + r.IntN(9999))
			if chance(r, 0.15) {
				a.dir = int8(r.IntN(len(directions)))
			}
		} else {
			a.num = uint16(1 + r.IntN(250))
		}
		a.name = uint8(r.IntN(len(streetNames)))
		a.typ = uint8(r.IntN(len(streetTypes)))
		if business && chance(r, 0.4) {
			a.unitKind = 0
			if chance(r, 0.2) {
				a.unitKind = 2
			}
			a.unit = uint16(100 + r.IntN(1900))
		} else if !business && chance(r, 0.2) {
			a.unitKind = 1
			a.unit = uint16(1 + r.IntN(40))
		}
	}
	return a
}

// street renders an address line; m scales how likely variants are.
func (g *generator) street(a address, m float64) string {
	r := g.r
	b := g.buf[:0]
	form := func(forms []string) string {
		if chance(r, 0.5*m+0.1) {
			return forms[r.IntN(len(forms))]
		}
		return forms[0]
	}
	switch a.country {
	case ctryDE:
		b = append(b, germanStreets[a.name]...)
		b = append(b, form(germanStreetTypes[a.typ])...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(a.num), 10)
	case ctryFR:
		b = strconv.AppendInt(b, int64(a.num), 10)
		if chance(r, 0.3*m) {
			b = append(b, ',')
		}
		b = append(b, ' ')
		b = append(b, form(frenchStreetTypes[a.typ])...)
		b = append(b, ' ')
		b = append(b, frenchStreets[a.name]...)
	default:
		b = strconv.AppendInt(b, int64(a.num), 10)
		b = append(b, ' ')
		if a.dir >= 0 {
			b = append(b, form(directions[a.dir])...)
			b = append(b, ' ')
		}
		b = append(b, streetNames[a.name]...)
		b = append(b, ' ')
		b = append(b, form(streetTypes[a.typ])...)
		if a.unitKind >= 0 {
			if chance(r, 0.5) {
				b = append(b, ',')
			}
			b = append(b, ' ')
			b = append(b, form(unitForms[a.unitKind])...)
			b = strconv.AppendInt(b, int64(a.unit), 10)
		}
	}
	s := string(b)
	g.buf = b
	if chance(r, 0.02*m) {
		s = typo(r, s)
	}
	if chance(r, 0.03*m) {
		s = strings.ToUpper(s)
	}
	return s
}

// newPostal draws a postal code in city c.
func (g *generator) newPostal(c *city) string {
	r := g.r
	b := append(g.buf[:0], pick(r, c.postal)...)
	switch c.country {
	case ctryUS:
		b = appendDigits(r, b, 2)
	case ctryUK:
		b = append(b, ' ', byte('1'+r.IntN(9)), byte('A'+r.IntN(26)), byte('A'+r.IntN(26)))
	case ctryDE:
		b = appendDigits(r, b, 3)
	case ctryFR:
		b = append(b, '0')
		b = appendDigits(r, b, 2)
	}
	g.buf = b
	return string(b)
}

// postal renders a stored postal code with the variants of copy noise m.
func (g *generator) postal(code string, ctry uint8, m float64) string {
	r := g.r
	switch ctry {
	case ctryUS:
		if chance(r, 0.1*m+0.02) {
			b := appendDigits(r, append(append(g.buf[:0], code...), '-'), 4)
			g.buf = b
			return string(b)
		}
		if code[0] == '0' && chance(r, 0.3*m) { // a spreadsheet ate the zero
			return code[1:]
		}
	case ctryUK:
		if chance(r, 0.2*m) {
			return strings.ReplaceAll(code, " ", "")
		}
		if chance(r, 0.05*m) {
			return strings.ToLower(code)
		}
	case ctryFR:
		if chance(r, 0.03*m) {
			return "F-" + code
		}
	}
	return code
}

// cityName renders a city with spelling variants.
func (g *generator) cityName(c *city, m float64) string {
	r := g.r
	s := c.name
	if len(c.alt) > 0 && chance(r, 0.15*m) {
		s = pick(r, c.alt)
	}
	if chance(r, 0.015*m) {
		s = typo(r, s)
	}
	if chance(r, 0.03*m) {
		s = strings.ToUpper(s)
	}
	return s
}

// state renders the state or region: US code or name; elsewhere mostly
// blank or the region's name.
func (g *generator) state(c *city, m float64) string {
	r := g.r
	if c.country == ctryUS {
		if chance(r, 0.15+0.2*m) {
			return c.stateName
		}
		return c.state
	}
	if chance(r, 0.4) {
		if c.state != "" && chance(r, 0.3) {
			return c.state
		}
		return c.stateName
	}
	return ""
}

func (g *generator) countryName(ctry uint8, m float64) string {
	names := countryNames[ctry]
	if chance(g.r, 0.3*m+0.15) {
		return pick(g.r, names)
	}
	return names[0]
}

// newPhone draws a number in city c.
func (g *generator) newPhone(c *city) phone {
	r := g.r
	p := phone{country: uint8(c.country), area: pick(r, c.area)}
	b := g.buf[:0]
	switch c.country {
	case ctryUS:
		b = append(b, byte('2'+r.IntN(8)))
		b = appendDigits(r, b, 6)
	case ctryUK:
		n := 7
		if len(p.area) == 2 {
			n = 8
		}
		b = append(b, byte('2'+r.IntN(7)))
		b = appendDigits(r, b, n-1)
	case ctryDE:
		b = append(b, byte('1'+r.IntN(9)))
		b = appendDigits(r, b, 6+r.IntN(2))
	case ctryFR:
		b = appendDigits(r, b, 8)
	}
	g.buf = b
	p.sub = string(b)
	return p
}

// phoneText formats p; Salesforce users lean to "(415) 555-0134".
func (g *generator) phoneText(p phone, sf bool) string {
	style := g.r.IntN(9)
	if sf && chance(g.r, 0.5) {
		style = 0
	}
	b := p.format(g.buf[:0], style)
	g.buf = b
	return string(b)
}

func (g *generator) cityOf(ctry uint8) *city {
	cs := citiesByCountry[ctry]
	return &cs[g.r.IntN(len(cs))]
}
