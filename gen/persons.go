package gen

import "strings"

// person is a real-world person and what their records are rendered from.
type person struct {
	first, last int // indexes into firstNames and surnames
	comp        *company
	country     uint8
	city        *city
	addr        address
	postal      string
	phone       phone
	oldPhone    phone // before the last change; zero if none
	mobile      phone // zero if none
	title       int   // index into jobTitles, -1 none
	oldTitle    int   // before the last change, -1 none
	workEmail   string
	homeEmail   string
	useWork     bool // the address the person gives first
	dob         string
	stage       uint8
}

// email returns the address the person mostly gives.
func (p *person) email() string {
	if p.useWork && p.workEmail != "" {
		return p.workEmail
	}
	return p.homeEmail
}

// otherEmail returns the address the person gives less often, if any.
func (p *person) otherEmail() string {
	if p.useWork {
		return p.homeEmail
	}
	return p.workEmail
}

// newPerson draws a person working at comp (nil: none).
func (g *generator) newPerson(comp *company) person {
	r := g.r
	p := person{first: r.IntN(len(firstNames)), last: r.IntN(len(surnames)), comp: comp, title: -1, oldTitle: -1}
	switch {
	case comp != nil && chance(r, 0.8):
		p.country = comp.country
	case comp == nil || chance(r, 0.5):
		p.country = g.pickCountry()
	default:
		p.country = comp.country
	}
	if comp != nil && comp.country == p.country && chance(r, 0.5) {
		p.city = comp.city
	} else {
		p.city = g.cityOf(p.country)
	}
	p.addr = g.newAddress(p.country, false)
	p.postal = g.newPostal(p.city)
	if comp != nil && comp.phone.valid() && comp.country == p.country && chance(r, 0.4) {
		// A direct line next to the switchboard number.
		p.phone = comp.phone
		b := append(g.buf[:0], comp.phone.sub[:len(comp.phone.sub)-4]...)
		b = appendDigits(r, b, 4)
		g.buf = b
		p.phone.sub = string(b)
	} else {
		p.phone = g.newPhone(p.city)
	}
	if chance(r, 0.12) {
		p.oldPhone = g.newPhone(g.cityOf(p.country))
	}
	if chance(r, 0.6) {
		p.mobile = g.newPhone(p.city)
	}
	if comp != nil || chance(r, 0.4) {
		p.title = r.IntN(len(jobTitles))
		if chance(r, 0.2) {
			p.oldTitle = r.IntN(len(jobTitles))
		}
	}
	fn, ln := emailWord(firstNames[p.first].name), emailWord(surnames[p.last])
	if fn == "" {
		fn = "contact"
	}
	if ln == "" {
		ln = "x"
	}
	if comp != nil && comp.domain != "" {
		p.workEmail = g.emailAddr(fn, ln, comp.emailPattern, comp.domain, false)
	}
	if p.workEmail == "" || chance(r, 0.5) {
		p.homeEmail = g.emailAddr(fn, ln, uint8(r.IntN(6)), pick(r, freeMailByCountry[p.country]), true)
	}
	p.useWork = p.workEmail != "" && chance(r, 0.85)
	y, mo, dd := 1950+r.IntN(55), 1+r.IntN(12), 1+r.IntN(28)
	b := appendPad(g.buf[:0], y, 4)
	b = appendPad(append(b, '-'), mo, 2)
	b = appendPad(append(b, '-'), dd, 2)
	g.buf = b
	p.dob = string(b)
	p.stage = uint8(weighted(r.IntN(100), 15, 35, 15, 10, 10, 15))
	return p
}

// weighted maps u in [0,100) onto the index whose cumulative weight holds it.
func weighted(u int, ws ...int) int {
	for i, w := range ws {
		if u < w {
			return i
		}
		u -= w
	}
	return len(ws) - 1
}

// emailAddr builds an address from folded name words, a pattern and a
// domain; free mail gets a number now and then to stay unique.
func (g *generator) emailAddr(fn, ln string, pattern uint8, domain string, free bool) string {
	r := g.r
	b := g.buf[:0]
	switch pattern {
	case 0:
		b = append(append(append(b, fn...), '.'), ln...)
	case 1:
		b = append(append(b, fn[0]), ln...)
	case 2:
		b = append(b, fn...)
	case 3:
		b = append(append(b, fn...), ln[0])
	case 4:
		b = append(append(append(b, fn...), '_'), ln...)
	default:
		b = append(append(b, fn[0], '.'), ln...)
	}
	number := 0.0
	switch {
	case free:
		number = 0.8
	case pattern == 2 || pattern == 3:
		number = 0.3 // a first name alone collides inside a company
	}
	if chance(r, number) {
		n := r.IntN(100)
		if chance(r, 0.5) {
			n = 1950 + r.IntN(56)
		} else if chance(r, 0.5) {
			n = r.IntN(10000)
		}
		b = appendPad(b, n, 0)
	}
	b = append(append(b, '@'), domain...)
	g.buf = b
	return string(b)
}

