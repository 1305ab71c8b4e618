package specs_test

import (
	"context"
	"errors"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/specs"
)

var _ = Describe("the one regex policy", func() {
	DescribeTable("compiles with RE2 where it can and ECMA-262 where it cannot",
		func(pattern string, matches, rejects []string) {
			re, err := specs.CompileRegex(pattern)
			Expect(err).NotTo(HaveOccurred())
			for _, s := range matches {
				Expect(re.MatchString(s)).To(BeTrue(), s)
			}
			for _, s := range rejects {
				Expect(re.MatchString(s)).To(BeFalse(), s)
			}
		},
		Entry("plain RE2", `^[A-Z]{2}[0-9]{3}$`, []string{"AB123"}, []string{"AB12", "ab123"}),
		Entry("JavaScript \\u escapes", `^[\u0041-\u005A]+$`, []string{"ABC"}, []string{"abc"}),
		Entry("an Open Banking UK lookahead", `^(?!\s)(.*)(\S)$`, []string{"ref 1", "x1"}, []string{" ref", "ref "}),
		Entry("Mojaloop's Unicode property names", `^(?!\s*$)[\p{L}\p{gc=Mark}\p{digit}\p{gc=Connector_Punctuation}\p{Join_Control} .,''-]{1,128}$`,
			[]string{"José Müller", "O'Brien-Smith 2"}, []string{"   ", "a@b"}),
	)

	It("refuses a pattern neither engine compiles with a typed error", func() {
		_, err := specs.CompileRegex(`^(?<=[A-Z]{2}[0-9]+$`)
		var bad *specs.PatternError
		Expect(errors.As(err, &bad)).To(BeTrue())
		Expect(bad.Pattern).To(Equal(`^(?<=[A-Z]{2}[0-9]+$`))
	})

	It("validates schemas through the policy, so lookaheads are enforced, not skipped", func() {
		api, err := specs.NewLoader().Load(context.Background(), "testdata/regex/lookahead.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(api.Validate(context.Background())).To(Succeed())
		schema := api.Operation("createPayment").Op.RequestBody.Value.Content.Get("application/json").Schema.Value
		opts := api.SchemaOptions(openapi3.VisitAsRequest())
		Expect(schema.VisitJSON(map[string]any{"reference": "ok-1"}, opts...)).To(Succeed())
		Expect(schema.VisitJSON(map[string]any{"reference": " leading space"}, opts...)).NotTo(Succeed())
	})

	It("names FILE:LINE of a pattern it cannot compile", func() {
		api, err := specs.NewLoader().Load(context.Background(), "testdata/regex/broken.yaml")
		Expect(err).NotTo(HaveOccurred())
		err = api.Validate(context.Background())
		var bad *specs.ValidationError
		Expect(errors.As(err, &bad)).To(BeTrue())
		Expect(bad.Line).To(Equal(15))
		Expect(err.Error()).To(HavePrefix("testdata/regex/broken.yaml:15: "))
		Expect(err.Error()).NotTo(ContainSubstring("\n"))
	})

	It("loads and validates OpenAPI 3.2 documents (tag kinds included)", func() {
		api, err := specs.NewLoader().Load(context.Background(), "testdata/regex/v32.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(api.Validate(context.Background())).To(Succeed())
		Expect(api.Operation("getPayment")).NotTo(BeNil())
	})
})
