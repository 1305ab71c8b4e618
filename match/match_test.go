package match_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tidwall/gjson"
	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/match"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// absent stands for a path with nothing at it, where an actual value (JSON
// text) is expected.
const absent = ""

// parseMatcher reads a matcher as a suite's expect.body holds it, under a
// path ("v: {oneOf: [A, B]}"), so bare scalars and null read as in a suite.
func parseMatcher(matcherYAML string) *suites.Matcher {
	GinkgoHelper()
	var body suites.PathMatchers
	Expect(yaml.Load([]byte("v: "+matcherYAML), &body)).To(Succeed(), matcherYAML)
	Expect(body).To(HaveLen(1))
	return body[0].Matcher
}

// evaluate applies the matcher written in YAML to the actual JSON value,
// with captures given as the JSON an earlier step's response held.
func evaluate(matcherYAML, actual string, captures map[string]string) (match.Mismatch, bool) {
	GinkgoHelper()
	m := parseMatcher(matcherYAML)
	res := gjson.Result{}
	if actual != absent {
		Expect(gjson.Valid(actual)).To(BeTrue(), actual)
		res = gjson.Get(`{"v":`+actual+`}`, "v")
	}
	resolve := func(ref tmpl.Ref) (any, bool) {
		text, ok := captures[ref.Name]
		if ref.NS != tmpl.Capture || !ok {
			return nil, false
		}
		return match.Capture(gjson.Parse(text)), true
	}
	return match.Evaluate(m, res, resolve)
}

// expectOutcome checks that the matcher holds, or fails with exactly message.
func expectOutcome(matcherYAML, actual string, captures map[string]string, message string) {
	GinkgoHelper()
	mm, ok := evaluate(matcherYAML, actual, captures)
	if message == "" {
		Expect(ok).To(BeTrue(), "%s on %s: %s", matcherYAML, actual, mm.Message)
		Expect(mm).To(BeZero())
		return
	}
	Expect(ok).To(BeFalse(), "%s on %s should not hold", matcherYAML, actual)
	Expect(mm.Message).To(Equal(message))
	Expect(mm.Message).To(Equal("expected " + mm.Expected + ", got " + mm.Actual))
}

// holds and fails make table rows read as sentences.
const holds = ""

func fails(message string) string { return message }

func noCaptures() map[string]string { return nil }

// sample is one value of each JSON type, as a suite writes it (YAML) and as
// a target sends it (JSON).
type sample struct {
	kind, yaml, json string
}

var samples = []sample{
	{"a string", `"SUCCESS"`, `"SUCCESS"`},
	{"a number", `1500`, `1500`},
	{"a boolean", `true`, `true`},
	{"null", `null`, `null`},
	{"an object", `{currency: TZS, amount: 1500}`, `{"amount":1500,"currency":"TZS"}`},
	{"an array", `[SUCCESS, 1500]`, `["SUCCESS",1500]`},
}

// describe is how a message shows an actual value.
func describe(actual string) string {
	if actual == absent {
		return "nothing (absent)"
	}
	return actual
}

// crossTypes builds one row per pair of expected and actual JSON types
// (absent included as an actual): the matcher holds only where the two are
// the same sample.
func crossTypes(matcherFor func(sample) string, expectedFor func(sample) string) []TableEntry {
	actuals := append(slices.Clone(samples), sample{kind: "absent", json: absent})
	var rows []TableEntry
	for _, want := range samples {
		for _, got := range actuals {
			outcome := holds
			if want != got {
				outcome = fails(fmt.Sprintf("expected %s, got %s", expectedFor(want), describe(got.json)))
			}
			verb := map[bool]string{true: "holds", false: "fails"}[outcome == holds]
			rows = append(rows, Entry(fmt.Sprintf("%s %s on %s", want.kind, verb, got.kind),
				matcherFor(want), got.json, noCaptures(), outcome))
		}
	}
	return rows
}

