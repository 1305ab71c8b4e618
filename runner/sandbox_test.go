package runner_test

import (
	"net/http/httptest"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
)

// certifySandbox runs both built-in checklists against a sandbox with the
// given fault, with poll deadlines cut to keep never-final fast.
func certifySandbox(fault string) *results.Run {
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(100*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(sb)
	DeferCleanup(srv.Close)
	jobs := []runner.Job{
		loadJob("collections", "collections", 2*time.Second),
		loadJob("payouts", "payouts", 2*time.Second),
	}
	return run(srv.URL, jobs,
		runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey,
			"checksumKey": sandbox.DefaultChecksumKey}),
		runner.WithEnv(env(nil)), runner.WithConcurrency(16))
}

var _ = Describe("certifying the sandbox", func() {
	It("certifies the clean sandbox: every item passes", func() {
		r := certifySandbox("")
		Expect(notPassed(r)).To(BeEmpty())
		Expect(r.Verdict.Status).To(Equal(results.Certified))
		Expect(r.Verdict.ExitCode).To(Equal(exitcode.Certified))
		Expect(r.Schema).To(Equal("golive.results/v1"))
		Expect(r.APIs).To(HaveLen(2))
		Expect(r.Summary.Total).To(Equal(len(r.Items)))
		Expect(r.Summary.Passed).To(Equal(len(r.Items)))
		for _, it := range r.Items {
			if it.Kind != "latency" {
				Expect(it.Exchanges).NotTo(BeEmpty(), it.ID)
			}
		}
	})

	It("records every poll attempt of the payment + check-status flow", func() {
		r := certifySandbox("")
		flow := item(r, "COL-007")
		var polls int
		for _, ex := range flow.Exchanges {
			if ex.Step == "checkStatus" {
				polls++
				Expect(ex.Attempt).To(Equal(polls))
			}
		}
		Expect(polls).To(BeNumerically(">=", 1))
		last := flow.Exchanges[len(flow.Exchanges)-1]
		Expect(last.Response.Body).To(MatchRegexp(`"status":\s*"(SUCCESS|FAILED)"`))
	})

	DescribeTable("each sandbox fault is caught by the items that point at the defect",
		func(fault string, verdict results.VerdictStatus, category results.Category, mustFail []string, message string) {
			r := certifySandbox(fault)
			Expect(r.Verdict.Status).To(Equal(verdict))
			failed := notPassed(r)
			Expect(failed).To(ContainElements(mustFail))
			for _, id := range mustFail {
				it := item(r, id)
				Expect(it.Category).To(Equal(category), id)
				Expect(it.Message).NotTo(BeEmpty(), id)
				Expect(it.Remediation).NotTo(BeEmpty(), id)
				Expect(it.Curl).To(HavePrefix("curl "), id)
			}
			Expect(item(r, mustFail[0]).Message).To(ContainSubstring(message))
		},
		Entry("check-status not implemented", "no-status", results.NotCertified, results.Integration,
			[]string{"COL-007", "COL-009", "PAY-007", "PAY-009"}, "expected status 200, got 404"),
		Entry("status never final", "never-final", results.NotCertified, results.Integration,
			[]string{"COL-007", "COL-008", "PAY-007", "PAY-008"}, "never reaches a final state"),
		Entry("amount changed in the status response", "amount-changed", results.NotCertified, results.Integration,
			[]string{"COL-007", "PAY-007"}, "amount"),
		Entry("no input validation", "no-validation", results.NotCertified, results.Integration,
			[]string{"COL-011", "COL-012", "COL-013", "COL-014", "COL-015", "COL-016", "PAY-011", "PAY-016"}, "expected status 400"),
		Entry("no token enforcement", "no-auth", results.NotCertified, results.Integration,
			[]string{"COL-019", "COL-020", "COL-021", "PAY-019", "PAY-020", "PAY-021"}, "expected status 401"),
		Entry("reused orderReference accepted", "duplicate-accepted", results.NotCertified, results.Integration,
			[]string{"COL-010", "PAY-010"}, "expected status 409"),
		Entry("4xx without the error schema", "bad-error-schema", results.NotCertified, results.Integration,
			[]string{"COL-002", "COL-009", "COL-011", "PAY-019"}, "does not match the spec"),
		Entry("amount as a JSON number", "schema-violation", results.NotCertified, results.Integration,
			[]string{"COL-005", "COL-006", "PAY-006"}, "/amount"),
		Entry("timestamps that are not RFC 3339 date-times", "local-timestamps", results.NotCertified, results.Integration,
			[]string{"COL-004", "COL-006", "PAY-006"}, `is not a valid date-time`),
		Entry("500 on invalid input", "crash-on-invalid", results.NotCertified, results.Integration,
			[]string{"COL-011", "COL-017", "PAY-011"}, "got 500"),
	)

	It("stops early on a target in maintenance: a few system errors, the rest not run, NOT TESTABLE", func() {
		r := certifySandbox("maintenance")
		Expect(r.Verdict.Status).To(Equal(results.NotTestable))
		Expect(r.Verdict.ExitCode).To(Equal(exitcode.NotTestable))
		Expect(r.Summary.Errored).To(BeNumerically(">=", 1))
		Expect(r.Summary.Skipped).To(BeNumerically(">", r.Summary.Total/2))
		for _, it := range r.Items {
			switch it.Status {
			case results.Error:
				Expect(it.Category).To(Equal(results.System), it.ID)
				Expect(it.Reason).To(ContainSubstring("503"), it.ID)
				Expect(it.Reason).To(ContainSubstring("Retry-After: 120"), it.ID)
				Expect(it.Reason).To(ContainSubstring("HTML page"), it.ID)
			case results.Skip:
				Expect(it.Message).To(ContainSubstring("not run"), it.ID)
			}
		}
	})

	It("names the JSON pointer and the rule of a schema violation", func() {
		r := certifySandbox("schema-violation")
		msg := item(r, "COL-006").Message
		Expect(msg).To(ContainSubstring("/amount"))
		Expect(msg).To(ContainSubstring("rule: type"))
	})
})
