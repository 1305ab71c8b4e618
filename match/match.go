// Package match decides whether the value at a path of a response holds to a
// suite's matcher (equals, oneOf, regexp, contains, gt, gte, lt, lte, exists,
// absent, length, decimal), and when it does not, says so in a partner's
// words: `expected one of "SUCCESS", "FAILED", got "PROCESSING"`.
//
// Values compare as JSON values: a string never equals a number ("200" is not
// 200), null equals null and nothing else, objects ignore key order, and
// numbers compare as exact decimals, never as float64, so amounts and long
// identifiers are equal only when they are. An absent value equals nothing.
package match

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// Mismatch describes a matcher that did not hold.
type Mismatch struct {
	Message  string // `expected one of "SUCCESS", "FAILED", got "PROCESSING"`
	Expected string // `one of "SUCCESS", "FAILED"`
	Actual   string // `"PROCESSING"`
}

// Evaluate checks every condition of m against res, the value at a path
// (Header makes one of a header). Templates in m are rendered with resolve.
// The first condition that does not hold is reported.
func Evaluate(m *suites.Matcher, res gjson.Result, resolve tmpl.Resolver) (Mismatch, bool) {
	expected, ok := holds(m, res, resolve)
	if ok {
		return Mismatch{}, true
	}
	actual := Describe(res)
	return Mismatch{Message: fmt.Sprintf("expected %s, got %s", expected, actual), Expected: expected, Actual: actual}, false
}

// holds checks the conditions in a fixed order; for the first that fails it
// returns what was expected, in the words of the message.
func holds(m *suites.Matcher, res gjson.Result, resolve tmpl.Resolver) (expected string, ok bool) {
	render := func(v *suites.Value) any {
		out, err := v.Render(resolve)
		if err != nil {
			return fmt.Sprintf("<%v>", err)
		}
		return out
	}
	if m.Exists != nil && res.Exists() != *m.Exists {
		return presence(*m.Exists), false
	}
	if m.Absent != nil && !res.Exists() != *m.Absent {
		return presence(!*m.Absent), false
	}
	actual := valueOf(res)
	if m.Equals != nil {
		want := canonical(render(m.Equals))
		if !res.Exists() || !equal(actual, want) {
			return quote(want), false
		}
	}
	if m.OneOf != nil {
		found := false
		var words []string
		for _, v := range m.OneOf {
			want := canonical(render(v))
			found = found || res.Exists() && equal(actual, want)
			words = append(words, quote(want))
		}
		if !found {
			return "one of " + strings.Join(words, ", "), false
		}
	}
	if m.Regexp != nil {
		pattern := text(render(m.Regexp))
		re, err := m.CompiledRegexp(), error(nil) // a literal one was compiled with the suite
		if re == nil {
			re, err = regexp.Compile(pattern)
		}
		if err != nil || !re.MatchString(textOf(res)) {
			return "a value matching /" + pattern + "/", false
		}
	}
	if m.Contains != nil {
		raw := render(m.Contains)
		want := canonical(raw)
		if !contains(res, actual, raw, want) {
			return "a value containing " + quote(want), false
		}
	}
	for _, cmp := range []struct {
		op string
		v  *suites.Value
	}{{">", m.Gt}, {">=", m.Gte}, {"<", m.Lt}, {"<=", m.Lte}} {
		if cmp.v == nil {
			continue
		}
		if expected, ok := compareNumbers(res, cmp.op, text(render(cmp.v))); !ok {
			return expected, false
		}
	}
	if m.Length != nil {
		want := canonical(render(m.Length))
		d, isNumber := want.(decimal)
		if !isNumber {
			return fmt.Sprintf("length %v (not a number)", want), false
		}
		f, _ := strconv.ParseFloat(d.text, 64)
		n := int(f) // a fractional length counts as its whole part, as it always has
		if got, ok := lengthOf(actual); !ok || got != n {
			return fmt.Sprintf("length %d", n), false
		}
	}
	if m.Decimal != nil {
		want := text(render(m.Decimal))
		if !equalDecimal(res, want) {
			return "the exact amount " + want, false
		}
	}
	return "", true
}

