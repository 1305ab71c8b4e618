package results_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
)

// it is one finished item of a given outcome.
func it(status results.Status, sev results.Severity, cat results.Category) results.Item {
	return results.Item{ID: "x", Status: status, Severity: sev, Category: cat}
}

var _ = Describe("the verdict and its exit code", func() {
	pass := it(results.Pass, results.Critical, "")
	DescribeTable("every outcome has one status and one exit code",
		func(items []results.Item, interrupted bool, status results.VerdictStatus, code exitcode.Code) {
			v := results.Decide(items, interrupted)
			Expect(v.Status).To(Equal(status))
			Expect(v.ExitCode).To(Equal(code))
			Expect(v.Reason).NotTo(BeEmpty())
		},
		Entry("all passed", []results.Item{pass}, false, results.Certified, exitcode.Certified),
		Entry("nothing ran", nil, false, results.Certified, exitcode.Certified),
		Entry("skips only", []results.Item{it(results.Skip, results.Critical, "")}, false, results.Certified, exitcode.Certified),
		Entry("a minor integration failure", []results.Item{pass, it(results.Fail, results.Minor, results.Integration)}, false,
			results.CertifiedWithObservations, exitcode.Certified),
		Entry("a minor connection error", []results.Item{pass, it(results.Error, results.Minor, results.Connection)}, false,
			results.CertifiedWithObservations, exitcode.Certified),
		Entry("a major integration failure", []results.Item{it(results.Fail, results.Major, results.Integration)}, false,
			results.NotCertified, exitcode.NotCertified),
		Entry("a critical integration failure", []results.Item{it(results.Fail, results.Critical, results.Integration)}, false,
			results.NotCertified, exitcode.NotCertified),
		Entry("a critical connection error", []results.Item{it(results.Error, results.Critical, results.Connection)}, false,
			results.NotTestable, exitcode.NotTestable),
		Entry("a major system error", []results.Item{it(results.Error, results.Major, results.System)}, false,
			results.NotTestable, exitcode.NotTestable),
		Entry("integration beats system", []results.Item{it(results.Error, results.Major, results.System),
			it(results.Fail, results.Major, results.Integration)}, false, results.NotCertified, exitcode.NotCertified),
		Entry("interrupted, all passed so far", []results.Item{pass}, true, results.NotCertified, exitcode.Interrupted),
		Entry("interrupted with failures", []results.Item{it(results.Fail, results.Critical, results.Integration)}, true,
			results.NotCertified, exitcode.Interrupted),
	)

	// The contract is written three times for three readers; the tables
	// must agree with the one package that owns the codes.
	DescribeTable("the documentation lists exactly the codes of package exitcode",
		func(file, heading string) {
			data, err := os.ReadFile(file)
			Expect(err).NotTo(HaveOccurred())
			section := string(data)
			start := strings.Index(section, heading)
			Expect(start).To(BeNumerically(">=", 0), "%s has a %q section", file, heading)
			section = section[start:]
			if end := strings.Index(section[len(heading):], "\n#"); end >= 0 {
				section = section[:len(heading)+end]
			}
			row := regexp.MustCompile(`(?m)^\|\s*(\d+)\s*\|`)
			var documented []exitcode.Code
			for _, m := range row.FindAllStringSubmatch(section, -1) {
				n, _ := strconv.Atoi(m[1])
				documented = append(documented, exitcode.Code(n))
			}
			Expect(documented).To(Equal(exitcode.All()))
		},
		Entry("docs/results.md", "../docs/results.md", "## Exit codes"),
		Entry("README.md", "../README.md", "### Exit codes"),
	)
})
