package main_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// newDribbleTarget answers every request at once with a status line and
// headers, then sends its body one byte every 100ms, far longer than any
// timeout of a spec: a partner whose body never finishes in time.
func newDribbleTarget() string {
	GinkgoHelper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "4096")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range 4096 {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	DeferCleanup(srv.Close)
	return srv.URL
}

// timedOutMessages are the messages of the items cut by a timeout.
func timedOutMessages(doc resultsDoc) []string {
	var out []string
	for _, it := range doc.notPassed() {
		if strings.Contains(it.Message, " within ") {
			out = append(out, it.ID+": "+it.Message)
		}
	}
	return out
}

// --timeout is what a user asks for: it applies to every request (the
// built-in checklists' defaults.timeout of 10s included), and the message
// of a request it cut names it.
var _ = Describe("--timeout", func() {
	var out string
	BeforeEach(func() { out = filepath.Join(GinkgoT().TempDir(), "out") })

	It("cuts a request that gets no response headers, and the message says the timeout applied", func() {
		target := startSandbox("--fault", "slow") // every answer 2.5s late
		golive(exitNotTestable, credsEnv(), "run", "--spec", "collections", "--target", target,
			"--timeout", "1s", "--out", out)
		msgs := timedOutMessages(readResults(out))
		Expect(msgs).NotTo(BeEmpty())
		for _, m := range msgs {
			Expect(m).To(ContainSubstring("no response headers within 1s"))
		}
	})

	It("bounds the whole response, the body included, over the checklist's defaults.timeout", func() {
		target := newDribbleTarget()
		golive(exitNotTestable, credsEnv(), "run", "--spec", "collections", "--target", target,
			"--timeout", "2s", "--out", out)
		msgs := timedOutMessages(readResults(out))
		Expect(msgs).NotTo(BeEmpty())
		for _, m := range msgs {
			Expect(m).To(MatchRegexp(`status 200 came, but the body was not complete within 2s \(\d+ bytes read\)`))
		}
	})

	It("leaves the checklist's defaults.timeout in force when it is not given", func() {
		target := startSandbox("--fault", "slow")
		suite := fixture(GinkgoT().TempDir(), "slow-defaults-suite.yaml") // collections, defaults.timeout: 1s
		golive(exitNotTestable, credsEnv(), "run", "--suite", suite, "--target", target, "--out", out, "--no-derived")
		msgs := timedOutMessages(readResults(out))
		Expect(msgs).NotTo(BeEmpty())
		for _, m := range msgs {
			Expect(m).To(ContainSubstring("no response headers within 1s"))
		}
	})

	It("refuses zero, given explicitly", func() {
		s := golive(exitInvalid, credsEnv(), "run", "--spec", "collections", "--target", "http://127.0.0.1:9",
			"--timeout", "0s", "--out", out)
		Expect(stderr(s)).To(ContainSubstring("--timeout 0s: want a positive duration"))
	})
})
