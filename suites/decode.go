package suites

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// The types below record the line they start at, so that checks made after
// decoding (unknown operationId, undefined variable) can name it.

// UnmarshalYAML decodes an item strictly and records its line.
func (it *Item) UnmarshalYAML(n *yaml.Node) error {
	type plain Item
	if err := n.Load((*plain)(it), yaml.WithKnownFields()); err != nil {
		return err
	}
	it.Line = n.Line
	return nil
}

// UnmarshalYAML decodes a step strictly and records its line.
func (s *Step) UnmarshalYAML(n *yaml.Node) error {
	type plain Step
	if err := n.Load((*plain)(s), yaml.WithKnownFields()); err != nil {
		return err
	}
	s.Line = n.Line
	s.OperationLine = keyLine(n, "operation")
	return nil
}

// UnmarshalYAML decodes the auth block strictly and records its line.
func (a *Auth) UnmarshalYAML(n *yaml.Node) error {
	type plain Auth
	if err := n.Load((*plain)(a), yaml.WithKnownFields()); err != nil {
		return err
	}
	a.Line = n.Line
	return nil
}

// UnmarshalYAML decodes a poll block strictly and records its line.
func (p *Poll) UnmarshalYAML(n *yaml.Node) error {
	type plain Poll
	if err := n.Load((*plain)(p), yaml.WithKnownFields()); err != nil {
		return err
	}
	p.Line = n.Line
	p.BackoffLine = keyLine(n, "backoff")
	if p.Interval.Line == 0 {
		p.Interval.Line = n.Line
	}
	return nil
}

// UnmarshalYAML decodes a latency block strictly and records its line.
func (l *Latency) UnmarshalYAML(n *yaml.Node) error {
	type plain Latency
	if err := n.Load((*plain)(l), yaml.WithKnownFields()); err != nil {
		return err
	}
	l.Line = n.Line
	return nil
}

// UnmarshalYAML decodes a callback wait strictly and records its line.
func (c *CallbackWait) UnmarshalYAML(n *yaml.Node) error {
	type plain CallbackWait
	if err := n.Load((*plain)(c), yaml.WithKnownFields()); err != nil {
		return err
	}
	c.Line = n.Line
	return nil
}

// UnmarshalYAML decodes a signature strictly and records its line.
func (sg *Signature) UnmarshalYAML(n *yaml.Node) error {
	type plain Signature
	if err := n.Load((*plain)(sg), yaml.WithKnownFields()); err != nil {
		return err
	}
	sg.Line = n.Line
	return nil
}

// UnmarshalYAML decodes the derived block strictly and records its line.
func (d *Derived) UnmarshalYAML(n *yaml.Node) error {
	type plain Derived
	if err := n.Load((*plain)(d), yaml.WithKnownFields()); err != nil {
		return err
	}
	d.Line = n.Line
	return nil
}

// UnmarshalYAML reads "500ms", "2s", "1m30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return lineErr(n, "bad duration %q: write it like 500ms, 2s or 1m", n.Value)
	}
	d.Duration, d.Line = v, n.Line
	return nil
}

// StatusSpec is an expected HTTP status: exact (200), a list ([200, 201]) or
// a class ("2xx").
type StatusSpec struct {
	Line    int
	Codes   []int
	Classes []int // 2 for "2xx"
}

var statusClass = regexp.MustCompile(`^([1-5])xx$`)

// UnmarshalYAML reads a status, a class or a list of them.
func (s *StatusSpec) UnmarshalYAML(n *yaml.Node) error {
	s.Line = n.Line
	nodes := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	}
	for _, c := range nodes {
		if c.Kind != yaml.ScalarNode {
			return lineErr(c, "status must be a code (200), a class (\"4xx\") or a list of them")
		}
		if m := statusClass.FindStringSubmatch(strings.ToLower(c.Value)); m != nil {
			s.Classes = append(s.Classes, int(m[1][0]-'0'))
			continue
		}
		code, err := strconv.Atoi(c.Value)
		if err != nil || code < 100 || code > 599 {
			return lineErr(c, "bad status %q: want a code from 100 to 599 or a class like 4xx", c.Value)
		}
		s.Codes = append(s.Codes, code)
	}
	return nil
}

// Allows reports whether status satisfies the spec.
func (s *StatusSpec) Allows(status int) bool {
	for _, c := range s.Codes {
		if c == status {
			return true
		}
	}
	for _, c := range s.Classes {
		if status/100 == c {
			return true
		}
	}
	return false
}

func (s *StatusSpec) String() string {
	var parts []string
	for _, c := range s.Codes {
		parts = append(parts, strconv.Itoa(c))
	}
	for _, c := range s.Classes {
		parts = append(parts, fmt.Sprintf("%dxx", c))
	}
	return strings.Join(parts, " or ")
}

