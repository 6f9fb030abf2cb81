package hubspot

import "slices"

// edge is one directed association to a record of another type.
type edge struct {
	id     uint64
	typeID int32
}

// assocStore keeps both directions of every association:
// m[from][to][fromID] lists the edges of fromID toward type to.
type assocStore struct {
	m [len(objTypes)][len(objTypes)]map[uint64][]edge
}

func newAssocStore() *assocStore {
	a := &assocStore{}
	for i := range a.m {
		for j := range a.m[i] {
			if i != j {
				a.m[i][j] = map[uint64][]edge{}
			}
		}
	}
	return a
}

// HubSpot-defined association type ids (unlabeled / primary) and their
// reverse direction.
var reverseTypeID = map[int32]int32{
	279: 280, 280: 279, // contact <-> company (unlabeled)
	1: 2, 2: 1, // contact <-> company (primary)
	5: 6, 6: 5, // deal <-> company (primary)
	341: 342, 342: 341, // deal <-> company (unlabeled)
	3: 4, 4: 3, // deal <-> contact
}

// defaultTypeID is the type id used when none is given: contact->company 279,
// deal->company 5, as in HubSpot's examples.
func defaultTypeID(from, to int) int32 {
	switch objTypes[from].name + ">" + objTypes[to].name {
	case "contacts>companies":
		return 279
	case "companies>contacts":
		return 280
	case "deals>companies":
		return 5
	case "companies>deals":
		return 6
	case "deals>contacts":
		return 3
	default: // contacts>deals
		return 4
	}
}

// validType reports whether typeID is a defined association type for from->to.
func validType(from, to int, typeID int32) bool {
	if typeID == defaultTypeID(from, to) {
		return true
	}
	switch objTypes[from].name + ">" + objTypes[to].name {
	case "contacts>companies":
		return typeID == 1
	case "companies>contacts":
		return typeID == 2
	case "deals>companies":
		return typeID == 341
	case "companies>deals":
		return typeID == 342
	}
	return false
}

func reverseOf(from, to int, typeID int32) int32 {
	if r, ok := reverseTypeID[typeID]; ok {
		return r
	}
	return defaultTypeID(to, from)
}

// add records from->to and its reverse; it reports whether anything changed.
func (a *assocStore) add(from int, fromID uint64, to int, toID uint64, typeID int32) bool {
	if from == to {
		return false
	}
	changed := a.addOne(from, fromID, to, toID, typeID)
	if a.addOne(to, toID, from, fromID, reverseOf(from, to, typeID)) {
		changed = true
	}
	return changed
}

func (a *assocStore) addOne(from int, fromID uint64, to int, toID uint64, typeID int32) bool {
	m := a.m[from][to]
	es := m[fromID]
	if slices.Contains(es, edge{id: toID, typeID: typeID}) {
		return false
	}
	m[fromID] = append(es, edge{id: toID, typeID: typeID})
	return true
}

// remove drops every association between fromID and toID, both directions;
// it reports whether anything changed.
func (a *assocStore) remove(from int, fromID uint64, to int, toID uint64) bool {
	if from == to {
		return false
	}
	drop := func(m map[uint64][]edge, id, other uint64) bool {
		es := m[id]
		kept := slices.DeleteFunc(slices.Clone(es), func(e edge) bool { return e.id == other })
		if len(kept) == len(es) {
			return false
		}
		if len(kept) == 0 {
			delete(m, id)
		} else {
			m[id] = kept
		}
		return true
	}
	changed := drop(a.m[from][to], fromID, toID)
	return drop(a.m[to][from], toID, fromID) || changed
}

// edges returns the stored edges (not a copy; callers must not modify).
func (a *assocStore) edges(from int, fromID uint64, to int) []edge {
	if from == to {
		return nil
	}
	return a.m[from][to][fromID]
}

// grouped merges edges to the same record, keeping insertion order.
func grouped(es []edge) (ids []uint64, types map[uint64][]int32) {
	types = map[uint64][]int32{}
	for _, e := range es {
		if _, seen := types[e.id]; !seen {
			ids = append(ids, e.id)
		}
		types[e.id] = append(types[e.id], e.typeID)
	}
	return ids, types
}
