package hubspot

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// compiledFilter is one search filter with its operands parsed once.
type compiledFilter struct {
	name     string
	op       string
	numeric  bool
	prop     *Property
	str      string   // lower-cased value
	strs     []string // lower-cased values (IN, NOT_IN)
	num, hi  float64
	nums     []float64
	hasValue bool
}

var operators = map[string]bool{
	"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true, "BETWEEN": true,
	"IN": true, "NOT_IN": true, "HAS_PROPERTY": true, "NOT_HAS_PROPERTY": true,
	"CONTAINS_TOKEN": true, "NOT_CONTAINS_TOKEN": true,
}

// numericValue reads a stored or filter value of a numeric property: numbers
// as floats, dates as epoch milliseconds.
func numericValue(p *Property, v string) (float64, bool) {
	if p.isDate() {
		ms, ok := parseMillis(v)
		return float64(ms), ok
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f, err == nil
}

func compileFilter(sc *schema, f searchFilter) (*compiledFilter, error) {
	op := strings.ToUpper(f.Operator)
	if !operators[op] {
		return nil, fmt.Errorf("Invalid operator %q in filter on %q", f.Operator, f.PropertyName)
	}
	if f.PropertyName == "" {
		return nil, fmt.Errorf("Filter with operator %s is missing propertyName", op)
	}
	cf := &compiledFilter{name: f.PropertyName, op: op, prop: sc.props[f.PropertyName]}
	cf.numeric = cf.prop != nil && cf.prop.isNumeric()
	num := func(v flexString) (float64, error) {
		n, ok := numericValue(cf.prop, string(v))
		if !ok {
			return 0, fmt.Errorf("%q is not a valid value for %s property %q (dates are epoch milliseconds)", v, cf.prop.Type, cf.name)
		}
		return n, nil
	}
	var err error
	switch op {
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
		return cf, nil
	case "IN", "NOT_IN":
		if len(f.Values) == 0 {
			return nil, fmt.Errorf("Operator %s on %q needs values", op, cf.name)
		}
		for _, v := range f.Values {
			cf.strs = append(cf.strs, strings.ToLower(string(v)))
			if cf.numeric {
				n, err := num(v)
				if err != nil {
					return nil, err
				}
				cf.nums = append(cf.nums, n)
			}
		}
		return cf, nil
	case "BETWEEN":
		if cf.numeric {
			if cf.num, err = num(f.Value); err != nil {
				return nil, err
			}
			if cf.hi, err = num(f.HighValue); err != nil {
				return nil, err
			}
		}
		cf.str, cf.strs = strings.ToLower(string(f.Value)), []string{strings.ToLower(string(f.HighValue))}
		return cf, nil
	}
	cf.str = strings.ToLower(string(f.Value))
	if cf.numeric && !strings.HasSuffix(op, "CONTAINS_TOKEN") {
		if cf.num, err = num(f.Value); err != nil {
			return nil, err
		}
	}
	return cf, nil
}

func (f *compiledFilter) match(rec *record) bool {
	v, present := rec.get(f.name)
	present = present && v != ""
	switch f.op {
	case "HAS_PROPERTY":
		return present
	case "NOT_HAS_PROPERTY":
		return !present
	case "NEQ":
		return !present || !f.equal(v)
	case "NOT_IN":
		return !present || !f.in(v)
	case "NOT_CONTAINS_TOKEN":
		return !present || !containsToken(v, f.str)
	}
	if !present {
		return false
	}
	switch f.op {
	case "EQ":
		return f.equal(v)
	case "IN":
		return f.in(v)
	case "CONTAINS_TOKEN":
		return containsToken(v, f.str)
	}
	c, ok := f.compare(v, f.num, f.str)
	if !ok {
		return false
	}
	switch f.op {
	case "LT":
		return c < 0
	case "LTE":
		return c <= 0
	case "GT":
		return c > 0
	case "GTE":
		return c >= 0
	case "BETWEEN":
		hi, ok := f.compare(v, f.hi, f.strs[0])
		return ok && c >= 0 && hi <= 0
	}
	return false
}

// compare orders a stored value against an operand: numerically for
// numeric properties, else as lower-cased strings.
func (f *compiledFilter) compare(v string, num float64, str string) (int, bool) {
	if f.numeric {
		n, ok := numericValue(f.prop, v)
		if !ok {
			return 0, false
		}
		return compareFloat(n, num), true
	}
	return strings.Compare(strings.ToLower(v), str), true
}

func (f *compiledFilter) equal(v string) bool {
	if f.numeric {
		c, ok := f.compare(v, f.num, f.str)
		return ok && c == 0
	}
	return strings.EqualFold(v, f.str)
}

func (f *compiledFilter) in(v string) bool {
	if f.numeric {
		n, ok := numericValue(f.prop, v)
		if !ok {
			return false
		}
		for _, x := range f.nums {
			if x == n {
				return true
			}
		}
		return false
	}
	lv := strings.ToLower(v)
	for _, x := range f.strs {
		if x == lv {
			return true
		}
	}
	return false
}

// containsToken matches a token (with optional * wildcards) against the
// whole value or any of its words.
func containsToken(v, token string) bool {
	lv := strings.ToLower(v)
	if ok, _ := path.Match(token, lv); ok || lv == token {
		return true
	}
	for _, w := range strings.FieldsFunc(lv, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '\t' || r == '\n' || r == '/'
	}) {
		if ok, _ := path.Match(token, w); ok || w == token {
			return true
		}
	}
	return false
}
