package runner_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
)

// Planted values: each comes into a run by one of the ways a secret can,
// and none may appear in any byte golive writes.
const (
	plantedHeader = "hdr-PLANTED-5a5a5a5a5a5a5a5a" // --header "X-Partner-Secret: ${PARTNER_SECRET}"
	plantedPathID = "sid-PLANTED-0f0f0f0f0f0f0f0f" // at a JSON path the suite declares under secrets:
	plantedCard   = "4111111111111111"             // Luhn-valid: a card number in a response body
)

// artifacts renders run the way golive does: every report file, the JSON
// printed with --format json, and the terminal's progress lines and summary
// (verbose, so every exchange is printed too).
func artifacts(run *results.Run) map[string][]byte {
	GinkgoHelper()
	dir := GinkgoT().TempDir()
	Expect(reports.WriteAll(dir, run)).To(Succeed())
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		Expect(err).NotTo(HaveOccurred())
		out[e.Name()] = data
	}
	Expect(out).To(HaveKey(reports.HTMLFile))
	var stdout, term bytes.Buffer
	Expect(reports.WriteJSON(&stdout, run)).To(Succeed())
	out["stdout (--format json)"] = stdout.Bytes()
	t := &reports.Terminal{W: &term, Verbose: true}
	for i, it := range run.Items {
		t.ItemDone(it, i+1, len(run.Items))
	}
	t.Summary(run)
	out["terminal"] = term.Bytes()
	return out
}

// expectNoSecret scans every byte of every artifact for each value.
func expectNoSecret(arts map[string][]byte, values ...string) {
	GinkgoHelper()
	for name, data := range arts {
		for _, v := range values {
			Expect(v).NotTo(BeEmpty())
			Expect(bytes.Contains(data, []byte(v))).To(BeFalse(), "%s contains the secret %q", name, v)
		}
	}
}

var _ = Describe("secrets never reach an artifact", func() {
	It("masks every planted secret of a failing run against a partner that echoes them", func() {
		// T-3 echoes the secret-path value that only T-1's response declares;
		// T-1 answers once T-3 has finished, so the value is learned after
		// T-3 was recorded, the order in which masking is hardest.
		t3Done := make(chan struct{})
		var once sync.Once
		progress := runner.WithProgress(func(it results.Item, _, _ int) {
			if it.ID == "T-3" {
				once.Do(func() { close(t3Done) })
			}
		})
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			echo := r.Header.Get("Authorization") + " " + r.Header.Get("X-Partner-Secret")
			switch {
			case strings.HasSuffix(r.URL.Path, "/abc"):
				<-t3Done
				// T-1 fails (wrong status), its body holding the secret-path
				// value, a card and every credential golive sent.
				writeJSON(w, 418, map[string]any{"id": plantedPathID, "status": "DONE", "amount": "10.00",
					"card": plantedCard, "echo": echo})
			case strings.HasSuffix(r.URL.Path, "/missing"):
				// T-3 fails with 500, naming them all in its message, outside
				// any declared secret path.
				writeJSON(w, 500, map[string]any{"code": "INTERNAL",
					"message": "card " + plantedCard + " of " + plantedPathID + " refused for " + echo})
			default:
				return false
			}
			return true
		}
		r, err := runner.New(runner.Target{BaseURL: f.URL(), Headers: []string{"X-Partner-Secret: ${PARTNER_SECRET}"}},
			[]runner.Job{miniJob()}, progress, runner.WithConcurrency(4),
			runner.WithEnv(env(map[string]string{"MINI_API_KEY": plantedKey, "PARTNER_SECRET": plantedHeader})))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())
		Expect(item(run, "T-1").Status).To(Equal(results.Fail))
		Expect(item(run, "T-3").Status).To(Equal(results.Fail))

		expectNoSecret(artifacts(run), plantedKey, plantedToken, plantedHeader, plantedPathID, plantedCard)

		// Masked, not dropped: the evidence still shows what kind of value was there.
		t1 := item(run, "T-1")
		Expect(t1.Exchanges[0].Response.Body).To(ContainSubstring(`"card":"4111********1111"`))
		Expect(t1.Exchanges[0].Response.Body).To(ContainSubstring(`"id":"****"`))
		Expect(t1.Curl).To(ContainSubstring(`'Authorization: Bearer '"${GOLIVE_TOKEN}"`))
		Expect(t1.Curl).To(ContainSubstring(`'X-Partner-Secret: '"${PARTNER_SECRET}"`))
	})

	It("masks the credentials, the partner header and every issued token of a failing sandbox run", func() {
		const plantedAPIKey = "sbx-PLANTED-abcdef0123456789"
		sb, err := sandbox.New(sandbox.WithFault(sandbox.FaultCrashOnInvalid), sandbox.WithSettleAfter(100*time.Millisecond),
			sandbox.WithCredentials(sandbox.DefaultClientID, plantedAPIKey))
		Expect(err).NotTo(HaveOccurred())
		tokens := &tokenTap{next: sb}
		srv := httptest.NewServer(tokens)
		DeferCleanup(srv.Close)

		r, err := runner.New(runner.Target{BaseURL: srv.URL, Headers: []string{"X-Partner-Secret: ${PARTNER_SECRET}"}},
			[]runner.Job{loadJob("collections", "collections", 2*time.Second), loadJob("payouts", "payouts", 2*time.Second)},
			runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": "${SANDBOX_API_KEY}", "checksumKey": sandbox.DefaultChecksumKey}),
			runner.WithEnv(env(map[string]string{"SANDBOX_API_KEY": plantedAPIKey, "PARTNER_SECRET": plantedHeader})),
			runner.WithConcurrency(16))
		Expect(err).NotTo(HaveOccurred())
		run := r.Run(context.Background())
		Expect(run.Verdict.Status).To(Equal(results.NotCertified), "the run must fail to exercise every report section")

		issued := tokens.issued()
		Expect(issued).NotTo(BeEmpty())
		expectNoSecret(artifacts(run), append(issued, plantedAPIKey, plantedHeader)...)
	})
})

// tokenTap passes requests to the sandbox and remembers every token it
// issues, so the test can look for them in the reports.
type tokenTap struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (t *tokenTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	t.next.ServeHTTP(rec, r)
	if tok := gjson.GetBytes(rec.Body.Bytes(), "token").String(); tok != "" {
		t.mu.Lock()
		t.seen = append(t.seen, tok)
		t.mu.Unlock()
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

func (t *tokenTap) issued() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.seen...)
}
