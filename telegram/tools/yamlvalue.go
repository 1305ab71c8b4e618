package tools

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// lines maps a JSON pointer into the document ("/tools/0/params/1") to the
// line it starts on, so that schema errors, which name an instance location,
// can name a line.
type lines map[string]int

// lineOf is the line of ptr or of its nearest ancestor that has one.
func (l lines) lineOf(ptr string) int {
	for {
		if n, ok := l[ptr]; ok {
			return n
		}
		i := strings.LastIndex(ptr, "/")
		if i < 0 {
			return 1
		}
		ptr = ptr[:i]
	}
}

// toValue turns a YAML node into plain JSON-like values (maps, slices,
// strings, numbers, booleans, nil), recording each value's line under ptr.
func toValue(n *yaml.Node, ptr string, at lines) (any, error) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toValue(n.Content[0], ptr, at)
	}
	if _, seen := at[ptr]; !seen {
		at[ptr] = n.Line
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nil, &Problem{Line: n.Line, Msg: "YAML aliases are not supported here: write the value out"}
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, &Problem{Line: k.Line, Msg: "a key must be a plain string"}
			}
			if _, dup := m[k.Value]; dup {
				return nil, &Problem{Line: k.Line, Msg: fmt.Sprintf("key %q appears twice", k.Value)}
			}
			child := ptr + "/" + escapePointer(k.Value)
			at[child] = k.Line // the key's line is where an author looks
			val, err := toValue(v, child, at)
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			val, err := toValue(c, ptr+"/"+strconv.Itoa(i), at)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		return s, nil
	default:
		return scalar(n)
	}
}

// scalar decodes by the node's resolved tag, so `1` is a number and `"1"`
// a string, as in the YAML the author wrote.
func scalar(n *yaml.Node) (any, error) {
	var v any
	if err := n.Load(&v); err != nil {
		return nil, &Problem{Line: n.Line, Msg: fmt.Sprintf("bad value %q", n.Value)}
	}
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case uint64, int64, float64, bool, string, nil:
		return x, nil
	default:
		return n.Value, nil // timestamps and the like: the text as written
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
