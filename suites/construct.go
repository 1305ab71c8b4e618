package suites

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// NewValue wraps a Go value built in code (spec-derived checks) as a Value.
// Strings are literals: they are never parsed as templates, so a generated
// string that happens to contain "{{" is sent as is. Use NewString for a
// templated string, and put the *Value it returns inside v where needed.
//
// Accepted: nil, bool, signed and unsigned integers, floats, json.Number,
// string, *Value, []any, []*Value, []string, map[string]any (keys sorted),
// OrderedValues and Object; anything else goes through encoding/json.
func NewValue(v any) *Value {
	switch x := v.(type) {
	case *Value:
		if x == nil {
			return &Value{}
		}
		return x
	case nil, bool, int64, float64, string:
		return &Value{node: x}
	case int:
		return &Value{node: int64(x)}
	case int32:
		return &Value{node: int64(x)}
	case uint:
		return &Value{node: int64(x)}
	case uint32:
		return &Value{node: int64(x)}
	case uint64:
		return &Value{node: int64(x)}
	case float32:
		return &Value{node: float64(x)}
	case json.Number:
		// Matchers compare numbers as int64/float64, never as json.Number.
		if i, err := x.Int64(); err == nil {
			return &Value{node: i}
		}
		f, _ := x.Float64()
		return &Value{node: f}
	case []*Value:
		return &Value{node: x}
	case []any:
		list := make([]*Value, 0, len(x))
		for _, el := range x {
			list = append(list, NewValue(el))
		}
		return &Value{node: list}
	case []string:
		list := make([]*Value, 0, len(x))
		for _, el := range x {
			list = append(list, NewValue(el))
		}
		return &Value{node: list}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // maps have no order; sorted keys keep requests stable
		m := make(OrderedValues, 0, len(keys))
		for _, k := range keys {
			m = append(m, Field{Key: k, Value: NewValue(x[k])})
		}
		return &Value{node: m}
	case OrderedValues:
		return &Value{node: x}
	case Object:
		m := make(OrderedValues, 0, len(x))
		for _, kv := range x {
			m = append(m, Field{Key: kv.Key, Value: NewValue(kv.Value)})
		}
		return &Value{node: m}
	}
	return viaJSON(v)
}

// viaJSON converts any other value (a struct, a typed slice) through its
// JSON form, so what is sent is what encoding/json would have sent.
func viaJSON(v any) *Value {
	data, err := json.Marshal(v)
	if err != nil {
		return &Value{node: fmt.Sprint(v)}
	}
	var generic any
	if err := unmarshalNumbers(data, &generic); err != nil {
		return &Value{node: string(data)}
	}
	if m, ok := generic.(map[string]any); ok {
		return NewValue(m)
	}
	return NewValue(generic)
}

func unmarshalNumbers(data []byte, out *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(out)
}
