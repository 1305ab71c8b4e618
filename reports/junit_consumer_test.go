package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
)

// junit.xml read by tools CI pipelines use, not by our own decoder:
// test-results-parser from npm (the parser behind the TestBeats reporters;
// testdata/junit-consumer pins it with a lockfile) and xmllint with the
// Jenkins xUnit schema.

const consumerDir = "testdata/junit-consumer"

// consumed is what testdata/junit-consumer/consume.js prints.
type consumed struct {
	Total   int            `json:"total"`
	Passed  int            `json:"passed"`
	Failed  int            `json:"failed"`
	Errors  int            `json:"errors"`
	Skipped int            `json:"skipped"`
	Cases   map[string]int `json:"cases"`
	Suites  []struct {
		Name        string         `json:"name"`
		Total       int            `json:"total"`
		Passed      int            `json:"passed"`
		Failed      int            `json:"failed"`
		Errors      int            `json:"errors"`
		Skipped     int            `json:"skipped"`
		Metadata    map[string]any `json:"metadata"`
		UniqueNames bool           `json:"uniqueNames"`
		Cases       []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"cases"`
	} `json:"suites"`
}

// installConsumer runs `npm ci` in testdata/junit-consumer when its
// node_modules is missing, and returns node's path.
func installConsumer() string {
	GinkgoHelper()
	node := requireTool("node", "install Debian's nodejs and npm: apt-get install nodejs npm (.ci/run installs them when missing)")
	npm := requireTool("npm", "install Debian's npm: apt-get install npm (.ci/run installs it when missing)")
	if _, err := os.Stat(filepath.Join(consumerDir, "node_modules", "test-results-parser", "package.json")); err == nil {
		return node
	}
	cmd := exec.Command(npm, "ci", "--prefix", consumerDir, "--no-audit", "--no-fund", "--loglevel=error")
	out, err := cmd.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "npm ci --prefix %s:\n%s", consumerDir, out)
	return node
}

// consume writes run's reports to a temp dir and reads its junit.xml with
// test-results-parser; it returns the dir, the parser's view and results.json.
func consume(node string, run *results.Run) (string, consumed, resultsFile) {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	Expect(reports.WriteAll(dir, run)).To(Succeed())
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(node, filepath.Join(consumerDir, "consume.js"), filepath.Join(dir, reports.JUnitFile))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	Expect(cmd.Run()).To(Succeed(), "node consume.js:\n%s", stderr.String())
	var c consumed
	Expect(json.Unmarshal(stdout.Bytes(), &c)).To(Succeed(), "consume.js printed:\n%s", stdout.String())
	return dir, c, readResultsFile(dir)
}

// jenkinsXSD is the schema the Jenkins xUnit plugin uses: shared/junit's
// copy next to the repository when there is one (as in CI), else ours.
func jenkinsXSD() string {
	GinkgoHelper()
	ours := filepath.Join("testdata", "jenkins-junit-10.xsd")
	shared := filepath.Join("..", "..", "shared", "junit", "jenkins-junit-10.xsd")
	if data, err := os.ReadFile(shared); err == nil {
		mine, err := os.ReadFile(ours)
		Expect(err).NotTo(HaveOccurred())
		Expect(mine).To(Equal(data), "%s has drifted from %s", ours, shared)
		return shared
	}
	return ours
}

var _ = Describe("junit.xml read by real JUnit consumers", Ordered, func() {
	var node string

	BeforeAll(func() {
		node = installConsumer()
	})

	sources := []struct {
		desc string
		run  func() *results.Run
	}{
		{"the fixture run (every status, category and severity)", fixtureRun},
		{"the fixture run with every item skipped", func() *results.Run {
			r := fixtureRun()
			for i := range r.Items {
				r.Items[i].Status = results.Skip
			}
			r.Summary = results.Summarize(r.Items)
			return r
		}},
		{"a real sandbox run: amount-changed behind a target answering 502 with markup (failures and errors)",
			func() *results.Run { return sandboxRun(sandbox.FaultAmountChanged, true) }},
		{"a real sandbox run: maintenance (errors, then the rest skipped)",
			func() *results.Run { return sandboxRun(sandbox.FaultMaintenance, false) }},
		{"a real sandbox run: a correct partner (all pass)",
			func() *results.Run { return sandboxRun("", false) }},
	}

	for _, src := range sources {
		It("test-results-parser reads the counts results.json has: "+src.desc, func() {
			_, c, doc := consume(node, src.run())
			s := doc.Summary

			// JUnit splits failed+errored by whose problem it is:
			// integration -> <failure>, connection and system -> <error>.
			failures, errs := 0, 0
			for _, it := range doc.Items {
				if it.Status != "fail" && it.Status != "error" {
					continue
				}
				if it.Category == "integration" || it.Category == "" && it.Status == "fail" {
					failures++
				} else {
					errs++
				}
			}
			Expect(failures + errs).To(Equal(s.Failed + s.Errored))

			// File totals. The parser reads them from <testsuites> when it
			// has a failures attribute (then "total" is every test case:
			// the Jenkins schema allows no "skipped" there), else it sums
			// the suites (whose totals leave skipped tests out).
			Expect(c.Failed).To(Equal(failures), "failures")
			Expect(c.Errors).To(Equal(errs), "errors")
			Expect(c.Total).To(Or(Equal(s.Total), Equal(s.Total-s.Skipped)), "tests")

			// Suite totals: the parser's total leaves skipped tests out.
			var tests, passed, failed, errored, skipped int
			for _, suite := range c.Suites {
				tests += suite.Total + suite.Skipped
				passed += suite.Passed
				failed += suite.Failed
				errored += suite.Errors
				skipped += suite.Skipped
			}
			Expect([]int{tests, passed, failed, errored, skipped}).To(Equal([]int{s.Total, s.Passed, failures, errs, s.Skipped}),
				"tests, passed, failures, errors, skipped summed over the test suites")

			// Test cases, one by one.
			Expect(c.Cases["PASS"]).To(Equal(s.Passed))
			Expect(c.Cases["FAIL"]).To(Equal(s.Failed + s.Errored))
			Expect(c.Cases["SKIP"]).To(Equal(s.Skipped))
			byAPI := map[string][]string{}
			for _, it := range doc.Items {
				status := map[string]string{"pass": "PASS", "fail": "FAIL", "error": "FAIL", "skip": "SKIP"}[it.Status]
				byAPI[it.API] = append(byAPI[it.API], it.ID+" "+status)
			}
			Expect(c.Suites).To(HaveLen(len(byAPI)), "one test suite per API")
			for _, suite := range c.Suites {
				var got []string
				for _, tc := range suite.Cases {
					id, _, _ := strings.Cut(tc.Name, " ")
					got = append(got, id+" "+tc.Status)
				}
				Expect(got).To(Equal(byAPI[suite.Name]), "suite %s, in run order", suite.Name)
				Expect(suite.UniqueNames).To(BeTrue(), "suite %s: test case names are unique", suite.Name)
				if len(suite.Cases) > 0 && suite.Metadata != nil {
					Expect(suite.Metadata).To(HaveKeyWithValue("golive.verdict", doc.Verdict.Status))
				}
			}
		})
	}

	It("junit.xml of real sandbox runs validates with xmllint against the Jenkins xUnit schema", func() {
		xmllint := requireTool("xmllint", "install Debian's libxml2-utils: apt-get install libxml2-utils (.ci/run installs it when missing)")
		xsd := jenkinsXSD()
		for _, fault := range []string{sandbox.FaultAmountChanged, sandbox.FaultMaintenance, sandbox.FaultNoStatus} {
			run := sandboxRun(fault, fault == sandbox.FaultAmountChanged)
			dir := GinkgoT().TempDir()
			Expect(reports.WriteAll(dir, run)).To(Succeed())
			path := filepath.Join(dir, reports.JUnitFile)
			out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, path).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "xmllint (%s):\n%s", fault, out)
			Expect(string(out)).To(ContainSubstring("validates"), fault)
		}
	})
})
