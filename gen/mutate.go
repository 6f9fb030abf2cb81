package gen

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// MutateOptions describe one simulated day of user activity.
type MutateOptions struct {
	// Day numbers the day; (Seed, Day) fixes what happens.
	Day  int
	Seed uint64
	// Now is the end of the day; changed and new records get UpdatedAt in
	// (Now-24h, Now]. Zero means Generate's default Now plus Day days.
	// The values written do not follow Now: new close dates lie around
	// that default date plus Day days, as in Generate.
	Now time.Time
	// ChangeRate is the share of each object's live records edited during
	// the day (default 0.01). New records come to about a fifth of it,
	// archived ones to a tenth.
	ChangeRate float64
}

// ObjectStats counts what a day did to one object.
type ObjectStats struct {
	Updated    int // existing records edited (conflicting edits included)
	Conflicts  int // records whose edit collides with a different edit of the same field in the other system
	Created    int // new records, duplicates included
	Duplicates int // new records of an entity that already had records
	Archived   int // records archived
}

func (s *ObjectStats) add(o ObjectStats) {
	s.Updated += o.Updated
	s.Conflicts += o.Conflicts
	s.Created += o.Created
	s.Duplicates += o.Duplicates
	s.Archived += o.Archived
}

// Stats counts what Mutate changed, per system and object.
type Stats struct {
	Day     int
	Objects map[string]map[string]ObjectStats
}

// Total sums the counts over all objects.
func (s Stats) Total() ObjectStats {
	var t ObjectStats
	for _, objs := range s.Objects {
		for _, o := range objs {
			t.add(o)
		}
	}
	return t
}

// objDesc describes how an object's fields map onto the shared slots.
type objDesc struct {
	sys, obj string
	kind     byte
	keys     []string
	assoc    string // association field, "" if none
	sf       bool
}

var objDescs = []objDesc{
	{seed.HubSpot, "companies", kindCompany, hsCompanyKeys, "", false},
	{seed.HubSpot, "contacts", kindPerson, hsContactKeys, hsAssoc, false},
	{seed.HubSpot, "deals", kindDeal, hsDealKeys, hsAssoc, false},
	{seed.Salesforce, "Account", kindCompany, sfAccountKeys, "", true},
	{seed.Salesforce, "Contact", kindPerson, sfContactKeys, sfAssoc, true},
	{seed.Salesforce, "Lead", kindPerson, sfLeadKeys, "", true},
	{seed.Salesforce, "Opportunity", kindDeal, sfOppKeys, sfAssoc, true},
}

// companyObject names the company object of a system.
func companyObject(sys string) string {
	if sys == seed.HubSpot {
		return "companies"
	}
	return "Account"
}

// editSlots lists the fields users edit, with weights.
var editSlots = map[byte][][2]int{
	kindPerson:  {{pTitle, 3}, {pPhone, 2}, {pMobile, 1}, {pEmail, 1}, {pStreet, 1}, {pStatus, 2}, {pLast, 1}},
	kindCompany: {{cPhone, 2}, {cEmployees, 2}, {cRevenue, 2}, {cIndustry, 1}, {cStreet, 1}, {cName, 1}},
	kindDeal:    {{dAmount, 3}, {dClose, 2}, {dStage, 3}, {dName, 1}},
}

type recKey struct{ sys, obj, id string }

// mutator carries one Mutate call.
type mutator struct {
	*generator
	d       *seed.Dataset
	start   time.Time // beginning of the day
	ent     map[recKey]string
	members map[string][]recKey
	pos     map[recKey]int
	maxEnt  map[byte]int
	stats   map[string]map[string]*ObjectStats
	touched map[recKey]bool
	next    map[string]uint64 // next id counter per system/object
}