var _ = Describe("matchers", func() {
	DescribeTable("equals, for every pair of JSON types", expectOutcome,
		crossTypes(
			func(s sample) string { return "{equals: " + s.yaml + "}" },
			func(s sample) string { return s.json }, // the sample's JSON is how a message quotes it
		),
	)

	DescribeTable("oneOf, for every pair of JSON types", expectOutcome,
		crossTypes(
			func(s sample) string { return "{oneOf: [" + s.yaml + ", OTHER]}" },
			func(s sample) string { return "one of " + s.json + `, "OTHER"` },
		),
	)

	DescribeTable("equals and null",
		expectOutcome,
		// The bug this package was moved for: both values null used to fail
		// with "expected null, got null".
		Entry("a captured null equals null", `{equals: "{{ capture.a }}"}`, `null`, map[string]string{"a": `null`}, holds),
		Entry("a literal null equals null", `null`, `null`, noCaptures(), holds),
		Entry("a captured null is not a string", `{equals: "{{ capture.a }}"}`, `"x"`, map[string]string{"a": `null`},
			fails(`expected null, got "x"`)),
		Entry("null is not the string null", `null`, `"null"`, noCaptures(), fails(`expected null, got "null"`)),
		Entry("a captured null is not absent", `{equals: "{{ capture.a }}"}`, absent, map[string]string{"a": `null`},
			fails(`expected null, got nothing (absent)`)),
		Entry("null inside objects", `{equals: {reason: null}}`, `{"reason":null}`, noCaptures(), holds),
		Entry("a captured object holding null", `{equals: "{{ capture.a }}"}`, `{"reason":null,"code":1}`,
			map[string]string{"a": `{"code":1,"reason":null}`}, holds),
		Entry("oneOf with null", `{oneOf: [null, SUCCESS]}`, `null`, noCaptures(), holds),
		Entry("equals: null written out", `{equals: null}`, `null`, noCaptures(), holds),
		Entry("equals: ~ is null too", `{equals: ~}`, `"x"`, noCaptures(), fails(`expected null, got "x"`)),
		Entry("contains: null", `{contains: null}`, `[1,null]`, noCaptures(), holds),
		Entry("an array contains a captured null", `{contains: "{{ capture.a }}"}`, `[1,null]`, map[string]string{"a": `null`}, holds),
	)

	DescribeTable("equals compares numbers as exact decimals, never as floats",
		expectOutcome,
		Entry("trailing zeros do not matter", `{equals: 1500}`, `1500.00`, noCaptures(), holds),
		Entry("an exponent is the same number", `{equals: 1000}`, `1E3`, noCaptures(), holds),
		Entry("minus zero is zero", `{equals: 0}`, `-0.0`, noCaptures(), holds),
		Entry("a fraction as YAML writes it", `{equals: 0.1}`, `0.10`, noCaptures(), holds),
		Entry("0.1 is not the float64 nearest 0.1", `{equals: 0.1}`, `0.1000000000000000055511151231257827`, noCaptures(),
			fails(`expected 0.1, got 0.1000000000000000055511151231257827`)),
		Entry("integers beyond float64's 2^53", `{equals: 9007199254740992}`, `9007199254740993`, noCaptures(),
			fails(`expected 9007199254740992, got 9007199254740993`)),
		Entry("a captured big amount equals itself", `{equals: "{{ capture.amount }}"}`, `12345678901234567890.12`,
			map[string]string{"amount": `12345678901234567890.120`}, holds),
		Entry("a captured big amount differs in its last cent", `{equals: "{{ capture.amount }}"}`, `12345678901234567890.13`,
			map[string]string{"amount": `12345678901234567890.12`},
			fails(`expected 12345678901234567890.12, got 12345678901234567890.13`)),
		Entry("money inside an object", `{equals: "{{ capture.a }}"}`, `{"amount":1500.10,"fee":0.5}`,
			map[string]string{"a": `{"fee":0.50,"amount":1500.1}`}, holds),
		Entry("money inside an array", `{equals: "{{ capture.a }}"}`, `[99999999999999999.01]`,
			map[string]string{"a": `[99999999999999999.02]`}, fails(`expected [99999999999999999.02], got [99999999999999999.01]`)),
		Entry("a number is not its text", `{equals: 1500}`, `"1500"`, noCaptures(), fails(`expected 1500, got "1500"`)),
		Entry("text is not its number", `{equals: "1500"}`, `1500`, noCaptures(), fails(`expected "1500", got 1500`)),
		Entry("a hostile exponent costs nothing", `{equals: 1}`, `1e999999999`, noCaptures(), fails(`expected 1, got 1e999999999`)),
	)

	DescribeTable("equals on objects and arrays",
		expectOutcome,
		Entry("objects ignore key order", `{equals: {a: 1, b: [x]}}`, `{"b":["x"],"a":1}`, noCaptures(), holds),
		Entry("objects need every key", `{equals: {a: 1}}`, `{"a":1,"b":2}`, noCaptures(), fails(`expected {"a":1}, got {"a":1,"b":2}`)),
		Entry("arrays keep their order", `{equals: [1, 2]}`, `[2,1]`, noCaptures(), fails(`expected [1,2], got [2,1]`)),
		Entry("a template inside a string", `{equals: "ref-{{ capture.id }}"}`, `"ref-42"`, map[string]string{"id": `42`}, holds),
	)

	DescribeTable("exists and absent, for every JSON type",
		expectOutcome,
		Entry("exists on a string", `{exists: true}`, `"x"`, noCaptures(), holds),
		Entry("exists on a number", `{exists: true}`, `0`, noCaptures(), holds),
		Entry("exists on a boolean", `{exists: true}`, `false`, noCaptures(), holds),
		Entry("exists on null: null is present", `{exists: true}`, `null`, noCaptures(), holds),
		Entry("exists on an object", `{exists: true}`, `{}`, noCaptures(), holds),
		Entry("exists on an array", `{exists: true}`, `[]`, noCaptures(), holds),
		Entry("exists on absent", `{exists: true}`, absent, noCaptures(), fails(`expected present, got nothing (absent)`)),
		Entry("exists: false on absent", `{exists: false}`, absent, noCaptures(), holds),
		Entry("exists: false on null", `{exists: false}`, `null`, noCaptures(), fails(`expected absent, got null`)),
		Entry("absent on absent", `{absent: true}`, absent, noCaptures(), holds),
		Entry("absent on a string", `{absent: true}`, `"x"`, noCaptures(), fails(`expected absent, got "x"`)),
		Entry("absent on null", `{absent: true}`, `null`, noCaptures(), fails(`expected absent, got null`)),
		Entry("absent: false on an object", `{absent: false}`, `{"a":1}`, noCaptures(), holds),
		Entry("absent: false on absent", `{absent: false}`, absent, noCaptures(), fails(`expected present, got nothing (absent)`)),
	)

	DescribeTable("oneOf",
		expectOutcome,
		Entry("one of the strings", `{oneOf: [SUCCESS, FAILED]}`, `"FAILED"`, noCaptures(), holds),
		Entry("none of the strings", `{oneOf: [SUCCESS, FAILED]}`, `"PROCESSING"`, noCaptures(),
			fails(`expected one of "SUCCESS", "FAILED", got "PROCESSING"`)),
		Entry("one of the amounts, exactly", `{oneOf: [1500, 2000]}`, `2000.00`, noCaptures(), holds),
		Entry("a captured value among literals", `{oneOf: [A, "{{ capture.s }}"]}`, `"B"`, map[string]string{"s": `"B"`}, holds),
	)

	DescribeTable("regexp, as text, for every JSON type",
		expectOutcome,
		Entry("a string", `{regexp: "^[0-9]+$"}`, `"1500"`, noCaptures(), holds),
		Entry("a number, by the digits it was written with", `{regexp: '^[0-9]{1,12}(\.[0-9]{1,2})?$'}`, `1500.50`, noCaptures(), holds),
		Entry("a number with too many decimals", `{regexp: '^[0-9]{1,12}(\.[0-9]{1,2})?$'}`, `1500.505`, noCaptures(),
			fails(`expected a value matching /^[0-9]{1,12}(\.[0-9]{1,2})?$/, got 1500.505`)),
		Entry("a boolean", `{regexp: "^[0-9]+$"}`, `true`, noCaptures(), fails(`expected a value matching /^[0-9]+$/, got true`)),
		Entry("null, as the text null", `{regexp: "^[0-9]+$"}`, `null`, noCaptures(), fails(`expected a value matching /^[0-9]+$/, got null`)),
		Entry("an object, as its JSON", `{regexp: '"id"'}`, `{"id":1}`, noCaptures(), holds),
		Entry("an array, as its JSON", `{regexp: "^[0-9]+$"}`, `[1]`, noCaptures(), fails(`expected a value matching /^[0-9]+$/, got [1]`)),
		Entry("absent, as empty text", `{regexp: '\S'}`, absent, noCaptures(), fails(`expected a value matching /\S/, got nothing (absent)`)),
		Entry("absent matches a pattern that matches empty text", `{regexp: "^[0-9]*$"}`, absent, noCaptures(), holds),
		Entry("a pattern from a capture", `{regexp: "^{{ capture.p }}-"}`, `"GL12-3"`, map[string]string{"p": `"GL12"`}, holds),
		Entry("a captured number keeps its digits", `{regexp: "^{{ capture.n }}$"}`, `"1500.10"`, map[string]string{"n": `1500.10`}, holds),
		Entry("a rendered pattern that does not compile", `{regexp: "{{ capture.p }}"}`, `"x"`, map[string]string{"p": `"(x"`},
			fails(`expected a value matching /(x/, got "x"`)),
	)

	DescribeTable("contains, for every JSON type",
		expectOutcome,
		Entry("a string holding the text", `{contains: RECEIVED}`, `"PAYMENT RECEIVED"`, noCaptures(), holds),
		Entry("a string without it", `{contains: FAILED}`, `"PAYMENT RECEIVED"`, noCaptures(),
			fails(`expected a value containing "FAILED", got "PAYMENT RECEIVED"`)),
		Entry("a number, as its digits", `{contains: "50"}`, `1500`, noCaptures(), holds),
		Entry("a boolean, as its text", `{contains: "rue"}`, `true`, noCaptures(), holds),
		Entry("null, as its text", `{contains: "x"}`, `null`, noCaptures(), fails(`expected a value containing "x", got null`)),
		Entry("an object, as its JSON", `{contains: TZS}`, `{"currency":"TZS"}`, noCaptures(), holds),
		Entry("an array holding the element", `{contains: SUCCESS}`, `["SUCCESS","FAILED"]`, noCaptures(), holds),
		Entry("an array holding the number exactly", `{contains: 1500}`, `[1500.00]`, noCaptures(), holds),
		Entry("an array holding the number's text only", `{contains: "1500"}`, `[1500]`, noCaptures(),
			fails(`expected a value containing "1500", got [1500]`)),
		Entry("an array holding an object", `{contains: {id: 1}}`, `[{"id":1},{"id":2}]`, noCaptures(), holds),
		Entry("absent", `{contains: x}`, absent, noCaptures(), fails(`expected a value containing "x", got nothing (absent)`)),
	)

	DescribeTable("gt, gte, lt and lte, exactly, for every JSON type",
		expectOutcome,
		Entry("a number", `{gt: 0}`, `1500`, noCaptures(), holds),
		Entry("a decimal string", `{gte: 1500}`, `"1500.00"`, noCaptures(), holds),
		Entry("equal is not greater", `{gt: 1500}`, `1500.0`, noCaptures(), fails(`expected a number > 1500, got 1500.0`)),
		Entry("equal is at most", `{lte: 1500.5}`, `1500.50`, noCaptures(), holds),
		Entry("a cent below", `{lt: 1500}`, `1499.99`, noCaptures(), holds),
		Entry("big amounts differing in the last cent", `{gt: "{{ capture.a }}"}`, `12345678901234567890.13`,
			map[string]string{"a": `12345678901234567890.12`}, holds),
		Entry("big amounts, the other way", `{lt: "{{ capture.a }}"}`, `12345678901234567890.13`,
			map[string]string{"a": `12345678901234567890.12`}, fails(`expected a number < 12345678901234567890.12, got 12345678901234567890.13`)),
		Entry("an exponent in a string is not an amount", `{gt: 0}`, `"1e3"`, noCaptures(), fails(`expected a number > 0, got "1e3"`)),
		Entry("a negative amount against a positive bound", `{gte: 0}`, `"-0.01"`, noCaptures(), fails(`expected a number >= 0, got "-0.01"`)),
		Entry("negatives, the nearer zero the greater", `{gt: -1500.5}`, `-1500.49`, noCaptures(), holds),
		Entry("an exponent in a number", `{lt: 1e3}`, `999.999`, noCaptures(), holds),
		Entry("a wanted fraction, read by big.Rat", `{gt: "3/2"}`, `1.51`, noCaptures(), holds),
		Entry("text that is not a number", `{gt: 0}`, `"abc"`, noCaptures(), fails(`expected a number > 0, got "abc"`)),
		Entry("a boolean", `{gt: 0}`, `true`, noCaptures(), fails(`expected a number > 0, got true`)),
		Entry("null", `{gte: 0}`, `null`, noCaptures(), fails(`expected a number >= 0, got null`)),
		Entry("an object", `{lt: 10}`, `{"a":1}`, noCaptures(), fails(`expected a number < 10, got {"a":1}`)),
		Entry("an array", `{lte: 10}`, `[1]`, noCaptures(), fails(`expected a number <= 10, got [1]`)),
		Entry("absent", `{gt: 0}`, absent, noCaptures(), fails(`expected a number > 0, got nothing (absent)`)),
	)

	DescribeTable("length, for every JSON type",
		expectOutcome,
		Entry("a string", `{length: 4}`, `"abcd"`, noCaptures(), holds),
		Entry("a string counts characters, not bytes", `{length: 6}`, `"Zürich"`, noCaptures(), holds),
		Entry("a string of 7 bytes is not 7 long", `{length: 7}`, `"Zürich"`, noCaptures(), fails(`expected length 7, got "Zürich"`)),
		Entry("an array", `{length: 3}`, `[1,null,"x"]`, noCaptures(), holds),
		Entry("an object", `{length: 2}`, `{"a":1,"b":2}`, noCaptures(), holds),
		Entry("the wrong length", `{length: 2}`, `[1]`, noCaptures(), fails(`expected length 2, got [1]`)),
		Entry("a number has none", `{length: 4}`, `1500`, noCaptures(), fails(`expected length 4, got 1500`)),
		Entry("a boolean has none", `{length: 4}`, `true`, noCaptures(), fails(`expected length 4, got true`)),
		Entry("null has none", `{length: 0}`, `null`, noCaptures(), fails(`expected length 0, got null`)),
		Entry("absent has none", `{length: 0}`, absent, noCaptures(), fails(`expected length 0, got nothing (absent)`)),
		Entry("a length that is not a number", `{length: x}`, `"x"`, noCaptures(), fails(`expected length x (not a number), got "x"`)),
	)

	DescribeTable("decimal, for money, for every JSON type",
		expectOutcome,
		Entry("a decimal string", `{decimal: "1500"}`, `"1500.00"`, noCaptures(), holds),
		Entry("a number", `{decimal: "1500.00"}`, `1500.0`, noCaptures(), holds),
		Entry("a cent off", `{decimal: "1500.00"}`, `"1500.01"`, noCaptures(), fails(`expected the exact amount 1500.00, got "1500.01"`)),
		Entry("a captured big amount", `{decimal: "{{ capture.a }}"}`, `"12345678901234567890.12"`,
			map[string]string{"a": `12345678901234567890.12`}, holds),
		Entry("a captured big amount a cent off", `{decimal: "{{ capture.a }}"}`, `12345678901234567890.13`,
			map[string]string{"a": `12345678901234567890.12`}, fails(`expected the exact amount 12345678901234567890.12, got 12345678901234567890.13`)),
		Entry("an exponent in a string is not an amount", `{decimal: "1000"}`, `"1e3"`, noCaptures(), fails(`expected the exact amount 1000, got "1e3"`)),
		Entry("an exponent in a number is", `{decimal: "1500"}`, `1.5e3`, noCaptures(), holds),
		Entry("leading and trailing zeros, and a plus sign", `{decimal: "+1500.1"}`, `"001500.100"`, noCaptures(), holds),
		Entry("a minus sign", `{decimal: "-1500.10"}`, `-1500.1`, noCaptures(), holds),
		Entry("the opposite sign", `{decimal: "-1500"}`, `"1500"`, noCaptures(), fails(`expected the exact amount -1500, got "1500"`)),
		Entry("zero, whatever its sign", `{decimal: "-0.00"}`, `0`, noCaptures(), holds),
		Entry("a wanted fraction, read by big.Rat", `{decimal: "3/2"}`, `"1.50"`, noCaptures(), holds),
		Entry("a hostile exponent equals nothing, at no cost", `{decimal: "1"}`, `1e999999999999`, noCaptures(), fails(`expected the exact amount 1, got 1e999999999999`)),
		Entry("a boolean", `{decimal: "1"}`, `true`, noCaptures(), fails(`expected the exact amount 1, got true`)),
		Entry("null", `{decimal: "0"}`, `null`, noCaptures(), fails(`expected the exact amount 0, got null`)),
		Entry("an object", `{decimal: "1"}`, `{"a":1}`, noCaptures(), fails(`expected the exact amount 1, got {"a":1}`)),
		Entry("an array", `{decimal: "1"}`, `[1]`, noCaptures(), fails(`expected the exact amount 1, got [1]`)),
		Entry("absent", `{decimal: "1"}`, absent, noCaptures(), fails(`expected the exact amount 1, got nothing (absent)`)),
	)

	DescribeTable("several conditions: the first that fails is reported",
		expectOutcome,
		Entry("all hold", `{exists: true, regexp: '\S', length: 6}`, `"FAILED"`, noCaptures(), holds),
		Entry("present but blank", `{exists: true, regexp: '\S'}`, `" "`, noCaptures(), fails(`expected a value matching /\S/, got " "`)),
		Entry("absent before the pattern", `{exists: true, regexp: '\S'}`, absent, noCaptures(), fails(`expected present, got nothing (absent)`)),
	)

	It("writes an undefined reference into the message rather than failing the run", func() {
		mm, ok := evaluate(`{equals: "{{ capture.nope }}"}`, `"x"`, noCaptures())
		Expect(ok).To(BeFalse())
		Expect(mm.Message).To(Equal(`expected "<capture.nope is not defined>", got "x"`))
	})

	It("cuts a long actual value in messages", func() {
		long := `"` + strings.Repeat("0", 300) + `"`
		mm, ok := evaluate(`{equals: "x"}`, `[`+long+`]`, noCaptures())
		Expect(ok).To(BeFalse())
		Expect(mm.Actual).To(HaveLen(200 + len("…")))
		Expect(mm.Actual).To(HaveSuffix("…"))
	})
})

