package tools_test

import (
	"errors"
	"os"
	"strings"

	"github.com/golive-cert/golive/telegram/tools"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("tools.yaml", func() {
	It("loads the example file", func() {
		cat, err := tools.Load("testdata/tools.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(cat.Tools).To(HaveLen(2))
		tok := cat.Find("payment_token")
		Expect(tok.Private()).To(BeTrue())
		Expect(tok.Usage()).To(Equal("/payment_token amount=<integer> msisdn=<string>"))
		Expect(tok.RateLimit.Calls).To(Equal(3))
		Expect(tok.Roles).To(Equal([]string{"partner"}))
		look := cat.Find("order_lookup")
		Expect(look.Private()).To(BeFalse())
		Expect(look.Allows("partner", "acme")).To(BeTrue())
		Expect(look.Allows("partner", "globex")).To(BeFalse())
		Expect(look.Allows("staff", "")).To(BeTrue())
	})

	It("loads the example in docs/telegram.md", func() {
		doc, err := os.ReadFile("../../docs/telegram.md")
		Expect(err).NotTo(HaveOccurred())
		_, rest, found := strings.Cut(string(doc), "```yaml\n")
		Expect(found).To(BeTrue())
		example, _, _ := strings.Cut(rest, "```")
		cat, err := tools.Parse("docs/telegram.md", []byte(example))
		Expect(err).NotTo(HaveOccurred())
		Expect(cat.Find("payment_token").Private()).To(BeTrue())
	})

	DescribeTable("names the file and line of each mistake",
		func(text, want string) {
			_, err := tools.Parse("tools.yaml", []byte(text))
			var le *tools.LoadError
			Expect(errors.As(err, &le)).To(BeTrue(), "%v", err)
			Expect(err.Error()).To(ContainSubstring(want))
		},
		Entry("an unknown key", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/
    methd: POST
`, `tools.yaml:6: unknown key "methd" in tools[0]`),
		Entry("an unknown top-level key", "tools: []\nextra: 1\n", `tools.yaml:2: unknown key "extra"`),
		Entry("a missing key", `tools:
  - name: t
    method: GET
    url: http://x/
`, `tools.yaml:2: missing key "description" in tools[0]`),
		Entry("a bad method", `tools:
  - name: t
    description: d
    method: FETCH
    url: http://x/
`, "tools.yaml:4: tools[0].method"),
		Entry("a bad parameter schema", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/
    params:
      - name: a
        schema: {type: integerr}
`, `tools.yaml:8: parameter "a": bad JSON Schema`),
		Entry("a $ref outside the file", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/
    params:
      - name: a
        schema: {$ref: "http://example.com/s.json"}
`, `tools.yaml:8: parameter "a": bad JSON Schema`),
		Entry("a bad duration", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/
    rate_limit: {calls: 1, per: 0s}
`, `tools.yaml:6: bad duration "0s"`),
		Entry("a URL placeholder that is no parameter", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/{ref}
`, "tools.yaml:5: url uses {ref}, which is not a parameter"),
		Entry("a duplicate tool", `tools:
  - {name: t, description: d, method: GET, url: "http://x/"}
  - {name: t, description: d, method: GET, url: "http://x/"}
`, `tools.yaml:3: tool "t" is declared twice`),
		Entry("a YAML syntax error", "tools:\n  - name: [t\n", "tools.yaml:"),
		Entry("an empty file", "", "tools.yaml:1: empty file"),
		Entry("a reserved parameter", `tools:
  - name: t
    description: d
    method: GET
    url: http://x/
    params:
      - {name: partner, schema: {type: string}}
`, `tools.yaml:7: "partner" is reserved`),
	)

	It("reports every problem, in line order", func() {
		_, err := tools.Parse("t.yaml", []byte(`tools:
  - name: Bad-Name
    description: d
    method: GET
    url: http://x/
    colour: red
`))
		var le *tools.LoadError
		Expect(errors.As(err, &le)).To(BeTrue())
		Expect(le.Problems).To(HaveLen(2))
		Expect(le.Problems[0].Line).To(Equal(2))
		Expect(le.Problems[1].Line).To(Equal(6))
	})

	It("reads a file from disk with its path in errors", func() {
		path := GinkgoT().TempDir() + "/tools.yaml"
		Expect(os.WriteFile(path, []byte("tools:\n  - nme: x\n"), 0o600)).To(Succeed())
		_, err := tools.Load(path)
		Expect(err).To(MatchError(ContainSubstring(path + ":2: unknown key \"nme\"")))
	})
})

func readExample() ([]byte, error) { return os.ReadFile("testdata/tools.yaml") }
