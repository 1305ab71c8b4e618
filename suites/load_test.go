package suites_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/suites"
)

// head starts every test suite: an API, two variables, then the items.
const head = `name: t
api: collections
variables:
  amount: "1500.00"
  phoneNumber: "255712345678"
items:
`

// initiate is a valid check item; tests break one thing in a copy of it.
const initiate = `  - id: T-001
    title: initiate
    severity: major
    check:
      operation: initiateUssdPush
      request:
        body:
          amount: "{{ var.amount }}"
          currency: TZS
          orderReference: "{{ gen.reference }}"
          phoneNumber: "{{ var.phoneNumber }}"
      expect:
        status: 200
        body:
          status: PROCESSING
`

// flow is a valid initiate + poll-status flow item.
const flow = `  - id: T-002
    title: flow
    severity: critical
    flow:
      - name: initiate
        operation: initiateUssdPush
        request:
          body:
            amount: "{{ var.amount }}"
            currency: TZS
            orderReference: "{{ gen.reference }}"
            phoneNumber: "{{ var.phoneNumber }}"
        capture:
          ref: orderReference
      - name: status
        operation: getCollectionStatus
        request:
          path:
            orderReference: "{{ capture.ref }}"
        poll:
          until:
            status: {oneOf: [SUCCESS, FAILED]}
          interval: 300ms
          backoff: 1.5
          maxInterval: 2s
          deadline: 30s
        expect:
          status: 200
`

// suiteFile writes text to a new file in a temporary directory.
func suiteFile(text string) string {
	GinkgoHelper()
	path := filepath.Join(GinkgoT().TempDir(), "suite.yaml")
	Expect(os.WriteFile(path, []byte(text), 0o600)).To(Succeed())
	return path
}

// lineOf is the 1-based number of the line of text where marker starts. It
// may run while the specs are built, so a missing marker panics.
func lineOf(text, marker string) int {
	i := strings.Index(text, marker)
	if i < 0 {
		panic(fmt.Sprintf("lineOf: marker %q not in the test suite", marker))
	}
	return strings.Count(text[:i], "\n") + 1
}

// loadAndCheck does what `golive validate FILE` does: load, then check
// against the suite's API.
func loadAndCheck(path string) error {
	GinkgoHelper()
	s, err := suites.Load(path)
	if err != nil {
		return err
	}
	return suites.Check(s, loadSpec(s.API), nil, fakeEnv)
}

// breaking replaces old with new in the valid text. It runs while the specs
// are built, so a test whose old text is not there exactly once panics (a
// typo in a test must not make it pass).
func breaking(text, old, new string) string {
	if n := strings.Count(text, old); n != 1 {
		panic(fmt.Sprintf("breaking: %q occurs %d times, want once", old, n))
	}
	return strings.Replace(text, old, new, 1)
}

