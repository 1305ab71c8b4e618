package derive

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
)

// maxFieldDepth is how deep into nested objects field-level variants go
// (1: top-level fields and the fields of their objects).
const maxFieldDepth = 1

// variant is one modified copy of the base request and how to name it.
type variant struct {
	check string // the id part, e.g. reject-missing-phoneNumber
	what  string // the defect in words, e.g. "without the required field phoneNumber"
	field string // the field or parameter it is about, for the remediation
	model *reqModel
}

// negatives: each invalid variant of the valid request must get a 4xx; the
// runner enforces the documented error schema (Expect.Schema left on when
// the operation documents a 4xx).
func (p *planner) negatives(oc *opCtx) ([]*suites.Item, error) {
	if oc.base == nil {
		return nil, nil
	}
	var vs []variant
	vs = append(vs, paramVariants(oc)...)
	vs = append(vs, bodyVariants(oc)...)
	expect := suites.Expect{
		Status: &suites.StatusSpec{Classes: []int{4}},
		Schema: schemaCheck(documentsClass(oc.op, 4)),
	}
	var items []*suites.Item
	for _, v := range vs {
		if oc.valid(v.model) {
			continue // the spec allows it: it would test nothing
		}
		it := newItem(oc, RuleNegative, v.check,
			fmt.Sprintf("%s rejects a request %s with 4xx", oc.label(), v.what),
			fmt.Sprintf("Validate the input of %s: answer a request %s with a documented 4xx (such as 400) and the "+
				"documented error body naming %s. Never accept it (2xx) or fail on it (5xx).", oc.label(), v.what, v.field))
		st, err := checkStep(oc, v.model, expect)
		if err != nil {
			return nil, err
		}
		it.Check = st
		items = append(items, it)
	}
	return items, nil
}

// paramVariants break each generated parameter.
func paramVariants(oc *opCtx) []variant {
	var out []variant
	for _, prm := range oc.params {
		s := paramSchema(prm)
		label := prm.In + "." + prm.Name
		what := fmt.Sprintf("%s parameter %s", prm.In, prm.Name)
		i, present := oc.base.param(prm.In, prm.Name)
		if prm.Required && present && prm.In != inPath {
			m := oc.base.clone()
			m.delParam(prm.In, prm.Name)
			out = append(out, variant{check: "reject-missing-" + label, what: "without the required " + what, field: what, model: m})
		}
		if s == nil {
			continue
		}
		var valid any = "golive"
		if present {
			valid = oc.base.params[i].val
		}
		for _, iv := range invalidValues(s, valid, true) {
			m := oc.base.clone()
			m.setParam(prm.In, prm.Name, iv.value)
			out = append(out, variant{check: "reject-" + iv.kind + "-" + label, what: "whose " + what + " " + iv.what, field: what, model: m})
		}
	}
	return out
}

// invalidValue is one way to break a value.
type invalidValue struct {
	kind  string // wrong-type, enum, pattern, below-minimum, above-maximum, too-long, too-short
	what  string // "is not in its enum"
	value any
}

func invalidValues(s *openapi3.Schema, valid any, param bool) []invalidValue {
	var out []invalidValue
	if v, ok := wrongType(s, param); ok {
		out = append(out, invalidValue{"wrong-type", "has the wrong type (not " + typeOf(s) + ")", v})
	}
	if v, ok := enumViolation(s); ok {
		out = append(out, invalidValue{"enum", "is not one of its enum values", v})
	}
	if v, ok := patternViolation(s); ok {
		out = append(out, invalidValue{"pattern", fmt.Sprintf("does not match its pattern %s", s.Pattern), v})
	}
	if t := typeOf(s); t == tInteger || t == tNumber {
		b := numberBounds(s, t == tInteger)
		step := 1.0
		if t == tNumber && s.MultipleOf == nil {
			step = 0.01
		}
		if b.lo != nil {
			out = append(out, invalidValue{"below-minimum", "is below its minimum", asNumber(*b.lo-step, t == tInteger)})
		}
		if b.hi != nil {
			out = append(out, invalidValue{"above-maximum", "is above its maximum", asNumber(*b.hi+step, t == tInteger)})
		}
	}
	if v, ok := tooLong(s, valid); ok {
		out = append(out, invalidValue{"too-long", fmt.Sprintf("is longer than its maxLength %d", *s.MaxLength), v})
	}
	if v, ok := tooShort(s, valid); ok && !(param && v == "") {
		out = append(out, invalidValue{"too-short", fmt.Sprintf("is shorter than its minLength %d", s.MinLength), v})
	}
	return out
}