// Mutate applies one day of user activity to d in place and reports what
// changed. The result depends only on d and opts.
func Mutate(d *seed.Dataset, opts MutateOptions) Stats {
	if opts.ChangeRate <= 0 {
		opts.ChangeRate = 0.01
	}
	if opts.Now.IsZero() {
		opts.Now = defaultNow().AddDate(0, 0, opts.Day)
	}
	now := msTrunc(opts.Now.UTC())
	g := &generator{now: now, today: defaultNow().AddDate(0, 0, opts.Day), buf: make([]byte, 0, 256), usedNames: map[string]struct{}{}, usedDomains: map[string]struct{}{}}
	g.reseed(opts.Seed, streamMutate^uint64(int64(opts.Day))*0x9E3779B97F4A7C15)
	m := &mutator{generator: g, d: d, start: now.Add(-day), touched: map[recKey]bool{}, next: map[string]uint64{}}
	m.index()
	for _, od := range objDescs {
		m.mutateObject(od, opts.ChangeRate)
	}
	st := Stats{Day: opts.Day, Objects: map[string]map[string]ObjectStats{seed.HubSpot: {}, seed.Salesforce: {}}}
	for sys, objs := range m.stats {
		for obj, s := range objs {
			st.Objects[sys][obj] = *s
		}
	}
	return st
}

// index builds the lookups Mutate needs from the truth and the records.
func (m *mutator) index() {
	m.ent = make(map[recKey]string, len(m.d.Truth))
	m.members = map[string][]recKey{}
	m.maxEnt = map[byte]int{}
	for _, t := range m.d.Truth {
		k := recKey{t.System, t.Object, t.RecordID}
		m.ent[k] = t.EntityID
		m.members[t.EntityID] = append(m.members[t.EntityID], k)
		if len(t.EntityID) > 1 {
			if n, err := strconv.Atoi(t.EntityID[1:]); err == nil && n > m.maxEnt[t.EntityID[0]] {
				m.maxEnt[t.EntityID[0]] = n
			}
		}
	}
	m.pos = map[recKey]int{}
	m.stats = map[string]map[string]*ObjectStats{seed.HubSpot: {}, seed.Salesforce: {}}
	for _, od := range objDescs {
		for i, r := range m.d.Records(od.sys, od.obj) {
			m.pos[recKey{od.sys, od.obj, r.ID}] = i
		}
		m.stats[od.sys][od.obj] = &ObjectStats{}
	}
}

// rec returns the record behind k (nil if unknown).
func (m *mutator) rec(k recKey) *seed.Record {
	i, ok := m.pos[k]
	if !ok {
		return nil
	}
	return &m.d.Objects[k.sys][k.obj][i]
}

// stamp returns a time within the day.
func (m *mutator) stamp() time.Time { return randBefore(m.r, m.now, day) }

// stochasticRound rounds x up with probability equal to its fraction.
func stochasticRound(r *rand.Rand, x float64) int {
	n := int(x)
	if chance(r, x-float64(n)) {
		n++
	}
	return n
}

func (m *mutator) mutateObject(od objDesc, rate float64) {
	r := m.r
	recs := m.d.Objects[od.sys][od.obj]
	live := make([]int, 0, len(recs))
	for i := range recs {
		if !recs[i].Archived {
			live = append(live, i)
		}
	}
	st := m.stats[od.sys][od.obj]
	nEdit := stochasticRound(r, rate*float64(len(live)))
	nArch := stochasticRound(r, rate*0.1*float64(len(live)))
	nNew := stochasticRound(r, rate*0.2*float64(len(live)))
	// Partial shuffle: the first nEdit+nArch live records are this day's.
	k := min(nEdit+nArch, len(live))
	for i := range k {
		j := i + r.IntN(len(live)-i)
		live[i], live[j] = live[j], live[i]
	}
	for _, i := range live[:min(nEdit, k)] {
		rec := &recs[i]
		slot := m.pickSlot(od)
		if slot < 0 {
			continue
		}
		m.edit(od, rec, slot)
		if chance(r, 0.15) && m.conflict(od, rec, slot) {
			st.Conflicts++
		}
		if chance(r, 0.3) { // a second field in the same save
			if s2 := m.pickSlot(od); s2 >= 0 && s2 != slot {
				m.edit(od, rec, s2)
			}
		}
		m.touch(od, rec)
	}
	for _, i := range live[min(nEdit, k):k] {
		rec := &recs[i]
		if m.touched[recKey{od.sys, od.obj, rec.ID}] {
			continue
		}
		rec.Archived = true
		rec.UpdatedAt = m.stamp()
		st.Archived++
	}
	for range nNew {
		m.create(od)
	}
}

