package gen

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/seed"
)

// objects lists every system/object pair the generator fills.
var objects = []struct{ sys, obj string }{
	{seed.HubSpot, "companies"}, {seed.HubSpot, "contacts"}, {seed.HubSpot, "deals"},
	{seed.Salesforce, "Account"}, {seed.Salesforce, "Contact"}, {seed.Salesforce, "Lead"}, {seed.Salesforce, "Opportunity"},
}

// cache keeps generated datasets per options; tests must not modify them.
var cache = map[Options]*seed.Dataset{}

func generated(t testing.TB, o Options) *seed.Dataset {
	t.Helper()
	if d, ok := cache[o]; ok {
		return d
	}
	d := Generate(o)
	cache[o] = d
	return d
}

// clone deep-copies a dataset so that Mutate can work on it.
func clone(d *seed.Dataset) *seed.Dataset {
	c := seed.NewDataset()
	for sys, objs := range d.Objects {
		for obj, recs := range objs {
			cp := make([]seed.Record, len(recs))
			for i, r := range recs {
				r.Values = maps.Clone(r.Values)
				cp[i] = r
			}
			c.Objects[sys][obj] = cp
		}
	}
	for sys, objs := range d.Columns {
		for obj, cols := range objs {
			c.Columns[sys][obj] = slices.Clone(cols)
		}
	}
	c.Truth = slices.Clone(d.Truth)
	return c
}

// entityOf maps "system/object/id" to the entity id.
func entityOf(d *seed.Dataset) map[string]string {
	m := make(map[string]string, len(d.Truth))
	for _, t := range d.Truth {
		m[t.System+"/"+t.Object+"/"+t.RecordID] = t.EntityID
	}
	return m
}

func kindOf(obj string) byte {
	switch obj {
	case "companies", "Account":
		return 'c'
	case "deals", "Opportunity":
		return 'd'
	}
	return 'p'
}

var small = Options{People: 2000, Seed: 42}

func TestDeterminism(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a := Generate(small)
	if err := seed.Write(a, dirA); err != nil {
		t.Fatal(err)
	}
	if err := seed.Write(Generate(small), dirB); err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		name := filepath.Join(o.sys, o.obj+".csv")
		fa, err := os.ReadFile(filepath.Join(dirA, name))
		if err != nil {
			t.Fatal(err)
		}
		fb, _ := os.ReadFile(filepath.Join(dirB, name))
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	ta, _ := os.ReadFile(filepath.Join(dirA, "truth.csv"))
	tb, _ := os.ReadFile(filepath.Join(dirB, "truth.csv"))
	if !bytes.Equal(ta, tb) {
		t.Error("truth.csv differs between two runs with the same seed")
	}
	if !reflect.DeepEqual(a, Generate(small)) {
		t.Error("same seed gave different datasets (times or flags)")
	}
	other := small
	other.Seed++
	if reflect.DeepEqual(a.Objects, Generate(other).Objects) {
		t.Error("different seeds gave the same records")
	}
}

func TestCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		tol  float64 // relative tolerance on per-system entity counts
	}{
		{"small", Options{People: 1000, Seed: 1}, 0.12},
		{"default", Options{Seed: 1}, 0.04},
		{"explicit", Options{People: 3000, Companies: 100, Deals: 50, Seed: 9}, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := generated(t, tc.opts)
			o := tc.opts.withDefaults()
			want := map[byte]int{'p': o.People, 'c': o.Companies, 'd': o.Deals}
			dupMax := map[byte]float64{'p': 0.12, 'c': 0.12, 'd': 0.08}
			ent := entityOf(d)
			for _, sys := range []string{seed.HubSpot, seed.Salesforce} {
				distinct := map[byte]map[string]bool{'p': {}, 'c': {}, 'd': {}}
				records := map[byte]int{}
				for _, ob := range objects {
					if ob.sys != sys {
						continue
					}
					for _, r := range d.Records(sys, ob.obj) {
						k := kindOf(ob.obj)
						distinct[k][ent[sys+"/"+ob.obj+"/"+r.ID]] = true
						records[k]++
					}
				}
				for k, n := range want {
					got := len(distinct[k])
					if lo, hi := float64(n)*(1-tc.tol), float64(n)*(1+tc.tol); float64(got) < lo || float64(got) > hi {
						t.Errorf("%s: %d distinct %c entities, want %d ±%.0f%%", sys, got, k, n, tc.tol*100)
					}
					if r := records[k]; r < got || float64(r) > float64(got)*(1+dupMax[k])+5 { // +5: small samples
						t.Errorf("%s: %d %c records for %d entities", sys, r, k, got)
					}
				}
			}
			if c, l := len(d.Records(seed.Salesforce, "Contact")), len(d.Records(seed.Salesforce, "Lead")); c == 0 || l == 0 {
				t.Errorf("Salesforce persons: %d Contacts, %d Leads; want both", c, l)
			}
		})
	}
}

