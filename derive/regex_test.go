package derive_test

import (
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
)

var _ = Describe("generating strings from patterns", func() {
	DescribeTable("every generated string matches its pattern",
		func(pattern string) {
			// As kin-openapi validates: JavaScript's \uXXXX read as RE2's \x{XXXX}.
			re := regexp.MustCompile(regexp.MustCompile(`\\u([0-9a-fA-F]{4})`).ReplaceAllString(pattern, `\x{$1}`))
			seen := map[string]bool{}
			for seed := int64(1); seed <= 50; seed++ {
				s, ok := derive.GeneratePattern(pattern, seed, derive.AnyLength)
				Expect(ok).To(BeTrue())
				Expect(re.MatchString(s)).To(BeTrue(), "%q does not match %s", s, pattern)
				seen[s] = true
			}
			Expect(len(seen)).To(BeNumerically(">", 1), "the seed should vary the value")
		},
		Entry("a reference", `^[A-Za-z0-9]{6,40}$`),
		Entry("a phone number", `^255[0-9]{9}$`),
		Entry("a decimal amount", `^[0-9]{1,12}(\.[0-9]{1,2})?$`),
		Entry("digits and literals", `^\d{3}-\d{2}$`),
		Entry("an unanchored hex digest", `[a-f0-9]{64}`),
		Entry("an error code", `^[A-Z][A-Z_]*$`),
		Entry("groups, alternation and optionals", `^(ab|cd)+x?(y|z)*$`),
		Entry("word characters and escapes", `^\w+@example\.com$`),
		Entry("a negated class", `^[^\s"]{4,8}$`),
		Entry("a JavaScript unicode escape", `^[\u00e0-\u00ff]{2,3}$`),
		Entry("a non-capturing group", `^(?:[1-9]\d{3})-(?:0[1-9]|1[0-2])$`),
	)

	It("finds the shortest and longest strings of bounded repetitions", func() {
		s, ok := derive.GeneratePattern(`^[A-Z]{2,5}(-[0-9]{1,3})?$`, 1, derive.Shortest)
		Expect(ok).To(BeTrue())
		Expect(s).To(HaveLen(2))
		s, ok = derive.GeneratePattern(`^[A-Z]{2,5}(-[0-9]{1,3})?$`, 1, derive.Longest)
		Expect(ok).To(BeTrue())
		Expect(s).To(HaveLen(9))
		s, ok = derive.GeneratePattern(`^(a|bbb)$`, 1, derive.Longest)
		Expect(ok).To(BeTrue())
		Expect(s).To(Equal("bbb"))
	})

	It("has no longest string for an unbounded repetition", func() {
		_, ok := derive.GeneratePattern(`^a+$`, 1, derive.Longest)
		Expect(ok).To(BeFalse())
	})

	It("declines patterns RE2 cannot read (lookarounds) instead of guessing", func() {
		_, ok := derive.GeneratePattern(`^(?!\s)(.*)(\S)$`, 1, derive.AnyLength)
		Expect(ok).To(BeFalse())
	})
})
