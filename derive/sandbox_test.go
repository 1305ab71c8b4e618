package derive_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/suites"
)

// runDerived plans the derived checks of both built-in APIs and runs them
// through the real runner against a sandbox with the fault ("" for none).
func runDerived(fault string, seed int64) *results.Run {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(100*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(sb)
	DeferCleanup(srv.Close)
	var jobs []runner.Job
	for _, name := range []string{"collections", "payouts"} {
		api := loadAPI(name)
		auth := builtinAuth(name)
		items, err := derive.Plan(api, derive.Options{Seed: seed, Auth: auth})
		Expect(err).NotTo(HaveOccurred())
		jobs = append(jobs, runner.Job{API: api, Suite: &suites.Suite{
			Name: name + "-derived", API: name, Source: "derived", Auth: auth, Items: items,
		}})
	}
	r, err := runner.New(runner.Target{BaseURL: srv.URL}, jobs,
		runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey}),
		runner.WithEnv(func(string) (string, bool) { return "", false }),
		runner.WithSeed(seed), runner.WithConcurrency(8))
	Expect(err).NotTo(HaveOccurred())
	return r.Run(context.Background())
}

// notPassed lists the ids of items that did not pass.
func notPassed(run *results.Run) []string {
	var out []string
	for _, it := range run.Items {
		if it.Status != results.Pass {
			out = append(out, it.ID)
		}
	}
	return out
}

func resultOf(run *results.Run, id string) results.Item {
	GinkgoHelper()
	for _, it := range run.Items {
		if it.ID == id {
			return it
		}
	}
	Fail("no result for " + id)
	return results.Item{}
}

var _ = Describe("derived checks against the sandbox", func() {
	// Seeds 1 to 50 on the clean sandbox: seeds_test.go.

	DescribeTable("catch each fault with the rule that targets it",
		func(fault string, mustFail []string, onlyGroups []string, message string) {
			run := runDerived(fault, 1)
			failed := notPassed(run)
			Expect(failed).To(ContainElements(mustFail))
			for _, id := range failed {
				it := resultOf(run, id)
				Expect(it.Group).To(BeElementOf(onlyGroups), id+": "+it.Message)
				Expect(it.Status).To(Equal(results.Fail), id)
				Expect(it.Category).To(Equal(results.Integration), id)
				Expect(it.Curl).To(HavePrefix("curl "), id)
			}
			Expect(resultOf(run, mustFail[0]).Message).To(MatchRegexp(message))
		},
		Entry("invalid input accepted", sandbox.FaultNoValidation,
			[]string{"derived.initiateUssdPush.reject-missing-phoneNumber", "derived.initiateUssdPush.reject-pattern-amount",
				"derived.createPayout.reject-unknown-property", "derived.createPayout.reject-enum-currency",
				"derived.previewPayout.reject-wrong-content-type"},
			[]string{"derived.negative"}, "expected status 4xx, got 200"),
		Entry("the token not enforced", sandbox.FaultNoAuth,
			[]string{"derived.initiateUssdPush.auth-none", "derived.initiateUssdPush.auth-invalid",
				"derived.getPayoutStatus.auth-none", "derived.createPayout.auth-invalid"},
			[]string{"derived.auth"}, "expected status 401 or 403, got 200"),
		Entry("a crash on invalid input", sandbox.FaultCrashOnInvalid,
			[]string{"derived.initiateUssdPush.reject-missing-phoneNumber", "derived.initiateUssdPush.reject-malformed-json",
				"derived.getCollectionStatus.reject-pattern-path.orderReference", "derived.createPayout.reject-wrong-type-amount"},
			[]string{"derived.negative"}, "got 500"),
		Entry("success bodies off their schema", sandbox.FaultSchemaViolation,
			[]string{"derived.initiateUssdPush.positive", "derived.createPayout.positive",
				"derived.initiateUssdPush.stateful-getCollectionStatus", "derived.createPayout.boundary-amount-longest"},
			[]string{"derived.positive", "derived.boundary", "derived.stateful", "derived.duplicate"}, "/amount: (value must be a string|got number, want string)"),
		Entry("a different amount read back", sandbox.FaultAmountChanged,
			[]string{"derived.initiateUssdPush.stateful-getCollectionStatus", "derived.createPayout.stateful-getPayoutStatus"},
			[]string{"derived.stateful"}, "expected the exact amount"),
		Entry("one operation hanging on malformed JSON (integration, while the rest answers in time)", sandbox.FaultHangOnMalformed,
			[]string{"derived.initiateUssdPush.reject-malformed-json"},
			[]string{"derived.negative"}, "no response within the request timeout"),
		Entry("error bodies off the Error schema", sandbox.FaultBadErrorSchema,
			[]string{"derived.initiateUssdPush.reject-missing-phoneNumber", "derived.getCollectionStatus.auth-none",
				"derived.getPayoutStatus.stateful-not-found", "derived.generateToken.reject-missing-header.api-key"},
			[]string{"derived.negative", "derived.auth", "derived.stateful", "derived.positive", "derived.boundary", "derived.duplicate"},
			"response does not match the spec"),
	)

	It("names the failing request in a curl line and points at the derived FAQ", func() {
		run := runDerived(sandbox.FaultNoValidation, 1)
		it := resultOf(run, "derived.initiateUssdPush.reject-missing-phoneNumber")
		Expect(it.Curl).To(ContainSubstring("/v1/collections/ussd-push"))
		Expect(it.Curl).NotTo(ContainSubstring("phoneNumber"))
		Expect(it.FAQ).To(Equal("docs/faq/derived.md#derived-negative"))
		Expect(strings.ToLower(it.Remediation)).To(ContainSubstring("phonenumber"))
	})
})