func TestTruthCoversRecords(t *testing.T) {
	d := generated(t, small)
	rows := map[string]int{}
	for _, tr := range d.Truth {
		rows[tr.System+"/"+tr.Object+"/"+tr.RecordID]++
		if len(tr.EntityID) < 2 || tr.EntityID[0] != kindOf(tr.Object) {
			t.Errorf("truth row %+v: entity id does not name the %c kind", tr, kindOf(tr.Object))
		}
	}
	n := 0
	for _, o := range objects {
		for _, r := range d.Records(o.sys, o.obj) {
			n++
			if c := rows[o.sys+"/"+o.obj+"/"+r.ID]; c != 1 {
				t.Errorf("%s/%s/%s has %d truth rows", o.sys, o.obj, r.ID, c)
			}
		}
	}
	if n != len(d.Truth) {
		t.Errorf("%d records but %d truth rows (some name no record)", n, len(d.Truth))
	}
}

func TestOverlap(t *testing.T) {
	d := generated(t, Options{Seed: 1})
	ent := entityOf(d)
	in := map[string]map[string]bool{}
	for _, o := range objects {
		for _, r := range d.Records(o.sys, o.obj) {
			e := ent[o.sys+"/"+o.obj+"/"+r.ID]
			if in[e] == nil {
				in[e] = map[string]bool{}
			}
			in[e][o.sys] = true
		}
	}
	for _, tc := range []struct {
		kind      byte
		want, tol float64
	}{{'p', personBoth, 0.02}, {'c', companyBoth, 0.04}, {'d', dealBoth, 0.04}} {
		both, all := 0, 0
		for e, s := range in {
			if e[0] != tc.kind {
				continue
			}
			all++
			if len(s) == 2 {
				both++
			}
		}
		if got := float64(both) / float64(all); got < tc.want-tc.tol || got > tc.want+tc.tol {
			t.Errorf("%c: %.3f of entities in both systems, want %.2f", tc.kind, got, tc.want)
		}
	}
}

func TestDuplicatesWithinSystems(t *testing.T) {
	d := generated(t, Options{Seed: 1})
	ent := entityOf(d)
	for _, sys := range []string{seed.HubSpot, seed.Salesforce} {
		count := map[string]int{}
		for _, o := range objects {
			if o.sys != sys || kindOf(o.obj) != 'p' {
				continue
			}
			for _, r := range d.Records(sys, o.obj) {
				count[ent[sys+"/"+o.obj+"/"+r.ID]]++
			}
		}
		dup := 0
		for _, c := range count {
			if c > 1 {
				dup++
			}
		}
		if share := float64(dup) / float64(len(count)); share < 0.05 || share > 0.08 {
			t.Errorf("%s: %.3f of persons have a duplicate, want 5-8%%", sys, share)
		}
	}
}

// personView extracts comparable fields of a person record in any object.
type personView struct{ first, last, email, phone string }

func viewOf(sys, obj string, r seed.Record) personView {
	keys := hsContactKeys
	switch obj {
	case "Contact":
		keys = sfContactKeys
	case "Lead":
		keys = sfLeadKeys
	}
	_ = sys
	return personView{r.Values[keys[pFirst]], r.Values[keys[pLast]], r.Values[keys[pEmail]], r.Values[keys[pPhone]]}
}

