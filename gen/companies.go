package gen

import (
	"strconv"
	"strings"
)

// company is a real-world company and what its records are rendered from.
type company struct {
	root         string   // the name without legal form, e.g. "Summit Analytics"
	suffix       []string // legal-form spellings, [0] canonical; nil for none
	domain       string
	country      uint8
	city         *city
	addr         address
	postal       string
	phone        phone
	industry     string
	employees    int
	oldEmployees int // before the last change; 0 if none
	revenue      int64
	emailPattern uint8
	inHS, inSF   bool
	hsID, sfID   string // primary record ids
}

// companyRootName draws a company name without legal form and the
// industry it suggests.
func (g *generator) companyRootName() (string, string) {
	r := g.r
	noun := pick(r, companyNouns)
	switch f := r.IntN(20); {
	case f < 2:
		return pick(r, companyRoots), pick(r, industries)
	case f < 4:
		return pick(r, surnames) + " & " + pick(r, surnames), pick(r, []string{"Consulting", "Finance", "Insurance", "Other"})
	case f < 6:
		return pick(r, surnames) + " " + noun[0], noun[1]
	case f < 10:
		return pick(r, companyRoots) + " " + noun[0], noun[1]
	case f < 15:
		a, b := r.IntN(len(companyRoots)), r.IntN(len(companyRoots)-1)
		if b >= a {
			b++
		}
		return companyRoots[a] + " " + companyRoots[b] + " " + noun[0], noun[1]
	default:
		return pick(r, companyRoots) + " " + noun[0] + " " + pick(r, nameQualifiers), noun[1]
	}
}

// newCompany draws a company with a name and domain not used before.
func (g *generator) newCompany() company {
	r := g.r
	c := company{country: g.pickCountry()}
	for attempt := 0; ; attempt++ {
		c.root, c.industry = g.companyRootName()
		key := strings.ToLower(c.root)
		if _, dup := g.usedNames[key]; !dup || attempt >= 10 {
			g.usedNames[key] = struct{}{}
			break
		}
	}
	if groups := legalSuffixes[c.country]; c.country != ctryUS || !chance(r, 0.15) {
		c.suffix = pick(r, groups)
	}
	c.domain = g.newDomain(c.root, c.country)
	c.city = g.cityOf(c.country)
	c.addr = g.newAddress(c.country, true)
	c.postal = g.newPostal(c.city)
	c.phone = g.newPhone(c.city)
	switch t := r.IntN(100); {
	case t < 30:
		c.employees = 1 + r.IntN(10)
	case t < 55:
		c.employees = 11 + r.IntN(40)
	case t < 75:
		c.employees = 51 + r.IntN(150)
	case t < 90:
		c.employees = 201 + r.IntN(800)
	case t < 98:
		c.employees = 1001 + r.IntN(9000)
	default:
		c.employees = 10_001 + r.IntN(90_000)
	}
	if chance(r, 0.2) {
		c.oldEmployees = max(1, c.employees*(70+r.IntN(25))/100)
	}
	c.revenue = int64(c.employees) * int64(50+r.IntN(250)) * 1000
	switch p := r.IntN(20); {
	case p < 10:
		c.emailPattern = 0 // first.last
	case p < 14:
		c.emailPattern = 1 // flast
	case p < 16:
		c.emailPattern = 2 // first
	case p < 18:
		c.emailPattern = 3 // firstl
	case p < 19:
		c.emailPattern = 4 // first_last
	default:
		c.emailPattern = 5 // f.last
	}
	return c
}

// newDomain derives an unused domain from a company name.
func (g *generator) newDomain(root string, ctry uint8) string {
	r := g.r
	words := strings.Fields(strings.ReplaceAll(root, "&", " "))
	base := domainWord(strings.Join(words, ""))
	if len(base) > 18 && len(words) > 2 { // drop the qualifier
		base = domainWord(words[0] + words[1])
	}
	if base == "" {
		base = "company"
	}
	tlds := tldByCountry[ctry]
	for attempt := 0; ; attempt++ {
		var d string
		switch {
		case attempt < 3:
			d = base + pick(r, tlds)
		case attempt < 6:
			d = base + pick(r, []string{"group", "hq", "inc", "corp", "global", "online"}) + pick(r, tlds)
		default:
			d = base + strconv.Itoa(attempt) + pick(r, tlds)
		}
		if _, dup := g.usedDomains[d]; !dup {
			g.usedDomains[d] = struct{}{}
			return d
		}
	}
}

