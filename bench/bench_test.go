package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/certify"
)

// These specs check that every measurement works and is sane; they assert
// no timings (the machine decides those), only bounds an order of magnitude
// away and what must hold whatever the speed.
var _ = Describe("the measurements behind golive bench", func() {
	ctx := context.Background()

	It("measures the sandbox: every built-in item passes, and there are figures", func() {
		res, err := MeasureSandbox(ctx, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Items).To(BeNumerically(">", 0))
		Expect(res.Requests).To(BeNumerically(">=", res.Items))
		Expect(res.NotPassed).To(BeEmpty(), "the built-in checklists pass against the sandbox")
		Expect(res.ChecksPerS).To(BeNumerically(">", 0))
		Expect(res.PerRequest).To(BeNumerically(">", 0))
		Expect(res.FloorPerReq).To(BeNumerically(">", 0))
		Expect(res.CPUPerRequest).To(BeNumerically(">", 0))
		Expect(res.FloorCPUPerReq).To(BeNumerically(">", 0))
	})

	It("has the plain loop receive the callbacks golive received, from the same sandbox", func() {
		srv, err := startSandbox()
		Expect(err).NotTo(HaveOccurred())
		defer srv.Close()
		jobs, err := builtinJobs(ctx)
		Expect(err).NotTo(HaveOccurred())
		p, err := build(ctx, srv.URL, jobs, sandboxVars(), certify.Options{Concurrency: 1})
		Expect(err).NotTo(HaveOccurred())
		run, err := p.Run(ctx, nil)
		Expect(err).NotTo(HaveOccurred())
		origin, callbacks := callbacksOf(run)
		Expect(callbacks).To(BeNumerically(">", 0), "the built-in flows are called back")
		Expect(origin).To(HavePrefix("http://127.0.0.1:"))

		loop, err := newPlainLoop(ctx)
		Expect(err).NotTo(HaveOccurred())
		defer loop.close()
		// replay fails unless every request gets golive's status and the
		// plain receiver gets as many callbacks as golive did.
		t, err := loop.replay(ctx, run)
		Expect(err).NotTo(HaveOccurred())
		Expect(t.wall).To(BeNumerically(">", 0))
	})

	It("measures the cost of each further request apart from the run's, each request of the plan sent once", func() {
		m, err := MeasureMarginal(ctx, 2, 12, 1)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.GoliveSmall).To(BeNumerically(">", 0))
		Expect(m.GoliveLarge).To(BeNumerically(">", 0))
		Expect(m.FloorLarge).To(BeNumerically(">", 0))
		Expect(m.Ratio()).To(BeNumerically(">", 0))
	})

	It("loads a corpus folder, reporting what it refuses and skipping what is not a document", func() {
		dir := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(dir, "mini.yaml"), miniSpec, 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"swagger": "2.0"}`), 0o600)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a document"), 0o600)).To(Succeed())
		res, err := MeasureCorpus(ctx, dir, 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(res).To(HaveLen(2))
		broken, mini := res[0], res[1]
		Expect(broken.Err).To(ContainSubstring("swagger"))
		Expect(mini.Err).To(BeEmpty())
		Expect(mini.Operations).To(Equal(2))
		Expect(mini.Load).To(BeNumerically(">", 0))
		Expect(mini.Plan).To(BeNumerically(">", 0))
		Expect(mini.Kin).To(BeNumerically(">", 0))
	})

	It("runs independent items concurrently, never more at once than asked", func() {
		res, err := MeasureConcurrency(ctx, 20, 20*time.Millisecond, []int{1, 10})
		Expect(err).NotTo(HaveOccurred())
		for _, l := range res.Levels {
			Expect(l.Passed).To(Equal(20), "concurrency %d", l.Concurrency)
			Expect(l.MaxInFlight).To(BeNumerically("<=", l.Concurrency))
			Expect(l.Wall).To(BeNumerically(">=", l.Ideal), "faster than the latency allows")
		}
		Expect(res.Levels[1].MaxInFlight).To(BeNumerically(">=", 2), "concurrency 10 had two requests in flight")
	})

	It("measures poll slack on flows that all reach their final state", func() {
		sch := Schedule{Name: "fixed 50ms", Interval: 50 * time.Millisecond, Backoff: 1, MaxInterval: 50 * time.Millisecond}
		res, err := MeasurePollSlack(ctx, []Schedule{sch}, 4, 400*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())
		r := res[0]
		Expect(r.Failed).To(BeZero())
		Expect(r.Attempts).To(BeNumerically(">=", 2))
		Expect(r.Mean).To(BeNumerically(">=", 0))
		Expect(r.Max).To(BeNumerically("<=", 10*time.Second), "a flow noticed the final state far too late")
	})

	It("measures the critical path: 100-style settling flows all pass, never-final flows all fail, callbacks are seen", func() {
		st, err := MeasureSettle(ctx, 12, 200*time.Millisecond)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Passed).To(Equal(12))
		Expect(st.Wall).To(BeNumerically(">=", st.Settle), "faster than the target settles")

		nf, err := MeasureNeverFinal(ctx, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(nf.Deadline).To(Equal(time.Second))
		Expect(nf.Failed).To(BeNumerically(">", 0), "flows that never settle fail")
		Expect(nf.Wall).To(BeNumerically(">=", nf.Deadline))

		cb, err := MeasureCallbackSlack(ctx, 2, 100*time.Millisecond, 2*time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(cb.Passed).To(Equal(2))
		Expect(cb.Measured).To(Equal(2), "both flows saw the callback and the final status")
	})

	DescribeTable("the slack a poll schedule implies (attempts at 0, 300, 750, 1425, 2437.5, 3956.25 ms...)",
		func(flip, want time.Duration) {
			sch := Schedule{Interval: 300 * time.Millisecond, Backoff: 1.5, MaxInterval: 2 * time.Second}
			Expect(scheduleSlack(sch, flip)).To(Equal(want))
		},
		Entry("final at once", time.Duration(0), time.Duration(0)),
		Entry("final at 100ms", 100*time.Millisecond, 200*time.Millisecond),
		Entry("final exactly at an attempt", 750*time.Millisecond, time.Duration(0)),
		Entry("final at 1.5s", 1500*time.Millisecond, 937500*time.Microsecond),
		Entry("final at 4s", 4*time.Second, 1956250*time.Microsecond),
	)

	It("runs a generated API of 1,000 operations within 256 MiB of where it started", func() {
		res, err := MeasureScale(ctx, 1000, "3.0.3")
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Passed).To(Equal(1000))
		if res.RSSStart > 0 {
			Expect(res.RSSPeak - res.RSSStart).To(BeNumerically("<", uint64(256<<20)))
		}
		GinkgoWriter.Printf("load %s, plan %s, run %s, RSS %s -> peak %s\n", res.Load, res.Plan, res.Run, mib(res.RSSStart), mib(res.RSSPeak))
	})

	DescribeTable("generated specs load and validate",
		func(version string) {
			api, err := loadSpecBytes(ctx, "g.json", GenerateSpec(10, version))
			Expect(err).NotTo(HaveOccurred())
			Expect(api.Operations()).To(HaveLen(10))
			Expect(api.Validate(ctx)).To(Succeed())
		},
		Entry("OpenAPI 3.0.3", "3.0.3"),
		Entry("OpenAPI 3.1.0", "3.1.0"),
	)

	It("prints every section of the table", func() {
		r := &Results{
			Machine:     thisMachine(),
			Sandbox:     &SandboxResult{Items: 44, Requests: 54, Runs: 1, Concurrency: 4, ChecksPerS: 1000, PerRequest: time.Millisecond, FloorPerReq: 500 * time.Microsecond},
			Corpus:      []CorpusResult{{Name: "a.yaml", Bytes: 2048, OpenAPI: "3.0.3", Operations: 3, Load: time.Millisecond, Kin: time.Millisecond / 2}, {Name: "b.json", Err: "load spec b.json: swagger 2.0"}},
			Concurrency: &ConcurrencyResult{Items: 100, Latency: 100 * time.Millisecond, Levels: []ConcurrencyLevel{{Concurrency: 10, Wall: 1100 * time.Millisecond, Ideal: time.Second, MaxInFlight: 10, Passed: 100}}},
			PollSlack:   []PollSlackResult{{Schedule: DefaultSchedules()[0], Flows: 4, Mean: 500 * time.Millisecond}},
			Critical: &CriticalResult{NeverFinal: &NeverFinalResult{Concurrency: 4, Items: 44, Deadline: 30 * time.Second, Wall: 31 * time.Second},
				Settle:        &SettleResult{Items: 100, Concurrency: 4, Settle: 2 * time.Second, Wall: 2100 * time.Millisecond, Passed: 100},
				CallbackSlack: &CallbackSlackResult{Flows: 16, Measured: 16, Interval: 5 * time.Second, Mean: time.Millisecond, Max: 2 * time.Millisecond},
				Marginal:      &MarginalResult{Small: 20, Large: 400, GolivePerReq: 90 * time.Microsecond, FloorPerReq: 50 * time.Microsecond}},
			Scale: []ScaleResult{{OpenAPI: "3.0.3", Operations: 1000, Run: time.Second, Passed: 1000}},
		}
		var buf bytes.Buffer
		Expect(r.WriteTable(&buf)).To(Succeed())
		for _, want := range []string{"checks per second", "golive overhead per request", "a.yaml", "refused: load spec b.json", "WALL/IDEAL", "Poll slack", "PEAK RSS", "Critical path", "never-final", "after the callback", "each further request (20 to 400 copies of COL-005)", "a whole run of 20 copies"} {
			Expect(buf.String()).To(ContainSubstring(want))
		}
	})
})
