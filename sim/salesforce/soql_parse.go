package salesforce

import (
	"strconv"
	"strings"
)

// Abstract syntax of the supported SOQL subset.
type (
	soqlQuery struct {
		fields  []string // as written
		count   bool     // SELECT COUNT()
		object  string
		where   expr
		orderBy []orderItem
		limit   int // -1: none
		offset  int // -1: none
	}
	orderItem struct {
		field     string
		desc      bool
		nullsLast bool
	}
	expr interface{ isExpr() }
	// boolExpr joins its terms with AND (and=true) or OR.
	boolExpr struct {
		and   bool
		terms []expr
	}
	notExpr struct{ term expr }
	cmpExpr struct {
		field string
		op    string // = != < <= > >= LIKE IN NOTIN
		vals  []token
		pos   int
	}
)

func (*boolExpr) isExpr() {}
func (*notExpr) isExpr()  {}
func (*cmpExpr) isExpr()  {}

const maxExprDepth = 100

type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tkEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tkIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw string) *soqlError {
	if !p.acceptKeyword(kw) {
		return unexpected(p.peek(), kw)
	}
	return nil
}

func unexpected(t token, want string) *soqlError {
	if want != "" {
		return malformed("unexpected token: %s at position %d, expecting %s", t, t.pos, want)
	}
	return malformed("unexpected token: %s at position %d", t, t.pos)
}

// reserved words that cannot be field names.
var reserved = map[string]bool{"select": true, "from": true, "where": true, "and": true, "or": true,
	"not": true, "in": true, "like": true, "order": true, "by": true, "limit": true, "offset": true,
	"asc": true, "desc": true, "nulls": true, "null": true, "true": true, "false": true}

func (p *parser) ident(what string) (string, *soqlError) {
	t := p.peek()
	if t.kind != tkIdent || reserved[strings.ToLower(t.text)] {
		return "", unexpected(t, what)
	}
	p.i++
	return t.text, nil
}

// parseSOQL parses a statement of the supported subset.
func parseSOQL(q string) (*soqlQuery, *soqlError) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	sq := &soqlQuery{limit: -1, offset: -1}
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	if err := p.parseSelectList(sq); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	obj, err := p.ident("object name")
	if err != nil {
		return nil, err
	}
	sq.object = obj
	if p.acceptKeyword("WHERE") {
		if sq.where, err = p.parseExpr(); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("ORDER") {
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if err := p.parseOrderBy(sq); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("LIMIT") {
		if sq.limit, err = p.nonNegInt("LIMIT"); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("OFFSET") {
		if sq.offset, err = p.nonNegInt("OFFSET"); err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind != tkEOF {
		return nil, unexpected(t, "")
	}
	return sq, nil
}

func (p *parser) parseSelectList(sq *soqlQuery) *soqlError {
	for {
		if p.isKeyword("COUNT") && p.toks[p.i+1].kind == tkLParen {
			pos := p.peek().pos
			p.i += 2
			if t := p.next(); t.kind != tkRParen {
				return malformed("aggregate functions other than COUNT() are not supported (position %d)", t.pos)
			}
			if len(sq.fields) > 0 || sq.count {
				return malformed("COUNT() must be the only element of the SELECT list (position %d)", pos)
			}
			sq.count = true
		} else {
			if sq.count {
				return malformed("COUNT() must be the only element of the SELECT list (position %d)", p.peek().pos)
			}
			if p.peek().kind == tkIdent && p.toks[p.i+1].kind == tkLParen {
				return malformed("function %s() is not supported (position %d)", p.peek().text, p.peek().pos)
			}
			name, err := p.ident("field name")
			if err != nil {
				return err
			}
			sq.fields = append(sq.fields, name)
		}
		if p.peek().kind != tkComma {
			return nil
		}
		p.i++
	}
}

func (p *parser) parseOrderBy(sq *soqlQuery) *soqlError {
	for {
		name, err := p.ident("field name")
		if err != nil {
			return err
		}
		it := orderItem{field: name}
		if p.acceptKeyword("DESC") {
			it.desc = true
		} else {
			p.acceptKeyword("ASC")
		}
		if p.acceptKeyword("NULLS") {
			switch {
			case p.acceptKeyword("LAST"):
				it.nullsLast = true
			case p.acceptKeyword("FIRST"):
			default:
				return unexpected(p.peek(), "FIRST or LAST")
			}
		}
		sq.orderBy = append(sq.orderBy, it)
		if p.peek().kind != tkComma {
			return nil
		}
		p.i++
	}
}

func (p *parser) nonNegInt(clause string) (int, *soqlError) {
	t := p.next()
	if t.kind != tkNumber {
		return 0, unexpected(t, clause+" value")
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 {
		return 0, malformed("%s must be a non-negative integer, got %s", clause, t.text)
	}
	return n, nil
}

// parseExpr parses a condition. SOQL requires parentheses when AND and OR
// are mixed at one level.
func (p *parser) parseExpr() (expr, *soqlError) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, malformed("condition nested more than %d levels", maxExprDepth)
	}
	first, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	be := &boolExpr{terms: []expr{first}}
	conn := ""
	for p.isKeyword("AND") || p.isKeyword("OR") {
		t := p.next()
		kw := strings.ToUpper(t.text)
		if conn != "" && kw != conn {
			return nil, unexpected(t, "")
		}
		conn = kw
		term, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		be.terms = append(be.terms, term)
	}
	if len(be.terms) == 1 {
		return first, nil
	}
	be.and = conn == "AND"
	return be, nil
}

func (p *parser) parseTerm() (expr, *soqlError) {
	if p.acceptKeyword("NOT") {
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxExprDepth {
			return nil, malformed("condition nested more than %d levels", maxExprDepth)
		}
		t, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		return &notExpr{term: t}, nil
	}
	if p.peek().kind == tkLParen {
		p.i++
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tkRParen {
			return nil, unexpected(t, ")")
		}
		return e, nil
	}
	return p.parseComparison()
}

func (p *parser) parseComparison() (expr, *soqlError) {
	pos := p.peek().pos
	name, err := p.ident("field name")
	if err != nil {
		return nil, err
	}
	c := &cmpExpr{field: name, pos: pos}
	t := p.next()
	switch {
	case t.kind == tkOp:
		c.op = t.text
		if c.op == "<>" {
			c.op = "!="
		}
	case t.kind == tkIdent && strings.EqualFold(t.text, "LIKE"):
		c.op = "LIKE"
	case t.kind == tkIdent && strings.EqualFold(t.text, "IN"):
		c.op = "IN"
	case t.kind == tkIdent && strings.EqualFold(t.text, "NOT"):
		if err := p.expectKeyword("IN"); err != nil {
			return nil, err
		}
		c.op = "NOTIN"
	default:
		return nil, unexpected(t, "comparison operator")
	}
	if c.op == "IN" || c.op == "NOTIN" {
		if t := p.next(); t.kind != tkLParen {
			return nil, unexpected(t, "(")
		}
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			c.vals = append(c.vals, v)
			t := p.next()
			if t.kind == tkRParen {
				break
			}
			if t.kind != tkComma {
				return nil, unexpected(t, ", or )")
			}
		}
		return c, nil
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	c.vals = []token{v}
	return c, nil
}

// literal accepts a string, number, date, datetime, true, false or null.
func (p *parser) literal() (token, *soqlError) {
	t := p.next()
	switch t.kind {
	case tkString, tkNumber, tkDate, tkDateTime:
		return t, nil
	case tkIdent:
		switch strings.ToLower(t.text) {
		case "true", "false", "null":
			return t, nil
		}
	}
	return token{}, unexpected(t, "value")
}
