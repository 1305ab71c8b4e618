package main_test

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("information commands", func() {
	It("golive list names both APIs and the sandbox faults", func() {
		session := golive(exitCertified, minimalEnv(), "list")
		out := stdout(session)
		Expect(out).To(MatchRegexp(`(?m)^collections\s+BAU Collections API\s`))
		Expect(out).To(MatchRegexp(`(?m)^payouts\s+BAU Payouts API\s`))
		Expect(out).To(ContainSubstring("Sandbox faults"))
		for _, fault := range []string{"amount-changed", "maintenance", "never-final", "no-auth", "no-status", "no-validation", "duplicate-accepted", "slow"} {
			Expect(out).To(MatchRegexp(`(?m)^\s+`+regexp.QuoteMeta(fault)+`\s+\S`), "fault %s with its description", fault)
		}
		Expect(stderr(session)).To(BeEmpty())
	})

	It("golive checklist collections prints a Markdown table with every COL- item", func() {
		session := golive(exitCertified, minimalEnv(), "checklist", "collections")
		out := stdout(session)
		Expect(out).To(HavePrefix("# collections quality checklist"))
		Expect(out).To(ContainSubstring("| ID | Severity | Group | Check | What to do if it fails |"))
		Expect(out).To(MatchRegexp(`(?m)^\|-+\|-+\|-+\|-+\|-+\|$`))
		ids := suiteItemIDs(builtinSuiteFile("collections"))
		var rows []string
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "| COL-") {
				rows = append(rows, line)
			}
		}
		Expect(rows).To(HaveLen(len(ids)))
		for i, id := range ids {
			Expect(rows[i]).To(MatchRegexp(`^\| `+regexp.QuoteMeta(id)+` \| (critical|major|minor) \| `), "row of %s", id)
			Expect(strings.Count(rows[i], " | ")).To(Equal(4), "five cells in the row of %s", id)
		}
	})

	It("golive checklist of an unknown suite is invalid input", func() {
		session := golive(exitInvalid, minimalEnv(), "checklist", "nosuch")
		Expect(nonEmptyLines(stderr(session))).To(HaveLen(1))
		Expect(stderr(session)).To(ContainSubstring("nosuch"))
	})

	It("golive --version prints a version", func() {
		session := golive(exitCertified, minimalEnv(), "--version")
		Expect(strings.TrimSpace(stdout(session))).To(MatchRegexp(`^golive version \S+$`))
	})

	It("golive --help states the exit codes", func() {
		session := golive(exitCertified, minimalEnv(), "--help")
		Expect(stdout(session)).To(ContainSubstring("0 certified"))
		Expect(stdout(session)).To(ContainSubstring("1 not certified"))
		Expect(stdout(session)).To(ContainSubstring("2 invalid input"))
		Expect(stdout(session)).To(ContainSubstring("3 target not testable"))
	})
})
