package runner

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"
	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// rawNumber and rawJSON carry captured JSON verbatim, so numbers and
// structures are re-sent exactly as the target wrote them.
type rawNumber string
type rawJSON string

func (n rawNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }
func (j rawJSON) MarshalJSON() ([]byte, error)   { return []byte(j), nil }

// mismatch describes a matcher that did not hold.
type mismatch struct {
	message  string // "expected SUCCESS or FAILED, got PROCESSING"
	expected string
	actual   string
}

// evaluate checks every condition of m against the value at a path. Each
// condition is a gomega matcher; messages are written for partners, not Go
// programmers.
func evaluate(m *suites.Matcher, res gjson.Result, resolve tmpl.Resolver) (mismatch, bool) {
	actual := describe(res)
	fail := func(expected string) (mismatch, bool) {
		return mismatch{message: fmt.Sprintf("expected %s, got %s", expected, actual), expected: expected, actual: actual}, false
	}
	render := func(v *suites.Value) any {
		out, err := v.Render(resolve)
		if err != nil {
			return fmt.Sprintf("<%v>", err)
		}
		return normalize(out)
	}
	if m.Exists != nil && res.Exists() != *m.Exists {
		return fail(map[bool]string{true: "present", false: "absent"}[*m.Exists])
	}
	if m.Absent != nil && !res.Exists() != *m.Absent {
		return fail(map[bool]string{true: "absent", false: "present"}[*m.Absent])
	}
	value := normalize(jsonValue(res))
	check := func(matcher types.GomegaMatcher, expected string) (mismatch, bool) {
		ok, err := matcher.Match(value)
		if err != nil || !ok {
			return fail(expected)
		}
		return mismatch{}, true
	}
	if m.Equals != nil {
		want := render(m.Equals)
		if mm, ok := check(gomega.Equal(want), quote(want)); !ok {
			return mm, ok
		}
	}
	if m.OneOf != nil {
		var want []any
		var words []string
		for _, v := range m.OneOf {
			w := render(v)
			want = append(want, w)
			words = append(words, quote(w))
		}
		if mm, ok := check(gomega.BeElementOf(want...), "one of "+strings.Join(words, ", ")); !ok {
			return mm, ok
		}
	}
	if m.Regexp != nil {
		pattern := tmpl.Format(render(m.Regexp))
		ok, err := gomega.MatchRegexp(pattern).Match(textOf(res))
		if err != nil || !ok {
			return fail("a value matching /" + pattern + "/")
		}
	}
	if m.Contains != nil {
		want := render(m.Contains)
		var matcher types.GomegaMatcher = gomega.ContainElement(want)
		if !res.IsArray() {
			matcher, value = gomega.ContainSubstring(tmpl.Format(want)), textOf(res)
		}
		if mm, ok := check(matcher, "a value containing "+quote(want)); !ok {
			return mm, ok
		}
		value = normalize(jsonValue(res))
	}
	for _, cmp := range []struct {
		op string
		v  *suites.Value
	}{{">", m.Gt}, {">=", m.Gte}, {"<", m.Lt}, {"<=", m.Lte}} {
		if cmp.v == nil {
			continue
		}
		want := render(cmp.v)
		if mm, ok := compareNumbers(res, cmp.op, want); !ok {
			return mm, ok
		}
	}
	if m.Length != nil {
		want := render(m.Length)
		n, ok := want.(float64)
		if !ok {
			return fail(fmt.Sprintf("length %v (not a number)", want))
		}
		var subject any = value
		if res.IsObject() {
			subject = res.Map()
		}
		if ok, err := gomega.HaveLen(int(n)).Match(subject); err != nil || !ok {
			return fail(fmt.Sprintf("length %d", int(n)))
		}
	}
	if m.Decimal != nil {
		want := tmpl.Format(render(m.Decimal))
		if ok, err := equalDecimal(want).Match(res); err != nil || !ok {
			return fail("the exact amount " + want)
		}
	}
	return mismatch{}, true
}

// normalize brings YAML values and JSON values to the same Go types: whole
// numbers and floats both become float64, raw numbers too.
func normalize(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case rawNumber:
		var f float64
		_ = json.Unmarshal([]byte(x), &f)
		return f
	case rawJSON:
		var out any
		_ = json.Unmarshal([]byte(x), &out)
		return out
	case suites.Object, []any:
		data, _ := json.Marshal(x)
		var out any
		_ = json.Unmarshal(data, &out)
		return out
	}
	return v
}

func compareNumbers(res gjson.Result, op string, want any) (mismatch, bool) {
	actual := describe(res)
	expected := fmt.Sprintf("a number %s %v", op, tmpl.Format(want))
	a, okA := ratOf(res)
	w, okW := new(big.Rat).SetString(tmpl.Format(want))
	if !okA || !okW {
		return mismatch{message: fmt.Sprintf("expected %s, got %s", expected, actual), expected: expected, actual: actual}, false
	}
	c := a.Cmp(w)
	ok := map[string]bool{">": c > 0, ">=": c >= 0, "<": c < 0, "<=": c <= 0}[op]
	if !ok {
		return mismatch{message: fmt.Sprintf("expected %s, got %s", expected, actual), expected: expected, actual: actual}, false
	}
	return mismatch{}, true
}

// ratOf reads a JSON number or a decimal string exactly.
func ratOf(res gjson.Result) (*big.Rat, bool) {
	var text string
	switch res.Type {
	case gjson.Number:
		text = res.Raw
	case gjson.String:
		text = strings.TrimSpace(res.Str)
	default:
		return nil, false
	}
	if text == "" || strings.ContainsAny(text, "/eE") && res.Type == gjson.String {
		return nil, false // "1/2" and "1e3" are not amounts
	}
	return new(big.Rat).SetString(text)
}

// decimalMatcher compares money exactly: "1500.00" equals "1500" and
// 1500.0, and "1500.01" never equals "1500.00", whatever float64 would say.
type decimalMatcher struct{ want string }

func equalDecimal(want string) types.GomegaMatcher { return &decimalMatcher{want: want} }

func (d *decimalMatcher) Match(actual any) (bool, error) {
	res, ok := actual.(gjson.Result)
	if !ok {
		return false, fmt.Errorf("decimal matcher needs a JSON value")
	}
	a, okA := ratOf(res)
	w, okW := new(big.Rat).SetString(d.want)
	if !okW {
		return false, fmt.Errorf("%q is not a decimal", d.want)
	}
	return okA && a.Cmp(w) == 0, nil
}

func (d *decimalMatcher) FailureMessage(actual any) string {
	return fmt.Sprintf("expected the exact amount %s, got %v", d.want, actual)
}

func (d *decimalMatcher) NegatedFailureMessage(actual any) string {
	return fmt.Sprintf("expected an amount other than %s, got %v", d.want, actual)
}

// describe writes a JSON value for a message: strings quoted, absent said so.
func describe(res gjson.Result) string {
	if !res.Exists() {
		return "nothing (absent)"
	}
	if res.Type == gjson.String {
		return quote(res.Str)
	}
	s := res.Raw
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func textOf(res gjson.Result) string {
	if res.Type == gjson.String {
		return res.Str
	}
	return res.Raw
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// headerResult presents a header value to the matchers as a JSON string.
func headerResult(value string, present bool) gjson.Result {
	if !present {
		return gjson.Result{}
	}
	data, _ := json.Marshal(value)
	return gjson.ParseBytes(data)
}