// companyName renders the display name with legal-form and case variants.
func (g *generator) companyName(c *company, m float64) string {
	r := g.r
	root := c.root
	if chance(r, 0.03*m) {
		root = typo(r, root)
	}
	if chance(r, 0.05*m) {
		root = strings.ToUpper(root)
	}
	if hasNonASCII(root) && chance(r, 0.3*m) {
		root = foldASCII(root, chance(r, 0.5))
	}
	if strings.Contains(root, " & ") && chance(r, 0.2*m) {
		root = strings.Replace(root, " & ", " and ", 1)
	}
	suffix := ""
	if c.suffix != nil && !chance(r, 0.12*m) {
		suffix = c.suffix[0]
		if chance(r, 0.35*m) {
			suffix = pick(r, c.suffix)
		}
	}
	s := root + suffix
	switch {
	case chance(r, 0.06*m):
		s = strings.ToUpper(s)
	case chance(r, 0.02*m):
		s = strings.ToLower(s)
	}
	return s
}

// website renders the Salesforce Website or HubSpot domain.
func (g *generator) website(domain string, sf bool, m float64) string {
	r := g.r
	if !sf {
		if chance(r, 0.12*m) {
			return pick(r, []string{"www.", "https://", "http://www.", "WWW."}) + domain
		}
		return domain
	}
	switch r.IntN(7) {
	case 0:
		return "https://www." + domain + "/"
	case 1:
		return "http://www." + domain
	case 2, 3:
		return "www." + domain
	case 4:
		return "https://" + domain
	default:
		return domain
	}
}

// companyFields renders one copy of c into field slots.
func (g *generator) companyFields(c *company, f []string, noisy, stale, sf bool) {
	r := g.r
	m := 0.25
	if noisy {
		m = 1
	}
	clear(f)
	f[cName] = g.companyName(c, m)
	if !chance(r, 0.1) {
		f[cDomain] = g.website(c.domain, sf, m)
	}
	if !chance(r, 0.2) {
		f[cPhone] = g.phoneText(c.phone, sf)
	}
	if !chance(r, 0.15) {
		f[cStreet] = g.street(c.addr, m)
	}
	if !chance(r, 0.1) {
		f[cCity] = g.cityName(c.city, m)
	}
	if !chance(r, 0.15) {
		f[cState] = g.state(c.city, m)
	}
	if !chance(r, 0.15) {
		f[cZip] = g.postal(c.postal, c.country, m)
	}
	if !chance(r, 0.2) {
		f[cCountry] = g.countryName(c.country, m)
	}
	if !chance(r, 0.2) {
		f[cIndustry] = c.industry
		if chance(r, 0.05*m) {
			f[cIndustry] = pick(r, industries)
		}
	}
	if !chance(r, 0.2) {
		e := c.employees
		if stale && c.oldEmployees > 0 {
			e = c.oldEmployees
		}
		f[cEmployees] = strconv.Itoa(e)
	}
	if !chance(r, 0.3) {
		f[cRevenue] = strconv.FormatInt(c.revenue, 10)
	}
}

// genCompanies draws the companies and renders their records.
func (g *generator) genCompanies(perSystem int) (hs, sf []pend) {
	n := entitiesFor(perSystem, companyBoth)
	g.comps = make([]company, 0, n)
	est := int(float64(perSystem) * (1 + companyDupRate*1.2))
	hs, sf = make([]pend, 0, est), make([]pend, 0, est)
	var f [nCF]string
	for i := range n {
		c := g.newCompany()
		c.inHS, c.inSF = g.membership(companyBoth)
		g.comps = append(g.comps, c)
		cp := &g.comps[len(g.comps)-1]
		var nHS, nSF int
		if c.inHS {
			nHS = 1 + g.dupCount(companyDupRate)
		}
		if c.inSF {
			nSF = 1 + g.dupCount(companyDupRate)
		}
		base, fresh := g.plan(nHS, nSF)
		firstHS, firstSF := true, true
		for k, cp2 := range g.copies {
			stale := k != fresh && cp.oldEmployees > 0 && chance(g.r, 0.8)
			if cp2.sys == sysHS {
				g.companyFields(cp, f[:], k != base, stale, false)
				hs = append(hs, pend{rec: newRecord(toMap(f[:], hsCompanyKeys, "", ""), cp2), ent: int32(i + 1), primary: firstHS})
				firstHS = false
			} else {
				g.companyFields(cp, f[:], k != base, stale, true)
				sf = append(sf, pend{rec: newRecord(toMap(f[:], sfAccountKeys, "", ""), cp2), ent: int32(i + 1), primary: firstSF})
				firstSF = false
			}
		}
	}
	return hs, sf
}

// companyPools lists companies by the systems they live in.
func (g *generator) companyPools() (both, inHS, inSF []int32) {
	for i := range g.comps {
		c := &g.comps[i]
		if c.inHS {
			inHS = append(inHS, int32(i))
		}
		if c.inSF {
			inSF = append(inSF, int32(i))
		}
		if c.inHS && c.inSF {
			both = append(both, int32(i))
		}
	}
	return
}
