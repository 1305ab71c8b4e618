package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/suites"
)

// shutdownSuite has items that keep a run busy: checks whose request hangs
// until the client gives up, and flows that poll a status that never
// becomes final. Timeouts are long (30s), so only the cancellation can end
// them promptly.
func shutdownSuite(n int) *suites.Suite {
	var b strings.Builder
	b.WriteString("name: shutdown\napi: hostile\nitems:\n")
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b.WriteString("  - id: HANG-" + itoa(i) + "\n    title: hangs\n    severity: major\n    check:\n" +
				"      operation: getThing\n      request:\n        path: {id: hang}\n")
			continue
		}
		b.WriteString("  - id: POLL-" + itoa(i) + "\n    title: polls\n    severity: major\n    flow:\n" +
			"      - name: wait\n        operation: getThing\n        request:\n          path: {id: pending}\n" +
			"        poll:\n          until: {status: DONE}\n          interval: 20ms\n          deadline: 30s\n")
	}
	s, err := suites.Parse("shutdown-suite.yaml", []byte(b.String()))
	Expect(err).NotTo(HaveOccurred())
	return s
}

func itoa(i int) string { return fmt.Sprintf("%02d", i) }

// goroutineStacks returns the stacks of live goroutines that run golive's
// or net/http's code, for a failure message.
func goroutineStacks() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "golive-cert/golive/runner.") || strings.Contains(g, "net/http.(*persistConn)") {
			keep = append(keep, g)
		}
	}
	return strings.Join(keep, "\n\n")
}

var _ = Describe("shutting down on an interrupt", func() {
	It("returns promptly when the run's context is cancelled mid-run, leaving no goroutine behind", func() {
		var inFlight, polls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/hang") {
				inFlight.Add(1)
				defer inFlight.Add(-1)
				select { // hang until golive gives up (bounded, in case it never does)
				case <-r.Context().Done():
				case <-time.After(time.Minute):
				}
				return
			}
			polls.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"pending","status":"PENDING"}`))
		}))
		DeferCleanup(srv.Close)

		// Settle, then count: the baseline includes the server's goroutines.
		runtime.GC()
		before := runtime.NumGoroutine()

		r, err := runner.New(runner.Target{BaseURL: srv.URL},
			[]runner.Job{{API: hostileSpec(), Suite: shutdownSuite(12)}},
			// Concurrency bounds requests in flight: 8 slots outnumber the 6
			// hanging checks, so the flows go on polling beside them.
			runner.WithConcurrency(8), runner.WithTimeout(30*time.Second), runner.WithItemTimeout(time.Minute),
			runner.WithEnv(env(nil)), runner.WithSeed(3))
		Expect(err).NotTo(HaveOccurred())

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan *results.Run, 1)
		go func() {
			defer GinkgoRecover()
			done <- r.Run(ctx)
		}()
		// Mid-run: requests hang in flight and flows are polling.
		Eventually(func() int32 { return inFlight.Load() }).WithTimeout(5 * time.Second).Should(BeNumerically(">=", 2))
		Eventually(func() int32 { return polls.Load() }).WithTimeout(5 * time.Second).Should(BeNumerically(">=", 3))

		cancelled := time.Now()
		cancel() // what SIGINT does to the CLI's context
		var out *results.Run
		Eventually(done).WithTimeout(5*time.Second).Should(Receive(&out), "Run must return promptly after the cancel")
		GinkgoWriter.Printf("Run returned %s after the cancel\n", time.Since(cancelled).Round(time.Millisecond))

		Expect(out.Interrupted).To(BeTrue())
		Expect(out.Items).To(HaveLen(12))
		for _, it := range out.Items {
			Expect(it.Status).NotTo(Equal(results.Pass), it.ID)
			if it.Status == results.Skip {
				Expect(it.Message).To(ContainSubstring("interrupted"), it.ID)
			}
		}
		Eventually(func() int32 { return inFlight.Load() }).WithTimeout(5*time.Second).Should(BeZero(),
			"every hanging request was abandoned")

		// The client's idle keep-alive connections belong to its transport,
		// which the runner does not expose: closing them from the server
		// side ends their read and write loops.
		srv.CloseClientConnections()
		Eventually(func() int {
			runtime.GC()
			return runtime.NumGoroutine()
		}).WithTimeout(10*time.Second).WithPolling(50*time.Millisecond).Should(BeNumerically("<=", before),
			func() string { return "goroutines left behind:\n" + goroutineStacks() })
	})

	// Reported in issue 7: Run leaves its transport's keep-alive
	// connections open (two descriptors and three goroutines each) until
	// IdleConnTimeout, 30s later; a process that runs many Runners (a
	// service, a fuzz target, the bench command) piles them up. Un-pend when
	// Run calls CloseIdleConnections on its client as it returns.
	It("leaves no connection or goroutine behind once a run has finished", func() {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"abc","status":"DONE"}`))
		}))
		DeferCleanup(srv.Close)
		runtime.GC()
		before := runtime.NumGoroutine()
		for i := 0; i < 20; i++ {
			out := runHostile(srv.URL, false)
			Expect(out.item.Status).To(Equal(results.Pass))
		}
		Eventually(runtime.NumGoroutine).WithTimeout(5*time.Second).Should(BeNumerically("<=", before),
			func() string { return "goroutines left behind:\n" + goroutineStacks() })
	})
})
