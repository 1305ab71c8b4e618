package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The bad suites and the broken spec under testdata each hold exactly one
// defect; the marker finds its line.
type badFile struct {
	name   string
	marker string // text on the line golive must name
	// message is what the error says after "FILE:LINE: ".
	message string
}

var badSuites = []badFile{
	{"bad-unknown-key.yaml", "bdy:", `unknown key "bdy"`},
	{"bad-unknown-operation.yaml", "operation: refundEverything", `unknown operationId "refundEverything"`},
	{"bad-undefined-variable.yaml", "var.noSuchVariable", `undefined variable var.noSuchVariable`},
}

var _ = Describe("invalid input", func() {
	var (
		dir    string
		out    string
		target *countingTarget
	)
	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		out = filepath.Join(dir, "out")
		target = newCountingTarget()
	})

	// expectInvalid runs golive and checks the contract for bad input: exit
	// 2, nothing on stdout, one "golive: ..." line on stderr that matches,
	// no request sent and no report left behind.
	expectInvalid := func(env []string, want *regexp.Regexp, args ...string) {
		GinkgoHelper()
		session := golive(exitInvalid, env, args...)
		lines := nonEmptyLines(stderr(session))
		Expect(lines).To(HaveLen(1), "one line on stderr, got:\n%s", stderr(session))
		Expect(lines[0]).To(HavePrefix("golive: "))
		Expect(lines[0]).To(MatchRegexp(want.String()))
		Expect(stdout(session)).To(BeEmpty())
		Expect(filesUnder(out)).To(BeEmpty(), "no report may be left in --out")
		Expect(target.Requests()).To(BeZero(), "nothing may be sent")
	}
	runArgs := func(extra ...string) []string {
		return append([]string{"run", "--out", out}, extra...)
	}
	q := regexp.QuoteMeta

	It("rejects an unknown flag", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q("unknown flag: --bogus")),
			runArgs("--spec", "collections", "--target", target.URL, "--bogus")...)
	})

	It("rejects a target that is not a URL", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--target "notaurl"`)),
			runArgs("--spec", "collections", "--target", "notaurl")...)
	})

	It("requires --target", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q("--target is required")),
			runArgs("--spec", "collections")...)
	})

	It("rejects an unknown API", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(`spec nosuch: .*not a built-in API`),
			runArgs("--spec", "nosuch", "--target", target.URL)...)
	})

	for _, bad := range badSuites {
		It("rejects a suite with "+bad.message+", naming FILE:LINE", func() {
			suite := fixture(dir, bad.name)
			line := lineOf(suite, bad.marker)
			expectInvalid(credsEnv(), regexp.MustCompile("^golive: "+q(fmt.Sprintf("%s:%d: ", suite, line))+".*"+q(bad.message)),
				runArgs("--suite", suite, "--target", target.URL)...)
		})
	}

	It("rejects a broken OpenAPI document given with --spec, naming the file", func() {
		spec := fixture(dir, "broken-openapi.yaml")
		expectInvalid(credsEnv(), regexp.MustCompile(q(spec)),
			runArgs("--spec", spec, "--suite", fixture(dir, "tokenapi-suite.yaml"), "--target", target.URL)...)
	})

	It("rejects a document whose $ref does not resolve in one line naming FILE:LINE and the reference", func() {
		spec := filepath.Join(dir, "dangling.yaml")
		Expect(os.WriteFile(spec, []byte(danglingRefDoc), 0o644)).To(Succeed())
		expectInvalid(credsEnv(), regexp.MustCompile("^golive: load spec "+q(spec+`:13: $ref "#/components/schemas/Payment" does not resolve: the document has no "components"`)+"$"),
			runArgs("--spec", spec, "--target", target.URL)...)
	})

	It("rejects a binary file given as a document or a suite in one line naming FILE:LINE", func() {
		junk := filepath.Join(dir, "junk.yaml")
		Expect(os.WriteFile(junk, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 0o644)).To(Succeed())
		expectInvalid(credsEnv(), regexp.MustCompile("^golive: load spec "+q(junk+":1: not a YAML or JSON text (a binary file?): invalid UTF-8 0x89 at offset 0")+"$"),
			runArgs("--spec", junk, "--target", target.URL)...)
		expectInvalid(credsEnv(), regexp.MustCompile("^golive: "+q(junk+":1: not a YAML or JSON text (a binary file?): invalid UTF-8 0x89 at offset 0")+"$"),
			runArgs("--suite", junk, "--target", target.URL)...)
	})

	It("rejects --var without a value", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--var: want name=value`)),
			runArgs("--spec", "collections", "--target", target.URL, "--var", "novalue")...)
	})

	It("rejects a --var no checklist declares or uses, naming it and the closest known name", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--var "amout": no checklist of this run declares or uses this variable (did you mean amount?)`)),
			runArgs("--spec", "collections", "--target", target.URL, "--var", "amout=2500.00")...)
	})

	It("accepts a --var a suite uses without declaring it", func() {
		suite := fixture(dir, "bad-undefined-variable.yaml") // refers to var.noSuchVariable
		session := golive(exitNotTestable, credsEnv(), runArgs("--suite", suite, "--target", "http://127.0.0.1:9",
			"--var", "noSuchVariable=x", "--no-derived")...)
		Expect(stderr(session)).NotTo(ContainSubstring("--var"))
	})

	It("rejects the checklist of another built-in API in one line, saying which API it is for", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`golive: builtin:collections: this checklist is for the collections API (api: collections), not payouts`)),
			runArgs("--spec", "payouts", "--suite", "collections", "--target", target.URL)...)
	})

	It("rejects an API given twice", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`the collections API is given twice`)),
			runArgs("--spec", "collections", "--spec", "collections", "--target", target.URL)...)
		expectInvalid(credsEnv(), regexp.MustCompile(q(`the collections API is given twice`)),
			runArgs("--suite", "collections", "--suite", "collections", "--target", target.URL)...)
	})

	It("rejects --publish without GOLIVE_PUBLISH_TOKEN before running anything", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--publish: GOLIVE_PUBLISH_TOKEN is not set`)),
			runArgs("--spec", "collections", "--target", target.URL, "--publish", "http://127.0.0.1:9")...)
	})

	It("rejects a --publish URL that is not a hub's before running anything", func() {
		expectInvalid(credsEnv("GOLIVE_PUBLISH_TOKEN=glv_test"), regexp.MustCompile(q(`--publish "hub.example": want the hub's http(s) URL`)),
			runArgs("--spec", "collections", "--target", target.URL, "--publish", "hub.example")...)
	})

	It("rejects --header without a colon", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--header: want "Name: value"`)),
			runArgs("--spec", "collections", "--target", target.URL, "--header", "nocolon")...)
	})

	It("rejects an unknown --format", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--format "xml": want text or json`)),
			runArgs("--spec", "collections", "--target", target.URL, "--format", "xml")...)
	})

	It("rejects an unknown --env", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(q(`--env "prod"`)),
			runArgs("--spec", "collections", "--target", target.URL, "--env", "prod")...)
	})

	It("rejects a --header naming an unset environment variable", func() {
		expectInvalid(credsEnv(), regexp.MustCompile(`X-Partner-Secret.*PARTNER_SECRET is not set`),
			runArgs("--spec", "collections", "--target", target.URL, "--header", "X-Partner-Secret: ${PARTNER_SECRET}")...)
	})

	It("rejects an --out that is a file, before sending anything", func() {
		Expect(os.WriteFile(out, []byte("not a folder"), 0o644)).To(Succeed())
		session := golive(exitInvalid, credsEnv(), "run", "--spec", "collections", "--target", target.URL, "--out", out)
		lines := nonEmptyLines(stderr(session))
		Expect(lines).To(HaveLen(1))
		Expect(lines[0]).To(HavePrefix("golive: --out " + out))
		Expect(os.ReadFile(out)).To(Equal([]byte("not a folder")))
		Expect(target.Requests()).To(BeZero())
	})

	It("rejects an unknown demo fault", func() {
		expectInvalid(minimalEnv(), regexp.MustCompile(q(`unknown fault "nosuch"`)),
			"demo", "--fault", "nosuch", "--out", out)
	})

	It("rejects an unknown command", func() {
		expectInvalid(minimalEnv(), regexp.MustCompile(q(`unknown command "nosuch"`)), "nosuch")
	})
})

