package load

import (
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fieldSpec is what a CRM accepts in one field, from Salesforce describe or
// HubSpot's properties API.
type fieldSpec struct {
	Type    string          // email, number, date, datetime, picklist, bool, string
	Length  int             // most characters; 0 no limit known
	Options map[string]bool // allowed values of a restricted picklist / enumeration
}

// ErrCodeInvalid is the sync_errors code of a value crmhub refused before
// the call, because the target would refuse it.
const ErrCodeInvalid = "CRMHUB_INVALID_VALUE"

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

// check returns why the target would refuse v, or "".
func (s fieldSpec) check(v string) string {
	if v == "" {
		return ""
	}
	if s.Length > 0 && utf8.RuneCountInString(v) > s.Length {
		return fmt.Sprintf("value has %d characters, the field takes %d", utf8.RuneCountInString(v), s.Length)
	}
	switch s.Type {
	case "email":
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v || !emailRe.MatchString(v) {
			return fmt.Sprintf("%q is not a valid email address", v)
		}
	case "number":
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return fmt.Sprintf("%q is not a number", v)
		}
	case "date":
		if _, err := time.Parse("2006-01-02", v[:min(len(v), 10)]); err != nil {
			return fmt.Sprintf("%q is not a date (YYYY-MM-DD)", v)
		}
	case "bool":
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Sprintf("%q is not true or false", v)
		}
	}
	if len(s.Options) > 0 && !s.Options[v] {
		return fmt.Sprintf("%q is not an allowed value of the picklist", v)
	}
	return ""
}

// screen drops from each change the values its target would refuse and
// reports them; a change left without values is dropped whole.
func screen(system, object string, batch []Change, specs map[string]fieldSpec) ([]Change, []RecordError) {
	var keep []Change
	var errs []RecordError
	for _, c := range batch {
		var bad []string
		for f, v := range c.Values {
			spec, ok := specs[f]
			if !ok {
				continue
			}
			if why := spec.check(v); why != "" {
				errs = append(errs, RecordError{System: system, Object: object, RecordID: c.RecordID, Field: f, Code: ErrCodeInvalid,
					Message: fmt.Sprintf("%s.%s: %s; not sent", object, f, why)})
				bad = append(bad, f)
			}
		}
		if len(bad) > 0 {
			if c.Kind == KindCreate { // a create needs all its values
				for i := range errs[len(errs)-len(bad):] {
					errs[len(errs)-len(bad)+i].Field = ""
				}
				continue
			}
			vals := make(map[string]string, len(c.Values))
			for f, v := range c.Values {
				vals[f] = v
			}
			for _, f := range bad {
				delete(vals, f)
			}
			c.Values = vals
			if len(vals) == 0 {
				continue
			}
		}
		keep = append(keep, c)
	}
	return keep, errs
}
