package derive

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
)

// baseTries is how many differently seeded attempts are made at a valid
// request before the operation's checks are reported as not generated.
const baseTries = 3

// buildBase makes the operation's valid request, which every rule derives
// its variants from. It sends required parameters and fields, plus optional
// ones the document gives an example for.
func (p *planner) buildBase(oc *opCtx) {
	if oc.body != nil && oc.body.kind == noBody && oc.body.required {
		oc.baseErr = fmt.Sprintf("golive does not generate %s request bodies", oc.body.mediaType)
		return
	}
	var problems []string
	for try := range baseTries {
		g := newGenerator(oc, p.s.Seed, fmt.Sprintf("base-%d", try))
		m, err := p.generateBase(oc, g)
		if err != nil {
			oc.baseErr = err.Error()
			continue
		}
		if problems = oc.problems(m); len(problems) == 0 {
			oc.base, oc.baseErr = m, ""
			return
		}
		oc.baseErr = "golive could not generate a request that validates against the spec: " + brief(problems[0])
	}
}

func (p *planner) generateBase(oc *opCtx, g *generator) (*reqModel, error) {
	m := &reqModel{}
	auth := p.authRequest(oc)
	if auth != nil {
		for _, group := range []struct {
			in     string
			fields suites.OrderedValues
		}{{inPath, auth.Path}, {inQuery, auth.Query}, {inHeader, auth.Headers}} {
			for _, f := range group.fields {
				m.setParam(group.in, f.Key, opaque{f.Value})
			}
		}
	}
	for _, prm := range oc.params {
		if _, set := m.param(prm.In, prm.Name); set {
			continue
		}
		if !prm.Required && !paramHasExample(prm) {
			continue
		}
		v, ok := g.paramValue(prm)
		if !ok {
			if prm.Required {
				return nil, fmt.Errorf("golive could not generate a value for the %s parameter %s", prm.In, prm.Name)
			}
			continue
		}
		if o, isObj := v.(*obj); isObj && prm.In == inQuery && prm.Style == openapi3.SerializationDeepObject {
			setDeepObject(m, prm.Name, o) // the runner sends query values as they are named
		} else {
			m.setParam(prm.In, prm.Name, v)
		}
		if looksLikeCredential(prm.Name) {
			oc.credentials = true // generated credentials: a 401 is no defect
		}
	}
	if b := oc.body; b != nil && b.kind != noBody {
		m.kind, m.mediaType, m.encoding = b.kind, b.mediaType, b.encoding
		switch {
		case auth != nil && auth.Body != nil && b.kind == jsonBody:
			m.body = opaque{auth.Body}
		default:
			v, ok := g.value(b.schema, "", 0)
			if !ok {
				return nil, fmt.Errorf("golive could not generate a %s body that validates against the schema", b.mediaType)
			}
			m.body = v
		}
		if o, isObj := m.body.(*obj); !b.required && isObj && len(o.members) == 0 {
			m.kind, m.body = noBody, nil // an optional, empty body is better not sent
		}
	}
	return m, nil
}

// authRequest is the suite's token request when this is its operation:
// golive then sends the real credentials, not generated ones.
func (p *planner) authRequest(oc *opCtx) *suites.Request {
	if p.s.Auth == nil || p.s.Auth.Operation != oc.op.ID {
		return nil
	}
	return &p.s.Auth.Request
}

func paramHasExample(prm *openapi3.Parameter) bool {
	if prm.Example != nil || len(prm.Examples) > 0 {
		return true
	}
	s := paramSchema(prm)
	return s != nil && len(examplesOf(s)) > 0
}

// paramSchema is the parameter's schema, also when given as content.
func paramSchema(prm *openapi3.Parameter) *openapi3.Schema {
	if prm.Schema != nil {
		return prm.Schema.Value
	}
	for _, mt := range sortedKeys(prm.Content) {
		if c := prm.Content[mt]; c != nil && c.Schema != nil {
			return c.Schema.Value
		}
	}
	return nil
}

// paramValue is the parameter's example when it validates, else a
// generated value; path parameters are never empty.
func (g *generator) paramValue(prm *openapi3.Parameter) (any, bool) {
	s := paramSchema(prm)
	candidates := []any{prm.Example}
	for _, k := range sortedKeys(prm.Examples) {
		if ex := prm.Examples[k]; ex != nil && ex.Value != nil {
			candidates = append(candidates, ex.Value.Value)
		}
	}
	for _, c := range candidates {
		if c != nil && g.valid(s, fromPlain(c)) {
			return fromPlain(c), true
		}
	}
	v, ok := g.value(s, prm.Name, 0)
	if !ok {
		return nil, false
	}
	if prm.In == inPath && strings.TrimSpace(scalarText(v)) == "" {
		return nil, false
	}
	return v, true
}

// brief keeps a validation problem to its first sentence: kin-openapi
// appends the whole schema and value, which would drown a report line.
func brief(problem string) string {
	for _, cut := range []string{" Schema:", " Value:"} {
		if i := strings.Index(problem, cut); i > 0 {
			problem = problem[:i]
		}
	}
	const most = 200
	if r := []rune(problem); len(r) > most {
		problem = string(r[:most]) + "…"
	}
	return problem
}

// setDeepObject writes an object query parameter the deepObject way, one
// parameter per member: scope[type]=account.
func setDeepObject(m *reqModel, name string, o *obj) {
	for _, mem := range o.members {
		key := name + "[" + mem.key + "]"
		if inner, ok := mem.val.(*obj); ok {
			setDeepObject(m, key, inner)
			continue
		}
		m.setParam(inQuery, key, mem.val)
	}
}
