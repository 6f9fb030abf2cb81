package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
)

// handleAssocV3 answers the v3 objects API's
// PUT /crm/v3/objects/{from}/{id}/associations/{to}/{toId}/{assocType}:
// assocType is a type id or a v3 name such as contact_to_company. The
// answer is the from record with its associations toward to.
func (s *Server) handleAssocV3(w http.ResponseWriter, r *http.Request) {
	from, to, ok := s.assocPair(w, r)
	if !ok {
		return
	}
	typeID := defaultTypeID(from, to)
	if at := r.PathValue("assocType"); at != objTypes[from].singular+"_to_"+objTypes[to].singular {
		n, err := strconv.ParseInt(at, 10, 32)
		if err != nil || !validType(from, to, int32(n)) {
			s.writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
				fmt.Sprintf("%s is not a valid association type between %s and %s", at, objTypes[from].name, objTypes[to].name), nil)
			return
		}
		typeID = int32(n)
	}
	var o apiObject
	if !s.withPair(r, from, to, func(fromID, toID uint64) {
		s.associate(from, fromID, to, toID, typeID)
		st := s.stores[from]
		o = st.render(st.recs[fromID], propNames(from, nil))
		s.withAssociations(&o, from, fromID, []int{to})
	}) {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, o)
}
