package reports_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

// Our own mirror of the JUnit elements, so the test reads the XML as a CI
// tool would rather than trusting the writer's types.
type xSuites struct {
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []xSuite `xml:"testsuite"`
}

type xSuite struct {
	Name       string  `xml:"name,attr"`
	Tests      int     `xml:"tests,attr"`
	Failures   int     `xml:"failures,attr"`
	Errors     int     `xml:"errors,attr"`
	Skipped    int     `xml:"skipped,attr"`
	Time       string  `xml:"time,attr"`
	Properties []xProp `xml:"properties>property"`
	Cases      []xCase `xml:"testcase"`
}

type xProp struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type xCase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *xResult `xml:"failure"`
	Error     *xResult `xml:"error"`
	Skipped   *xResult `xml:"skipped"`
}

type xResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

func junitOf(run *results.Run) (xSuites, []byte) {
	var buf bytes.Buffer
	Expect(reports.WriteJUnit(&buf, run)).To(Succeed())
	var doc xSuites
	Expect(xml.Unmarshal(buf.Bytes(), &doc)).To(Succeed())
	return doc, buf.Bytes()
}

func findCase(doc xSuites, namePrefix string) xCase {
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, namePrefix) {
				return c
			}
		}
	}
	Fail("no testcase named " + namePrefix)
	return xCase{}
}

