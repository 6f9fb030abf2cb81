package hubspot

import (
	"encoding/binary"
	"slices"
)

// propKeys numbers the property names of one object type so records can
// store values by a small id instead of a name. Ids are handed out on first
// write and never reused; s.mu must be held for writing when a name is new.
type propKeys struct {
	ids   map[string]uint16
	names []string
}

func newPropKeys() *propKeys { return &propKeys{ids: map[string]uint16{}} }

// id returns the id of name, creating it when unknown.
func (k *propKeys) id(name string) uint16 {
	if id, ok := k.ids[name]; ok {
		return id
	}
	if len(k.names) > 0xFFFF {
		panic("hubspot sim: more than 65536 property names on one object type")
	}
	id := uint16(len(k.names))
	k.ids[name] = id
	k.names = append(k.names, name)
	return id
}

// propSet holds every value of one record in a single string so the heap
// keeps one pointer-free allocation per record instead of a map of strings.
// Layout: a 2-byte entry count n, then n entries of 6 bytes (property id as
// uint16 and end offset of its value as uint32, both little-endian, sorted
// by id), then the concatenated values. A present value may be empty.
type propSet string

const (
	psCount = 2
	psEntry = 6
)

// pv is one property value while a propSet is being built.
type pv struct {
	id    uint16
	value string
}

// makePropSet encodes vals; ids must be distinct.
func makePropSet(vals []pv) propSet {
	if len(vals) == 0 {
		return ""
	}
	return propSet(appendPropSet(nil, vals))
}

// appendPropSet appends the encoding of vals (sorted in place; ids must be
// distinct) to dst.
func appendPropSet(dst []byte, vals []pv) []byte {
	if len(vals) == 0 {
		return dst
	}
	slices.SortFunc(vals, func(a, b pv) int { return int(a.id) - int(b.id) })
	head := psCount + psEntry*len(vals)
	size := head
	for _, v := range vals {
		size += len(v.value)
	}
	dst = slices.Grow(dst, size)
	at := len(dst)
	buf := dst[:at+head]
	binary.LittleEndian.PutUint16(buf[at:], uint16(len(vals)))
	end := 0
	for i, v := range vals {
		end += len(v.value)
		e := buf[at+psCount+psEntry*i:]
		binary.LittleEndian.PutUint16(e, v.id)
		binary.LittleEndian.PutUint32(e[2:], uint32(end))
		buf = append(buf, v.value...)
	}
	return buf
}

func (p propSet) count() int {
	if p == "" {
		return 0
	}
	return int(p[0]) | int(p[1])<<8
}

// entry returns the id and value of the i-th entry; n is p.count().
func (p propSet) entry(i, n int) (uint16, string) {
	e := psCount + psEntry*i
	id := uint16(p[e]) | uint16(p[e+1])<<8
	end := le32(p[e+2:])
	start := uint32(0)
	if i > 0 {
		start = le32(p[e+2-psEntry:])
	}
	base := uint32(psCount + psEntry*n)
	return id, string(p[base+start : base+end])
}

func le32(s propSet) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// lookup returns the value of property id and whether it is present.
func (p propSet) lookup(id uint16) (string, bool) {
	n := p.count()
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := psCount + psEntry*m
		switch got := uint16(p[e]) | uint16(p[e+1])<<8; {
		case got == id:
			_, v := p.entry(m, n)
			return v, true
		case got < id:
			lo = m + 1
		default:
			hi = m
		}
	}
	return "", false
}

// pairs decodes every entry.
func (p propSet) pairs() []pv {
	n := p.count()
	out := make([]pv, n, n+1)
	for i := range n {
		out[i].id, out[i].value = p.entry(i, n)
	}
	return out
}

// with returns p with id set to value (possibly empty) or, when del is set,
// removed.
func (p propSet) with(id uint16, value string, del bool) propSet {
	vals := p.pairs()
	i := slices.IndexFunc(vals, func(v pv) bool { return v.id == id })
	switch {
	case del && i < 0:
		return p
	case del:
		vals = slices.Delete(vals, i, i+1)
	case i >= 0:
		if vals[i].value == value {
			return p
		}
		vals[i].value = value
	default:
		vals = append(vals, pv{id, value})
	}
	return makePropSet(vals)
}

// get returns the value of name and whether it is present.
func (r *record) get(name string) (string, bool) {
	id, ok := r.keys.ids[name]
	if !ok {
		return "", false
	}
	return r.props.lookup(id)
}

// prop returns the value of name, empty when absent.
func (r *record) prop(name string) string {
	v, _ := r.get(name)
	return v
}

// put stores value under name, an empty value included; s.mu must be held
// for writing.
func (r *record) put(name, value string) {
	r.props = r.props.with(r.keys.id(name), value, false)
}

// putAll stores vals (an empty value removes its property, as setValue
// does) and then last = lastValue, encoding the record once; s.mu must be
// held for writing.
func (r *record) putAll(vals map[string]string, last, lastValue string) {
	cur := r.props.pairs()
	set := func(id uint16, v string, del bool) {
		i := slices.IndexFunc(cur, func(p pv) bool { return p.id == id })
		switch {
		case del && i >= 0:
			cur = slices.Delete(cur, i, i+1)
		case del:
		case i >= 0:
			cur[i].value = v
		default:
			cur = append(cur, pv{id, v})
		}
	}
	for name, v := range vals {
		if v == "" {
			if id, ok := r.keys.ids[name]; ok {
				set(id, "", true)
			}
			continue
		}
		set(r.keys.id(name), v, false)
	}
	set(r.keys.id(last), lastValue, false)
	r.props = makePropSet(cur)
}

// drop removes name; s.mu must be held for writing.
func (r *record) drop(name string) {
	if id, ok := r.keys.ids[name]; ok {
		r.props = r.props.with(id, "", true)
	}
}

// propMap returns the record's values keyed by name.
func (r *record) propMap() map[string]string {
	n := r.props.count()
	out := make(map[string]string, n)
	for i := range n {
		id, v := r.props.entry(i, n)
		out[r.keys.names[id]] = v
	}
	return out
}

// setProps replaces every value of the record by vals.
func (r *record) setProps(vals map[string]string) {
	list := make([]pv, 0, len(vals))
	for name, v := range vals {
		list = append(list, pv{r.keys.id(name), v})
	}
	r.props = makePropSet(list)
}

// column is a property name resolved once for rendering many records.
type column struct {
	name  string
	id    uint16
	known bool // the schema has the property
	ok    bool // some record may hold it
}

// columns resolves names for render.
func (st *objStore) columns(names []string) []column {
	out := make([]column, len(names))
	for i, n := range names {
		_, known := st.schema.props[n]
		id, ok := st.keys.ids[n]
		out[i] = column{name: n, id: id, known: known, ok: ok}
	}
	return out
}
