package derive_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/suites"
)

// startSandbox serves a sandbox with the fault ("" for none) on 127.0.0.1.
func startSandbox(fault string) *httptest.Server {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(50*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(sb)
	DeferCleanup(srv.Close)
	return srv
}

// sandboxToken gets a bearer token the way a partner's script would, for
// runs that authenticate with --header "Authorization: Bearer ${TOKEN}".
func sandboxToken(base string) string {
	GinkgoHelper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/token", nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("client-id", sandbox.DefaultClientID)
	req.Header.Set("api-key", sandbox.DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
	var tok struct{ Token string }
	Expect(json.Unmarshal(body, &tok)).To(Succeed())
	return tok.Token
}

// runWithHeader runs the derived checks of an API, credentials given as a
// --header with an environment reference (no suite auth block).
func runWithHeader(api, fault string, rules []string) *results.Run {
	GinkgoHelper()
	srv := startSandbox(fault)
	token := sandboxToken(srv.URL)
	env := map[string]string{"TOKEN": token}
	plan, err := certify.Build(context.Background(), certify.Request{
		Jobs:        []certify.Job{{API: loadAPI(api), Suite: &suites.Suite{Name: api, API: api, Source: "test", Derived: &suites.Derived{Rules: rules}}}},
		Target:      certify.Target{BaseURL: srv.URL, Headers: []string{"Authorization: Bearer ${TOKEN}"}},
		Credentials: certify.Credentials{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
		Options:     certify.Options{Seed: 1, Concurrency: 4},
	})
	Expect(err).NotTo(HaveOccurred())
	run, err := plan.Run(context.Background(), nil)
	Expect(err).NotTo(HaveOccurred())
	return run
}

var _ = Describe("detection depth", func() {
	Describe("forged credentials keep the real credential's shape", func() {
		It("pass on the clean sandbox with a --header bearer token", func() {
			run := runWithHeader("payouts", "", []string{derive.RuleAuth})
			Expect(notPassed(run)).To(BeEmpty())
		})

		It("catch a target that accepts any bearer value (--header credentials)", func() {
			run := runWithHeader("payouts", sandbox.FaultAnyBearer, []string{derive.RuleAuth})
			it := resultOf(run, "derived.createPayout.auth-invalid")
			Expect(it.Status).To(Equal(results.Fail), it.Message)
			Expect(it.Category).To(Equal(results.Integration))
			// The curl line masks every Authorization value (runner/curl.go),
			// the forged one included; the message says what came back.
			Expect(it.Message).To(ContainSubstring("got 200"))
			Expect(resultOf(run, "derived.createPayout.auth-none").Status).To(Equal(results.Pass))
		})

		It("catch it with the suite's auth block too", func() {
			run := runDerived(sandbox.FaultAnyBearer, 1)
			Expect(resultOf(run, "derived.getPayoutStatus.auth-invalid").Status).To(Equal(results.Fail))
			Expect(resultOf(run, "derived.initiateUssdPush.auth-invalid").Status).To(Equal(results.Fail))
		})
	})

	It("never forges the headers the HTTP stack owns", func() {
		items, err := derive.Plan(loadAPI("testdata/detect/stack-headers.yaml"), derive.Options{Seed: 1})
		Expect(err).NotTo(HaveOccurred())
		for _, it := range items {
			Expect(strings.ToLower(it.ID)).NotTo(Or(ContainSubstring("content-length"), ContainSubstring("header.host")), it.ID)
			for _, st := range it.Steps() {
				Expect(st.Request.Headers.Get("Content-Length")).To(BeNil(), it.ID)
				Expect(st.Request.Headers.Get("Host")).To(BeNil(), it.ID)
			}
		}
		Expect(idsOf(items)).To(ContainElement("derived.postTransfers.reject-pattern-header.FSPIOP-Source"))
	})
})

// runPlanned runs derived items of both built-in APIs against a sandbox
// with the fault, settle deadline as given.
func runPlanned(fault string, seed int64, opts derive.Options) *results.Run {
	GinkgoHelper()
	srv := startSandbox(fault)
	var jobs []runner.Job
	for _, name := range []string{"collections", "payouts"} {
		api := loadAPI(name)
		o := opts
		o.Seed, o.Auth = seed, builtinAuth(name)
		items, err := derive.Plan(api, o)
		Expect(err).NotTo(HaveOccurred())
		jobs = append(jobs, runner.Job{API: api, Suite: &suites.Suite{
			Name: name + "-derived", API: name, Source: "derived", Auth: o.Auth, Items: items,
		}})
	}
	r, err := runner.New(runner.Target{BaseURL: srv.URL}, jobs,
		runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey}),
		runner.WithEnv(func(string) (string, bool) { return "", false }),
		runner.WithSeed(seed), runner.WithConcurrency(8))
	Expect(err).NotTo(HaveOccurred())
	return r.Run(context.Background())
}

var _ = Describe("create-then-read, duplicates and boundaries", func() {
	stateful := derive.Options{Rules: []string{derive.RuleStateful, derive.RuleDuplicate}, SettleDeadline: 3 * time.Second}

	It("pass on the clean sandbox, following PROCESSING to the final status", func() {
		run := runPlanned("", 1, stateful)
		Expect(notPassed(run)).To(BeEmpty())
		Expect(resultOf(run, "derived.initiateUssdPush.stateful-getCollectionStatus").Title).To(ContainSubstring("PROCESSING"))
		Expect(resultOf(run, "derived.createPayout.duplicate").Status).To(Equal(results.Pass))
	})

	It("fail a resource that never leaves PROCESSING as an integration issue", func() {
		run := runPlanned(sandbox.FaultNeverFinal, 1, derive.Options{Rules: []string{derive.RuleStateful}, SettleDeadline: 300 * time.Millisecond})
		it := resultOf(run, "derived.createPayout.stateful-getPayoutStatus")
		Expect(it.Status).To(Equal(results.Fail), it.Message)
		Expect(it.Category).To(Equal(results.Integration))
		Expect(it.Message).To(ContainSubstring("never reaches a final state"))
	})

	It("compare the identity: a read answering with another resource's id fails", func() {
		run := runPlanned(sandbox.FaultReadOtherID, 1, stateful)
		for _, id := range []string{"derived.initiateUssdPush.stateful-getCollectionStatus", "derived.createPayout.stateful-getPayoutStatus"} {
			it := resultOf(run, id)
			Expect(it.Status).To(Equal(results.Fail), id)
			Expect(it.Message).To(ContainSubstring("id"), id)
		}
	})

	It("catch a duplicate accepted as a second resource", func() {
		run := runPlanned(sandbox.FaultDuplicateAccepted, 1, stateful)
		it := resultOf(run, "derived.initiateUssdPush.duplicate")
		Expect(it.Status).To(Equal(results.Fail), it.Message)
		Expect(it.Category).To(Equal(results.Integration))
	})

	It("catch a 5xx on a valid value at the edge of a pattern, as integration", func() {
		run := runPlanned(sandbox.FaultCrashAtLimit, 1, derive.Options{Rules: []string{derive.RuleBoundary}})
		it := resultOf(run, "derived.createPayout.boundary-amount-longest")
		Expect(it.Status).To(Equal(results.Fail), it.Message)
		Expect(it.Category).To(Equal(results.Integration))
		Expect(it.Message).To(ContainSubstring("500"))
		Expect(resultOf(run, "derived.createPayout.boundary-amount-shortest").Status).To(Equal(results.Pass))
	})

	It("plan no create-then-read check that compares nothing, and say why", func() {
		api := loadAPI("testdata/detect/nothing-to-compare.yaml")
		items, err := derive.Plan(api, derive.Options{Seed: 1, Rules: []string{derive.RuleStateful}})
		Expect(err).NotTo(HaveOccurred())
		Expect(idsOf(items)).NotTo(ContainElement(ContainSubstring("stateful-getThing")))
		gaps, err := derive.StatefulGaps(api, derive.Options{Seed: 1})
		Expect(err).NotTo(HaveOccurred())
		Expect(gaps).To(ConsistOf(HaveField("Operation", "createThing")))
		Expect(gaps[0].Why).To(ContainSubstring("nothing that can be compared"))
	})

	DescribeTable("notOneOf matches anything but the pending values",
		func(value string, matches bool) {
			re := regexp.MustCompile(derive.NotOneOf([]string{"PENDING", "PEND", "PROCESSING"}))
			Expect(re.MatchString(value)).To(Equal(matches))
		},
		Entry(nil, "PENDING", false), Entry(nil, "PEND", false), Entry(nil, "PROCESSING", false),
		Entry(nil, "SUCCESS", true), Entry(nil, "PENDINGX", true), Entry(nil, "PEN", true),
		Entry(nil, "", true), Entry(nil, "pending", true), Entry(nil, "FAILED", true),
	)
})
