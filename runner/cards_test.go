package runner_test

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/runner"
)

// maskCardsByRegexp is how card numbers were masked before the byte loop:
// the reference the loop must agree with.
func maskCardsByRegexp(s string) string {
	return regexp.MustCompile(`\d{13,19}`).ReplaceAllStringFunc(s, func(d string) string {
		sum, double := 0, false
		for i := len(d) - 1; i >= 0; i-- {
			n := int(d[i] - '0')
			if double {
				if n *= 2; n > 9 {
					n -= 9
				}
			}
			sum, double = sum+n, !double
		}
		if sum%10 != 0 {
			return d
		}
		return d[:4] + strings.Repeat("*", len(d)-8) + d[len(d)-4:]
	})
}

var _ = DescribeTable("card numbers are masked as the \\d{13,19} regexp with the Luhn check did",
	func(text string) {
		Expect(runner.MaskCards(text)).To(Equal(maskCardsByRegexp(text)))
	},
	Entry("a card in JSON", `{"card":"4111111111111111","amount":"10.00"}`),
	Entry("a card at each end", "4111111111111111 and 5555555555554444"),
	Entry("12 digits: too short", "411111111111"),
	Entry("13 digits passing Luhn", "4222222222222"),
	Entry("19 digits passing Luhn", "6011000990139424000"),
	Entry("not passing Luhn", "4111111111111112"),
	Entry("a run of 32 digits, taken 19 then 13", "41111111111111111111111111111111"),
	Entry("a run of 25 digits", "4111111111111111000000000"),
	Entry("digits around letters and non-ASCII", "é4111111111111111é 4111-1111-1111-1111"),
	Entry("no digits", "no digits here"),
	Entry("empty", ""),
)
