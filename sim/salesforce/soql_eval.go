package salesforce

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// cell is a typed field value used by filters and sorting.
type cell struct {
	null bool
	s    string // text (lower-cased) and ids
	f    float64
	b    bool
	t    int64 // dates and datetimes, unix nanoseconds
}

type kind int

const (
	kText kind = iota
	kID
	kNumber
	kBool
	kDate
	kDateTime
)

func kindOf(f *field) kind {
	switch {
	case f.isIDLike():
		return kID
	case f.isNumber():
		return kNumber
	case f.Type == typeBoolean:
		return kBool
	case f.Type == typeDate:
		return kDate
	case f.Type == typeDateTime:
		return kDateTime
	}
	return kText
}

// getter returns the typed value of f in a record. Stored values that do not
// parse as the field's type (legacy seed data) count as null.
func getter(f *field) func(*rec) cell {
	switch f.Name {
	case fID:
		return func(r *rec) cell { return cell{s: r.id} }
	case fIsDeleted:
		return func(r *rec) cell { return cell{b: r.deleted} }
	case fCreatedDate:
		return func(r *rec) cell { return cell{t: r.created} }
	case fLastModifiedDate, fSystemModstamp:
		return func(r *rec) cell { return cell{t: r.modified} }
	}
	slot := f.slot
	switch kindOf(f) {
	case kID:
		return func(r *rec) cell { v := r.val(slot); return cell{null: v == "", s: v} }
	case kNumber:
		return func(r *rec) cell {
			x, err := strconv.ParseFloat(strings.TrimSpace(r.val(slot)), 64)
			return cell{null: err != nil, f: x}
		}
	case kBool:
		return func(r *rec) cell { b, _ := parseBool(r.val(slot)); return cell{b: b} }
	case kDate:
		return func(r *rec) cell { t, ok := parseDate(r.val(slot)); return cell{null: !ok, t: t.UnixNano()} }
	case kDateTime:
		return func(r *rec) cell { t, ok := parseDateTime(r.val(slot)); return cell{null: !ok, t: t.UnixNano()} }
	}
	return func(r *rec) cell { v := r.val(slot); return cell{null: v == "", s: strings.ToLower(v)} }
}

func compareCells(k kind, a, b cell) int {
	switch k {
	case kNumber:
		return cmp.Compare(a.f, b.f)
	case kBool:
		switch {
		case a.b == b.b:
			return 0
		case !a.b:
			return -1
		}
		return 1
	case kDate, kDateTime:
		return cmp.Compare(a.t, b.t)
	}
	return strings.Compare(a.s, b.s)
}

// boundQuery is a parsed query resolved against an object's schema.
type boundQuery struct {
	def    *objectDef
	fields []*field    // selected fields of the object itself
	sel    []selection // the SELECT list in order, relationships included
	rels   []*relation // parent relationships selected
	count  bool
	pred   func(*rec) bool
	order  []boundOrder
	limit  int
	offset int
}

type boundOrder struct {
	get       func(*rec) cell
	k         kind
	desc      bool
	nullsLast bool
}

func invalidField(name string, def *objectDef) *soqlError {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return &soqlError{Code: "INVALID_FIELD", Message: fmt.Sprintf("Didn't understand relationship '%s' in field path. "+
			"If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. "+
			"Please reference your WSDL or the describe call for the appropriate names.", name[:i])}
	}
	return &soqlError{Code: "INVALID_FIELD", Message: fmt.Sprintf("No such column '%s' on entity '%s'. "+
		"If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "+
		"Please reference your WSDL or the describe call for the appropriate names.", name, def.Name)}
}

func resolveField(def *objectDef, name string) (*field, *soqlError) {
	if obj, rest, ok := strings.Cut(name, "."); ok && strings.EqualFold(obj, def.Name) {
		name = rest
	}
	if f := def.lookup(name); f != nil && !strings.Contains(name, ".") {
		return f, nil
	}
	return nil, invalidField(name, def)
}

// bind resolves q against def, without parent relationships.
func bind(q *soqlQuery, def *objectDef) (*boundQuery, *soqlError) { return bindQuery(q, def, nil) }

