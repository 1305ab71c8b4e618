package runner_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

var _ = Describe("running against misbehaving partners", func() {
	It("passes a correct partner, acquiring the token once for the whole run", func() {
		f := newFakePartner()
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		Expect(notPassed(r)).To(BeEmpty())
		Expect(f.tokenCount()).To(Equal(1))
	})

	It("refreshes the token once when the target answers 401 mid-run", func() {
		f := newFakePartner()
		f.firstUses = 1 // the first token "expires" after one call
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithConcurrency(1))
		Expect(notPassed(r)).To(BeEmpty())
		Expect(f.tokenCount()).To(Equal(2))
	})

	It("keeps polling through 503 and honours Retry-After", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, call int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") || strings.HasSuffix(r.URL.Path, "/missing") {
				return false
			}
			if call <= 2 || !strings.Contains(r.URL.Path, "GL") {
				return false
			}
			return false
		}
		var firstPoll time.Time
		f.onThing = func(w http.ResponseWriter, r *http.Request, call int) bool {
			if !strings.Contains(r.URL.Path, "/GL") {
				return false
			}
			if firstPoll.IsZero() {
				firstPoll = time.Now()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithConcurrency(1))
		flow := item(r, "T-2")
		Expect(flow.Status).To(Equal(results.Pass))
		Expect(flow.Exchanges).To(HaveLen(2))
		Expect(flow.Exchanges[0].Response.Status).To(Equal(503))
		gap := flow.Exchanges[1].StartedAt.Sub(flow.Exchanges[0].StartedAt)
		Expect(gap).To(BeNumerically(">=", 900*time.Millisecond), "Retry-After: 1 must delay the next attempt")
	})

	It("fails a poll that never reaches its condition, saying what it saw", func() {
		f := newFakePartner()
		f.thingStatus = "PENDING"
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		flow := item(r, "T-2")
		Expect(flow.Status).To(Equal(results.Fail))
		Expect(flow.Category).To(Equal(results.Integration))
		Expect(flow.Message).To(ContainSubstring(`status stayed "PENDING"`))
		Expect(flow.Message).To(ContainSubstring("never reaches a final state"))
		Expect(len(flow.Exchanges)).To(BeNumerically(">", 2))
	})

	It("times out a hanging operation without holding up the other items", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, call int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				<-r.Context().Done() // hang until golive gives up
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithTimeout(300*time.Millisecond))
		hung := item(r, "T-1")
		Expect(hung.Status).To(Equal(results.Error))
		Expect(hung.Category).To(Equal(results.System))
		Expect(hung.Message).To(ContainSubstring("no response within the request timeout"))
		Expect(item(r, "T-2").Status).To(Equal(results.Pass))
		Expect(item(r, "T-3").Status).To(Equal(results.Pass))
	})

	It("reports a refused port as a connection issue and the target as not testable", func() {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.Addr().String()
		Expect(l.Close()).To(Succeed())
		r := run("http://"+addr, []runner.Job{miniJob()}, miniEnv())
		t1 := item(r, "T-1")
		Expect(t1.Status).To(Equal(results.Error))
		Expect(t1.Category).To(Equal(results.Connection))
		Expect(t1.Message).To(ContainSubstring("refused"))
		Expect(r.Verdict.Status).To(Equal(results.NotTestable))
		Expect(r.Verdict.ExitCode).To(Equal(exitcode.NotTestable))
	})

	It("treats one 500 as an integration defect but 5xx everywhere as a system issue", func() {
		one := newFakePartner()
		one.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				w.WriteHeader(500)
				return true
			}
			return false
		}
		r := run(one.URL(), []runner.Job{miniJob()}, miniEnv())
		Expect(item(r, "T-1").Category).To(Equal(results.Integration))
		Expect(item(r, "T-1").Status).To(Equal(results.Fail))

		all := newFakePartner()
		all.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			w.WriteHeader(500)
			return true
		}
		r = run(all.URL(), []runner.Job{miniJob()}, miniEnv())
		Expect(item(r, "T-1").Category).To(Equal(results.System))
		Expect(item(r, "T-1").Reason).To(ContainSubstring("5xx"))
	})

	It("cuts a huge response body at the cap and says so", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if !strings.HasSuffix(r.URL.Path, "/abc") {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for i := 0; i < 64; i++ { // 4 MiB of whitespace
				if _, err := w.Write(chunk); err != nil {
					return true
				}
			}
			return true
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithBodyCap(1<<20))
		ex := item(r, "T-1").Exchanges[0]
		Expect(ex.Response.Truncated).To(BeTrue())
		Expect(len(ex.Response.Body)).To(BeNumerically("<=", 1<<20))
	})

	It("masks every secret in results and writes curl lines with environment references", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				// A target that echoes the credentials it received.
				writeJSON(w, 418, map[string]any{"code": "TEAPOT", "message": "got " + r.Header.Get("Authorization")})
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		data, err := json.Marshal(r)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(data)).NotTo(ContainSubstring(plantedToken))
		Expect(string(data)).NotTo(ContainSubstring(plantedKey))
		failed := item(r, "T-1")
		Expect(failed.Curl).To(ContainSubstring(`'Authorization: Bearer '"${GOLIVE_TOKEN}"`))
		Expect(failed.Exchanges[0].Request.Headers["Authorization"]).To(Equal("Bearer ****"))
	})

	It("masks values at the JSON paths a suite declares secret", func() {
		f := newFakePartner()
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		flow := item(r, "T-2")
		Expect(flow.Exchanges[0].Response.Body).To(ContainSubstring(`"id":"****"`))
	})

	It("stops cleanly when the run is interrupted and says so", func() {
		f := newFakePartner()
		f.thingStatus = "PENDING"
		ctx, cancel := context.WithCancel(context.Background())
		r, err := runner.New(runner.Target{BaseURL: f.URL()}, []runner.Job{miniJob()}, miniEnv(), runner.WithConcurrency(1))
		Expect(err).NotTo(HaveOccurred())
		go func() {
			defer GinkgoRecover()
			Eventually(func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.thingCalls }).Should(BeNumerically(">=", 3))
			cancel()
		}()
		out := r.Run(ctx)
		Expect(out.Interrupted).To(BeTrue())
		Expect(out.Verdict.Status).To(Equal(results.NotCertified))
	})
})

var _ = Describe("input problems found before any request", func() {
	It("names the suite file and line of an unset environment variable", func() {
		_, err := runner.New(runner.Target{BaseURL: "http://127.0.0.1:9"}, []runner.Job{miniJob()}, runner.WithEnv(env(nil)))
		Expect(err).To(MatchError(MatchRegexp(`^testdata/mini-suite.yaml:\d+: variable apiKey: environment variable MINI_API_KEY is not set`)))
	})

	It("rejects a target that is not an http(s) URL, or carries credentials", func() {
		for _, target := range []string{"", "ftp://x", "notaurl", "http://user:pw@127.0.0.1"} {
			_, err := runner.New(runner.Target{BaseURL: target}, []runner.Job{miniJob()}, miniEnv())
			Expect(err).To(HaveOccurred(), target)
			Expect(err.Error()).NotTo(ContainSubstring("pw@"))
		}
	})

	It("rejects a malformed --header without echoing its value", func() {
		_, err := runner.New(runner.Target{BaseURL: "http://127.0.0.1:9", Headers: []string{"no-colon-" + plantedKey}},
			[]runner.Job{miniJob()}, miniEnv())
		Expect(err).To(HaveOccurred())
	})

})
