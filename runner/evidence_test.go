package runner_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/suites"
)

// Evidence is bounded (runner/evidence.go): bodies are kept up to
// results.EvidenceBodyCap with a digest of the whole, a poll keeps its
// first and last attempts and summarises the rest, and every failure says
// its cause in fields so the reports can group them.

// pollSuite is a one-item flow polling getThing until DONE.
func pollSuite(deadline time.Duration) *suites.Suite {
	text := fmt.Sprintf(`name: evidence
api: hostile
items:
  - id: E-1
    title: a thing becomes final
    severity: major
    flow:
      - name: wait
        operation: getThing
        request:
          path: {id: abc}
        poll:
          until:
            status: DONE
          interval: 10ms
          deadline: %s
        expect:
          status: 200
`, deadline)
	s, err := suites.Parse("evidence-suite.yaml", []byte(text))
	Expect(err).NotTo(HaveOccurred())
	return s
}

// padded is a JSON thing in the given status, about size bytes long.
func paddedThing(status string, size int) []byte {
	head := fmt.Sprintf(`{"id":"abc","status":%q,"pad":"`, status)
	return []byte(head + strings.Repeat("x", size-len(head)-2) + `"}`)
}

func runEvidence(h http.HandlerFunc, s *suites.Suite) results.Item {
	GinkgoHelper()
	srv := httptest.NewServer(h)
	DeferCleanup(srv.Close)
	r, err := runner.New(runner.Target{BaseURL: srv.URL}, []runner.Job{{API: hostileSpec(), Suite: s}},
		runner.WithTimeout(2*time.Second), runner.WithConcurrency(1), runner.WithEnv(env(nil)), runner.WithSeed(7))
	Expect(err).NotTo(HaveOccurred())
	run := r.Run(context.Background())
	Expect(run.Items).To(HaveLen(1))
	return run.Items[0]
}

