package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// derivedRun runs the derived checks of the given rules for both built-in
// APIs against handler, served on 127.0.0.1.
func derivedRun(handler http.Handler, rules []string, opts ...runner.Option) *results.Run {
	GinkgoHelper()
	srv := httptest.NewServer(handler)
	DeferCleanup(srv.Close)
	var jobs []runner.Job
	for _, name := range []string{"collections", "payouts"} {
		api, err := specs.NewLoader().Load(context.Background(), name)
		Expect(err).NotTo(HaveOccurred())
		s, err := suites.Load(name)
		Expect(err).NotTo(HaveOccurred())
		items, err := derive.Plan(api, derive.Options{Seed: 1, Auth: s.Auth, Rules: rules})
		Expect(err).NotTo(HaveOccurred())
		jobs = append(jobs, runner.Job{API: api, Suite: &suites.Suite{Name: name, API: name, Source: "derived", Auth: s.Auth, Items: items}})
	}
	return run(srv.URL, jobs, append([]runner.Option{
		runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey}),
		runner.WithEnv(env(nil)), runner.WithConcurrency(8)}, opts...)...)
}

func newSandbox(fault string) *sandbox.Sandbox {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(100*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(sb.Close)
	return sb
}

// slowStatus delays every status read (GET) of the collections API past
// the 2s budget: one slow operation, the rest of the API in time.
func slowStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/collections/") {
			select {
			case <-time.After(sandbox.SlowDelay):
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// latencyOf is the derived latency review of one API.
func latencyOf(r *results.Run, api string) results.Item {
	GinkgoHelper()
	for _, it := range r.Items {
		if it.API == api && it.Group == "derived.latency" {
			return it
		}
	}
	Fail("no latency review for " + api)
	return results.Item{}
}

var _ = Describe("slowness is classified by its extent", func() {
	It("one operation hanging on one input is integration, naming the operation (hang-on-malformed)", func() {
		r := certifySandbox(sandbox.FaultHangOnMalformed)
		Expect(notPassed(r)).To(ConsistOf("COL-017"), "the payouts twin and every other item are answered")
		it := item(r, "COL-017")
		Expect(it.Status).To(Equal(results.Fail))
		Expect(it.Category).To(Equal(results.Integration))
		Expect(it.Message).To(ContainSubstring("no response within the request timeout"))
		Expect(it.Reason).To(ContainSubstring("initiateUssdPush (POST /v1/collections/ussd-push) hung on this request while the rest of the API answers in time"))
		Expect(it.Remediation).To(ContainSubstring("Catch JSON parse errors"), "the item's own remediation, not the operations team's")
		Expect(r.Verdict.Status).To(Equal(results.NotCertified))
	})

	It("every operation over the latency budget is system (slow)", func() {
		r := derivedRun(newSandbox(sandbox.FaultSlow), []string{derive.RulePositive, derive.RuleLatency})
		var latency []results.Item
		for _, it := range r.Items {
			if it.Group == "derived.latency" {
				latency = append(latency, it)
				continue
			}
			Expect(it.Status).To(Equal(results.Pass), "%s: %s", it.ID, it.Message)
		}
		Expect(latency).To(HaveLen(2))
		for _, it := range latency {
			Expect(it.Status).To(Equal(results.Error), it.ID)
			Expect(it.Category).To(Equal(results.System), it.ID)
			Expect(it.Message).To(ContainSubstring("exceeded the 2s budget"), it.ID)
			Expect(it.Reason).To(MatchRegexp(`^(\d+) of (\d+) operations answered over the 2s budget or hung at least once: the target is slow across the API`), it.ID)
			Expect(it.Remediation).To(ContainSubstring("operations team"), it.ID)
		}
	})

	It("every operation hanging after connecting is system (slow, with a request timeout under its delay)", func() {
		r := derivedRun(newSandbox(sandbox.FaultSlow), []string{derive.RulePositive}, runner.WithTimeout(time.Second))
		Expect(notPassed(r)).NotTo(BeEmpty())
		for _, it := range r.Items {
			if it.Status == results.Skip {
				continue // not run once the first items showed the target cannot be tested
			}
			Expect(it.Status).To(Equal(results.Error), it.ID)
			Expect(it.Category).To(Equal(results.System), it.ID)
			Expect(it.Reason).To(ContainSubstring("did not answer in time"), it.ID)
			Expect(it.Reason).To(ContainSubstring("slow across the API"), it.ID)
		}
	})

	It("one operation over the budget while the rest answers in time is integration, naming it", func() {
		r := derivedRun(slowStatus(newSandbox("")), []string{derive.RulePositive, derive.RuleLatency})
		for _, it := range r.Items {
			if it.Group != "derived.latency" {
				Expect(it.Status).To(Equal(results.Pass), "%s: %s", it.ID, it.Message)
			}
		}
		col, pay := latencyOf(r, "collections"), latencyOf(r, "payouts")
		Expect(col.Status).To(Equal(results.Fail))
		Expect(col.Category).To(Equal(results.Integration))
		Expect(col.Reason).To(HavePrefix("only getCollectionStatus (GET /v1/collections/{orderReference}) answered over the budget or hung"))
		Expect(pay.Status).To(Equal(results.Pass))
	})
})
