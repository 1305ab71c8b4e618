package derive

import (
	"math/rand/v2"
	"path"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxDepth bounds nesting, so recursive schemas (a customer whose sources
// have customers) end instead of recursing forever.
const maxDepth = 8

// maxAlternatives bounds how many oneOf/anyOf branches are tried.
const maxAlternatives = 8

// generator makes values that validate against schemas. Every choice comes
// from rng, so a seed repeats them.
type generator struct {
	rng   *rand.Rand
	vopts []openapi3.SchemaValidationOption
	// write: the request creates something, so references get run-unique
	// values ({{ gen.reference }}) and never collide with an earlier run.
	write bool
	refs  int // references handed out so far (each field its own)
	// form: the body is form-encoded, where an empty nested object cannot
	// be written, so nested objects get at least one field.
	form bool
}

func newGenerator(oc *opCtx, seed int64, purpose string) *generator {
	return &generator{
		rng:   newRand(seed, oc.op.ID, purpose),
		vopts: oc.api.SchemaOptions(openapi3.VisitAsRequest()),
		write: !oc.safe,
		form:  oc.body != nil && oc.body.kind == formBody,
	}
}

// valid reports whether a model value validates against the schema.
func (g *generator) valid(s *openapi3.Schema, v any) bool {
	if s == nil {
		return true
	}
	return len(realErrors(s.VisitJSON(sampleValue(v), g.vopts...), nil)) == 0
}

// value generates a valid value for s; name is the field's name, which
// guides references and a few realistic strings. ok is false when no valid
// value could be made.
func (g *generator) value(s *openapi3.Schema, name string, depth int) (any, bool) {
	if s == nil {
		return "golive", true
	}
	if depth > maxDepth {
		return nil, false
	}
	if len(s.AllOf) > 0 && typeOf(s) != tObject {
		s = flattenAllOf(s)
	}
	if s.Const != nil {
		return fromPlain(s.Const), true
	}
	if r, ok := g.reference(s, name); ok {
		return r, true
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return g.alternative(s, name, depth)
	}
	if v, ok := g.example(s); ok {
		return v, true
	}
	if len(s.Enum) > 0 {
		return g.enum(s)
	}
	switch typeOf(s) {
	case tObject:
		return g.object(s, depth)
	case tArray:
		return g.array(s, name, depth)
	case tString:
		return g.str(s, name)
	case tInteger:
		return g.number(s, true)
	case tNumber:
		return g.number(s, false)
	case tBoolean:
		return g.rng.IntN(2) == 1, true
	case tNull:
		return nil, true
	}
	for _, part := range s.AllOf {
		if p := schemaOf(part); p != nil && typeOf(p) != "" {
			return g.value(p, name, depth+1)
		}
	}
	return "golive", true
}

// example uses the document's own example for scalars and lists of them,
// when it validates: the most realistic value there is. Whole-object
// examples are not used, so references inside them still get run-unique
// values.
func (g *generator) example(s *openapi3.Schema) (any, bool) {
	t := typeOf(s)
	if t == tObject || t == tArray && (s.Items == nil || !isScalar(schemaOf(s.Items))) {
		return nil, false
	}
	for _, ex := range examplesOf(s) {
		v := fromPlain(ex)
		if ex != nil && g.valid(s, v) {
			return v, true
		}
	}
	if s.Default != nil && t != "" {
		if v := fromPlain(s.Default); g.valid(s, v) {
			return v, true
		}
	}
	return nil, false
}

func (g *generator) enum(s *openapi3.Schema) (any, bool) {
	var choices []any
	for _, e := range s.Enum {
		if e != nil {
			choices = append(choices, e)
		}
	}
	if len(choices) == 0 {
		return nil, true
	}
	return fromPlain(choices[g.rng.IntN(len(choices))]), true
}

// reference gives a field a run-unique value when the request creates
// something and the field identifies what is created, so a re-run never
// collides with an earlier one: {{ gen.reference }} where the name says it
// is the caller's reference (or idempotency key) or the pattern takes such a
// value (and no example says what else belongs there); {{ gen.uuid }} for
// ids that must be UUIDs.
func (g *generator) reference(s *openapi3.Schema, name string) (ref, bool) {
	if !g.write || typeOf(s) != tString || len(s.Enum) > 0 {
		return "", false
	}
	byName := looksLikeReference(name)
	byPattern := s.Pattern != "" && len(examplesOf(s)) == 0
	if byName || byPattern {
		if r := referenceRef(g.refs + 1); g.valid(s, r) {
			g.refs++
			return r, true
		}
	}
	if (byName || looksLikeIdentifier(name) || s.Format == "uuid") && g.valid(s, ref(refUUID)) &&
		(s.Format == "uuid" || s.Pattern != "") {
		return refUUID, true
	}
	return "", false
}

func (g *generator) object(s *openapi3.Schema, depth int) (any, bool) {
	view := viewObject(s)
	o := &obj{}
	for _, name := range view.names() {
		p := view.props[name]
		if p.ReadOnly {
			continue // requests never carry read-only fields
		}
		if !view.required[name] && !hasExample(p) {
			continue
		}
		v, ok := g.value(p, name, depth+1)
		if !ok {
			if view.required[name] {
				return nil, false
			}
			continue
		}
		o.set(name, v)
	}
	// minProperties: add optional fields, in name order, until there are
	// enough (one, for a nested object of a form body).
	want := s.MinProps
	if g.form && depth > 0 && want == 0 {
		want = 1
	}
	for _, name := range view.names() {
		if uint64(len(o.members)) >= want {
			break
		}
		if _, set := o.get(name); set || view.props[name].ReadOnly {
			continue
		}
		if v, ok := g.value(view.props[name], name, depth+1); ok {
			o.set(name, v)
		}
	}
	return o, true
}

// hasExample says an optional field comes with a value the document
// vouches for, so sending it makes the request more realistic, not riskier.
func hasExample(s *openapi3.Schema) bool {
	return s != nil && typeOf(s) != tObject && len(examplesOf(s)) > 0
}

func (g *generator) array(s *openapi3.Schema, name string, depth int) (any, bool) {
	n := max(int(s.MinItems), 1)
	if s.MaxItems != nil && uint64(n) > *s.MaxItems {
		n = int(*s.MaxItems)
	}
	items := schemaOf(s.Items)
	out := make([]any, 0, n)
	for i := 0; len(out) < n && i < 4*n; i++ {
		v, ok := g.value(items, singular(name), depth+1)
		if !ok {
			return nil, false
		}
		if s.UniqueItems && containsValue(out, v) {
			continue
		}
		out = append(out, v)
	}
	return out, len(out) == n
}

func singular(name string) string { return strings.TrimSuffix(name, "s") }

func containsValue(list []any, v any) bool {
	want := jsonText(v, func(r ref) string { return string(r) })
	for _, el := range list {
		if jsonText(el, func(r ref) string { return string(r) }) == want {
			return true
		}
	}
	return false
}

// alternative generates a oneOf/anyOf schema: each branch in turn (merged
// with the schema's own properties) until one validates against the whole.
func (g *generator) alternative(s *openapi3.Schema, name string, depth int) (any, bool) {
	alts := s.OneOf
	if len(alts) == 0 {
		alts = s.AnyOf
	}
	rest := *s // the schema without its alternatives: own properties, if any
	rest.OneOf, rest.AnyOf = nil, nil
	own := len(rest.Properties) > 0 || len(rest.AllOf) > 0
	for i, alt := range alts {
		if i == maxAlternatives {
			break
		}
		as := schemaOf(alt)
		if as == nil {
			continue
		}
		v, ok := g.value(as, name, depth+1)
		if !ok {
			continue
		}
		if own {
			if base, ok := g.value(&rest, name, depth+1); ok {
				v = mergeObjects(base, v)
			}
		}
		g.discriminate(s, alt, v)
		if g.valid(s, v) {
			return v, true
		}
	}
	return nil, false
}

// discriminate sets the discriminator property to the branch's name when
// the branch itself did not.
func (g *generator) discriminate(s *openapi3.Schema, alt *openapi3.SchemaRef, v any) {
	o, ok := v.(*obj)
	if !ok || s.Discriminator == nil || s.Discriminator.PropertyName == "" {
		return
	}
	prop := s.Discriminator.PropertyName
	if _, set := o.get(prop); set {
		return
	}
	for _, key := range sortedKeys(s.Discriminator.Mapping) {
		if s.Discriminator.Mapping[key].Ref == alt.Ref {
			o.set(prop, key)
			return
		}
	}
	if alt.Ref != "" {
		o.set(prop, path.Base(alt.Ref))
	}
}

// mergeObjects adds b's members to a (a's win); non-objects give b.
func mergeObjects(a, b any) any {
	ao, okA := a.(*obj)
	bo, okB := b.(*obj)
	if !okA || !okB {
		return b
	}
	out := deepCopy(ao).(*obj)
	for _, m := range bo.members {
		if _, set := out.get(m.key); !set {
			out.set(m.key, m.val)
		}
	}
	return out
}
