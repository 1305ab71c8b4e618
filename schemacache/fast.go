package schemacache

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// fast is a schema, as handed to jsonschema, turned into a check that reads
// the body where it lies (gjson) instead of decoding it into a tree first
// and that allocates nothing: a conforming body passes in a fraction of
// jsonschema's time. It is only ever asked to pass a body: it is never
// laxer than the jsonschema schema compiled from the same document (it may
// be stricter, e.g. 1.0 is no integer here), and a body it does not pass
// goes to jsonschema (and, for 3.0, kin-openapi), which judge and describe
// it. Keywords outside the few it knows are not compiled at all.
type fast struct {
	ref *fast // "$ref", checked alongside the rest (2020-12)

	types    uint8 // allowed kinds, 0 for any
	notNull  bool  // "not": {"type": "null"}
	enum     map[string]bool
	constant *string // "const", a string
	pattern  *regexp.Regexp
	minLen   int
	maxLen   int // -1: none
	min, max *big.Rat

	props      map[string]*fast
	required   map[string]uint // the bit of each required name
	additional *fast
	noExtra    bool // additionalProperties: false
	items      *fast
	minItems   int
	maxItems   int // -1: none
	allOf      []*fast
	anyOf      []*fast
}

const (
	kNull uint8 = 1 << iota
	kBool
	kInteger
	kNumber
	kString
	kArray
	kObject
)

var errNotFast = errors.New("not a schema the fast check knows")

// fastBuilder compiles the schemas of one document, resolving
// "#/components/schemas/X" references (cycles included) once each.
type fastBuilder struct {
	comps map[string]any
	refs  map[string]*fast
}

func buildFast(root any) (*fast, error) {
	b := &fastBuilder{refs: map[string]*fast{}}
	if m, ok := root.(map[string]any); ok {
		if c, ok := m["components"].(map[string]any); ok {
			b.comps, _ = c["schemas"].(map[string]any)
		}
	}
	return b.node(root, true)
}

func (b *fastBuilder) node(v any, root bool) (*fast, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotFast // boolean schemas, among others
	}
	n := &fast{maxLen: -1, maxItems: -1}
	if err := b.fill(n, m, root); err != nil {
		return nil, err
	}
	return n, nil
}

func (b *fastBuilder) fill(n *fast, m map[string]any, root bool) error {
	for k, v := range m {
		var err error
		switch k {
		case "components":
			if !root {
				return errNotFast
			}
		case "title", "description", "example", "examples", "default", "deprecated", "readOnly", "writeOnly",
			"externalDocs", "xml", "format", "$comment":
			// Annotations for the compiled schema too (format is not asserted
			// in 2020-12 by default, nor by this cache's compiler).
		case "$ref":
			n.ref, err = b.ref(v)
		case "type":
			n.types, err = kinds(v)
		case "not":
			if t, ok := v.(map[string]any); !ok || len(t) != 1 || t["type"] != "null" {
				return errNotFast
			}
			n.notNull = true
		case "enum":
			list, ok := v.([]any)
			if !ok {
				return errNotFast
			}
			n.enum = map[string]bool{}
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return errNotFast
				}
				n.enum[s] = true
			}
		case "const":
			s, ok := v.(string)
			if !ok {
				return errNotFast
			}
			n.constant = &s
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return errNotFast
			}
			n.pattern, err = regexp.Compile(s) // jsonschema's own engine
		case "minLength":
			n.minLen, err = count(v)
		case "maxLength":
			n.maxLen, err = count(v)
		case "minItems":
			n.minItems, err = count(v)
		case "maxItems":
			n.maxItems, err = count(v)
		case "minimum":
			n.min, err = rat(v)
		case "maximum":
			n.max, err = rat(v)
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return errNotFast
			}
			n.props = map[string]*fast{}
			for name, p := range props {
				if n.props[name], err = b.node(p, false); err != nil {
					return err
				}
			}
		case "required":
			list, ok := v.([]any)
			if !ok || len(list) > 64 {
				return errNotFast
			}
			n.required = map[string]uint{}
			for i, e := range list {
				s, ok := e.(string)
				if !ok {
					return errNotFast
				}
				n.required[s] = uint(i)
			}
		case "additionalProperties":
			if f, ok := v.(bool); ok {
				n.noExtra = !f
				continue
			}
			n.additional, err = b.node(v, false)
		case "items":
			n.items, err = b.node(v, false)
		case "allOf", "anyOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return errNotFast
			}
			subs := make([]*fast, len(list))
			for i, s := range list {
				if subs[i], err = b.node(s, false); err != nil {
					return err
				}
			}
			if k == "allOf" {
				n.allOf = subs
			} else {
				n.anyOf = subs
			}
		default:
			return errNotFast
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *fastBuilder) ref(v any) (*fast, error) {
	s, _ := v.(string)
	name, ok := strings.CutPrefix(s, "#/components/schemas/")
	if !ok || strings.ContainsAny(name, "~%/") {
		return nil, errNotFast
	}
	if n, ok := b.refs[name]; ok {
		return n, nil // built, or being built (a cycle)
	}
	m, ok := b.comps[name].(map[string]any)
	if !ok {
		return nil, errNotFast
	}
	n := &fast{maxLen: -1, maxItems: -1}
	b.refs[name] = n
	if err := b.fill(n, m, false); err != nil {
		return nil, err
	}
	return n, nil
}

