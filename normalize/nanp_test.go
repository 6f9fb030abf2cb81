package normalize

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/crmhub/crmhub/gen"
	"github.com/nyaruka/phonenumbers"
)

// The fast path must give what the library gives wherever it answers:
// generated CRM phone numbers of every country and style, hand-picked edge
// cases, and random strings over the characters it accepts.
func TestNANPMatchesLibrary(t *testing.T) {
	var num phonenumbers.PhoneNumber
	var hits, tried int
	check := func(phone, region string) {
		tried++
		e, ok := nanpE164(phone, region)
		if !ok {
			return
		}
		hits++
		if want := parsedE164(&num, phone, strings.ToUpper(region)); e != want {
			t.Errorf("nanpE164(%q, %q) = %q, the library %q", phone, region, e, want)
		}
	}
	regions := []string{"", "US", "us", "CA", "ca", "GB", "DE"}

	d := gen.Generate(gen.Options{People: 3000, Seed: 7, Now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	var generated int
	for _, objs := range d.Objects {
		for _, recs := range objs {
			for _, r := range recs {
				for _, f := range []string{"phone", "mobilephone", "Phone", "MobilePhone"} {
					if v := r.Values[f]; v != "" {
						generated++
						for _, reg := range regions {
							check(v, reg)
						}
					}
				}
			}
		}
	}
	if generated < 1000 {
		t.Fatalf("only %d generated phone numbers", generated)
	}

	for _, p := range []string{
		"(415) 555-0134", "415-555-0134", "415.555.0134", "+1 415 555 0134", "4155550134", "+14155550134",
		"1-415-555-0134", "415 555 0134", "+1 (415) 555-0134", "1 (415) 555-0134", " 415 555 0134 ",
		"0123456789", "1234567890", "11234567890", "+11234567890", "+1 023 456 7890", "+4155550134",
		"++14155550134", "1+4155550134", "415+5550134", "(415)555-0134", "((415)) 555--0134", "415)555(0134",
		"-415-555-0134", ".415.555.0134.", "+ 1 415 555 0134", "( +1 415 555 0134", "+1 415 555 01345",
		"800 555 0199", "900-555-0100", "(212) 555-0100", "1 212 555 0100", "+1-212-555-0100", "2125550100",
		"555-0134", "415 555 013", "", "+", "()", "1", "+1",
	} {
		for _, reg := range regions {
			check(p, reg)
		}
	}

	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789 ()-.+"
	for range 200_000 {
		var b strings.Builder
		if r.IntN(2) == 0 {
			// mostly digits: ten or eleven of them among a few separators
			n := 10 + r.IntN(2)
			for i := range n {
				if r.IntN(4) == 0 {
					b.WriteByte(alphabet[10+r.IntN(len(alphabet)-10)])
				}
				if i == 0 && n == 11 && r.IntN(2) == 0 {
					b.WriteByte('1')
					continue
				}
				b.WriteByte(byte('0' + r.IntN(10)))
			}
		} else {
			for range r.IntN(18) {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		}
		check(b.String(), regions[r.IntN(5)])
	}
	if hits < 50_000 {
		t.Fatalf("the fast path answered %d of %d inputs: too few to test it", hits, tried)
	}
	t.Logf("the fast path answered %d of %d inputs", hits, tried)
}