func TestVariantsDiffer(t *testing.T) {
	d := generated(t, Options{Seed: 1})
	ent := entityOf(d)
	byEnt := map[string][]personView{}
	for _, o := range objects {
		if kindOf(o.obj) != 'p' {
			continue
		}
		for _, r := range d.Records(o.sys, o.obj) {
			e := ent[o.sys+"/"+o.obj+"/"+r.ID]
			byEnt[e] = append(byEnt[e], viewOf(o.sys, o.obj, r))
		}
	}
	type tally struct{ pairs, differ int }
	var first, last, email, phone tally
	cmp := func(t *tally, a, b string) {
		if a == "" || b == "" {
			return
		}
		t.pairs++
		if a != b {
			t.differ++
		}
	}
	for _, vs := range byEnt {
		for i := 1; i < len(vs); i++ {
			a, b := vs[0], vs[i]
			cmp(&first, a.first, b.first)
			cmp(&last, a.last, b.last)
			cmp(&email, a.email, b.email)
			cmp(&phone, a.phone, b.phone)
		}
	}
	for _, tc := range []struct {
		field  string
		t      tally
		lo, hi float64
	}{
		{"first name", first, 0.05, 0.6},
		{"last name", last, 0.03, 0.5},
		{"email", email, 0.05, 0.6},
		{"phone", phone, 0.3, 1},
	} {
		if tc.t.pairs < 100 {
			t.Errorf("%s: only %d comparable pairs", tc.field, tc.t.pairs)
			continue
		}
		if share := float64(tc.t.differ) / float64(tc.t.pairs); share < tc.lo || share > tc.hi {
			t.Errorf("%s: %.3f of same-entity pairs differ, want %.2f-%.2f", tc.field, share, tc.lo, tc.hi)
		}
	}
}

func TestMissingValues(t *testing.T) {
	d := generated(t, Options{Seed: 1})
	for _, tc := range []struct {
		sys, obj, field string
		lo, hi          float64
	}{
		{seed.HubSpot, "contacts", "email", 0.08, 0.25},
		{seed.HubSpot, "contacts", "phone", 0.2, 0.3},
		{seed.HubSpot, "contacts", "date_of_birth", 0.25, 0.35},
		{seed.Salesforce, "Contact", "LastName", 0, 0},
		{seed.Salesforce, "Lead", "Company", 0, 0},
		{seed.Salesforce, "Opportunity", "CloseDate", 0, 0},
		{seed.Salesforce, "Account", "Website", 0.07, 0.13},
	} {
		recs := d.Records(tc.sys, tc.obj)
		miss := 0
		for _, r := range recs {
			if r.Values[tc.field] == "" {
				miss++
			}
		}
		if share := float64(miss) / float64(len(recs)); share < tc.lo || share > tc.hi {
			t.Errorf("%s/%s.%s missing in %.3f, want %.2f-%.2f", tc.sys, tc.obj, tc.field, share, tc.lo, tc.hi)
		}
	}
}

// checkIDs verifies id shape and uniqueness of every object.
func checkIDs(t *testing.T, d *seed.Dataset) {
	t.Helper()
	for _, o := range objects {
		seen := map[string]bool{}
		for _, r := range d.Records(o.sys, o.obj) {
			if seen[r.ID] {
				t.Errorf("%s/%s: id %s used twice", o.sys, o.obj, r.ID)
			}
			seen[r.ID] = true
			if o.sys == seed.HubSpot {
				if n, err := strconv.Atoi(r.ID); err != nil || n < hsFirstID {
					t.Errorf("%s/%s: id %q is not a HubSpot id", o.sys, o.obj, r.ID)
				}
				continue
			}
			n, ok := sfCounter(r.ID, sfPrefix[o.obj])
			if !ok || sfID(sfPrefix[o.obj], n) != r.ID {
				t.Errorf("%s/%s: id %q is not an 18-character %s id with a valid checksum", o.sys, o.obj, r.ID, sfPrefix[o.obj])
			}
		}
	}
}

func TestIDs(t *testing.T) {
	checkIDs(t, generated(t, small))
	if got := sfID("003", 1); got != "003Dn0000000001IAA" {
		t.Errorf("sfID(003, 1) = %s", got)
	}
}