// Matcher is a condition on one value. Several keys in one matcher must all
// hold. A bare scalar in YAML is shorthand for equals.
type Matcher struct {
	Line     int      `yaml:"-"`
	Equals   *Value   `yaml:"equals"`
	OneOf    []*Value `yaml:"oneOf"`
	Regexp   *Value   `yaml:"regexp"`
	Contains *Value   `yaml:"contains"`
	Gt       *Value   `yaml:"gt"`
	Gte      *Value   `yaml:"gte"`
	Lt       *Value   `yaml:"lt"`
	Lte      *Value   `yaml:"lte"`
	Exists   *bool    `yaml:"exists"`
	Absent   *bool    `yaml:"absent"`
	Length   *Value   `yaml:"length"`
	Decimal  *Value   `yaml:"decimal"` // exact decimal equality, for money

	// regexp is Regexp compiled when the suite is read, if it is literal.
	regexp *regexp.Regexp
}

// CompiledRegexp is the matcher's regexp compiled once, when the suite was
// read; nil when there is none or it is a template (rendered, then compiled,
// per value matched).
func (m *Matcher) CompiledRegexp() *regexp.Regexp { return m.regexp }

// UnmarshalYAML reads a matcher mapping, or a scalar as equals.
func (m *Matcher) UnmarshalYAML(n *yaml.Node) error {
	m.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		m.Equals = &Value{}
		return m.Equals.UnmarshalYAML(n)
	}
	type plain Matcher
	if err := n.Load((*plain)(m), yaml.WithKnownFields()); err != nil {
		return err
	}
	m.Line = n.Line
	if err := m.nullValues(n); err != nil {
		return err
	}
	if m.Regexp != nil {
		if t, ok := m.Regexp.node.(interface{ IsLiteral() bool }); ok && t.IsLiteral() {
			if s, _ := m.Regexp.RenderString(nil); s != "" {
				re, err := regexp.Compile(s)
				if err != nil {
					return lineErr(n, "bad regexp %q: %v", s, err)
				}
				m.regexp = re
			}
		}
	}
	if m.empty() {
		return lineErr(n, "empty matcher: use equals, oneOf, regexp, contains, gt, gte, lt, lte, exists, absent, length or decimal")
	}
	return nil
}

// nullValues gives the keys written with a null value what the decoder
// leaves out: a pointer field left nil for null would make "equals: null"
// an empty matcher. null is a value for equals and contains (an array that
// holds a null); for the other keys it is a mistake worth a line.
func (m *Matcher) nullValues(n *yaml.Node) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!null" {
			continue
		}
		switch k.Value {
		case "equals":
			m.Equals = &Value{Line: v.Line}
		case "contains":
			m.Contains = &Value{Line: v.Line}
		default:
			return lineErr(v, "%s needs a value, not null", k.Value)
		}
	}
	return nil
}

func (m *Matcher) empty() bool {
	return m.Equals == nil && m.OneOf == nil && m.Regexp == nil && m.Contains == nil &&
		m.Gt == nil && m.Gte == nil && m.Lt == nil && m.Lte == nil &&
		m.Exists == nil && m.Absent == nil && m.Length == nil && m.Decimal == nil
}

// Values lists every value inside the matcher (for reference checks).
func (m *Matcher) Values() []*Value {
	out := []*Value{m.Equals, m.Regexp, m.Contains, m.Gt, m.Gte, m.Lt, m.Lte, m.Length, m.Decimal}
	out = append(out, m.OneOf...)
	return out
}

// PathMatcher is a matcher on the value at a gjson path (or a header name).
type PathMatcher struct {
	Line    int
	Path    string
	Matcher *Matcher
}

// PathMatchers keeps the order the author wrote, so reports read the same.
type PathMatchers []PathMatcher

// UnmarshalYAML reads "path: matcher" pairs in order.
func (p *PathMatchers) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "expected a mapping of paths to matchers")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		m := &Matcher{}
		if err := m.UnmarshalYAML(v); err != nil {
			return err
		}
		*p = append(*p, PathMatcher{Line: k.Line, Path: k.Value, Matcher: m})
	}
	return nil
}

// Capture names a value taken from a response by gjson path.
type Capture struct {
	Line int
	Name string
	Path string
}

// Captures keeps capture order.
type Captures []Capture

var captureName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// UnmarshalYAML reads "name: gjson.path" pairs in order.
func (c *Captures) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "capture must map names to gjson paths")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !captureName.MatchString(k.Value) {
			return lineErr(k, "bad capture name %q: letters, digits and _ only", k.Value)
		}
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return lineErr(v, "capture %s needs a gjson path", k.Value)
		}
		*c = append(*c, Capture{Line: k.Line, Name: k.Value, Path: v.Value})
	}
	return nil
}

// keyLine is the line of key in a mapping node, or the node's own line.
func keyLine(n *yaml.Node, key string) int {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i].Line
		}
	}
	return n.Line
}
