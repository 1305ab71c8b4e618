package derive

import (
	"encoding/json"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// The generator works on a small model of a request, mutated freely while
// rules derive their variants, and turned into suites values only at the end
// (render.go). Values in the model are: nil, bool, int64, float64, string,
// ref, []any, *obj and opaque.

// ref is a template reference such as "{{ gen.reference }}": the runner
// fills it at send time (a run-unique reference, a captured value).
type ref string

// opaque is a value the suite wrote (the auth block's credentials, such as
// "{{ var.clientId }}"): sent as written, sampled for self-checks.
type opaque struct{ v *suites.Value }

// sample renders the value with sample references, as plain JSON values.
func (o opaque) sample() any {
	v, err := o.v.Render(func(r tmpl.Ref) (any, bool) { return sampleFor(r.String()), true })
	if err != nil {
		return "golive-sample"
	}
	data, err := json.Marshal(v)
	if err != nil {
		return "golive-sample"
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return "golive-sample"
	}
	return out
}

// member is one key of an obj.
type member struct {
	key string
	val any
}

// obj is a JSON object that keeps its keys in the order they were set, so
// generated bodies read the same on every run.
type obj struct{ members []member }

func (o *obj) get(key string) (any, bool) {
	for _, m := range o.members {
		if m.key == key {
			return m.val, true
		}
	}
	return nil, false
}

func (o *obj) set(key string, val any) {
	for i, m := range o.members {
		if m.key == key {
			o.members[i].val = val
			return
		}
	}
	o.members = append(o.members, member{key, val})
}

func (o *obj) del(key string) {
	o.members = slices.DeleteFunc(o.members, func(m member) bool { return m.key == key })
}

func (o *obj) keys() []string {
	out := make([]string, 0, len(o.members))
	for _, m := range o.members {
		out = append(out, m.key)
	}
	return out
}

// deepCopy copies a model value, so a mutated variant never changes the base.
func deepCopy(v any) any {
	switch x := v.(type) {
	case *obj:
		c := &obj{members: make([]member, len(x.members))}
		for i, m := range x.members {
			c.members[i] = member{m.key, deepCopy(m.val)}
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, el := range x {
			c[i] = deepCopy(el)
		}
		return c
	}
	return v
}

// Parameter locations the generator fills.
const (
	inPath   = "path"
	inQuery  = "query"
	inHeader = "header"
)

// param is one path, query or header parameter of a request.
type param struct {
	name string
	in   string
	val  any
}

// bodyKind is how a request body is encoded.
type bodyKind int

const (
	noBody bodyKind = iota
	jsonBody
	formBody
)

// reqModel is a request as the generator builds it.
type reqModel struct {
	params      []param
	kind        bodyKind
	mediaType   string                        // the documented media type of the body
	encoding    map[string]*openapi3.Encoding // form bodies: how each property is encoded
	body        any
	raw         *string // sent as is instead of body (malformed JSON, wrong content type)
	contentType string  // overrides mediaType for the Content-Type header
}

func (m *reqModel) clone() *reqModel {
	c := *m
	c.params = make([]param, len(m.params))
	for i, p := range m.params {
		c.params[i] = param{p.name, p.in, deepCopy(p.val)}
	}
	c.body = deepCopy(m.body)
	if m.raw != nil {
		raw := *m.raw
		c.raw = &raw
	}
	return &c
}

func (m *reqModel) param(in, name string) (int, bool) {
	for i, p := range m.params {
		if p.in == in && p.name == name {
			return i, true
		}
	}
	return -1, false
}

func (m *reqModel) setParam(in, name string, val any) {
	if i, ok := m.param(in, name); ok {
		m.params[i].val = val
		return
	}
	m.params = append(m.params, param{name, in, val})
}

func (m *reqModel) delParam(in, name string) {
	m.params = slices.DeleteFunc(m.params, func(p param) bool { return p.in == in && p.name == name })
}

// fieldAt returns the value at a path of object keys inside the body.
func (m *reqModel) fieldAt(path []string) (any, bool) {
	var cur any = m.body
	for _, k := range path {
		o, ok := cur.(*obj)
		if !ok {
			return nil, false
		}
		if cur, ok = o.get(k); !ok {
			return nil, false
		}
	}
	return cur, true
}

// setField sets (or with del, removes) the value at a path inside the body;
// the parents must exist.
func (m *reqModel) setField(path []string, val any, del bool) bool {
	if len(path) == 0 {
		return false
	}
	parent, ok := m.fieldAt(path[:len(path)-1])
	if !ok {
		return false
	}
	o, ok := parent.(*obj)
	if !ok {
		return false
	}
	if del {
		o.del(path[len(path)-1])
	} else {
		o.set(path[len(path)-1], val)
	}
	return true
}
