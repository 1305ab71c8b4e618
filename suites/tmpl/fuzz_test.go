package tmpl_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/golive-cert/golive/suites/tmpl"
)

// FuzzTemplate parses arbitrary template text and renders it: Parse never
// panics, its errors are one line, a literal renders back to itself, and a
// template renders to what its parts say.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{{ var.amount }}", "{{var.a}}-{{ capture.b }}", "{{ gen.reference }}",
		"{{ gen.reference2 }}{{ gen.uuid }}", "{{ gen.nope }}", "{{ foo }}", "{{ var.a", "{{{ var.a }}}",
		"}}{{", "{{}}", "{{ var.a }}{{", "${ENV}{{ var.x }}", "{{ var.a\n}}", "{{ x\ny }}", "{{ var.a.b-c }}",
		"\xff{{ var.\xfe }}", "{{ {{ var.a }} }}", strings.Repeat("{{ var.a }}", 50),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := tmpl.Parse(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("Parse(%q): error is not one line: %q", s, err)
			}
			return
		}
		refs := tp.Refs()
		for _, r := range refs {
			switch r.NS {
			case tmpl.Var, tmpl.Capture, tmpl.Gen:
			default:
				t.Fatalf("Parse(%q): namespace %q", s, r.NS)
			}
			if r.Name == "" {
				t.Fatalf("Parse(%q): empty name", s)
			}
			if !strings.Contains(s, r.String()) {
				t.Fatalf("Parse(%q): ref %s not in the text", s, r)
			}
		}
		if tp.IsLiteral() != (len(refs) == 0) {
			t.Fatalf("Parse(%q): IsLiteral disagrees with Refs", s)
		}
		// Every reference resolves to a marker; the rendering holds each
		// marker in order, and only literal text around them.
		got, err := tp.RenderString(func(r tmpl.Ref) (any, bool) { return "<" + r.String() + ">", true })
		if err != nil {
			t.Fatalf("Parse(%q) rendered with every ref defined: %v", s, err)
		}
		if len(refs) == 0 && got != s {
			t.Fatalf("literal %q rendered as %q", s, got)
		}
		rest := got
		for _, r := range refs {
			i := strings.Index(rest, "<"+r.String()+">")
			if i < 0 {
				t.Fatalf("Parse(%q): render %q lacks %s", s, got, r)
			}
			rest = rest[i+len(r.String())+2:]
		}
		// An undefined reference is an error, never a panic or a silent "".
		if len(refs) > 0 {
			if _, err := tp.Render(func(tmpl.Ref) (any, bool) { return nil, false }); err == nil {
				t.Fatalf("Parse(%q): undefined refs rendered without error", s)
			}
		}
		// A template that is exactly one reference keeps the value's type
		// (a captured number stays a number).
		if len(refs) == 1 && got == "<"+refs[0].String()+">" {
			v, err := tp.Render(func(tmpl.Ref) (any, bool) { return int64(42), true })
			if _, ok := v.(int64); err != nil || !ok {
				t.Fatalf("Parse(%q): a lone reference rendered %T (%v)", s, v, err)
			}
		}
		// Environment references: every one found is reported when unset.
		if _, missing := tmpl.ExpandEnv(s, func(string) (string, bool) { return "", false }); len(missing) != len(tmpl.EnvRefs(s)) {
			t.Fatalf("ExpandEnv(%q): %d missing, %d refs", s, len(missing), len(tmpl.EnvRefs(s)))
		}
	})
}

// FuzzFormat checks that a number inserted into a template is the number:
// parsing the text back gives the same float64.
func FuzzFormat(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 1500, 1500.1, 10.1234567, 1e-7, 0.1, 1e21, 1e300, 5e-324, math.MaxFloat64, -0.5} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		s := tmpl.Format(v)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		if strings.ContainsAny(s, "eE") {
			t.Fatalf("Format(%v) = %q: exponent notation is not a decimal amount", v, s)
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || back != v {
			t.Fatalf("Format(%v) = %q, which reads back as %v (%v)", v, s, back, err)
		}
	})
}