// danglingRefDoc refers to a schema on line 13 and has no components.
const danglingRefDoc = `openapi: 3.0.3
info: {title: dangling, version: "1"}
paths:
  /v1/payments:
    get:
      operationId: listPayments
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Payment"
`

var _ = Describe("golive validate", func() {
	var dir string
	BeforeEach(func() { dir = GinkgoT().TempDir() })

	It("names the FILE:LINE of a $ref that does not resolve, and of a binary file's first bad byte", func() {
		spec := filepath.Join(dir, "dangling.yaml")
		Expect(os.WriteFile(spec, []byte(danglingRefDoc), 0o644)).To(Succeed())
		junk := filepath.Join(dir, "junk.bin")
		Expect(os.WriteFile(junk, []byte("GIF89a\x01\x00\xff\xff"), 0o644)).To(Succeed())
		session := golive(exitInvalid, minimalEnv(), "validate", spec, junk)
		Expect(nonEmptyLines(stderr(session))).To(Equal([]string{
			"golive: load spec " + spec + `:13: $ref "#/components/schemas/Payment" does not resolve: the document has no "components"`,
			"golive: " + junk + ":1: not a YAML or JSON text (a binary file?): control character 0x01 at offset 6",
		}))
	})

	It("accepts the built-in suites", func() {
		files := []string{builtinSuiteFile("collections"), builtinSuiteFile("payouts")}
		session := golive(exitCertified, minimalEnv(), append([]string{"validate"}, files...)...)
		for _, f := range files {
			Expect(stdout(session)).To(ContainSubstring("ok  " + f))
		}
		Expect(stderr(session)).To(BeEmpty())
	})

	It("accepts a custom suite with its spec, and the spec itself", func() {
		spec := fixture(dir, "tokenapi.yaml")
		suite := fixture(dir, "tokenapi-suite.yaml")
		session := golive(exitCertified, minimalEnv(), "validate", "--spec", spec, suite, spec)
		Expect(stdout(session)).To(ContainSubstring("ok  " + suite))
		Expect(stdout(session)).To(ContainSubstring("ok  " + spec))
	})

	for _, bad := range badSuites {
		It("rejects a suite with "+bad.message+", naming FILE:LINE", func() {
			suite := fixture(dir, bad.name)
			session := golive(exitInvalid, minimalEnv(), "validate", suite)
			lines := nonEmptyLines(stderr(session))
			Expect(lines).To(HaveLen(1), "one line on stderr, got:\n%s", stderr(session))
			Expect(lines[0]).To(HavePrefix(fmt.Sprintf("golive: %s:%d: ", suite, lineOf(suite, bad.marker))))
			Expect(lines[0]).To(ContainSubstring(bad.message))
			Expect(stdout(session)).To(BeEmpty())
		})
	}

	It("rejects a broken OpenAPI document, naming the file", func() {
		spec := fixture(dir, "broken-openapi.yaml")
		session := golive(exitInvalid, minimalEnv(), "validate", spec)
		Expect(nonEmptyLines(stderr(session))).To(HaveLen(1))
		Expect(stderr(session)).To(ContainSubstring(spec))
	})

	It("reports every bad file, one line each, and still says which are fine", func() {
		good := fixture(dir, "tokenapi-suite.yaml")
		spec := fixture(dir, "tokenapi.yaml")
		args := []string{"validate", "--spec", spec, good}
		for _, bad := range badSuites {
			args = append(args, fixture(dir, bad.name))
		}
		session := golive(exitInvalid, minimalEnv(), args...)
		lines := nonEmptyLines(stderr(session))
		Expect(lines).To(HaveLen(len(badSuites)))
		for i, bad := range badSuites {
			suite := filepath.Join(dir, bad.name)
			Expect(lines[i]).To(HavePrefix(fmt.Sprintf("golive: %s:%d: ", suite, lineOf(suite, bad.marker))))
		}
		Expect(stdout(session)).To(Equal("ok  " + good + "\n"))
	})
})