// checkAssociations verifies that associations point at companies of the
// same system.
func checkAssociations(t *testing.T, d *seed.Dataset, wantAll bool) {
	t.Helper()
	ids := func(sys, obj string) map[string]bool {
		m := map[string]bool{}
		for _, r := range d.Records(sys, obj) {
			m[r.ID] = true
		}
		return m
	}
	hsCo, sfAcc := ids(seed.HubSpot, "companies"), ids(seed.Salesforce, "Account")
	for _, tc := range []struct {
		sys, obj, field string
		targets         map[string]bool
		always          bool
	}{
		{seed.HubSpot, "contacts", hsAssoc, hsCo, false},
		{seed.HubSpot, "deals", hsAssoc, hsCo, true},
		{seed.Salesforce, "Contact", sfAssoc, sfAcc, false},
		{seed.Salesforce, "Opportunity", sfAssoc, sfAcc, true},
	} {
		linked := 0
		recs := d.Records(tc.sys, tc.obj)
		for _, r := range recs {
			v := r.Values[tc.field]
			if v == "" {
				if tc.always && wantAll {
					t.Errorf("%s/%s %s has no %s", tc.sys, tc.obj, r.ID, tc.field)
				}
				continue
			}
			linked++
			if !tc.targets[v] {
				t.Errorf("%s/%s %s: %s %s names no company of the same system", tc.sys, tc.obj, r.ID, tc.field, v)
			}
		}
		if linked < len(recs)/3 {
			t.Errorf("%s/%s: only %d of %d records are associated", tc.sys, tc.obj, linked, len(recs))
		}
	}
}

func TestAssociations(t *testing.T) {
	d := generated(t, small)
	checkAssociations(t, d, true)
	// Deals of an entity in both systems belong to the same company entity.
	ent := entityOf(d)
	dealCo := map[string]map[string]string{}
	for _, o := range []struct{ sys, obj, co, field string }{
		{seed.HubSpot, "deals", "companies", hsAssoc}, {seed.Salesforce, "Opportunity", "Account", sfAssoc},
	} {
		for _, r := range d.Records(o.sys, o.obj) {
			e := ent[o.sys+"/"+o.obj+"/"+r.ID]
			if dealCo[e] == nil {
				dealCo[e] = map[string]string{}
			}
			dealCo[e][o.sys] = ent[o.sys+"/"+o.co+"/"+r.Values[o.field]]
		}
	}
	for e, m := range dealCo {
		if len(m) == 2 && m[seed.HubSpot] != m[seed.Salesforce] {
			t.Errorf("deal %s belongs to %s in HubSpot but %s in Salesforce", e, m[seed.HubSpot], m[seed.Salesforce])
		}
	}
}

func TestValuesAndColumns(t *testing.T) {
	d := generated(t, small)
	o := small.withDefaults()
	for _, ob := range objects {
		cols := d.Columns[ob.sys][ob.obj]
		if len(cols) == 0 {
			t.Fatalf("%s/%s has no columns", ob.sys, ob.obj)
		}
		for _, r := range d.Records(ob.sys, ob.obj) {
			for k, v := range r.Values {
				if !slices.Contains(cols, k) {
					t.Fatalf("%s/%s %s: field %s not in columns %v", ob.sys, ob.obj, r.ID, k, cols)
				}
				if v == "" {
					t.Fatalf("%s/%s %s: empty value for %s (absent keys mean null)", ob.sys, ob.obj, r.ID, k)
				}
			}
			if r.UpdatedAt.After(o.Now) || r.UpdatedAt.Before(o.Now.Add(-history)) || r.CreatedAt.After(r.UpdatedAt) {
				t.Fatalf("%s/%s %s: times created %v updated %v outside the window", ob.sys, ob.obj, r.ID, r.CreatedAt, r.UpdatedAt)
			}
		}
	}
	for _, r := range d.Records(seed.HubSpot, "contacts") {
		if v := r.Values["lifecyclestage"]; v != "" && !slices.Contains(lifecycleStages, v) {
			t.Fatalf("contact %s: lifecyclestage %q", r.ID, v)
		}
		if v := r.Values["date_of_birth"]; v != "" {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				t.Fatalf("contact %s: date_of_birth %q", r.ID, v)
			}
		}
	}
	for _, r := range d.Records(seed.Salesforce, "Opportunity") {
		if !slices.Contains(sfOppStages, r.Values["StageName"]) {
			t.Fatalf("opportunity %s: StageName %q", r.ID, r.Values["StageName"])
		}
		if _, err := time.Parse(time.DateOnly, r.Values["CloseDate"]); err != nil {
			t.Fatalf("opportunity %s: CloseDate %q", r.ID, r.Values["CloseDate"])
		}
		if _, err := strconv.ParseFloat(r.Values["Amount"], 64); r.Values["Amount"] != "" && err != nil {
			t.Fatalf("opportunity %s: Amount %q", r.ID, r.Values["Amount"])
		}
	}
	for _, r := range d.Records(seed.HubSpot, "deals") {
		if !slices.Contains(hsDealStages, r.Values["dealstage"]) || r.Values["pipeline"] != "default" {
			t.Fatalf("deal %s: dealstage %q pipeline %q", r.ID, r.Values["dealstage"], r.Values["pipeline"])
		}
	}
}

