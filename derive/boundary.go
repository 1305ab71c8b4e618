package derive

import (
	"fmt"
	"math"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
)

// maxEnumEdges bounds the enum values tried per field, so a 200-value
// country enum does not dominate a plan.
const maxEnumEdges = 20

// edge is one valid value at a limit of its schema.
type edge struct {
	kind  string // max-length, min-length, longest, shortest, minimum, maximum, enum-VALUE
	what  string
	value any
}

// boundaries: valid requests with one value at an edge of its schema. The
// target may accept them or refuse them with a documented 4xx (a business
// limit), but never answer 5xx.
func (p *planner) boundaries(oc *opCtx) ([]*suites.Item, error) {
	if oc.base == nil {
		return nil, nil
	}
	g := newGenerator(oc, p.s.Seed, "boundary")
	var vs []variant
	for _, prm := range oc.params {
		// Optional parameters too: a page size at its maximum is the
		// classic boundary.
		var current any
		if i, present := oc.base.param(prm.In, prm.Name); present {
			current = oc.base.params[i].val
		}
		if looksLikeCredential(prm.Name) || !editable(current) {
			continue
		}
		label := prm.In + "." + prm.Name
		for _, e := range edges(paramSchema(prm), current, g) {
			m := oc.base.clone()
			m.setParam(prm.In, prm.Name, e.value)
			vs = append(vs, variant{check: "boundary-" + label + "-" + e.kind,
				what: fmt.Sprintf("whose %s parameter %s is %s", prm.In, prm.Name, e.what), field: label, model: m})
		}
	}
	if b := oc.body; b != nil && oc.base.kind != noBody {
		if _, isObj := oc.base.body.(*obj); isObj {
			vs = append(vs, fieldEdges(oc, b.schema, nil, 0, g)...)
		}
	}
	expect := suites.Expect{Status: &suites.StatusSpec{Classes: []int{2, 4}}}
	var items []*suites.Item
	for _, v := range vs {
		if !oc.valid(v.model) {
			continue // not a valid request after all: not a boundary
		}
		it := newItem(oc, RuleBoundary, v.check,
			fmt.Sprintf("%s handles a valid request %s without a 5xx", oc.label(), v.what),
			fmt.Sprintf("Make %s handle every value the spec allows for %s, including its limits: accept the request "+
				"%s, or refuse it with a documented 4xx; a 5xx means the value breaks your code or database column.",
				oc.label(), v.field, v.what))
		st, err := checkStep(oc, v.model, expect)
		if err != nil {
			return nil, err
		}
		it.Check = st
		items = append(items, it)
	}
	return items, nil
}

// editable: generated values can be moved to an edge; references (which
// must stay run-unique) and the suite's own values cannot.
func editable(v any) bool {
	switch v.(type) {
	case ref, opaque, *obj, []any:
		return false
	}
	return true
}

func fieldEdges(oc *opCtx, s *openapi3.Schema, path []string, depth int, g *generator) []variant {
	view := viewObject(s)
	var out []variant
	for _, name := range view.names() {
		fp := append(append([]string(nil), path...), name)
		val, present := oc.base.fieldAt(fp)
		if !present {
			continue
		}
		label := strings.Join(fp, ".")
		if _, isObj := val.(*obj); isObj && depth < maxFieldDepth {
			out = append(out, fieldEdges(oc, view.props[name], fp, depth+1, g)...)
			continue
		}
		if !editable(val) {
			continue
		}
		for _, e := range edges(view.props[name], val, g) {
			m := oc.base.clone()
			if m.setField(fp, e.value, false) {
				out = append(out, variant{check: "boundary-" + label + "-" + e.kind,
					what: fmt.Sprintf("whose field %s is %s", label, e.what), field: "field " + label, model: m})
			}
		}
	}
	return out
}