// emailVariant applies the ways an address drifts between copies.
func (g *generator) emailVariant(e string, m float64) string {
	r := g.r
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return e
	}
	local, domain := e[:at], e[at+1:]
	if domain == "gmail.com" {
		switch {
		case chance(r, 0.3*m):
			local += "+" + pick(r, []string{"crm", "news", "work", "shop", "hubspot", "sf", "2"})
		case strings.Contains(local, ".") && chance(r, 0.15*m):
			local = strings.ReplaceAll(local, ".", "")
		case chance(r, 0.05*m):
			domain = "googlemail.com"
		}
	}
	if chance(r, 0.02*m) {
		local = typo(r, local)
	}
	e = local + "@" + domain
	switch {
	case chance(r, 0.05*m):
		e = strings.ToUpper(e)
	case chance(r, 0.04*m):
		e = titleEmail(local) + "@" + domain
	}
	if chance(r, 0.04*m) {
		e = pick(r, []string{" ", "", "\t"}) + e + pick(r, []string{" ", "  ", ""})
	}
	return e
}

// titleEmail capitalises the dot-separated parts of a local part
// ("john.smith" → "John.Smith"), as some people type it.
func titleEmail(local string) string {
	b := []byte(local)
	start := true
	for i, c := range b {
		if start && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		start = c == '.' || c == '_' || c == '-'
	}
	return string(b)
}

// firstNameText renders a first name with nickname, accent, typo and case
// variants.
func (g *generator) firstNameText(idx int, m float64) string {
	r := g.r
	fn := &firstNames[idx]
	s := fn.name
	if len(fn.nicks) > 0 && chance(r, 0.15*m+0.02) {
		s = pick(r, fn.nicks)
	}
	if hasNonASCII(s) && chance(r, 0.15+0.25*m) {
		s = foldASCII(s, chance(r, 0.5))
	}
	if chance(r, 0.05*m) {
		s = typo(r, s)
	}
	if chance(r, 0.04*m) {
		s = recase(r, s)
	}
	return s
}

// lastNameText renders a surname with hyphen, apostrophe, accent, typo and
// case variants.
func (g *generator) lastNameText(idx int, m float64) string {
	r := g.r
	s := surnames[idx]
	if i := strings.IndexByte(s, '-'); i > 0 && chance(r, 0.25*m) {
		switch r.IntN(3) {
		case 0:
			s = s[:i]
		case 1:
			s = s[i+1:]
		default:
			s = s[:i] + " " + s[i+1:]
		}
	}
	if strings.Contains(s, "'") && chance(r, 0.3*m) {
		s = strings.Replace(s, "'", pick(r, []string{"’", "", " "}), 1)
	}
	if strings.HasPrefix(s, "van ") || strings.HasPrefix(s, "de ") {
		if chance(r, 0.3*m) {
			s = titleCase(s)
		}
	}
	if hasNonASCII(s) && chance(r, 0.15+0.25*m) {
		s = foldASCII(s, chance(r, 0.5))
	}
	if chance(r, 0.05*m) {
		s = typo(r, s)
	}
	if chance(r, 0.05*m) {
		s = recase(r, s)
	}
	return s
}

// titleText renders a job title with abbreviation and case variants.
func (g *generator) titleText(idx int, m float64) string {
	r := g.r
	forms := jobTitles[idx]
	s := forms[0]
	if len(forms) > 1 && chance(r, 0.2*m+0.05) {
		s = pick(r, forms[1:])
	}
	if chance(r, 0.03*m) {
		s = recase(r, s)
	}
	return s
}

// personFields renders one copy of p into field slots (pStatus excluded).
func (g *generator) personFields(p *person, f []string, noisy, stale, sf bool) {
	r := g.r
	m := 0.25
	if noisy {
		m = 1
	}
	clear(f)
	if !chance(r, 0.10) {
		f[pFirst] = g.firstNameText(p.first, m)
	}
	if sf || !chance(r, 0.03) { // Salesforce requires LastName
		f[pLast] = g.lastNameText(p.last, m)
	}
	email := p.email()
	if o := p.otherEmail(); o != "" && chance(r, 0.1*m) {
		email = o // a different address altogether
	}
	if email != "" && !chance(r, 0.10) {
		f[pEmail] = g.emailVariant(email, m)
	}
	ph := p.phone
	if stale && p.oldPhone.valid() {
		ph = p.oldPhone
	}
	if !chance(r, 0.25) {
		f[pPhone] = g.phoneText(ph, sf)
	}
	if p.mobile.valid() && !chance(r, 0.30) {
		f[pMobile] = g.phoneText(p.mobile, sf)
	}
	t := p.title
	if stale && p.oldTitle >= 0 {
		t = p.oldTitle
	}
	if t >= 0 && !chance(r, 0.20) {
		f[pTitle] = g.titleText(t, m)
	}
	if p.comp != nil && !chance(r, 0.15) {
		f[pCompany] = g.companyName(p.comp, 1)
	}
	if !chance(r, 0.25) {
		f[pStreet] = g.street(p.addr, m)
	}
	if !chance(r, 0.12) {
		f[pCity] = g.cityName(p.city, m)
	}
	if !chance(r, 0.15) {
		f[pState] = g.state(p.city, m)
	}
	if !chance(r, 0.15) {
		f[pZip] = g.postal(p.postal, p.country, m)
	}
	if !chance(r, 0.2) {
		f[pCountry] = g.countryName(p.country, m)
	}
	if !chance(r, 0.3) {
		f[pDOB] = g.dobText(p.dob, m)
	}
}

