package runner

import "strings"

// ShellLiteral is s quoted by writeShellLiteral, the quoting every value of
// a curl line goes through, for the Ginkgo suite.
func ShellLiteral(s string) string {
	var b strings.Builder
	writeShellLiteral(&b, s)
	return b.String()
}

// MaskCards exposes maskCards to the Ginkgo suite.
func MaskCards(s string) string { return maskCards(s) }
