package derive

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

// statefulChecks: for each create/read pair, create then read back; and for
// each read that documents 404, read an id that was never created.
func (p *planner) statefulChecks(ops []*opCtx) ([]*suites.Item, error) {
	var items []*suites.Item
	for _, pr := range pairs(ops) {
		it, err := p.readAfterCreate(pr)
		if err != nil {
			return nil, err
		}
		if it != nil {
			items = append(items, it)
		}
	}
	for _, oc := range ops {
		it, err := p.notFound(oc)
		if err != nil {
			return nil, err
		}
		if it != nil {
			items = append(items, it)
		}
	}
	return items, nil
}

// readAfterCreate is the flow create -> read: the read succeeds, follows an
// asynchronous resource to its final state, returns the identity the read
// was addressed by (the id or reference the create answered with or was
// sent), and every required field agrees with what was sent and what the
// create returned. Amounts are compared as exact decimals. A pair where
// nothing can be compared gets no check (nil): a check that compares nothing
// passes for the wrong reason (StatefulGaps says why).
func (p *planner) readAfterCreate(pr pairing) (*suites.Item, error) {
	create, read := pr.create, pr.read
	cst, err := checkStep(create, create.base, suites.Expect{Status: successStatus(create.op)})
	if err != nil {
		return nil, err
	}
	cst.Name = "create"
	rm := read.base.clone()
	names := captureNames{}
	// identity: the read's response field that must echo what addressed it.
	identity := map[string]*suites.Value{}
	sent, _ := create.base.body.(*obj)
	for _, prm := range read.params {
		s, ok := pr.sources[prm.Name]
		if !ok || prm.In != inPath {
			continue
		}
		switch s.kind {
		case fromResponse:
			c := names.add("p_" + prm.Name)
			cst.Capture = append(cst.Capture, suites.Capture{Name: c, Path: s.path})
			rm.setParam(inPath, prm.Name, ref("{{ capture."+c+" }}"))
			if name, top := topLevelMember(s.path); top {
				identity[name], _ = suites.NewString("{{ capture." + c + " }}")
			}
		case fromRequest:
			v, _ := create.base.fieldAt([]string{s.path})
			rm.setParam(inPath, prm.Name, v)
			if comparable(v) {
				if want, err := toValue(v); err == nil {
					identity[s.path] = want
				}
			}
		case fromCreatePath:
			i, _ := create.base.param(inPath, s.path)
			rm.setParam(inPath, prm.Name, create.base.params[i].val)
		}
	}
	rst, err := checkStep(read, rm, suites.Expect{Status: successStatus(read.op)})
	if err != nil {
		return nil, err
	}
	rst.Name = "read"
	readSchema := successSchema(read.op)
	readView := viewObject(readSchema)
	respView := viewObject(successSchema(create.op))
	var compared []string
	for _, name := range readView.names() {
		rs := readView.props[name]
		if !isScalar(rs) {
			continue
		}
		var want *suites.Value
		if id, ok := identity[name]; ok {
			// What addressed the read must come back, even where the schema
			// leaves the field optional: a read answering with another
			// resource's id is the defect this check exists for.
			want = id
		} else if !readView.required[name] {
			continue
		} else if v, ok := getField(sent, name); ok && comparable(v) {
			if want, err = toValue(v); err != nil {
				return nil, err
			}
		} else if respView.required[name] && isScalar(respView.props[name]) && stable(name) {
			c := names.add("c_" + name)
			cst.Capture = append(cst.Capture, suites.Capture{Name: c, Path: escapeGJSON(name)})
			want, _ = suites.NewString("{{ capture." + c + " }}")
		} else {
			continue
		}
		rst.Expect.Body = append(rst.Expect.Body, suites.PathMatcher{Path: escapeGJSON(name), Matcher: equalsMatcher(name, rs, want)})
		compared = append(compared, name)
	}
	if len(compared) == 0 {
		return nil, nil
	}
	settle := ""
	if field, pending, ok := settleField(readSchema); ok {
		rst.Poll = settlePoll(field, pending, p.s.SettleDeadline)
		settle = fmt.Sprintf(", once its %s has left %s (within %s)", field, strings.Join(pending, "/"), p.s.SettleDeadline)
	}
	it := newItem(create, RuleStateful, "stateful-"+read.op.ID,
		fmt.Sprintf("What %s creates reads back through %s with the same data%s", create.op.ID, read.op.ID, settle),
		fmt.Sprintf("After %s succeeds, %s must find what it created (paired by %s) and return the same %s as was "+
			"sent and returned at creation; amounts must be the same decimal value. An asynchronous resource must "+
			"reach a final state within the deadline.",
			create.label(), read.label(), pr.via, fieldList(compared)))
	it.Flow = []*suites.Step{cst, rst}
	return it, nil
}