var _ = Describe("loading a suite file", func() {
	It("accepts the valid test suite", func() {
		Expect(loadAndCheck(suiteFile(head + initiate + flow))).To(Succeed())
	})

	It("names the file and says what is built in when the file does not exist", func() {
		_, err := suites.Load(filepath.Join(GinkgoT().TempDir(), "nope.yaml"))
		Expect(err).To(MatchError(And(
			ContainSubstring("nope.yaml: no such file, and not a built-in suite"),
			ContainSubstring("collections"), ContainSubstring("payouts"))))
	})

	It("refuses an empty file", func() {
		path := suiteFile("# nothing yet\n")
		_, err := suites.Load(path)
		Expect(err).To(MatchError(HavePrefix(path + ": empty suite")))
	})

	It("names the file in the source and hashes its bytes", func() {
		path := suiteFile(head + initiate)
		s, err := suites.Load(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Source).To(Equal(path))
		Expect(s.SHA256).To(HaveLen(64))
		Expect(s.Items).To(HaveLen(1))
		Expect(s.Items[0].Line).To(Equal(lineOf(head+initiate, "- id: T-001")))
	})

	// Each entry breaks one thing; the error must be one line that starts
	// with FILE:LINE: (the line of the broken text) and says what is wrong.
	DescribeTable("reports the problem at its file and line",
		func(text, marker, want string) {
			path := suiteFile(text)
			err := loadAndCheck(path)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).NotTo(ContainSubstring("\n"), "one problem, one line")
			Expect(err.Error()).To(HavePrefix(fmt.Sprintf("%s:%d: ", path, lineOf(text, marker))))
			Expect(err.Error()).To(ContainSubstring(want))
			Expect(err.Error()).NotTo(ContainSubstring("suites.plain"), "Go type names mean nothing to a suite author")
		},

		// Unknown keys, at every level the decoder is strict.
		Entry("unknown key in a step", head+breaking(initiate, "      request:\n", "      bdy:\n        amount: 1\n      request:\n"),
			"bdy:", `unknown key "bdy"`),
		Entry("unknown key in a request", head+breaking(initiate, "      request:\n        body:\n", "      request:\n        bdy:\n"),
			"bdy:", `unknown key "bdy"`),
		Entry("unknown key in expect", head+breaking(initiate, "        status: 200\n", "        stauts: 200\n"),
			"stauts:", `unknown key "stauts"`),
		Entry("unknown key in an item", head+breaking(initiate, "    title: initiate\n", "    title: initiate\n    severty: major\n"),
			"severty:", `unknown key "severty"`),
		Entry("unknown key at the top", "titel: t\n"+head+initiate,
			"titel:", `unknown key "titel"`),
		Entry("unknown key in a poll", head+breaking(flow, "          interval: 300ms\n", "          intervall: 300ms\n"),
			"intervall:", `unknown key "intervall"`),
		Entry("unknown key in auth", head+"auth:\n  operation: generateToken\n  tokn: token\n"+initiate,
			"tokn:", `unknown key "tokn"`),
		Entry("unknown key in defaults", head+"defaults:\n  timout: 10s\n"+initiate,
			"timout:", `unknown key "timout"`),
		Entry("unknown matcher key", head+breaking(initiate, "status: PROCESSING", "status: {equal: PROCESSING}"),
			"equal:", `unknown key "equal"`),
		Entry("unknown matcher key in a block mapping", head+breaking(initiate, "status: PROCESSING", "status:\n            equal: PROCESSING"),
			"equal:", `unknown key "equal"`),

		// References.
		Entry("unknown operationId", head+breaking(initiate, "operation: initiateUssdPush", "operation: initiateUsdPush"),
			"initiateUsdPush", `unknown operationId "initiateUsdPush" in builtin:collections (known: `),
		Entry("undefined variable", head+breaking(initiate, "{{ var.amount }}", "{{ var.amont }}"),
			"var.amont", "undefined variable var.amont"),
		Entry("capture used before it is captured", head+breaking(flow, `orderReference: "{{ gen.reference }}"`, `orderReference: "{{ capture.ref }}"`),
			`orderReference: "{{ capture.ref }}"`, "capture.ref is not captured by an earlier step of this item"),
		Entry("capture taken by another item", head+flow+breaking(initiate, `orderReference: "{{ gen.reference }}"`, `orderReference: "{{ capture.ref }}"`),
			`          orderReference: "{{ capture.ref }}"`, "capture.ref is not captured by an earlier step of this item"),
		Entry("capture in a variable", breaking(head, `  amount: "1500.00"`, `  amount: "{{ capture.x }}"`)+initiate,
			"capture.x", "capture.x cannot be used here"),
		Entry("missing ${ENV} variable", breaking(head, "items:\n", "  secret: ${GOLIVE_TEST_UNSET}\nitems:\n")+initiate,
			"GOLIVE_TEST_UNSET", "variable secret: environment variable GOLIVE_TEST_UNSET is not set"),
		Entry("missing path parameter", head+breaking(flow, "          path:\n            orderReference: \"{{ capture.ref }}\"\n", "          query:\n            ref: \"{{ capture.ref }}\"\n"),
			"- name: status", `operation getCollectionStatus needs path parameter "orderReference" under request.path`),
		Entry("path parameter the operation does not have", head+breaking(flow, "            orderReference: \"{{ capture.ref }}\"\n", "            orderReference: \"{{ capture.ref }}\"\n            id: x\n"),
			"id: x", `operation getCollectionStatus has no path parameter "id"`),
		Entry("bad template reference", head+breaking(initiate, "{{ var.amount }}", "{{ amount }}"),
			"{{ amount }}", "bad reference {{ amount }}"),
		Entry("unknown generator", head+breaking(initiate, "{{ gen.reference }}", "{{ gen.uuidv4 }}"),
			"gen.uuidv4", "unknown generator gen.uuidv4"),
		Entry("unclosed template", head+breaking(initiate, "{{ var.amount }}", "{{ var.amount"),
			"{{ var.amount\"", "unclosed {{"),

		// Values of the wrong form.
		Entry("bad duration", head+breaking(initiate, "    severity: major\n", "    severity: major\n    timeout: 2 seconds\n"),
			"timeout: 2 seconds", `bad duration "2 seconds"`),
		Entry("duration without a unit", head+breaking(flow, "deadline: 30s", "deadline: 30"),
			"deadline: 30", `bad duration "30"`),
		Entry("bad status code", head+breaking(initiate, "status: 200", "status: 700"),
			"status: 700", `bad status "700"`),
		Entry("bad status class", head+breaking(initiate, "status: 200", `status: "2xxx"`),
			`status: "2xxx"`, `bad status "2xxx"`),
		Entry("bad status in a list", head+breaking(initiate, "status: 200", "status: [200, twohundred]"),
			"status: [200, twohundred]", `bad status "twohundred"`),
		Entry("empty matcher", head+breaking(initiate, "status: PROCESSING", "status: {}"),
			"status: {}", "empty matcher"),
		Entry("bad regexp", head+breaking(initiate, "status: PROCESSING", `status: {regexp: "(PROC"}`),
			`regexp: "(PROC"`, `bad regexp "(PROC"`),
		Entry("bad capture name", head+breaking(flow, "          ref: orderReference", "          order-ref: orderReference"),
			"order-ref:", `bad capture name "order-ref"`),
		Entry("backoff that is not a number", head+breaking(flow, "backoff: 1.5", "backoff: fast"),
			"backoff: fast", `"fast" is not a valid number`),
		Entry("backoff below 1", head+breaking(flow, "backoff: 1.5", "backoff: 0.5"),
			"until:", "poll backoff 0.5 must be 1 or more"),
		Entry("schema that is not a boolean", head+breaking(initiate, "        status: 200\n", "        status: 200\n        schema: maybe\n"),
			"schema: maybe", `"maybe" is not a valid boolean`),
		Entry("duplicate key in a body", head+breaking(initiate, "          currency: TZS\n", "          currency: TZS\n          amount: \"2\"\n"),
			`amount: "2"`, `duplicate key "amount"`),

		// Items.
		Entry("duplicate item id", head+initiate+breaking(flow, "  - id: T-002", "  - id: T-001 # the duplicate"),
			"# the duplicate", fmt.Sprintf(`item id "T-001" is already used at line %d`, lineOf(head+initiate, "- id: T-001"))),
		Entry("bad item id", head+breaking(initiate, "id: T-001", "id: 1st check"),
			"id: 1st check", `item id "1st check": use letters, digits`),
		Entry("unknown severity", head+breaking(initiate, "severity: major", "severity: high"),
			"- id: T-001", `item T-001: severity "high" is not critical, major or minor`),
		Entry("missing severity", head+breaking(initiate, "    severity: major\n", ""),
			"- id: T-001", "item T-001 has no severity (critical, major or minor)"),
		Entry("check and latency in one item", head+breaking(initiate, "    check:\n", "    latency: {budget: 2s}\n    check:\n"),
			"- id: T-001", "item T-001 needs exactly one of check, flow or latency"),
		Entry("bad step auth", head+breaking(initiate, "      request:\n", "      auth: nobody\n      request:\n"),
			"operation: initiateUssdPush", `auth "nobody": use none or invalid`),
		Entry("step name used twice", head+breaking(flow, "- name: status", "- name: initiate"),
			"- name: initiate\n", `step name "initiate" is used twice in item T-002`),

		// YAML itself.
		Entry("YAML syntax error", head+breaking(initiate, "    severity: major\n", "    severity: major\n   title: misindented\n"),
			"misindented", "YAML syntax"),
		Entry("unclosed quote", head+breaking(initiate, "title: initiate", `title: "initiate`),
			`title: "initiate`, "YAML syntax"),
		Entry("tab indentation", head+breaking(initiate, "    severity: major\n", "\tseverity: major\n"),
			"\tseverity", "YAML syntax"),
	)

	// The operation's line is where the problem is, even when the step
	// starts with another key.
	It("reports an unknown operationId at the operation's line, not the step's first line", func() {
		text := head + breaking(flow, "        operation: getCollectionStatus", "        operation: getCollectionStatu")
		path := suiteFile(text)
		err := loadAndCheck(path)
		Expect(err).To(MatchError(HavePrefix(fmt.Sprintf("%s:%d: unknown operationId \"getCollectionStatu\"", path, lineOf(text, "getCollectionStatu")))))
	})

	It("reports every problem of a suite at once, one per line", func() {
		text := head +
			breaking(initiate, "{{ var.amount }}", "{{ var.amont }}") +
			breaking(flow, "          ref: orderReference", "          reference: orderReference")
		path := suiteFile(text)
		err := loadAndCheck(path)
		Expect(err).To(HaveOccurred())
		Expect(strings.Split(err.Error(), "\n")).To(Equal([]string{
			fmt.Sprintf("%s:%d: body: undefined variable var.amont (define it under variables or pass --var amont=...)", path, lineOf(text, "var.amont")),
			fmt.Sprintf("%s:%d: orderReference: capture.ref is not captured by an earlier step of this item", path, lineOf(text, "{{ capture.ref }}")),
		}))
	})

	It("lets --var define a variable the suite does not", func() {
		text := head + breaking(initiate, "{{ var.amount }}", "{{ var.extra }}")
		s, err := suites.Load(suiteFile(text))
		Expect(err).NotTo(HaveOccurred())
		Expect(suites.Check(s, loadSpec("collections"), nil, fakeEnv)).NotTo(Succeed())
		Expect(suites.Check(s, loadSpec("collections"), []string{"extra"}, fakeEnv)).To(Succeed())
	})
})