// bodyVariants break the body: no body, each field, unknown properties,
// malformed JSON and a wrong content type.
func bodyVariants(oc *opCtx) []variant {
	b := oc.body
	if b == nil || b.kind == noBody || oc.base.kind == noBody {
		return nil
	}
	var out []variant
	if b.required {
		m := oc.base.clone()
		m.kind, m.body = noBody, nil
		out = append(out, variant{check: "reject-missing-body", what: "without its required body", field: "the body", model: m})
	}
	if _, isObj := oc.base.body.(*obj); isObj {
		out = append(out, fieldVariants(oc, b.schema, nil, 0)...)
	}
	if b.kind == jsonBody {
		// The valid body cut short by its last character: unparseable, yet
		// recognisably the request, so a lenient parser cannot guess it.
		text := jsonText(oc.base.body, templateText)
		malformed := `{"golive":`
		if len(text) >= 2 {
			malformed = text[:len(text)-1]
		}
		m := oc.base.clone()
		m.raw, m.contentType = &malformed, b.mediaType
		out = append(out, variant{check: "reject-malformed-json", what: "whose body is not valid JSON", field: "the body", model: m})
	}
	body := jsonText(oc.base.body, templateText)
	if b.kind == formBody {
		body = formText(oc.base.body, oc.base.encoding, templateText)
	}
	m := oc.base.clone()
	m.raw, m.contentType = &body, "text/plain"
	out = append(out, variant{check: "reject-wrong-content-type", what: "sent as text/plain instead of " + b.mediaType,
		field: "the Content-Type header", model: m})
	return out
}

// fieldVariants break each field of the object at path: missing when
// required, then each invalid value; then an unknown property when the
// object is closed; then the fields of nested objects.
func fieldVariants(oc *opCtx, s *openapi3.Schema, path []string, depth int) []variant {
	view := viewObject(s)
	var out []variant
	for _, name := range view.names() {
		ps := view.props[name]
		if ps.ReadOnly {
			continue
		}
		fp := append(append([]string(nil), path...), name)
		label := strings.Join(fp, ".")
		what := "field " + label
		val, present := oc.base.fieldAt(fp)
		if view.required[name] && present {
			m := oc.base.clone()
			m.setField(fp, nil, true)
			out = append(out, variant{check: "reject-missing-" + label, what: "without the required " + what, field: what, model: m})
		}
		if !present {
			val = "golive"
		}
		for _, iv := range invalidValues(ps, val, false) {
			m := oc.base.clone()
			if m.setField(fp, iv.value, false) {
				out = append(out, variant{check: "reject-" + iv.kind + "-" + label, what: "whose " + what + " " + iv.what, field: what, model: m})
			}
		}
		if _, isObj := val.(*obj); present && isObj && depth < maxFieldDepth {
			out = append(out, fieldVariants(oc, ps, fp, depth+1)...)
		}
	}
	if view.closed {
		m := oc.base.clone()
		where := "the body"
		if len(path) > 0 {
			where = "object " + strings.Join(path, ".")
		}
		if m.setField(append(append([]string(nil), path...), unknownProperty), "golive", false) {
			check := "reject-unknown-property"
			if len(path) > 0 {
				check += "-" + strings.Join(path, ".")
			}
			out = append(out, variant{check: check, what: fmt.Sprintf("with an unknown property %s in %s (additionalProperties is false)", unknownProperty, where),
				field: where, model: m})
		}
	}
	return out
}