// touch stamps an edited record and counts it once.
func (m *mutator) touch(od objDesc, rec *seed.Record) {
	rec.UpdatedAt = m.stamp()
	k := recKey{od.sys, od.obj, rec.ID}
	if !m.touched[k] {
		m.touched[k] = true
		m.stats[od.sys][od.obj].Updated++
	}
}

// pickSlot draws an editable field of the object (-1 if none).
func (m *mutator) pickSlot(od objDesc) int {
	slots := editSlots[od.kind]
	total := 0
	for _, s := range slots {
		if od.keys[s[0]] != "" {
			total += s[1]
		}
	}
	if total == 0 {
		return -1
	}
	u := m.r.IntN(total)
	for _, s := range slots {
		if od.keys[s[0]] == "" {
			continue
		}
		if u < s[1] {
			return s[0]
		}
		u -= s[1]
	}
	return -1
}

// edit sets a new value of slot on rec (a move also changes city, state
// and postal code).
func (m *mutator) edit(od objDesc, rec *seed.Record, slot int) {
	if rec.Values == nil {
		rec.Values = map[string]string{}
	}
	key := od.keys[slot]
	old := rec.Values[key]
	v := old
	for try := 0; try < 6 && v == old; try++ {
		v = m.freshValue(od, rec, slot)
	}
	rec.Values[key] = v
	if (od.kind == kindPerson && slot == pStreet) || (od.kind == kindCompany && slot == cStreet) {
		c := m.cityOf(ctryUS)
		base := pCity
		if od.kind == kindCompany {
			base = cCity
		}
		// City, state and postal code follow the street slot in both layouts.
		for i, v := range []string{c.name, c.state, m.newPostal(c)} {
			if k := od.keys[base+i]; k != "" {
				rec.Values[k] = v
			}
		}
	}
}

// freshValue draws a plausible new value for slot.
func (m *mutator) freshValue(od objDesc, rec *seed.Record, slot int) string {
	r := m.r
	switch od.kind {
	case kindPerson:
		switch slot {
		case pTitle:
			return m.titleText(r.IntN(len(jobTitles)), 0.25)
		case pPhone, pMobile:
			return m.phoneText(m.newPhone(m.cityOf(ctryUS)), od.sf)
		case pEmail:
			fn := emailWord(rec.Values[od.keys[pFirst]])
			ln := emailWord(rec.Values[od.keys[pLast]])
			if fn == "" {
				fn = "info"
			}
			if ln == "" {
				ln = "x"
			}
			return m.emailAddr(fn, ln, uint8(r.IntN(6)), pick(r, freeMailByCountry[ctryUS]), true)
		case pStreet:
			return m.street(m.newAddress(ctryUS, false), 0.25)
		case pStatus:
			if od.sf {
				return pick(r, leadStatuses)
			}
			return pick(r, lifecycleStages)
		case pLast:
			return surnames[r.IntN(len(surnames))]
		}
	case kindCompany:
		switch slot {
		case cPhone:
			return m.phoneText(m.newPhone(m.cityOf(ctryUS)), od.sf)
		case cEmployees, cRevenue:
			n, err := strconv.ParseInt(rec.Values[od.keys[slot]], 10, 64)
			if err != nil || n <= 0 {
				n = int64(10 + r.IntN(500))
				if slot == cRevenue {
					n *= 100_000
				}
			}
			n = n * int64(80+r.IntN(50)) / 100
			return strconv.FormatInt(max(n, 1), 10)
		case cIndustry:
			return pick(r, industries)
		case cStreet:
			return m.street(m.newAddress(ctryUS, true), 0.25)
		case cName:
			return renameCompany(r, rec.Values[od.keys[cName]])
		}
	case kindDeal:
		switch slot {
		case dAmount:
			f, err := strconv.ParseFloat(rec.Values[od.keys[dAmount]], 64)
			if err != nil || f <= 0 {
				f = 10_000
			}
			return strconv.FormatInt(int64(f)*int64(70+r.IntN(61))/100/100*100, 10)
		case dClose:
			t, err := time.Parse(time.DateOnly, rec.Values[od.keys[dClose]])
			if err != nil {
				t = m.today
			}
			return t.AddDate(0, 0, 7+r.IntN(60)).Format(time.DateOnly)
		case dStage:
			stages := hsDealStages
			if od.sf {
				stages = sfOppStages
			}
			i := slices.Index(stages, rec.Values[od.keys[dStage]])
			switch {
			case i < 0:
				return stages[r.IntN(len(stages))]
			case i < stageClosedWon:
				if chance(r, 0.2) {
					return stages[stageClosedWon+r.IntN(2)]
				}
				return stages[i+1]
			default:
				return stages[r.IntN(stageClosedWon)] // reopened
			}
		case dName:
			return rec.Values[od.keys[dName]] + pick(r, []string{" (revised)", " - Phase 2", " v2", " 2026"})
		}
	}
	return rec.Values[od.keys[slot]]
}

