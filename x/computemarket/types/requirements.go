package types

import "strconv"

// AuditedAttributes is the view of a provider's attestations that matching
// uses: for each key, the values attested by the auditors that count.
type AuditedAttributes map[string][]string

// NewAuditedAttributes keeps the attestations of auditors that are in the
// whitelist and, when the group narrows them (accepted non-empty), also in
// accepted. Self-declared attributes never enter this view.
func NewAuditedAttributes(records []AuditRecord, whitelist, accepted []string) AuditedAttributes {
	out := AuditedAttributes{}
	for _, rec := range records {
		if !contains(whitelist, rec.Auditor) {
			continue
		}
		if len(accepted) > 0 && !contains(accepted, rec.Auditor) {
			continue
		}
		for _, a := range rec.Attributes {
			out[a.Key] = append(out[a.Key], a.Value)
		}
	}
	return out
}

// Satisfies reports whether every requirement is met. A requirement is met
// when at least one counted attestation of its key satisfies the operator;
// a tenant that distrusts an auditor narrows the group's auditors.
func (aa AuditedAttributes) Satisfies(reqs []Requirement) bool {
	for _, r := range reqs {
		if !aa.meets(r) {
			return false
		}
	}
	return true
}

// Unmet returns the first requirement that is not met, for error messages.
func (aa AuditedAttributes) Unmet(reqs []Requirement) (Requirement, bool) {
	for _, r := range reqs {
		if !aa.meets(r) {
			return r, true
		}
	}
	return Requirement{}, false
}

func (aa AuditedAttributes) meets(r Requirement) bool {
	for _, v := range aa[r.Key] {
		if r.Matches(v) {
			return true
		}
	}
	return false
}

// Matches reports whether one attribute value satisfies the requirement.
// Integer operators need both sides to parse as int64.
func (r Requirement) Matches(value string) bool {
	switch r.Op {
	case OpEq:
		return len(r.Values) == 1 && value == r.Values[0]
	case OpIn:
		return contains(r.Values, value)
	case OpGte, OpLte:
		if len(r.Values) != 1 {
			return false
		}
		have, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return false
		}
		want, err := strconv.ParseInt(r.Values[0], 10, 64)
		if err != nil {
			return false
		}
		if r.Op == OpGte {
			return have >= want
		}
		return have <= want
	}
	return false
}

// String renders the requirement as in a deployment file.
func (r Requirement) Describe() string {
	if r.Op == OpIn {
		s := r.Key + " in {"
		for i, v := range r.Values {
			if i > 0 {
				s += ", "
			}
			s += v
		}
		return s + "}"
	}
	if len(r.Values) == 1 {
		return r.Key + " " + r.Op.Symbol() + " " + r.Values[0]
	}
	return r.Key + " " + r.Op.Symbol()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
