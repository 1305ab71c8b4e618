package sandbox_test

import (
	"context"
	"net/http/httptest"
	"os"
	"sort"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v4"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// The suites run end to end: the collections and payouts callback items
// (testdata, to be merged into the built-in suites) and the built-in
// webhooks suite, each against the clean sandbox and every fault it must
// catch, through the real runner and its real callback receiver.
const (
	collectionsCallbackSuite = "testdata/collections-callbacks-suite.yaml"
	payoutsCallbackSuite     = "testdata/payouts-callbacks-suite.yaml"
	callbackItemsFile        = "testdata/callback-items.yaml"
)

// e2eJob is one API and suite to run; path, if set, is appended to the
// sandbox's URL to make the job's base URL (the webhook receiver's).
type e2eJob struct{ api, suite, path string }

func callbackJobs() []e2eJob {
	return []e2eJob{{api: "collections", suite: collectionsCallbackSuite}, {api: "payouts", suite: payoutsCallbackSuite}}
}

func webhookJobs() []e2eJob {
	return []e2eJob{{api: "webhooks", suite: "webhooks", path: sandbox.WebhookReceiverPath}}
}

// pending is a run under way in the background.
type pending struct {
	done chan *results.Run
	run  *results.Run
}

// result waits for the run to end (a single spec reads it).
func (p *pending) result() *results.Run {
	GinkgoHelper()
	if p.run == nil {
		Eventually(p.done).WithTimeout(2 * time.Minute).Should(Receive(&p.run))
	}
	return p.run
}

// certify serves a sandbox with opts on loopback and starts running the
// jobs against it, with the sandbox's credentials and checksum key. Runs
// started together proceed in parallel: the slow ones (no callback waits
// out its 10s deadline) then cost the time of one.
func certify(jobs []e2eJob, opts ...sandbox.Option) *pending {
	GinkgoHelper()
	sb, err := sandbox.New(append([]sandbox.Option{sandbox.WithSettleAfter(300 * time.Millisecond)}, opts...)...)
	Expect(err).NotTo(HaveOccurred())
	srv := httptest.NewServer(sb)
	DeferCleanup(srv.Close)
	DeferCleanup(sb.Close)

	loader := specs.NewLoader()
	var rjobs []runner.Job
	for _, j := range jobs {
		api, err := loader.Load(context.Background(), j.api)
		Expect(err).NotTo(HaveOccurred())
		suite, err := suites.Load(j.suite)
		Expect(err).NotTo(HaveOccurred())
		rj := runner.Job{API: api, Suite: suite}
		if j.path != "" {
			rj.BaseURL = srv.URL + j.path
		}
		rjobs = append(rjobs, rj)
	}
	r, err := runner.New(runner.Target{BaseURL: srv.URL}, rjobs,
		runner.WithVars(map[string]string{
			"clientId":    sandbox.DefaultClientID,
			"apiKey":      sandbox.DefaultAPIKey,
			"checksumKey": sandbox.DefaultChecksumKey,
		}),
		// The variables above are all the suites need: no GOLIVE_* from
		// the environment may change what is tested.
		runner.WithEnv(func(string) (string, bool) { return "", false }),
	)
	Expect(err).NotTo(HaveOccurred())
	p := &pending{done: make(chan *results.Run, 1)}
	go func() { p.done <- r.Run(context.Background()) }()
	return p
}

// notPassed lists the ids of the items that did not pass, sorted.
func notPassed(run *results.Run) []string {
	ids := []string{}
	for _, it := range run.Items {
		if it.Status != results.Pass {
			ids = append(ids, it.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// allPass asserts that every item passed, showing the first failures.
func allPass(run *results.Run) {
	GinkgoHelper()
	for _, it := range run.Items {
		Expect(it.Status).To(Equal(results.Pass), "%s (%s): %s", it.ID, it.Step, it.Message)
	}
	Expect(run.Verdict.Status).To(Equal(results.Certified))
}

// faultCase is what one fault must break.
type faultCase struct {
	fault   string
	verdict results.VerdictStatus
	failing []string // exactly the items that fail
	message string   // a regexp every failing item's message matches
	// system: the failures are system errors rather than integration
	// failures (a receiver slow on everything is slow across the API).
	system bool
}

var _ = Describe("end to end through the runner", func() {
	Describe("the callback items", Ordered, func() {
		runs := map[string]*pending{}
		BeforeAll(func() {
			runs["clean"] = certify(callbackJobs())
			for _, fault := range []string{sandbox.FaultNoCallback, sandbox.FaultCallbackBadSignature, sandbox.FaultCallbackDisagrees, sandbox.FaultCallbackDuplicate} {
				runs[fault] = certify(callbackJobs(), sandbox.WithFault(fault))
			}
			// Settling late shows that the callback really came first.
			runs[sandbox.FaultCallbackEarly] = certify(callbackJobs(), sandbox.WithFault(sandbox.FaultCallbackEarly), sandbox.WithSettleAfter(5*time.Second))
		})

		It("are exactly the items of callback-items.yaml, in both suites", func() {
			var merged struct {
				Collections []any `yaml:"collections"`
				Payouts     []any `yaml:"payouts"`
			}
			data, err := os.ReadFile(callbackItemsFile)
			Expect(err).NotTo(HaveOccurred())
			Expect(yaml.Unmarshal(data, &merged)).To(Succeed())
			for path, want := range map[string][]any{collectionsCallbackSuite: merged.Collections, payoutsCallbackSuite: merged.Payouts} {
				var suite struct {
					Items []any `yaml:"items"`
				}
				data, err := os.ReadFile(path)
				Expect(err).NotTo(HaveOccurred())
				Expect(yaml.Unmarshal(data, &suite)).To(Succeed())
				Expect(want).NotTo(BeEmpty())
				Expect(suite.Items).To(Equal(want), path)
			}
		})

		It("all pass against the clean sandbox, with no duplicate noted", func() {
			run := runs["clean"].result()
			Expect(run.Items).To(HaveLen(6))
			allPass(run)
			for _, it := range run.Items {
				Expect(it.Notes).To(BeEmpty(), it.ID)
				Expect(it.Exchanges).To(ContainElement(HaveField("Step", "callback")), "%s records the callback as evidence", it.ID)
			}
		})

		for _, fc := range []faultCase{
			{fault: sandbox.FaultNoCallback, verdict: results.NotCertified,
				failing: []string{"COL-023", "COL-024", "COL-025", "PAY-023", "PAY-024", "PAY-025"},
				message: `^step callback \(callback\): no callback arrived at http://127\.0\.0\.1:\d+/\S+ within 10s`},
			{fault: sandbox.FaultCallbackBadSignature, verdict: results.NotCertified,
				failing: []string{"COL-023", "PAY-023"},
				message: `^step callback \(callback\): the callback signature does not verify`},
			{fault: sandbox.FaultCallbackDisagrees, verdict: results.NotCertified,
				failing: []string{"COL-024", "PAY-024"},
				message: `^step callback \(callback\): amount: expected the exact amount (1500\.00|25000\.00), got "(1600\.00|25250\.00)"`},
		} {
			It(fc.fault+": "+string(fc.verdict)+", and the right items say why", func() {
				run := runs[fc.fault].result()
				Expect(notPassed(run)).To(Equal(fc.failing))
				for _, it := range run.Items {
					if it.Status == results.Pass {
						continue
					}
					Expect(it.Status).To(Equal(results.Fail), it.ID)
					Expect(it.Category).To(Equal(results.Integration), it.ID)
					Expect(it.Step).To(Equal("callback"), it.ID)
					Expect(it.Message).To(MatchRegexp(fc.message), it.ID)
				}
				Expect(run.Verdict.Status).To(Equal(fc.verdict))
			})
		}

		It("callback-duplicate: every item passes, and the repeat is noted", func() {
			run := runs[sandbox.FaultCallbackDuplicate].result()
			allPass(run)
			// The runner notes repeats that arrive before the item ends; both
			// copies are sent at once, so that is nearly always both of them,
			// but a loaded machine can let the item end in between.
			noted := 0
			for _, it := range run.Items {
				if len(it.Notes) > 0 {
					noted++
					Expect(it.Notes).To(ConsistOf(ContainSubstring("delivered the callback 2 times")), it.ID)
				}
			}
			Expect(noted).To(BeNumerically(">=", 1), "at least one item notes the duplicate")
		})

		It("callback-early: a callback that beats the initiate response still passes", func() {
			run := runs[sandbox.FaultCallbackEarly].result()
			allPass(run)
			for _, it := range run.Items {
				Expect(it.Notes).To(BeEmpty(), it.ID)
			}
		})
	})

	Describe("the webhooks suite at the sandbox's receiver", Ordered, func() {
		runs := map[string]*pending{}
		BeforeAll(func() {
			runs["clean"] = certify(webhookJobs())
			for _, fault := range []string{sandbox.FaultReceiverAcceptsTampered, sandbox.FaultReceiverFailsDuplicates,
				sandbox.FaultReceiverAcceptsMalformed, sandbox.FaultReceiverSlow} {
				runs[fault] = certify(webhookJobs(), sandbox.WithFault(fault))
			}
		})

		It("all pass against the clean receiver", func() {
			run := runs["clean"].result()
			Expect(len(run.Items)).To(BeNumerically(">=", 10))
			allPass(run)
		})

		for _, fc := range []faultCase{
			{fault: sandbox.FaultReceiverAcceptsTampered, verdict: results.NotCertified,
				failing: []string{"WEB-007", "WEB-008", "WEB-013"},
				message: `^step receiveEvent \(receiveEvent\): expected status (4xx|400 or 401), got 200`},
			{fault: sandbox.FaultReceiverFailsDuplicates, verdict: results.NotCertified,
				failing: []string{"WEB-010"},
				message: `^step again \(receiveEvent\): expected status 2xx, got 500`},
			{fault: sandbox.FaultReceiverAcceptsMalformed, verdict: results.NotCertified,
				failing: []string{"WEB-011", "WEB-012"},
				message: `^step receiveEvent \(receiveEvent\): expected status (4xx|400), got 200`},
			{fault: sandbox.FaultReceiverSlow, verdict: results.CertifiedWithObservations,
				failing: []string{"WEB-006", "WEB-014"},
				message: `over the 2s budget|exceeded the 2s budget`, system: true},
		} {
			It(fc.fault+": "+string(fc.verdict)+", and the right items say why", func() {
				run := runs[fc.fault].result()
				Expect(notPassed(run)).To(Equal(fc.failing))
				status, category := results.Fail, results.Integration
				if fc.system {
					status, category = results.Error, results.System
				}
				for _, it := range run.Items {
					if it.Status != results.Pass {
						Expect(it.Status).To(Equal(status), it.ID)
						Expect(it.Category).To(Equal(category), "%s: %s", it.ID, it.Message)
						Expect(it.Message).To(MatchRegexp(fc.message), it.ID)
					}
				}
				Expect(run.Verdict.Status).To(Equal(fc.verdict))
			})
		}
	})
})