// renameCompany gives a company name a rebrand-style edit.
func renameCompany(r *rand.Rand, name string) string {
	switch r.IntN(3) {
	case 0:
		return strings.ToUpper(name)
	case 1:
		if i := strings.LastIndexAny(name, " ,"); i > 0 {
			return name[:i]
		}
	}
	return name + pick(r, []string{" Group", " Holdings", " International"})
}

// conflict edits the same field of the entity's record in the other system
// to a different value. It reports whether it found such a record.
func (m *mutator) conflict(od objDesc, rec *seed.Record, slot int) bool {
	e, ok := m.ent[recKey{od.sys, od.obj, rec.ID}]
	if !ok || (od.kind == kindPerson && slot == pStatus) {
		return false
	}
	for _, k := range m.members[e] {
		if k.sys == od.sys {
			continue
		}
		other := m.rec(k)
		if other == nil || other.Archived {
			continue
		}
		otherDesc := descOf(k.sys, k.obj)
		if otherDesc.keys == nil || otherDesc.keys[slot] == "" {
			continue
		}
		mine := normalizeForCompare(rec.Values[od.keys[slot]])
		for range 6 {
			m.edit(otherDesc, other, slot)
			if normalizeForCompare(other.Values[otherDesc.keys[slot]]) != mine {
				break
			}
		}
		m.touch(otherDesc, other)
		m.stats[k.sys][k.obj].Conflicts++
		return true
	}
	return false
}