func TestWriteLoadRoundTrip(t *testing.T) {
	d := Generate(Options{People: 300, Seed: 5})
	dir := t.TempDir()
	if err := seed.Write(d, dir); err != nil {
		t.Fatal(err)
	}
	got, err := seed.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objects {
		want, have := d.Records(o.sys, o.obj), got.Records(o.sys, o.obj)
		if len(want) != len(have) {
			t.Fatalf("%s/%s: wrote %d records, loaded %d", o.sys, o.obj, len(want), len(have))
		}
		for i := range want {
			if want[i].ID != have[i].ID || !maps.Equal(want[i].Values, have[i].Values) {
				t.Fatalf("%s/%s record %d: wrote %s %v, loaded %s %v", o.sys, o.obj, i, want[i].ID, want[i].Values, have[i].ID, have[i].Values)
			}
		}
		if !slices.Equal(d.Columns[o.sys][o.obj], got.Columns[o.sys][o.obj]) {
			t.Errorf("%s/%s: columns %v, loaded %v", o.sys, o.obj, d.Columns[o.sys][o.obj], got.Columns[o.sys][o.obj])
		}
	}
	if !slices.Equal(d.Truth, got.Truth) {
		t.Error("truth differs after the round trip")
	}
}

func TestMutate(t *testing.T) {
	base := generated(t, Options{Seed: 3})
	for _, tc := range []struct {
		name string
		rate float64
	}{{"default rate", 0}, {"five percent", 0.05}} {
		t.Run(tc.name, func(t *testing.T) {
			rate := tc.rate
			if rate == 0 {
				rate = 0.01
			}
			opts := MutateOptions{Day: 1, Seed: 3, ChangeRate: tc.rate}
			a, b := clone(base), clone(base)
			sa, sb := Mutate(a, opts), Mutate(b, opts)
			if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(sa, sb) {
				t.Fatal("Mutate with the same seed and day gave different results")
			}
			c := clone(base)
			if Mutate(c, MutateOptions{Day: 2, Seed: 3, ChangeRate: tc.rate}); reflect.DeepEqual(a.Objects, c.Objects) {
				t.Error("different days gave the same changes")
			}
			now := defaultNow().AddDate(0, 0, 1)
			start := now.Add(-day)
			for _, o := range objects {
				before, after := base.Records(o.sys, o.obj), a.Records(o.sys, o.obj)
				st := sa.Objects[o.sys][o.obj]
				changed, archived := 0, 0
				for i, r := range after {
					inDay := r.UpdatedAt.After(start) && !r.UpdatedAt.After(now)
					if i >= len(before) {
						if !inDay || r.CreatedAt.After(r.UpdatedAt) {
							t.Errorf("%s/%s new record %s: times %v / %v", o.sys, o.obj, r.ID, r.CreatedAt, r.UpdatedAt)
						}
						continue
					}
					if before[i].ID != r.ID {
						t.Fatalf("%s/%s: record %d changed id", o.sys, o.obj, i)
					}
					if !reflect.DeepEqual(before[i], r) {
						if !inDay {
							t.Errorf("%s/%s %s changed but UpdatedAt %v is outside the day", o.sys, o.obj, r.ID, r.UpdatedAt)
						}
						if r.Archived {
							archived++
						} else {
							changed++
						}
					} else if inDay {
						t.Errorf("%s/%s %s untouched but stamped in the day", o.sys, o.obj, r.ID)
					}
				}
				if changed != st.Updated || archived != st.Archived || len(after)-len(before) != st.Created {
					t.Errorf("%s/%s: observed %d updated, %d archived, %d created; stats say %+v", o.sys, o.obj, changed, archived, len(after)-len(before), st)
				}
				if share := float64(changed) / float64(len(before)); share < rate*0.6 || share > rate*1.6 {
					t.Errorf("%s/%s: %.4f of records edited, want about %.2f", o.sys, o.obj, share, rate)
				}
			}
			tot := sa.Total()
			if tot.Conflicts == 0 || tot.Created == 0 || tot.Duplicates == 0 || tot.Archived == 0 {
				t.Errorf("a day should bring conflicts, new records, duplicates and archives: %+v", tot)
			}
			checkIDs(t, a)
			checkAssociations(t, a, false)
			rows := map[string]int{}
			for _, tr := range a.Truth {
				rows[tr.System+"/"+tr.Object+"/"+tr.RecordID]++
			}
			for _, o := range objects {
				for _, r := range a.Records(o.sys, o.obj) {
					if rows[o.sys+"/"+o.obj+"/"+r.ID] != 1 {
						t.Errorf("%s/%s %s: %d truth rows after Mutate", o.sys, o.obj, r.ID, rows[o.sys+"/"+o.obj+"/"+r.ID])
					}
				}
			}
		})
	}
}