// edges lists the schema's limit values that differ from the current one.
func edges(s *openapi3.Schema, current any, g *generator) []edge {
	if s == nil || s.Const != nil {
		return nil
	}
	var out []edge
	add := func(e edge) {
		if scalarText(e.value) != scalarText(current) || fmt.Sprintf("%T", e.value) != fmt.Sprintf("%T", current) {
			out = append(out, e)
		}
	}
	if len(s.Enum) > 0 {
		for i, v := range s.Enum {
			if i == maxEnumEdges || v == nil {
				break
			}
			add(edge{"enum-" + scalarText(fromPlain(v)), fmt.Sprintf("the enum value %v", v), fromPlain(v)})
		}
		return out
	}
	switch t := typeOf(s); t {
	case tString:
		stringEdges(s, current, g, add)
	case tInteger, tNumber:
		b := numberBounds(s, t == tInteger)
		if s.MultipleOf != nil && *s.MultipleOf > 0 {
			m := *s.MultipleOf
			if b.lo != nil {
				lo := math.Ceil(*b.lo/m) * m
				b.lo = &lo
			}
			if b.hi != nil {
				hi := math.Floor(*b.hi/m) * m
				b.hi = &hi
			}
		}
		if b.lo != nil {
			add(edge{"minimum", fmt.Sprintf("its minimum %v", asNumber(*b.lo, t == tInteger)), asNumber(*b.lo, t == tInteger)})
		}
		if b.hi != nil {
			add(edge{"maximum", fmt.Sprintf("its maximum %v", asNumber(*b.hi, t == tInteger)), asNumber(*b.hi, t == tInteger)})
		}
	}
	return out
}

// stringEdges: the longest and shortest strings a pattern allows, and,
// where maxLength or minLength is tighter than the pattern (or the pattern
// is unbounded, "^[A-Z0-9]+$"), a string the pattern matches of exactly
// that length; without a pattern, strings of exactly maxLength and
// minLength. An edge outside the other limit is dropped by the self-check.
func stringEdges(s *openapi3.Schema, current any, g *generator, add func(edge)) {
	if s.Pattern != "" {
		re, err := parsePattern(s.Pattern)
		if err != nil {
			return
		}
		long, hasLongest := patternString(re, g.rng, longest)
		if hasLongest {
			add(edge{"longest", fmt.Sprintf("the longest value its pattern allows (%d characters)", len([]rune(long))), long})
		}
		short, hasShortest := patternString(re, g.rng, shortest)
		if hasShortest && short != "" {
			add(edge{"shortest", fmt.Sprintf("the shortest value its pattern allows (%d characters)", len([]rune(short))), short})
		}
		if s.MaxLength != nil && *s.MaxLength > 0 && *s.MaxLength <= 1<<16 && (!hasLongest || uint64(len([]rune(long))) > *s.MaxLength) {
			if v, ok := patternStringOfLength(re, g.rng, int(*s.MaxLength)); ok {
				add(edge{"max-length", fmt.Sprintf("exactly its maxLength of %d characters, as its pattern allows", *s.MaxLength), v})
			}
		}
		if s.MinLength > 0 && s.MinLength <= 1<<16 && hasShortest && uint64(len([]rune(short))) < s.MinLength {
			if v, ok := patternStringOfLength(re, g.rng, int(s.MinLength)); ok {
				add(edge{"min-length", fmt.Sprintf("exactly its minLength of %d characters, as its pattern allows", s.MinLength), v})
			}
		}
		return
	}
	if s.MaxLength != nil && *s.MaxLength > 0 && *s.MaxLength <= 1<<16 {
		add(edge{"max-length", fmt.Sprintf("exactly its maxLength of %d characters", *s.MaxLength), resize(current, int(*s.MaxLength))})
	}
	if s.MinLength > 0 {
		add(edge{"min-length", fmt.Sprintf("exactly its minLength of %d characters", s.MinLength), resize(current, int(s.MinLength))})
	}
}