func normalizeForCompare(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// create adds one new record to the object: a duplicate of a known entity
// now and then, otherwise a new entity.
func (m *mutator) create(od objDesc) {
	r := m.r
	st := m.stats[od.sys][od.obj]
	var values map[string]string
	var ent string
	if chance(r, 0.3) {
		values, ent = m.duplicate(od)
	}
	if values == nil {
		values, ent = m.fresh(od)
	}
	if values == nil {
		return
	}
	t := m.stamp()
	rec := seed.Record{ID: m.nextID(od), Values: values, CreatedAt: t, UpdatedAt: t}
	m.d.Objects[od.sys][od.obj] = append(m.d.Objects[od.sys][od.obj], rec)
	k := recKey{od.sys, od.obj, rec.ID}
	m.pos[k] = len(m.d.Objects[od.sys][od.obj]) - 1
	if _, known := m.members[ent]; known {
		st.Duplicates++
	}
	m.members[ent] = append(m.members[ent], k)
	m.ent[k] = ent
	m.touched[k] = true
	m.d.Truth = append(m.d.Truth, seed.TruthRow{System: od.sys, Object: od.obj, RecordID: rec.ID, EntityID: ent})
	st.Created++
}

// nextID continues the object's id sequence past every id in use.
func (m *mutator) nextID(od objDesc) string {
	key := od.sys + "/" + od.obj
	next, ok := m.next[key]
	if !ok {
		next = 1
		if !od.sf {
			next = hsFirstID
		}
		prefix := sfPrefix[od.obj]
		for _, r := range m.d.Objects[od.sys][od.obj] {
			if !od.sf {
				if n, err := strconv.ParseUint(r.ID, 10, 63); err == nil && n >= next {
					next = n + 1
				}
			} else if n, ok := sfCounter(r.ID, prefix); ok && n >= next {
				next = n + 1
			}
		}
	}
	for {
		var id string
		if od.sf {
			id = sfID(sfPrefix[od.obj], next)
		} else {
			id = strconv.FormatUint(next, 10)
		}
		next++
		if _, used := m.pos[recKey{od.sys, od.obj, id}]; !used {
			m.next[key] = next
			return id
		}
	}
}

// randomLive picks a live record of an object, weighted by nothing but
// position (nil if none).
func (m *mutator) randomLive(sys, obj string) *seed.Record {
	recs := m.d.Objects[sys][obj]
	if len(recs) == 0 {
		return nil
	}
	for range 8 {
		if rec := &recs[m.r.IntN(len(recs))]; !rec.Archived {
			return rec
		}
	}
	return nil
}

// descOf finds the descriptor of an object.
func descOf(sys, obj string) objDesc {
	for _, o := range objDescs {
		if o.sys == sys && o.obj == obj {
			return o
		}
	}
	return objDesc{}
}

// duplicate copies a random record of the same kind (either system) into
// od with the variants copies carry.
func (m *mutator) duplicate(od objDesc) (map[string]string, string) {
	r := m.r
	var cands []objDesc
	for _, o := range objDescs {
		if o.kind == od.kind && len(m.d.Objects[o.sys][o.obj]) > 0 {
			cands = append(cands, o)
		}
	}
	if len(cands) == 0 {
		return nil, ""
	}
	src := cands[r.IntN(len(cands))]
	srec := m.randomLive(src.sys, src.obj)
	if srec == nil {
		return nil, ""
	}
	ent, ok := m.ent[recKey{src.sys, src.obj, srec.ID}]
	if !ok {
		return nil, ""
	}
	f := make([]string, len(src.keys))
	for i, k := range src.keys {
		if k != "" {
			f[i] = srec.Values[k]
		}
	}
	for i := range f {
		if f[i] == "" {
			continue
		}
		if chance(r, 0.1) {
			f[i] = ""
			continue
		}
		f[i] = m.perturb(od, i, f[i])
	}
	assoc := ""
	switch od.kind {
	case kindPerson:
		// The company: from the source's association or text.
		if src.assoc != "" {
			if co := m.counterpart(src.sys, srec.Values[src.assoc], od.sys); co != nil {
				if od.assoc != "" {
					assoc = co.ID
				}
				if f[pCompany] == "" {
					f[pCompany] = co.Values[descOf(od.sys, companyObject(od.sys)).keys[cName]]
				}
			}
		}
		if od.obj == "Lead" && f[pCompany] == "" {
			f[pCompany] = leadNoCompany
		}
		if od.sf && f[pLast] == "" {
			f[pLast] = srec.Values[src.keys[pLast]]
			if f[pLast] == "" {
				f[pLast] = "Unknown"
			}
		}
		f[pStatus] = ""
		if od.obj == "Lead" {
			f[pStatus] = leadStatuses[0]
		} else if !od.sf {
			f[pStatus] = lifecycleStages[1]
		}
	case kindDeal:
		if co := m.counterpart(src.sys, srec.Values[src.assoc], od.sys); co != nil {
			assoc = co.ID
		}
		if i := slices.Index(hsDealStages, f[dStage]); i >= 0 && od.sf {
			f[dStage] = sfOppStages[i]
		} else if i := slices.Index(sfOppStages, f[dStage]); i >= 0 && !od.sf {
			f[dStage] = hsDealStages[i]
		}
		if od.sf && f[dClose] == "" {
			f[dClose] = m.today.AddDate(0, 0, 30).Format(time.DateOnly)
		}
		if !od.sf {
			f[dPipeline] = "default"
		}
	case kindCompany:
		if f[cName] == "" {
			f[cName] = srec.Values[src.keys[cName]]
		}
	}
	if f[0] == "" && od.kind != kindPerson {
		return nil, ""
	}
	return toMap(f, od.keys, od.assoc, assoc), ent
}

// counterpart finds the company record of the same entity in system sys
// for a company record id of system fromSys.
func (m *mutator) counterpart(fromSys, id, sys string) *seed.Record {
	if id == "" {
		return nil
	}
	k := recKey{fromSys, companyObject(fromSys), id}
	if fromSys == sys {
		return m.rec(k)
	}
	e, ok := m.ent[k]
	if !ok {
		return nil
	}
	for _, o := range m.members[e] {
		if o.sys == sys && o.obj == companyObject(sys) {
			if rec := m.rec(o); rec != nil && !rec.Archived {
				return rec
			}
		}
	}
	return nil
}

// perturb applies the value-level variants of a duplicate to one slot.
func (m *mutator) perturb(od objDesc, slot int, v string) string {
	r := m.r
	switch od.kind {
	case kindPerson:
		switch slot {
		case pFirst:
			if n := nicknames[v]; len(n) > 0 && chance(r, 0.3) {
				v = pick(r, n)
			}
			return m.nameNoise(v)
		case pLast:
			return m.nameNoise(v)
		case pEmail:
			return m.emailVariant(strings.TrimSpace(strings.ToLower(v)), 1)
		case pPhone, pMobile:
			return m.rephone(v, od.sf)
		case pStreet:
			return reabbreviate(r, v)
		case pCompany:
			return m.resuffix(v)
		}
	case kindCompany:
		switch slot {
		case cName:
			return m.resuffix(v)
		case cDomain:
			return m.website(bareDomain(v), od.sf, 1)
		case cPhone:
			return m.rephone(v, od.sf)
		case cStreet:
			return reabbreviate(r, v)
		}
	case kindDeal:
		switch slot {
		case dName:
			if chance(r, 0.1) {
				return typo(r, v)
			}
		case dAmount:
			if f, err := strconv.ParseFloat(v, 64); err == nil && chance(r, 0.3) {
				return strconv.FormatInt(int64(f)*int64(90+r.IntN(21))/100/100*100, 10)
			}
		}
	}
	return v
}

func (m *mutator) nameNoise(v string) string {
	r := m.r
	if hasNonASCII(v) && chance(r, 0.3) {
		v = foldASCII(v, chance(r, 0.5))
	}
	if chance(r, 0.1) {
		v = typo(r, v)
	}
	if chance(r, 0.05) {
		v = recase(r, v)
	}
	return v
}

// rephone re-renders a phone number in another style when it can parse it.
func (m *mutator) rephone(v string, sf bool) string {
	var digits []byte
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			digits = append(digits, v[i])
		}
	}
	if len(digits) == 11 && digits[0] == '1' {
		digits = digits[1:]
	}
	if len(digits) != 10 || strings.HasPrefix(strings.TrimSpace(v), "+") && !strings.HasPrefix(strings.TrimSpace(v), "+1") {
		return v
	}
	return m.phoneText(phone{country: ctryUS, area: string(digits[:3]), sub: string(digits[3:])}, sf)
}

