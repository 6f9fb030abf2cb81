package load

// CheckValue says why a CRM field of the given type would refuse v, or ""
// when it would take it: the same checks the load applies before a call
// (validate.go), for callers outside the load such as crmhub review. typ is
// email, number, date, datetime, picklist, bool or string; maxLen 0 means no
// known limit; options, when given, are the only values allowed.
func CheckValue(typ string, maxLen int, options []string, v string) string {
	spec := fieldSpec{Type: typ, Length: maxLen}
	if len(options) > 0 {
		spec.Options = make(map[string]bool, len(options))
		for _, o := range options {
			spec.Options[o] = true
		}
	}
	return spec.check(v)
}