var _ = Describe("bounded evidence", func() {
	It("keeps a poll's first and last attempts up to the cap and summarises the rest by status, size and hash", func() {
		body := paddedThing("PENDING", 200<<10)
		sum := sha256.Sum256(body)
		const deadline = 300 * time.Millisecond
		it := runEvidence(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}, pollSuite(deadline))

		Expect(it.Status).To(Equal(results.Fail), it.Message)
		exs := it.Exchanges
		Expect(len(exs)).To(BeNumerically(">=", 3), "the poll repeated")
		for i, ex := range exs {
			Expect(ex.Response).NotTo(BeNil())
			Expect(ex.Response.Status).To(Equal(200))
			d := ex.Response.BodyDigest
			Expect(d).NotTo(BeNil(), "attempt %d: a 200 KiB body is never kept whole", i+1)
			Expect(d.Size).To(Equal(int64(len(body))))
			Expect(d.SHA256).To(Equal(hex.EncodeToString(sum[:])))
			if i == 0 || i == len(exs)-1 {
				Expect(ex.Response.Body).To(HaveLen(results.EvidenceBodyCap), "attempt %d: first and last are kept up to the cap", i+1)
				Expect(d.Kept).To(Equal(results.EvidenceBodyCap))
				Expect(body).To(HavePrefix(ex.Response.Body))
			} else {
				Expect(ex.Response.Body).To(BeEmpty(), "attempt %d: a middle attempt is a summary", i+1)
				Expect(d.Kept).To(BeZero())
			}
		}
		Expect(it.Cause).NotTo(BeNil())
		Expect(it.Cause.Kind).To(Equal(results.CauseCheck))
		Expect(it.Cause.Operation).To(Equal("getThing"))
	})

	It("spends the run's evidence budget once, from any number of items at once", func() {
		b := runner.NewEvidenceBudget()
		const chunk = 4 << 10
		var kept atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 1024 {
					if b.Take(chunk) {
						kept.Add(chunk)
					}
				}
			}()
		}
		wg.Wait()
		Expect(kept.Load()).To(Equal(int64(16<<20)), "16 MiB of bodies per run, no more, no less")
		Expect(b.Take(1)).To(BeFalse())
	})

	It("keeps a small body whole, with no digest", func() {
		it := runEvidence(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"abc","status":"DONE"}`))
		}, hostileSuite(false))
		Expect(it.Status).To(Equal(results.Pass), it.Message)
		Expect(it.Exchanges[0].Response.Body).To(Equal(`{"id":"abc","status":"DONE"}`))
		Expect(it.Exchanges[0].Response.BodyDigest).To(BeNil())
		Expect(it.Cause).To(BeNil(), "a passed item has no cause")
	})

	It("masks a secret that straddles the cap whole, never half", func() {
		secret := "sk_live_" + strings.Repeat("Z", 40)
		pad := results.EvidenceBodyCap - 20
		body := []byte(`{"id":"abc","status":"DONE","pad":"` + strings.Repeat("x", pad) + secret + strings.Repeat("y", 8<<10) + `"}`)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		DeferCleanup(srv.Close)
		r, err := runner.New(runner.Target{BaseURL: srv.URL, Headers: []string{"Authorization: Bearer ${SECRET}"}},
			[]runner.Job{{API: hostileSpec(), Suite: hostileSuite(false)}},
			runner.WithEnv(env(map[string]string{"SECRET": secret})), runner.WithConcurrency(1))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())
		got := run.Items[0].Exchanges[0].Response.Body
		Expect(len(got)).To(BeNumerically("<=", results.EvidenceBodyCap))
		Expect(got).NotTo(ContainSubstring("sk_live_"), "not even the secret's first characters")
		Expect(got).NotTo(ContainSubstring("ZZZZ"))
	})

	It("records a response-schema failure as its violations, by operation and status", func() {
		it := runEvidence(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"abc","status":"WEIRD"}`))
		}, hostileSuite(false))
		Expect(it.Status).To(Equal(results.Fail))
		Expect(it.Cause).NotTo(BeNil())
		Expect(it.Cause.Kind).To(Equal(results.CauseSchema))
		Expect(it.Cause.Operation).To(Equal("getThing"))
		Expect(it.Cause.Status).To(Equal(200))
		Expect(it.Cause.Violations).To(HaveLen(1))
		Expect(it.Cause.Violations[0].Pointer).To(Equal("/status"))
		Expect(it.Cause.Violations[0].Rule).To(Equal("enum"))
		Expect(it.Cause.Violations[0].Value).To(Equal(`"WEIRD"`), "what came, for the plain sentence")
		Expect(it.Expected).NotTo(ContainSubstring("testdata/"), "the document by name, not by its path")
		Expect(it.Problem).To(Equal("P1"))
	})

	It("records a dead target as a transport cause at the TCP layer", func() {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close() // nothing listens there any more
		r, err := runner.New(runner.Target{BaseURL: url}, []runner.Job{{API: hostileSpec(), Suite: hostileSuite(false)}},
			runner.WithEnv(env(nil)), runner.WithConcurrency(1))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())
		c := run.Items[0].Cause
		Expect(c).NotTo(BeNil())
		Expect(c.Kind).To(Equal(results.CauseTransport))
		Expect(c.Layer).To(Equal("tcp"))
		Expect(c.Endpoint).To(Equal(url))
		Expect(run.Problems).To(HaveLen(1))
		Expect(run.Problems[0].Diagnosis).NotTo(BeNil())
		Expect(run.Problems[0].Diagnosis.Commands).To(ContainElement("golive doctor " + url))
	})

	It("records a 404 where the operation should answer as a missing operation", func() {
		it := runEvidence(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(bytes.Repeat([]byte("no route "), 3))
		}, hostileSuite(false))
		Expect(it.Cause).NotTo(BeNil())
		Expect(it.Cause.Kind).To(Equal(results.CauseMissingOperation))
		Expect(it.Cause.Status).To(Equal(404))
	})
})
