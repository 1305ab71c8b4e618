// Package tmpl parses and renders the small template language of suite
// values: "{{ var.amount }}", "{{ capture.ref }}", "{{ gen.reference }}", and
// "${ENV_NAME}" environment references. Parsing is separate from rendering so
// that a suite's references are checked before any request is sent.
package tmpl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Namespaces a template may refer to.
const (
	Var     = "var"     // suite variables and --var values
	Capture = "capture" // values captured by earlier steps of the same item
	Gen     = "gen"     // generated values: reference*, uuid, timestamp, unix
)

// Generators lists the gen.* names ("callbackUrl" is this item's callback
// address); "reference" also matches any name that
// starts with it ("reference2"), each a distinct unique value.
func Generators() []string {
	return []string{"reference", "uuid", "timestamp", "unix", "date", "callbackUrl"}
}

// Ref is one {{ ns.name }} reference.
type Ref struct {
	NS   string
	Name string
}

func (r Ref) String() string { return r.NS + "." + r.Name }

// Template is a parsed string: literal text and references, alternating.
type Template struct {
	raw   string
	parts []part
}

type part struct {
	lit string
	ref *Ref
}

var refPattern = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
var namePattern = regexp.MustCompile(`^(var|capture|gen)\.([A-Za-z_][A-Za-z0-9_.-]*)$`)

// Parse parses s. A malformed reference ("{{ foo }}", an unclosed "{{") is an error.
func Parse(s string) (*Template, error) {
	t := &Template{raw: s}
	rest := s
	for {
		loc := refPattern.FindStringSubmatchIndex(rest)
		if loc == nil {
			if strings.Contains(rest, "{{") {
				return nil, fmt.Errorf("unclosed {{ in %q", s)
			}
			if rest != "" {
				t.parts = append(t.parts, part{lit: rest})
			}
			return t, nil
		}
		if loc[0] > 0 {
			lit := rest[:loc[0]]
			if strings.Contains(lit, "{{") {
				return nil, fmt.Errorf("unclosed {{ in %q", s)
			}
			t.parts = append(t.parts, part{lit: lit})
		}
		expr := rest[loc[2]:loc[3]]
		m := namePattern.FindStringSubmatch(expr)
		if m == nil {
			return nil, fmt.Errorf("bad reference {{ %s }}: want var.NAME, capture.NAME or gen.NAME", escapeLine(expr))
		}
		if m[1] == Gen && !isGenerator(m[2]) {
			return nil, fmt.Errorf("unknown generator gen.%s (known: %s)", m[2], strings.Join(Generators(), ", "))
		}
		t.parts = append(t.parts, part{ref: &Ref{NS: m[1], Name: m[2]}})
		rest = rest[loc[1]:]
	}
}

func isGenerator(name string) bool {
	if strings.HasPrefix(name, "reference") {
		return true
	}
	for _, g := range Generators() {
		if g == name {
			return true
		}
	}
	return false
}

// Refs lists the references in order.
func (t *Template) Refs() []Ref {
	var out []Ref
	for _, p := range t.parts {
		if p.ref != nil {
			out = append(out, *p.ref)
		}
	}
	return out
}

// IsLiteral reports whether the template has no references.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.ref != nil {
			return false
		}
	}
	return true
}

// Resolver supplies the value of a reference at render time.
type Resolver func(Ref) (any, bool)

// Render substitutes every reference. A template that is exactly one
// reference keeps the referenced value's type (a captured number stays a
// number); otherwise the values are formatted into the string.
func (t *Template) Render(resolve Resolver) (any, error) {
	switch {
	case len(t.parts) == 0:
		return "", nil
	case len(t.parts) == 1 && t.parts[0].ref == nil:
		// Literal text, the common case in a request body: it is its own
		// rendering, with nothing to build.
		return t.parts[0].lit, nil
	}
	if len(t.parts) == 1 && t.parts[0].ref != nil {
		v, ok := resolve(*t.parts[0].ref)
		if !ok {
			return nil, fmt.Errorf("%s is not defined", t.parts[0].ref)
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == nil {
			b.WriteString(p.lit)
			continue
		}
		v, ok := resolve(*p.ref)
		if !ok {
			return nil, fmt.Errorf("%s is not defined", p.ref)
		}
		b.WriteString(Format(v))
	}
	return b.String(), nil
}

// RenderString renders and formats the result as a string.
func (t *Template) RenderString(resolve Resolver) (string, error) {
	v, err := t.Render(resolve)
	if err != nil {
		return "", err
	}
	return Format(v), nil
}

// Format turns a value into the text a template would insert.
func Format(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		// The shortest decimal that reads back as x, never in exponent form:
		// 0.0000001 stays 0.0000001 and 10.1234567 keeps its digits (a fixed
		// six decimals would send "0" and "10.123457").
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// escapeLine writes s on one line, escaping newlines and other control
// characters, so an error quoting a suite's text stays one line.
func escapeLine(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

var envPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// EnvRefs lists the ${NAME} environment references in s.
func EnvRefs(s string) []string {
	var out []string
	for _, m := range envPattern.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// ExpandEnv replaces each ${NAME} with lookup(NAME). It returns the names
// that were not set, so callers can report them all at once.
func ExpandEnv(s string, lookup func(string) (string, bool)) (string, []string) {
	var missing []string
	out := envPattern.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	return out, missing
}
