package hubspot

import (
	"math"
	"sync"
	"sync/atomic"
)

// genMutex is the server's RWMutex that counts write locks: every change to
// the stores happens under Lock, so an unchanged generation means unchanged
// records, which lets search reuse a query's matches from page to page.
type genMutex struct {
	sync.RWMutex
	gen atomic.Uint64
}

// Lock locks for writing and moves the generation on.
func (m *genMutex) Lock() {
	m.RWMutex.Lock()
	m.gen.Add(1)
}

// searchHit is one query's outcome at one generation: how many records
// match and the first searchMaxResults of them in result order (no page may
// reach past that).
type searchHit struct {
	key   string
	gen   uint64
	total int
	recs  []*record
}

// searchCache keeps the last few queries, so paging one search (after = 0,
// 200, 400, ...) scans the store once instead of once per page.
type searchCache struct {
	mu   sync.Mutex
	hits []*searchHit // most recent last
}

const searchCacheSize = 4

func (c *searchCache) get(key string, gen uint64) *searchHit {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range c.hits {
		if h.key == key && h.gen == gen {
			return h
		}
	}
	return nil
}

func (c *searchCache) put(h *searchHit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept := c.hits[:0]
	for _, o := range c.hits {
		if o.gen == h.gen && o.key != h.key { // older generations are dead
			kept = append(kept, o)
		}
	}
	if len(kept) >= searchCacheSize {
		kept = kept[1:]
	}
	c.hits = append(kept, h)
}

// idLowerBound is the smallest id a record must have to match groups: every
// group needs an hs_object_id GT, GTE, EQ or BETWEEN filter for a bound; 0
// when some group has none. Scans may start there (records below cannot
// match, so counts and pages are unchanged).
func idLowerBound(groups [][]*compiledFilter) uint64 {
	if len(groups) == 0 {
		return 0
	}
	lo := math.Inf(1)
	for _, g := range groups {
		gb := 0.0
		for _, f := range g {
			if f.name != "hs_object_id" || !f.numeric {
				continue
			}
			var b float64
			switch f.op {
			case "GT":
				b = math.Floor(f.num) + 1
			case "GTE", "EQ", "BETWEEN":
				b = math.Ceil(f.num)
			default:
				continue
			}
			gb = max(gb, b)
		}
		lo = min(lo, gb)
	}
	if !(lo > 0) || lo >= 1<<63 {
		return 0
	}
	return uint64(lo)
}