func kinds(v any) (uint8, error) {
	names := []any{v}
	if list, ok := v.([]any); ok {
		names = list
	}
	var out uint8
	for _, name := range names {
		switch name {
		case "null":
			out |= kNull
		case "boolean":
			out |= kBool
		case "integer":
			out |= kInteger
		case "number":
			out |= kNumber | kInteger
		case "string":
			out |= kString
		case "array":
			out |= kArray
		case "object":
			out |= kObject
		default:
			return 0, errNotFast
		}
	}
	if out == 0 {
		return 0, errNotFast
	}
	return out, nil
}

func count(v any) (int, error) {
	r, err := rat(v)
	if err != nil || !r.IsInt() || r.Sign() < 0 || !r.Num().IsInt64() || r.Num().Int64() > math.MaxInt32 {
		return 0, errNotFast
	}
	return int(r.Num().Int64()), nil
}

// rat reads a number of the schema as jsonschema does: exactly.
func rat(v any) (*big.Rat, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, errNotFast
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return nil, errNotFast
	}
	return r, nil
}

// passes reports whether v conforms; finite says numbers beyond float64
// are refused (kin-openapi's 3.0 validator cannot read them).
func (n *fast) passes(v gjson.Result, finite bool) bool {
	if n.ref != nil && !n.ref.passes(v, finite) {
		return false
	}
	var kind uint8
	switch {
	case v.IsObject():
		kind = kObject
	case v.IsArray():
		kind = kArray
	case v.Type == gjson.String:
		kind = kString
	case v.Type == gjson.Number:
		kind = kNumber
		if !strings.ContainsAny(v.Raw, ".eE") {
			kind = kInteger
		}
		if finite && math.IsInf(v.Num, 0) {
			return false
		}
	case v.Type == gjson.True, v.Type == gjson.False:
		kind = kBool
	default:
		kind = kNull
	}
	if n.types != 0 && n.types&kind == 0 || n.notNull && kind == kNull {
		return false
	}
	if n.enum != nil && (kind != kString || !n.enum[v.Str]) ||
		n.constant != nil && (kind != kString || v.Str != *n.constant) {
		return false
	}
	switch kind {
	case kString:
		if !n.stringPasses(v.Str) {
			return false
		}
	case kNumber, kInteger:
		if n.min != nil || n.max != nil {
			r, ok := new(big.Rat).SetString(v.Raw)
			if !ok || n.min != nil && r.Cmp(n.min) < 0 || n.max != nil && r.Cmp(n.max) > 0 {
				return false
			}
		}
	case kArray:
		if !n.arrayPasses(v, finite) {
			return false
		}
	case kObject:
		if !n.objectPasses(v, finite) {
			return false
		}
	}
	for _, s := range n.allOf {
		if !s.passes(v, finite) {
			return false
		}
	}
	if n.anyOf == nil {
		return true
	}
	for _, s := range n.anyOf {
		if s.passes(v, finite) {
			return true
		}
	}
	return false
}

func (n *fast) stringPasses(s string) bool {
	if !utf8.ValidString(s) {
		return false // encoding/json would have replaced the bad bytes
	}
	if n.minLen > 0 || n.maxLen >= 0 {
		l := utf8.RuneCountInString(s)
		if l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	return n.pattern == nil || n.pattern.MatchString(s)
}

func (n *fast) arrayPasses(v gjson.Result, finite bool) bool {
	ok, count := true, 0
	v.ForEach(func(_, el gjson.Result) bool {
		count++
		ok = n.items == nil || n.items.passes(el, finite)
		return ok
	})
	return ok && count >= n.minItems && (n.maxItems < 0 || count <= n.maxItems)
}

func (n *fast) objectPasses(v gjson.Result, finite bool) bool {
	ok := true
	var seen uint64
	v.ForEach(func(k, el gjson.Result) bool {
		if bit, req := n.required[k.Str]; req {
			seen |= 1 << bit
		}
		switch p := n.props[k.Str]; {
		case p != nil:
			ok = p.passes(el, finite)
		case n.noExtra:
			ok = false
		case n.additional != nil:
			ok = n.additional.passes(el, finite)
		}
		return ok
	})
	return ok && seen == 1<<len(n.required)-1
}