// The schema and the decoder must agree: what the loader rejects for its
// shape, an editor using the schema flags too.
var _ = DescribeTable("suites/schema.json rejects what the decoder rejects",
	func(text string) {
		s, loadErr := suites.Parse("x.yaml", []byte(text))
		if loadErr == nil {
			loadErr = suites.Check(s, loadSpec(s.API), nil, fakeEnv)
		}
		Expect(loadErr).To(HaveOccurred(), "the loader accepts it")
		Expect(validateYAML([]byte(text))).NotTo(Succeed(), "the schema accepts it")
	},
	Entry("unknown key in a step", head+breaking(initiate, "      request:\n", "      bdy: {}\n      request:\n")),
	Entry("unknown key in a request", head+breaking(initiate, "      request:\n        body:\n", "      request:\n        bdy:\n")),
	Entry("unknown key in expect", head+breaking(initiate, "        status: 200\n", "        stauts: 200\n")),
	Entry("unknown key in an item", head+breaking(initiate, "    title: initiate\n", "    title: initiate\n    severty: major\n")),
	Entry("unknown key at the top", "titel: t\n"+head+initiate),
	Entry("unknown key in a poll", head+breaking(flow, "          interval: 300ms\n", "          intervall: 300ms\n")),
	Entry("unknown key in auth", head+"auth:\n  operation: generateToken\n  token: token\n  tokn: token\n"+initiate),
	Entry("unknown key in defaults", head+"defaults:\n  timout: 10s\n"+initiate),
	Entry("unknown key in a latency item", head+"  - id: L-1\n    title: l\n    severity: minor\n    latency: {budgt: 2s}\n"),
	Entry("unknown matcher key", head+breaking(initiate, "status: PROCESSING", "status: {equal: PROCESSING}")),
	Entry("empty matcher", head+breaking(initiate, "status: PROCESSING", "status: {}")),
	Entry("bad duration", head+breaking(flow, "deadline: 30s", "deadline: 30 seconds")),
	Entry("bad status", head+breaking(initiate, "status: 200", "status: 700")),
	Entry("bad status class", head+breaking(initiate, "status: 200", `status: "2xxx"`)),
	Entry("unknown severity", head+breaking(initiate, "severity: major", "severity: high")),
	Entry("check and latency in one item", head+breaking(initiate, "    check:\n", "    latency: {budget: 2s}\n    check:\n")),
	Entry("bad step auth", head+breaking(initiate, "      request:\n", "      auth: nobody\n      request:\n")),
	Entry("bad capture name", head+breaking(flow, "          ref: orderReference", "          order-ref: orderReference")),
	Entry("backoff below 1", head+breaking(flow, "backoff: 1.5", "backoff: 0.5")),
	Entry("bad item id", head+breaking(initiate, "id: T-001", "id: 1st check")),
)
