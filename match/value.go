package match

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/suites"
)

// rawNumber and rawJSON carry captured JSON verbatim, so numbers and
// structures are re-sent exactly as the target wrote them.
type rawNumber string
type rawJSON string

func (n rawNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }
func (j rawJSON) MarshalJSON() ([]byte, error)   { return []byte(j), nil }

// Capture is the value at res as a later step sees it through
// {{ capture.NAME }}: strings, booleans and null as Go values; numbers,
// objects and arrays as the JSON the target wrote, so a captured amount of
// 1500.10 is re-sent and compared as written, never through float64.
func Capture(res gjson.Result) any {
	switch res.Type {
	case gjson.String:
		return res.Str
	case gjson.Number:
		return rawNumber(res.Raw)
	case gjson.True:
		return true
	case gjson.False:
		return false
	case gjson.Null:
		return nil
	default:
		return rawJSON(res.Raw)
	}
}

// decimal is a JSON number as an exact decimal: value = ±digits × 10^exp,
// digits without leading or trailing zeros. Comparing these parts costs no
// arithmetic, so a hostile 1e999999 is as cheap as 1 (big.Rat would build
// a million-digit number for it).
type decimal struct {
	text   string // as written, for messages
	neg    bool
	digits string // "" for zero
	exp    int
}

// maxExponent keeps exponent arithmetic far from overflow; a number beyond
// it equals no other number.
const maxExponent = 1 << 40

// newDecimal reads a JSON number (also "+1", ".5" and "5.", which YAML and
// Go's formatting never write but cost nothing to accept).
func newDecimal(text string) (decimal, bool) {
	d := decimal{text: text}
	rest := text
	if len(rest) > 0 && (rest[0] == '-' || rest[0] == '+') {
		d.neg, rest = rest[0] == '-', rest[1:]
	}
	if i := strings.IndexAny(rest, "eE"); i >= 0 {
		exp, err := strconv.Atoi(rest[i+1:])
		if err != nil || exp > maxExponent || exp < -maxExponent {
			return d, false
		}
		d.exp, rest = exp, rest[:i]
	}
	whole, frac, _ := strings.Cut(rest, ".")
	if whole+frac == "" || !allDigits(whole) || !allDigits(frac) {
		return d, false
	}
	digits := strings.TrimLeft(whole+frac, "0")
	significant := strings.TrimRight(digits, "0")
	d.digits = significant
	d.exp += len(digits) - len(significant) - len(frac)
	if d.digits == "" {
		d.neg, d.exp = false, 0 // -0 is 0
	}
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (d decimal) same(o decimal) bool {
	return d.neg == o.neg && d.digits == o.digits && d.exp == o.exp
}

// cmp orders two decimals: -1, 0 or 1.
func (d decimal) cmp(o decimal) int {
	switch {
	case d.digits == "" && o.digits == "":
		return 0
	case d.digits == "":
		return o.sign() * -1
	case o.digits == "":
		return d.sign()
	case d.neg != o.neg:
		return d.sign()
	}
	// Same sign, both non-zero: compare magnitudes, then turn for negatives.
	return d.sign() * d.cmpMagnitude(o)
}

func (d decimal) sign() int {
	if d.neg {
		return -1
	}
	return 1
}

// cmpMagnitude orders |d| and |o|, both non-zero. The place of the leading
// digit (its power of ten) decides first; with the same place, the digits
// read left to right do, a missing digit counting as a zero (there are no
// trailing zeros, so the longer run is then the larger).
func (d decimal) cmpMagnitude(o decimal) int {
	// Exponents are within ±maxExponent and digit runs within a body's
	// size, so these sums cannot overflow.
	pd, po := int64(len(d.digits))+int64(d.exp), int64(len(o.digits))+int64(o.exp)
	switch {
	case pd != po:
		if pd < po {
			return -1
		}
		return 1
	case d.digits < o.digits:
		return -1
	case d.digits > o.digits:
		return 1
	}
	return 0
}

func (d decimal) MarshalJSON() ([]byte, error) { return []byte(d.text), nil }
func (d decimal) String() string               { return d.text }

// valueOf is the value at res in canonical form (see canonical).
func valueOf(res gjson.Result) any { return canonical(Capture(res)) }

// canonical brings suite values (YAML literals, rendered templates,
// captures) and response values to one form, so that equal JSON values are
// equal Go values: nil, bool, string, decimal, []any and map[string]any.
func canonical(v any) any {
	switch x := v.(type) {
	case nil, bool, string:
		return x
	case int64:
		return mustDecimal(strconv.FormatInt(x, 10), x)
	case int:
		return mustDecimal(strconv.Itoa(x), x)
	case float64:
		// encoding/json's text, so a message shows 0.1 as the suite wrote it.
		data, err := json.Marshal(x)
		if err != nil {
			return x // NaN or an infinity: equal to no JSON value
		}
		return mustDecimal(string(data), x)
	case json.Number:
		return mustDecimal(string(x), x)
	case rawNumber:
		return mustDecimal(string(x), x)
	case rawJSON:
		return fromJSON([]byte(x), x)
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = canonical(el)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = canonical(el)
		}
		return out
	case suites.Object:
		out := make(map[string]any, len(x))
		for _, kv := range x {
			out[kv.Key] = canonical(kv.Value) // a repeated key: the last wins, as in JSON decoders
		}
		return out
	}
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	return fromJSON(data, v)
}

// mustDecimal is the decimal of text, or orig unchanged when text is not a
// number (a value that then equals nothing but itself).
func mustDecimal(text string, orig any) any {
	if d, ok := newDecimal(text); ok {
		return d
	}
	return orig
}

// fromJSON decodes JSON with its numbers as written, in canonical form.
func fromJSON(data []byte, orig any) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return orig
	}
	return canonical(out)
}

// equal compares two canonical values as JSON values.
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case decimal:
		y, ok := b.(decimal)
		return ok && x.same(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}
