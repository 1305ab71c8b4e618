package suites

import (
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/suites/tmpl"
)

// LineError is a problem at one line of a suite file.
type LineError struct {
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

func lineErr(n *yaml.Node, format string, args ...any) error {
	return &LineError{Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// Value is any YAML value whose strings are templates, parsed at load time.
type Value struct {
	Line int
	node any // nil, bool, int64, float64, *tmpl.Template, []*Value, OrderedValues
}

// UnmarshalYAML converts a YAML node, keeping key order and parsing templates.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	v.Line = n.Line
	switch n.Kind {
	case yaml.AliasNode:
		// Expanding aliases here would let a few hundred bytes unfold into
		// millions of values (a "billion laughs" suite).
		return lineErr(n, "YAML aliases (*%s) are not supported in values: write the value out", n.Value)
	case yaml.ScalarNode:
		return v.scalar(n)
	case yaml.SequenceNode:
		list := make([]*Value, 0, len(n.Content))
		for _, c := range n.Content {
			el := &Value{}
			if err := el.UnmarshalYAML(c); err != nil {
				return err
			}
			list = append(list, el)
		}
		v.node = list
	case yaml.MappingNode:
		var m OrderedValues
		if err := m.UnmarshalYAML(n); err != nil {
			return err
		}
		v.node = m
	default:
		return lineErr(n, "unsupported YAML node")
	}
	return nil
}

func (v *Value) scalar(n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		v.node = nil
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return lineErr(n, "bad boolean %q", n.Value)
		}
		v.node = b
	case "!!int":
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return lineErr(n, "bad integer %q", n.Value)
		}
		v.node = i
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return lineErr(n, "bad number %q", n.Value)
		}
		v.node = f
	default:
		t, err := tmpl.Parse(n.Value)
		if err != nil {
			return lineErr(n, "%v", err)
		}
		v.node = t
	}
	return nil
}

// NewString returns a literal or templated string value (for code-built steps).
func NewString(s string) (*Value, error) {
	t, err := tmpl.Parse(s)
	if err != nil {
		return nil, err
	}
	return &Value{node: t}, nil
}

// Refs lists every template reference inside the value.
func (v *Value) Refs() []tmpl.Ref {
	if v == nil {
		return nil
	}
	switch x := v.node.(type) {
	case *tmpl.Template:
		return x.Refs()
	case []*Value:
		var out []tmpl.Ref
		for _, el := range x {
			out = append(out, el.Refs()...)
		}
		return out
	case OrderedValues:
		return x.Refs()
	}
	return nil
}

// LineRef is a reference and the line of the string that holds it.
type LineRef struct {
	tmpl.Ref
	Line int
}

// LineRefs lists every reference with its own line, for precise errors.
func (v *Value) LineRefs() []LineRef {
	if v == nil {
		return nil
	}
	switch x := v.node.(type) {
	case *tmpl.Template:
		var out []LineRef
		for _, r := range x.Refs() {
			out = append(out, LineRef{Ref: r, Line: v.Line})
		}
		return out
	case []*Value:
		var out []LineRef
		for _, el := range x {
			out = append(out, el.LineRefs()...)
		}
		return out
	case OrderedValues:
		var out []LineRef
		for _, f := range x {
			out = append(out, f.Value.LineRefs()...)
		}
		return out
	}
	return nil
}

// Render substitutes references and returns plain Go values: nil, bool,
// int64, float64, string (or a referenced value), []any, and Object.
func (v *Value) Render(resolve tmpl.Resolver) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch x := v.node.(type) {
	case *tmpl.Template:
		return x.Render(resolve)
	case []*Value:
		out := make([]any, 0, len(x))
		for _, el := range x {
			r, err := el.Render(resolve)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	case OrderedValues:
		return x.Render(resolve)
	default:
		return x, nil
	}
}

// RenderString renders the value as text.
func (v *Value) RenderString(resolve tmpl.Resolver) (string, error) {
	r, err := v.Render(resolve)
	if err != nil {
		return "", err
	}
	return tmpl.Format(r), nil
}

// Field is one key of an OrderedValues.
type Field struct {
	Key   string
	Value *Value
}

// OrderedValues is a YAML mapping that keeps its key order, so request bodies
// go out in the order the suite author wrote them.
type OrderedValues []Field

// UnmarshalYAML reads a mapping node in order.
func (m *OrderedValues) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "expected a mapping of names to values")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return lineErr(k, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		v := &Value{}
		if err := v.UnmarshalYAML(val); err != nil {
			return err
		}
		*m = append(*m, Field{Key: k.Value, Value: v})
	}
	return nil
}

// Get returns the value of key, or nil.
func (m OrderedValues) Get(key string) *Value {
	for _, f := range m {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// Refs lists every template reference in the values.
func (m OrderedValues) Refs() []tmpl.Ref {
	var out []tmpl.Ref
	for _, f := range m {
		out = append(out, f.Value.Refs()...)
	}
	return out
}

// Render renders every value into an Object.
func (m OrderedValues) Render(resolve tmpl.Resolver) (Object, error) {
	out := make(Object, 0, len(m))
	for _, f := range m {
		r, err := f.Value.Render(resolve)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Key, err)
		}
		out = append(out, KV{Key: f.Key, Value: r})
	}
	return out, nil
}

// KV is one member of an Object.
type KV struct {
	Key   string
	Value any
}

// Object is a rendered JSON object that marshals in insertion order.
type Object []KV

// MarshalJSON writes the members in order, as json.Marshal writes each key
// and value (HTML escaped).
func (o Object) MarshalJSON() ([]byte, error) { return AppendJSON(nil, o) }

// AppendJSON appends v's JSON, byte for byte what json.Marshal writes, to
// dst. A rendered request body is made of few types (Object, []any, plain
// strings, integers, booleans); those are written here directly, and
// anything else (floats, escapes, captured maps, numbers) by json.Marshal.
// Marshalling a body through json.Marshal cost more than building the rest
// of the request: reflection, then Object's output scanned again to compact
// it.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendJSONString(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case Object:
		dst = append(dst, '{')
		for i, kv := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONString(dst, kv.Key); err != nil {
				return nil, err
			}
			dst = append(dst, ':')
			if dst, err = AppendJSON(dst, kv.Value); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, el := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendJSON(dst, el); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, out...), nil
}

// appendJSONString writes s quoted as it is when it needs no escape, which
// is almost always; json.Marshal's escaping (HTML characters, control
// characters, U+2028, invalid UTF-8) otherwise.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			out, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(dst, out...), nil
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"'), nil
}