// bindQuery resolves q against def; tables finds the parent objects of
// relationship fields. Caller holds the server lock.
func bindQuery(q *soqlQuery, def *objectDef, tables func(string) *table) (*boundQuery, *soqlError) {
	bq := &boundQuery{def: def, count: q.count, limit: q.limit, offset: q.offset}
	if err := bq.selectFields(q.fields, def, tables); err != nil {
		return nil, err
	}
	if q.where != nil {
		pred, err := bindExpr(q.where, def)
		if err != nil {
			return nil, err
		}
		bq.pred = pred
	}
	for _, o := range q.orderBy {
		f, err := resolveField(def, o.field)
		if err != nil {
			return nil, err
		}
		if f.Type == typeTextarea {
			return nil, &soqlError{Code: "INVALID_FIELD", Message: fmt.Sprintf("field '%s' can not be sorted in a query call", f.Name)}
		}
		bq.order = append(bq.order, boundOrder{get: getter(f), k: kindOf(f), desc: o.desc, nullsLast: o.nullsLast})
	}
	if q.offset > 2000 {
		return nil, &soqlError{Code: "NUMBER_OUTSIDE_VALID_RANGE", Message: "Maximum SOQL offset allowed is 2000"}
	}
	return bq, nil
}

func bindExpr(e expr, def *objectDef) (func(*rec) bool, *soqlError) {
	switch x := e.(type) {
	case *notExpr:
		inner, err := bindExpr(x.term, def)
		if err != nil {
			return nil, err
		}
		return func(r *rec) bool { return !inner(r) }, nil
	case *boolExpr:
		preds := make([]func(*rec) bool, 0, len(x.terms))
		for _, t := range x.terms {
			p, err := bindExpr(t, def)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		if x.and {
			return func(r *rec) bool {
				for _, p := range preds {
					if !p(r) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(r *rec) bool {
			for _, p := range preds {
				if p(r) {
					return true
				}
			}
			return false
		}, nil
	case *cmpExpr:
		return bindComparison(x, def)
	}
	return nil, malformed("unsupported condition")
}

var typeNames = map[kind]string{kText: "string", kID: "id", kNumber: "number", kBool: "boolean", kDate: "date", kDateTime: "dateTime"}

func literalCell(f *field, k kind, t token, like bool) (cell, *soqlError) {
	if t.kind == tkIdent && strings.EqualFold(t.text, "null") {
		return cell{null: true}, nil
	}
	mismatch := func() *soqlError {
		quoted := "should not be enclosed in quotes"
		if k == kText || k == kID {
			quoted = "should be enclosed in quotes"
		}
		return &soqlError{Code: "INVALID_FIELD", Message: fmt.Sprintf(
			"value of filter criterion for field '%s' must be of type %s and %s", f.Name, typeNames[k], quoted)}
	}
	switch k {
	case kText, kID:
		if t.kind != tkString {
			return cell{}, mismatch()
		}
		s, err := decodeString(t.text, like)
		if err != nil {
			return cell{}, err
		}
		if k == kText || like {
			return cell{s: strings.ToLower(s)}, nil
		}
		if !validIDShape(s) {
			return cell{}, &soqlError{Code: "INVALID_QUERY_FILTER_OPERATOR", Message: fmt.Sprintf("invalid ID field: %s", s)}
		}
		return cell{s: normalizeID(s)}, nil
	case kNumber:
		if t.kind != tkNumber {
			return cell{}, mismatch()
		}
		x, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return cell{}, malformed("invalid number %s", t.text)
		}
		return cell{f: x}, nil
	case kBool:
		if t.kind != tkIdent {
			return cell{}, mismatch()
		}
		return cell{b: strings.EqualFold(t.text, "true")}, nil
	case kDate:
		if t.kind != tkDate {
			return cell{}, mismatch()
		}
		return cell{t: t.t.UnixNano()}, nil
	case kDateTime:
		if t.kind != tkDateTime {
			return cell{}, mismatch()
		}
		return cell{t: t.t.UnixNano()}, nil
	}
	return cell{}, mismatch()
}

func bindComparison(c *cmpExpr, def *objectDef) (func(*rec) bool, *soqlError) {
	f, serr := resolveField(def, c.field)
	if serr != nil {
		return nil, serr
	}
	k := kindOf(f)
	get := getter(f)
	badOp := &soqlError{Code: "INVALID_QUERY_FILTER_OPERATOR",
		Message: fmt.Sprintf("invalid operator %s on field '%s' of type %s", c.op, f.Name, f.Type)}
	if c.op == "LIKE" {
		if k != kText && k != kID {
			return nil, badOp
		}
		lit, err := literalCell(f, k, c.vals[0], true)
		if err != nil {
			return nil, err
		}
		if lit.null {
			return func(*rec) bool { return false }, nil
		}
		m := compileLike(lit.s)
		return func(r *rec) bool {
			v := get(r)
			return !v.null && m.match(strings.ToLower(v.s))
		}, nil
	}
	if k == kBool && c.op != "=" && c.op != "!=" && c.op != "IN" && c.op != "NOTIN" {
		return nil, badOp
	}
	lits := make([]cell, 0, len(c.vals))
	for _, t := range c.vals {
		lit, err := literalCell(f, k, t, false)
		if err != nil {
			return nil, err
		}
		lits = append(lits, lit)
	}
	if c.op == "IN" || c.op == "NOTIN" {
		neg := c.op == "NOTIN"
		return func(r *rec) bool {
			v := get(r)
			for _, l := range lits {
				if (v.null && l.null) || (!v.null && !l.null && compareCells(k, v, l) == 0) {
					return !neg
				}
			}
			return neg
		}, nil
	}
	lit := lits[0]
	op := c.op
	return func(r *rec) bool {
		v := get(r)
		if v.null || lit.null {
			switch op {
			case "=":
				return v.null && lit.null
			case "!=":
				return v.null != lit.null
			}
			return false
		}
		d := compareCells(k, v, lit)
		switch op {
		case "=":
			return d == 0
		case "!=":
			return d != 0
		case "<":
			return d < 0
		case "<=":
			return d <= 0
		case ">":
			return d > 0
		}
		return d >= 0
	}, nil
}

// likeMatcher matches a LIKE pattern: % is any run, _ one character,
// \% and \_ literal; matching is case-insensitive (inputs lower-cased).
type likeMatcher struct {
	toks []likeTok
}

type likeTok struct {
	any, one bool
	r        rune
}

func compileLike(p string) likeMatcher {
	var m likeMatcher
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRuneInString(p[i:])
		i += n
		switch {
		case r == '\\' && i < len(p):
			r2, n2 := utf8.DecodeRuneInString(p[i:])
			i += n2
			m.toks = append(m.toks, likeTok{r: r2})
		case r == '%':
			m.toks = append(m.toks, likeTok{any: true})
		case r == '_':
			m.toks = append(m.toks, likeTok{one: true})
		default:
			m.toks = append(m.toks, likeTok{r: r})
		}
	}
	return m
}

// match uses the classic wildcard algorithm with single-star backtracking:
// O(len(s)*len(pattern)) worst case, no recursion.
func (m likeMatcher) match(s string) bool {
	rs := []rune(s)
	pi, si, starP, starS := 0, 0, -1, 0
	for si < len(rs) {
		switch {
		case pi < len(m.toks) && !m.toks[pi].any && (m.toks[pi].one || m.toks[pi].r == rs[si]):
			pi++
			si++
		case pi < len(m.toks) && m.toks[pi].any:
			starP, starS = pi, si
			pi++
		case starP >= 0:
			pi = starP + 1
			starS++
			si = starS
		default:
			return false
		}
	}
	for pi < len(m.toks) && m.toks[pi].any {
		pi++
	}
	return pi == len(m.toks)
}

// run executes a bound query over t and returns the matching records.
func (bq *boundQuery) run(t *table, all bool) []*rec {
	var out []*rec
	for _, r := range t.recs {
		if r.deleted && !all {
			continue
		}
		if bq.pred != nil && !bq.pred(r) {
			continue
		}
		out = append(out, r)
	}
	if len(bq.order) > 0 {
		type row struct {
			r *rec
			k []cell
		}
		rows := make([]row, len(out))
		keys := make([]cell, len(out)*len(bq.order))
		for i, r := range out {
			ks := keys[i*len(bq.order) : (i+1)*len(bq.order) : (i+1)*len(bq.order)]
			for j, o := range bq.order {
				ks[j] = o.get(r)
			}
			rows[i] = row{r: r, k: ks}
		}
		slices.SortStableFunc(rows, func(a, b row) int {
			for i, o := range bq.order {
				x, y := a.k[i], b.k[i]
				if x.null || y.null {
					if x.null == y.null {
						continue
					}
					if x.null != o.nullsLast {
						return -1
					}
					return 1
				}
				d := compareCells(o.k, x, y)
				if o.desc {
					d = -d
				}
				if d != 0 {
					return d
				}
			}
			return 0
		})
		for i := range rows {
			out[i] = rows[i].r
		}
	}
	if bq.offset > 0 {
		if bq.offset >= len(out) {
			out = nil
		} else {
			out = out[bq.offset:]
		}
	}
	if bq.limit >= 0 && len(out) > bq.limit {
		out = out[:bq.limit]
	}
	return out
}
