package gen

import (
	"strconv"
	"strings"
	"time"
)

// deal is a real-world deal and what its records are rendered from.
type deal struct {
	comp    *company
	product int
	tmpl    int
	year    int
	amount  int64 // cents
	close   time.Time
	stage   int // index into hsDealStages / sfOppStages
}

func (g *generator) newDeal(comp *company) deal {
	r := g.r
	d := deal{comp: comp, product: r.IntN(len(dealProducts)), tmpl: r.IntN(5)}
	d.close = g.today.Add(time.Duration(r.Int64N(int64(480*day))) - 300*day).Truncate(day)
	d.year = d.close.Year()
	// Roughly log-uniform between $1k and $500k, two significant digits
	// (integer arithmetic only, so every platform draws the same).
	mant, exp := int64(10+r.IntN(90)), r.IntN(3)
	if exp == 2 {
		mant = int64(10 + r.IntN(41))
	}
	d.amount = mant * 100 // dollars → cents
	for range exp + 2 {
		d.amount *= 10
	}
	if chance(r, 0.1) {
		d.amount += int64(r.IntN(100))
	}
	past := d.close.Before(g.today)
	switch {
	case past && chance(r, 0.9):
		d.stage = stageClosedWon
		if chance(r, 0.45) {
			d.stage = stageClosedLost
		}
	case !past && chance(r, 0.05):
		d.stage = stageClosedWon // closed early
	default:
		d.stage = r.IntN(stageClosedWon)
	}
	return d
}

// dealName renders a deal name; noisy copies pick other templates, company
// spellings and case.
func (g *generator) dealName(d *deal, m float64) string {
	r := g.r
	co := "Direct"
	if d.comp != nil {
		co = d.comp.root
		if chance(r, 0.25*m) {
			co = g.companyName(d.comp, m)
		}
	}
	prod := dealProducts[d.product]
	tmpl := d.tmpl
	if chance(r, 0.4*m) {
		tmpl = r.IntN(5)
	}
	year := strconv.Itoa(d.year)
	var s string
	switch tmpl {
	case 0:
		s = co + " - " + prod
	case 1:
		s = co + " " + prod
	case 2:
		s = co + ": " + prod + " " + year
	case 3:
		s = prod + " - " + co
	default:
		s = co + " – " + prod + " (" + year + ")"
	}
	if chance(r, 0.05*m) {
		s = strings.ToLower(s)
	}
	if chance(r, 0.02*m) {
		s = typo(r, s)
	}
	return s
}

// amountText renders cents as the APIs carry amounts: "12500" or "12500.5".
func amountText(cents int64) string {
	s := strconv.FormatInt(cents/100, 10)
	if c := cents % 100; c != 0 {
		s += "." + strconv.FormatInt(c/10, 10)
		if c%10 != 0 {
			s += strconv.FormatInt(c%10, 10)
		}
	}
	return s
}

// dealFields renders one copy of d; noisy copies may differ slightly in
// amount, close date and stage (one system lags the other).
func (g *generator) dealFields(d *deal, f []string, noisy, sf bool) {
	r := g.r
	m := 0.25
	if noisy {
		m = 1
	}
	clear(f)
	f[dName] = g.dealName(d, m)
	amount := d.amount
	if noisy && chance(r, 0.3) {
		pct := int64(1 + r.IntN(10))
		if chance(r, 0.5) {
			pct = -pct
		}
		amount = (amount + amount*pct/100) / 10000 * 10000
	}
	if sf || !chance(r, 0.1) {
		if !chance(r, 0.1) {
			f[dAmount] = amountText(amount)
		}
	}
	cl := d.close
	if noisy && chance(r, 0.3) {
		shift := 1 + r.IntN(30)
		if chance(r, 0.5) {
			shift = -shift
		}
		cl = cl.AddDate(0, 0, shift)
	}
	if sf || !chance(r, 0.1) { // Salesforce requires CloseDate
		b := cl.AppendFormat(g.buf[:0], time.DateOnly)
		g.buf = b
		f[dClose] = string(b)
	}
	st := d.stage
	if noisy && chance(r, 0.2) && st < stageClosedWon {
		st++ // the other system has moved on
	}
	if sf {
		f[dStage] = sfOppStages[st]
	} else {
		f[dStage] = hsDealStages[st]
		f[dPipeline] = "default"
	}
}

// genDeals draws the deals and renders their records.
func (g *generator) genDeals(perSystem int) (hs, sf []pend) {
	r := g.r
	n := entitiesFor(perSystem, dealBoth)
	both, poolHS, poolSF := g.companyPools()
	est := int(float64(perSystem) * (1 + dealDupRate*1.2))
	hs, sf = make([]pend, 0, est), make([]pend, 0, est)
	var f [nDF]string
	for i := range n {
		inHS, inSF := g.membership(dealBoth)
		// Each deal belongs to a company present in its systems.
		var pool []int32
		switch {
		case inHS && inSF && len(both) > 0:
			pool = both
		case inHS && len(poolHS) > 0:
			pool, inSF = poolHS, false
		case inSF && len(poolSF) > 0:
			pool, inHS = poolSF, false
		case len(poolHS) > 0:
			pool, inHS, inSF = poolHS, true, false
		case len(poolSF) > 0:
			pool, inHS, inSF = poolSF, false, true
		}
		var comp *company
		if len(pool) > 0 {
			u := r.Float64()
			comp = &g.comps[pool[int(u*u*float64(len(pool)))]]
		}
		d := g.newDeal(comp)
		var nHS, nSF int
		if inHS {
			nHS = 1 + g.dupCount(dealDupRate)
		}
		if inSF {
			nSF = 1 + g.dupCount(dealDupRate)
		}
		base, _ := g.plan(nHS, nSF)
		ent := int32(i + 1)
		for k, c := range g.copies {
			if c.sys == sysHS {
				g.dealFields(&d, f[:], k != base, false)
				assoc := ""
				if comp != nil {
					assoc = comp.hsID
				}
				hs = append(hs, pend{rec: newRecord(toMap(f[:], hsDealKeys, hsAssoc, assoc), c), ent: ent})
			} else {
				g.dealFields(&d, f[:], k != base, true)
				assoc := ""
				if comp != nil {
					assoc = comp.sfID
				}
				sf = append(sf, pend{rec: newRecord(toMap(f[:], sfOppKeys, sfAssoc, assoc), c), ent: ent})
			}
		}
	}
	return hs, sf
}