func TestMutateConflicts(t *testing.T) {
	base := generated(t, Options{Seed: 3})
	d := clone(base)
	st := Mutate(d, MutateOptions{Day: 1, Seed: 8, ChangeRate: 0.05})
	// A conflict leaves the same entity edited in both systems today.
	ent := entityOf(d)
	start := defaultNow()
	editedIn := map[string]map[string]bool{}
	for _, o := range objects {
		before := base.Records(o.sys, o.obj)
		for i, r := range d.Records(o.sys, o.obj) {
			if i < len(before) && r.UpdatedAt.After(start) && !r.Archived {
				e := ent[o.sys+"/"+o.obj+"/"+r.ID]
				if editedIn[e] == nil {
					editedIn[e] = map[string]bool{}
				}
				editedIn[e][o.sys] = true
			}
		}
	}
	both := 0
	for _, s := range editedIn {
		if len(s) == 2 {
			both++
		}
	}
	if tot := st.Total(); both < tot.Conflicts/2 || tot.Conflicts == 0 {
		t.Errorf("%d conflicts reported, %d entities edited in both systems", tot.Conflicts, both)
	}
}

func TestMutateSeveralDays(t *testing.T) {
	d := clone(generated(t, small))
	n := d.Count()
	for day := 1; day <= 5; day++ {
		st := Mutate(d, MutateOptions{Day: day, Seed: 1})
		if st.Day != day {
			t.Fatalf("stats for day %d", st.Day)
		}
		n += st.Total().Created
		if d.Count() != n || len(d.Truth) != n {
			t.Fatalf("day %d: %d records, %d truth rows, want %d", day, d.Count(), len(d.Truth), n)
		}
	}
	checkIDs(t, d)
}

func TestSmallAndEmptyOptions(t *testing.T) {
	for _, o := range []Options{
		{People: 1, Seed: 1},
		{People: 5, Companies: -1, Deals: -1},
		{People: 50, Companies: 1, Deals: 3},
	} {
		t.Run(fmt.Sprint(o.People, o.Companies, o.Deals), func(t *testing.T) {
			d := Generate(o)
			checkIDs(t, d)
			if o.Companies < 0 && len(d.Records(seed.HubSpot, "companies"))+len(d.Records(seed.Salesforce, "Account")) != 0 {
				t.Error("companies generated although none were asked for")
			}
			Mutate(d, MutateOptions{Day: 1, ChangeRate: 0.5})
			checkIDs(t, d)
		})
	}
}