// dobText renders a birth date, now and then with day and month swapped or
// the year mistyped.
func (g *generator) dobText(dob string, m float64) string {
	r := g.r
	switch {
	case dob[8] <= '1' && dob[8:] != dob[5:7] && (dob[8] == '0' || dob[9] <= '2') && chance(r, 0.03*m):
		return dob[:5] + dob[8:] + "-" + dob[5:7]
	case chance(r, 0.02*m):
		b := []byte(dob)
		if b[3] == '9' {
			b[3] = '8'
		} else {
			b[3]++
		}
		return string(b)
	}
	return dob
}

// sfPersonObject decides whether a Salesforce copy is a Contact or a Lead.
func (g *generator) sfPersonObject(p *person) string {
	switch {
	case p.comp != nil && p.comp.inSF:
		if chance(g.r, 0.85) {
			return "Contact"
		}
	case p.comp == nil:
		if chance(g.r, 0.15) {
			return "Contact" // a private contact without account
		}
	}
	return "Lead"
}

// pickCompany draws an employer: larger companies (early indexes) employ
// more of the people; a fifth of the people have none.
func (g *generator) pickCompany() *company {
	if len(g.comps) == 0 || chance(g.r, 0.2) {
		return nil
	}
	u := g.r.Float64()
	return &g.comps[int(u*u*float64(len(g.comps)))]
}

// genPersons draws the persons and renders their records.
func (g *generator) genPersons(perSystem int) (hs, sfc, sfl []pend) {
	r := g.r
	n := entitiesFor(perSystem, personBoth)
	est := int(float64(perSystem) * (1 + personDupRate*1.2))
	hs = make([]pend, 0, est)
	sfc, sfl = make([]pend, 0, est*3/5), make([]pend, 0, est/2)
	var f [nPF]string
	for i := range n {
		comp := g.pickCompany()
		p := g.newPerson(comp)
		inHS, inSF := g.membership(personBoth)
		var nHS, nSF int
		if inHS {
			nHS = 1 + g.dupCount(personDupRate)
		}
		if inSF {
			nSF = 1 + g.dupCount(personDupRate)
		}
		base, fresh := g.plan(nHS, nSF)
		changed := p.oldPhone.valid() || p.oldTitle >= 0
		ent := int32(i + 1)
		for k, c := range g.copies {
			stale := changed && k != fresh && chance(r, 0.8)
			noisy := k != base
			if c.sys == sysHS {
				g.personFields(&p, f[:], noisy, stale, false)
				f[pStatus] = lifecycleStages[p.stage]
				if noisy && chance(r, 0.25) {
					f[pStatus] = pick(r, lifecycleStages)
				} else if chance(r, 0.1) {
					f[pStatus] = ""
				}
				assoc := ""
				if comp != nil && comp.inHS && chance(r, 0.9) {
					assoc = comp.hsID
				}
				hs = append(hs, pend{rec: newRecord(toMap(f[:], hsContactKeys, hsAssoc, assoc), c), ent: ent})
				continue
			}
			g.personFields(&p, f[:], noisy, stale, true)
			if g.sfPersonObject(&p) == "Contact" {
				assoc := ""
				if comp != nil && comp.inSF {
					assoc = comp.sfID
				}
				sfc = append(sfc, pend{rec: newRecord(toMap(f[:], sfContactKeys, sfAssoc, assoc), c), ent: ent})
				continue
			}
			if f[pCompany] == "" {
				if comp != nil {
					f[pCompany] = g.companyName(comp, 1)
				} else if chance(r, 0.6) {
					f[pCompany] = leadNoCompany
				} else {
					name, _ := g.companyRootName()
					f[pCompany] = name
				}
			}
			f[pStatus] = leadStatuses[weighted(r.IntN(100), 35, 35, 10, 20)]
			sfl = append(sfl, pend{rec: newRecord(toMap(f[:], sfLeadKeys, "", ""), c), ent: ent})
		}
	}
	return hs, sfc, sfl
}