var _ = Describe("headers", func() {
	DescribeTable("are matched as strings",
		func(matcherYAML string, value string, present bool, message string) {
			mm, ok := match.Evaluate(parseMatcher(matcherYAML), match.Header(value, present), nil)
			Expect(ok).To(Equal(message == ""), mm.Message)
			Expect(mm.Message).To(Equal(message))
		},
		Entry("a content type", `{regexp: "^application/json"}`, "application/json; charset=utf-8", true, holds),
		Entry("a number-like header is text", `{equals: "120"}`, "120", true, holds),
		Entry("not as a number", `{equals: 120}`, "120", true, fails(`expected 120, got "120"`)),
		Entry("a header not sent", `{exists: true}`, "", false, fails(`expected present, got nothing (absent)`)),
		Entry("an empty header is present", `{exists: true}`, "", true, holds),
	)
})

var _ = Describe("captures", func() {
	DescribeTable("are re-sent exactly as the target wrote them",
		func(raw string) {
			data, err := json.Marshal(map[string]any{"v": match.Capture(gjson.Parse(raw))})
			Expect(err).NotTo(HaveOccurred())
			Expect(string(data)).To(Equal(`{"v":` + raw + `}`))
		},
		Entry("an amount with trailing zeros", `1500.10`),
		Entry("a big amount", `12345678901234567890.12`),
		Entry("an object with its key order", `{"z":1,"a":2.50}`),
		Entry("an array", `[1.0,"x",null]`),
		Entry("a string", `"PAYMENT RECEIVED"`),
		Entry("a boolean", `false`),
		Entry("null", `null`),
	)

	It("formats a captured number into a string template as written", func() {
		Expect(tmpl.Format(match.Capture(gjson.Parse(`1500.10`)))).To(Equal("1500.10"))
	})
})