// topLevelMember reads a gjson path that names one top-level member back
// into the member's name (escapeGJSON undone); false for nested paths.
func topLevelMember(path string) (string, bool) {
	var b strings.Builder
	escaped := false
	for _, r := range path {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
			continue
		case r == '.':
			return "", false
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// equalsMatcher compares exactly: money as a decimal ("1500.00" == "1500"),
// everything else as the same JSON value.
func equalsMatcher(name string, s *openapi3.Schema, want *suites.Value) *suites.Matcher {
	if isAmount(name, s) {
		return &suites.Matcher{Decimal: want}
	}
	return &suites.Matcher{Equals: want}
}

func getField(o *obj, name string) (any, bool) {
	if o == nil {
		return nil, false
	}
	return o.get(name)
}

// comparable: a value sent that the read must echo (scalars and references).
func comparable(v any) bool {
	switch v.(type) {
	case string, ref, int64, float64, bool:
		return true
	}
	return false
}

// stable: a field the create returns that must not change when read back:
// ids, references, amounts and currencies (a status or update time may).
func stable(name string) bool {
	n := strings.ToLower(name)
	return looksLikeIdentifier(name) || strings.Contains(n, "amount") || strings.Contains(n, "currency")
}

func fieldList(names []string) string {
	if len(names) == 0 {
		return "data"
	}
	return strings.Join(names, ", ")
}

// captureNames hands out capture names that are valid and unique.
type captureNames map[string]bool

func (c captureNames) add(want string) string {
	var b strings.Builder
	for _, r := range want {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	for i := 2; c[name]; i++ {
		name = fmt.Sprintf("%s_%d", b.String(), i)
	}
	c[name] = true
	return name
}

// notFound reads an id that was never created: 404. Only for reads that
// document 404 and whose path parameters are ids (not enums or dates),
// where "never created" is certain.
func (p *planner) notFound(oc *opCtx) (*suites.Item, error) {
	if oc.op.Method != http.MethodGet || oc.base == nil || !hasPathParams(oc) || !documentsExactly(oc, http.StatusNotFound) {
		return nil, nil
	}
	g := newGenerator(oc, p.s.Seed, "not-found")
	m := oc.base.clone()
	var ids []string
	for _, prm := range oc.params {
		if prm.In != inPath {
			continue
		}
		v, ok := g.neverCreated(paramSchema(prm))
		if !ok {
			return nil, nil
		}
		m.setParam(inPath, prm.Name, v)
		ids = append(ids, prm.Name)
	}
	if !oc.valid(m) {
		return nil, nil
	}
	sort.Strings(ids)
	it := newItem(oc, RuleStateful, "stateful-not-found",
		fmt.Sprintf("%s answers 404 for a %s that was never created", oc.label(), strings.Join(ids, "/")),
		fmt.Sprintf("Answer %s for a %s you never issued with 404 and the documented error body: not 200 with an "+
			"empty or made-up resource, not 400, not 5xx.", oc.label(), strings.Join(ids, "/")))
	st, err := checkStep(oc, m, suites.Expect{Status: &suites.StatusSpec{Codes: []int{http.StatusNotFound}}})
	if err != nil {
		return nil, err
	}
	it.Check = st
	// A wrong answer to an unknown id misleads a client, but no money moves
	// on it: major, where a create that reads back different data is critical.
	it.Severity = results.Major
	return it, nil
}

// neverCreated is a random id in the parameter's format: long enough not to
// exist, short enough for its limits.
func (g *generator) neverCreated(s *openapi3.Schema) (any, bool) {
	if s == nil || len(s.Enum) > 0 || s.Const != nil {
		return nil, false
	}
	switch typeOf(s) {
	case tString:
		switch s.Format {
		case "date", "date-time", "time":
			return nil, false
		case "uuid":
			return g.uuid(), true
		}
		if s.Pattern != "" {
			re, err := parsePattern(s.Pattern)
			if err != nil {
				return nil, false
			}
			for range patternTries {
				if v, ok := patternString(re, g.rng, anyLength); ok && len(v) >= 6 && g.valid(s, v) {
					return v, true
				}
			}
			return nil, false
		}
		v := fitLength("goliveNF"+g.alnum(12), s, g)
		return v, g.valid(s, v)
	case tInteger:
		if s.Max != nil || s.Min != nil {
			return nil, false // a bounded integer id may well exist
		}
		return int64(900_000_000 + g.rng.IntN(99_999_999)), true
	}
	return nil, false
}