func presence(present bool) string {
	if present {
		return "present"
	}
	return "absent"
}

// contains: an array holds want as an element; anything else contains it
// as a substring of its text (a number's digits as written, too).
func contains(res gjson.Result, actual, raw, want any) bool {
	if !res.IsArray() {
		return strings.Contains(textOf(res), text(raw))
	}
	for _, el := range actual.([]any) {
		if equal(el, want) {
			return true
		}
	}
	return false
}

// lengthOf counts a string's characters (as JSON Schema's maxLength does:
// "Zürich" is 6, not 7 bytes), an array's elements or an object's keys.
func lengthOf(v any) (int, bool) {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x), true
	case []any:
		return len(x), true
	case map[string]any:
		return len(x), true
	}
	return 0, false
}

// compareNumbers compares a JSON number, or a decimal string, with want
// exactly.
func compareNumbers(res gjson.Result, op string, want string) (expected string, ok bool) {
	expected = "a number " + op + " " + want
	c, ok := compareDecimals(res, want)
	if !ok {
		return expected, false
	}
	switch op {
	case ">":
		return expected, c > 0
	case ">=":
		return expected, c >= 0
	case "<":
		return expected, c < 0
	case "<=":
		return expected, c <= 0
	}
	return expected, false
}

// compareDecimals orders the value against want, exactly: -1, 0 or 1, and
// false when either is no number. Exact decimals (value.go) first, with no
// arithmetic; big.Rat for what they do not read (a wanted fraction).
func compareDecimals(res gjson.Result, want string) (int, bool) {
	got, ok := decimalText(res)
	if !ok {
		return 0, false
	}
	if a, okA := newDecimal(got); okA {
		if w, okW := newDecimal(want); okW {
			return a.cmp(w), true
		}
	}
	a, okA := new(big.Rat).SetString(got)
	w, okW := new(big.Rat).SetString(want)
	if !okA || !okW {
		return 0, false
	}
	return a.Cmp(w), true
}

// equalDecimal compares money exactly: "1500.00" equals "1500" and 1500.0,
// and "1500.01" never equals "1500.00", whatever float64 would say.
func equalDecimal(res gjson.Result, want string) bool {
	c, ok := compareDecimals(res, want)
	return ok && c == 0
}

// decimalText is the text of a JSON number or of a string that may hold an
// amount; false for anything else.
func decimalText(res gjson.Result) (string, bool) {
	var s string
	switch res.Type {
	case gjson.Number:
		s = res.Raw
	case gjson.String:
		s = strings.TrimSpace(res.Str)
	default:
		return "", false
	}
	if s == "" || strings.ContainsAny(s, "/eE") && res.Type == gjson.String {
		return "", false // "1/2" and "1e3" are not amounts
	}
	return s, true
}

// Describe writes a JSON value for a message: strings quoted, absent said so.
func Describe(res gjson.Result) string {
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

// textOf is a value as text, for regexp and substring matching: a string's
// characters, anything else as the JSON the target wrote.
func textOf(res gjson.Result) string {
	if res.Type == gjson.String {
		return res.Str
	}
	return res.Raw
}

// text is a rendered suite value as text, as a template would insert it;
// captured numbers keep the digits the target wrote.
func text(v any) string {
	switch x := v.(type) {
	case suites.Object, []any:
		data, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(data)
	}
	return tmpl.Format(v)
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

// Header presents a header value to the matchers as a JSON string, or as
// absent when the header was not sent.
func Header(value string, present bool) gjson.Result {
	if !present {
		return gjson.Result{}
	}
	data, _ := json.Marshal(value)
	return gjson.ParseBytes(data)
}