var _ = Describe("WriteJUnit", func() {
	var (
		run *results.Run
		doc xSuites
	)
	BeforeEach(func() {
		run = fixtureRun()
		doc, _ = junitOf(run)
	})

	It("has one testsuite per API, in run order", func() {
		Expect(doc.Suites).To(HaveLen(2))
		Expect(doc.Suites[0].Name).To(Equal("collections"))
		Expect(doc.Suites[1].Name).To(Equal("payouts"))
	})

	It("has counts that match the summary", func() {
		Expect(doc.Tests).To(Equal(run.Summary.Total))
		// The fixture keeps status and category consistent, so <failure> is
		// exactly the failed items and <error> the errored ones.
		Expect(doc.Failures).To(Equal(run.Summary.Failed))
		Expect(doc.Errors).To(Equal(run.Summary.Errored))

		var tests, failures, errs, skipped, cases int
		for _, s := range doc.Suites {
			tests += s.Tests
			failures += s.Failures
			errs += s.Errors
			skipped += s.Skipped
			cases += len(s.Cases)
		}
		Expect([]int{tests, failures, errs, skipped, cases}).To(Equal(
			[]int{run.Summary.Total, run.Summary.Failed, run.Summary.Errored, run.Summary.Skipped, run.Summary.Total}))
	})

	It("names testcases '<id> <title>' under '<api>.<group>', unique and stable", func() {
		c := findCase(doc, "COL-002 ")
		Expect(c.Name).To(Equal("COL-002 Payment status becomes final"))
		Expect(c.Classname).To(Equal("collections.payments"))
		Expect(findCase(doc, "PAY-003 ").Classname).To(Equal("payouts"), "no group: classname is the API")

		seen := map[string]bool{}
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				key := c.Classname + " / " + c.Name
				Expect(seen).NotTo(HaveKey(key))
				seen[key] = true
			}
		}
		again, _ := junitOf(fixtureRun())
		Expect(again.Suites).To(Equal(doc.Suites))
	})

	It("reports integration failures as <failure> and connection/system failures as <error>, typed category/severity", func() {
		c := findCase(doc, "COL-002 ")
		Expect(c.Failure).NotTo(BeNil())
		Expect(c.Error).To(BeNil())
		Expect(c.Failure.Type).To(Equal("integration/critical"))
		Expect(c.Failure.Message).To(Equal("[P2] status stayed PENDING after 3 polls over 2.0 s"), "the problem id first")
		Expect(strings.TrimSpace(c.Failure.Body)).To(HavePrefix("Problem P2 (1 item(s)): status stayed PENDING"))

		conn := findCase(doc, "PAY-001 ")
		Expect(conn.Failure).To(BeNil())
		Expect(conn.Error).NotTo(BeNil())
		Expect(conn.Error.Type).To(Equal("connection/major"))

		Expect(findCase(doc, "PAY-002 ").Error.Type).To(Equal("system/critical"))
		Expect(findCase(doc, "COL-003 ").Failure.Type).To(Equal("integration/minor"))
	})

	It("puts expected vs actual, reason, step, every exchange, curl, remediation and FAQ in the body", func() {
		body := findCase(doc, "COL-002 ").Failure.Body
		Expect(body).To(ContainSubstring("Expected:    status in [SUCCESS, FAILED] within 2s"))
		Expect(body).To(ContainSubstring("Actual:\n  PENDING\n"))
		Expect(body).To(ContainSubstring("Reason:      the target answered every poll"))
		Expect(body).To(ContainSubstring("Step:        poll-status"))
		Expect(body).To(ContainSubstring("1. initiate: POST https://partner.example/v1/payments -> 201 (90 ms)"))
		Expect(body).To(ContainSubstring("4. poll-status, attempt 3: GET https://partner.example/v1/payments/p_2 -> 200 (39 ms)"))
		Expect(body).To(ContainSubstring("curl -X GET 'https://partner.example/v1/payments/p_2'"))
		Expect(body).To(ContainSubstring("Remediation:\n  Implement the check-status flow"))
		Expect(body).To(ContainSubstring("FAQ: https://docs.example/faq/collections#status-never-final"))

		Expect(findCase(doc, "PAY-001 ").Error.Body).To(ContainSubstring(
			"create: POST https://partner.example/v1/payouts -> error: dial tcp 203.0.113.7:443: connect: connection refused (5.0 s)"))
	})

	It("keeps messages on one line and skips with the reason", func() {
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				for _, r := range []*xResult{c.Failure, c.Error, c.Skipped} {
					if r != nil {
						Expect(r.Message).NotTo(ContainSubstring("\n"))
					}
				}
			}
		}
		Expect(findCase(doc, "COL-004 ").Skipped.Message).To(Equal("the spec has no refund operation"))
	})

	It("records run metadata as properties of every testsuite", func() {
		for _, s := range doc.Suites {
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			Expect(props).To(HaveKeyWithValue("golive.tool.version", "1.2.3"))
			Expect(props).To(HaveKeyWithValue("golive.run.id", run.RunID))
			Expect(props).To(HaveKeyWithValue("golive.target.baseUrl", "https://partner.example"))
			Expect(props).To(HaveKeyWithValue("golive.target.environment", "staging"))
			Expect(props).To(HaveKeyWithValue("golive.verdict", "NOT CERTIFIED"))
			Expect(props).To(HaveKey("golive.spec.sha256"))
		}
		Expect(doc.Suites[0].Properties).To(ContainElement(xProp{"golive.suite.sha256", run.APIs[0].SuiteSHA256}))
		Expect(doc.Suites[1].Properties).To(ContainElement(xProp{"golive.spec.sha256", run.APIs[1].SpecSHA256}))
	})

	It("gives times in seconds", func() {
		seconds := regexp.MustCompile(`^\d+\.\d{3}$`)
		Expect(doc.Time).To(Equal("11.000"))
		Expect(findCase(doc, "COL-002 ").Time).To(Equal("2.100"))
		for _, s := range doc.Suites {
			Expect(s.Time).To(MatchRegexp(seconds.String()))
			for _, c := range s.Cases {
				Expect(c.Time).To(MatchRegexp(seconds.String()))
			}
		}
	})

	It("keeps items whose API the run does not list, in a suite of their own", func() {
		run.Items = append(run.Items, results.Item{ID: "X-1", API: "refunds", Title: "stray", Severity: results.Minor, Status: results.Pass})
		doc, _ := junitOf(run)
		Expect(doc.Suites).To(HaveLen(3))
		Expect(doc.Suites[2].Name).To(Equal("refunds"))
		Expect(doc.Suites[2].Cases).To(HaveLen(1))
	})

	Describe("against the Jenkins xUnit schema (testdata/jenkins-junit-10.xsd)", func() {
		validate := func(run *results.Run) {
			xmllint, err := exec.LookPath("xmllint")
			if err != nil {
				Skip("xmllint not on PATH, so junit.xml is not checked against the XSD: apt-get install libxml2-utils (.ci/run does)")
			}
			_, data := junitOf(run)
			path := filepath.Join(GinkgoT().TempDir(), "junit.xml")
			Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
			out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/jenkins-junit-10.xsd", path).CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "xmllint:\n%s\njunit.xml:\n%s", out, data)
		}

		It("validates the fixture run (hostile bytes included)", func() { validate(fixtureRun()) })
		It("validates an empty run", func() { validate(&results.Run{RunID: "empty"}) })
		It("validates a run whose items were all skipped", func() {
			r := fixtureRun()
			for i := range r.Items {
				r.Items[i].Status = results.Skip
			}
			validate(r)
		})
	})
})