func TestSamples(t *testing.T) {
	// Spot checks of the kinds of variants the generator promises.
	d := generated(t, Options{Seed: 1})
	var all strings.Builder
	for _, o := range objects {
		for _, r := range d.Records(o.sys, o.obj) {
			for _, v := range r.Values {
				all.WriteString(v)
				all.WriteByte('\n')
			}
		}
	}
	s := all.String()
	for _, want := range []string{"Müller", "Mueller", "O'Brien", "+gmail", "@gmail.com", "@yahoo.com", " St.", " Street", "Ave", ", Inc.", "Incorporated", "https://www.", "(", "+1 ", "GmbH", "Closed Won", "closedwon", "[not provided]"} {
		if want == "+gmail" {
			if !strings.Contains(s, "+crm@gmail.com") && !strings.Contains(s, "+news@gmail.com") && !strings.Contains(s, "+work@gmail.com") {
				t.Error("no +tagged gmail address")
			}
			continue
		}
		if !strings.Contains(s, want) {
			t.Errorf("no value contains %q", want)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := Generate(Options{People: n, Seed: 1})
				b.ReportMetric(float64(d.Count()), "records")
			}
		})
	}
}

func BenchmarkMutate(b *testing.B) {
	base := Generate(Options{Seed: 1})
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		d := clone(base)
		b.StartTimer()
		Mutate(d, MutateOptions{Day: 1, Seed: 1})
	}
}

// TestNowMovesOnlyTimes: the demo passes the wall clock as Now, so all but
// the records' times must be the same at any Now. Close dates were drawn
// around Now and cut to whole days: an hour later some deals closed a day
// later, and the demo's deal F1 moved with the time of day. Two Nows 200
// days and some hours apart must give the same records, from Generate and
// from a day of Mutate, each time moved by exactly the difference.
func TestNowMovesOnlyTimes(t *testing.T) {
	o := Options{People: 1500, Seed: 9, Now: time.Date(2026, 12, 7, 14, 30, 0, 0, time.UTC)}
	shift := 200*day + 2*time.Hour + 28*time.Minute + 7*time.Millisecond
	later := o
	later.Now = o.Now.Add(shift)
	a, b := Generate(o), Generate(later)
	sameButTimes(t, "Generate", a, b, shift)

	sa := Mutate(a, MutateOptions{Day: 1, Seed: 9, Now: o.Now.Add(day), ChangeRate: 0.05})
	sb := Mutate(b, MutateOptions{Day: 1, Seed: 9, Now: later.Now.Add(day), ChangeRate: 0.05})
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("Mutate: stats %+v at one Now, %+v at the other", sa.Total(), sb.Total())
	}
	sameButTimes(t, "Mutate", a, b, shift)
}

// sameButTimes fails unless b is a with every record time moved by shift.
func sameButTimes(t *testing.T, what string, a, b *seed.Dataset, shift time.Duration) {
	t.Helper()
	if !reflect.DeepEqual(a.Truth, b.Truth) {
		t.Errorf("%s: the truth differs", what)
	}
	for _, o := range objects {
		ra, rb := a.Records(o.sys, o.obj), b.Records(o.sys, o.obj)
		if len(ra) != len(rb) {
			t.Errorf("%s %s/%s: %d records, %d at the later Now", what, o.sys, o.obj, len(ra), len(rb))
			continue
		}
		diffs := 0
		for i, x := range ra {
			y := rb[i]
			if x.ID == y.ID && x.Archived == y.Archived && maps.Equal(x.Values, y.Values) &&
				x.CreatedAt.Add(shift).Equal(y.CreatedAt) && x.UpdatedAt.Add(shift).Equal(y.UpdatedAt) {
				continue
			}
			if diffs++; diffs <= 3 {
				t.Errorf("%s %s/%s: record %d is %+v, at the later Now %+v", what, o.sys, o.obj, i, x, y)
			}
		}
		if diffs > 3 {
			t.Errorf("%s %s/%s: %d of %d records differ", what, o.sys, o.obj, diffs, len(ra))
		}
	}
}