// reabbreviate swaps the street-type spelling of an address line.
func reabbreviate(r *rand.Rand, v string) string {
	for _, forms := range streetTypes {
		for _, f := range forms {
			if i := strings.Index(v, " "+f); i >= 0 {
				end := i + 1 + len(f)
				if end < len(v) && v[end] != ' ' && v[end] != ',' {
					continue
				}
				return v[:i+1] + pick(r, forms) + v[end:]
			}
		}
	}
	return v
}

// resuffix swaps the legal-form spelling of a company name.
func (m *mutator) resuffix(v string) string {
	r := m.r
	for _, groups := range legalSuffixes {
		for _, forms := range groups {
			for _, f := range forms {
				if strings.HasSuffix(v, f) {
					return strings.TrimSuffix(v, f) + pick(r, forms)
				}
			}
		}
	}
	if chance(r, 0.2) {
		return strings.ToUpper(v)
	}
	return v
}

// bareDomain strips scheme, www and path from a website.
func bareDomain(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
	v = strings.TrimPrefix(v, "www.")
	if i := strings.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	return v
}

// fresh creates the values of a record of a new entity.
func (m *mutator) fresh(od objDesc) (map[string]string, string) {
	r := m.r
	m.maxEnt[od.kind]++
	ent := entityID(od.kind, m.maxEnt[od.kind])
	switch od.kind {
	case kindCompany:
		c := m.newCompany()
		f := make([]string, nCF)
		m.companyFields(&c, f, false, false, od.sf)
		return toMap(f, od.keys, "", ""), ent
	case kindPerson:
		var comp *company
		assoc := ""
		if crec := m.randomLive(od.sys, companyObject(od.sys)); crec != nil && chance(r, 0.8) {
			comp = companyFromRecord(descOf(od.sys, companyObject(od.sys)), crec, m.generator)
			assoc = crec.ID
		}
		p := m.newPerson(comp)
		f := make([]string, nPF)
		m.personFields(&p, f, false, false, od.sf)
		switch {
		case od.obj == "Lead":
			if f[pCompany] == "" {
				f[pCompany] = leadNoCompany
			}
			f[pStatus] = leadStatuses[0]
			assoc = ""
		case !od.sf:
			f[pStatus] = pick(r, lifecycleStages[:2])
		}
		if od.assoc == "" {
			assoc = ""
		}
		return toMap(f, od.keys, od.assoc, assoc), ent
	default:
		crec := m.randomLive(od.sys, companyObject(od.sys))
		var comp *company
		assoc := ""
		if crec != nil {
			comp = companyFromRecord(descOf(od.sys, companyObject(od.sys)), crec, m.generator)
			assoc = crec.ID
		}
		dl := m.newDeal(comp)
		dl.stage = r.IntN(2)
		if dl.close.Before(m.today) {
			dl.close = m.today.AddDate(0, 0, 30+r.IntN(90))
		}
		f := make([]string, nDF)
		m.dealFields(&dl, f, false, od.sf)
		return toMap(f, od.keys, od.assoc, assoc), ent
	}
}

// companyFromRecord rebuilds enough of a company from its record to
// render people and deals that belong to it.
func companyFromRecord(od objDesc, rec *seed.Record, g *generator) *company {
	v := rec.Values
	c := &company{root: v[od.keys[cName]], domain: bareDomain(v[od.keys[cDomain]]), country: ctryUS, emailPattern: uint8(g.r.IntN(6))}
	want := strings.ToLower(v[od.keys[cCountry]])
	for ctry, names := range countryNames {
		for _, n := range names {
			if strings.ToLower(n) == want {
				c.country = uint8(ctry)
			}
		}
	}
	c.city = g.cityOf(c.country)
	for i, ct := range citiesByCountry[c.country] {
		if strings.EqualFold(ct.name, v[od.keys[cCity]]) {
			c.city = &citiesByCountry[c.country][i]
		}
	}
	c.phone = g.newPhone(c.city)
	return c
}
