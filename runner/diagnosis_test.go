package runner_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
)

// expectDiagnosis checks what a partner reads first: the status, the
// category, the one-sentence reason and the message, with its category's
// remedy and a curl line to reproduce it.
func expectDiagnosis(it results.Item, status results.Status, category results.Category, message ...string) {
	GinkgoHelper()
	Expect(it.Status).To(Equal(status), "%s: %s", it.ID, it.Message)
	Expect(it.Category).To(Equal(category), "%s: %s", it.ID, it.Message)
	Expect(it.Reason).NotTo(BeEmpty(), it.ID)
	Expect(strings.Count(it.Reason, ". ")).To(BeZero(), "one sentence: %s", it.Reason)
	for _, m := range message {
		Expect(it.Message).To(ContainSubstring(m), it.ID)
	}
	Expect(it.Curl).To(HavePrefix("curl "), it.ID)
	if category != results.Integration {
		Expect(it.Remediation).NotTo(BeEmpty(), it.ID)
	}
}

// quick keeps the failing runs short: no timed assertions, only a short
// request timeout.
func quick() runner.Option { return runner.WithTimeout(300 * time.Millisecond) }

var _ = Describe("diagnosing connection failures", func() {
	It("says the host name does not resolve", func() {
		// A label over 63 characters under the reserved .invalid TLD: both
		// Go's resolver and the C library's reject it before sending a query,
		// so the lookup fails without any DNS traffic.
		host := "golive-test-" + strings.Repeat("x", 64) + ".invalid"
		r := run("http://"+host, []runner.Job{miniJob()}, miniEnv(), quick())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Error, results.Connection, "could not get a token", host)
		Expect(t1.Message).To(MatchRegexp(`DNS|dial`))
		Expect(t1.Reason).To(ContainSubstring("does not resolve"))
		Expect(r.Verdict.ExitCode).To(Equal(exitcode.NotTestable))
	})

	It("says which address refused the TCP connection", func() {
		addr := refusedAddr()
		r := run("http://"+addr, []runner.Job{miniJob()}, miniEnv(), quick())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Error, results.Connection, "TCP connect to "+addr+" refused")
		Expect(t1.Reason).To(ContainSubstring("nothing accepts connections"))
		Expect(t1.Exchanges[0].Error).To(Equal("TCP connect to " + addr + " refused"))
	})

	It("says the TCP connect timed out when the SYN is never answered", func() {
		addr := backloggedListener()
		r := run("http://"+addr, []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection, "TCP connect to "+addr+" timed out after 300ms")
		Expect(item(r, "T-1").Reason).To(ContainSubstring("could not be established in time"))
	})

	It("says the connection was reset after the status line, and where the body was cut", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				resetAfterHalfBody(w, 1000)
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection,
			"connection reset after the status line (200): body cut at 500 bytes of 1000 announced")
		Expect(item(r, "T-1").Reason).To(ContainSubstring("broke before the response was complete"))
		Expect(item(r, "T-3").Status).To(Equal(results.Pass), "the rest of the API is judged as usual")
	})

	It("says the target closed the connection without answering", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				closeWithoutAnswer(w)
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection, "closed the connection without answering (EOF")
	})
})

var _ = Describe("diagnosing TLS failures", func() {
	var ca *testCA
	BeforeEach(func() { ca = newTestCA("golive test CA") })

	It("trusts a private CA given with WithCAFile", func() {
		f := newTLSPartner(ca.valid(), 0)
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithCAFile(ca.file()))
		Expect(notPassed(r)).To(BeEmpty())
	})

	It("says the certificate is signed by an unknown authority, and how to trust a private CA", func() {
		f := newTLSPartner(ca.valid(), 0)
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), quick())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Error, results.Connection,
			"TLS: the certificate of 127.0.0.1 is signed by an unknown authority", `"CN=golive test CA"`, "--ca-file")
		Expect(t1.Reason).To(ContainSubstring("TLS"))
	})

	It("says when the certificate expired", func() {
		expired := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Minute)
		f := newTLSPartner(ca.issue(expired.Add(-24*time.Hour), expired, "127.0.0.1"), 0)
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithCAFile(ca.file()), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection,
			"TLS: the certificate of 127.0.0.1 expired on "+expired.Format("2006-01-02 15:04 UTC"))
		// The reproduce line names the CA file, never where it lies on this machine.
		Expect(item(r, "T-1").Curl).To(ContainSubstring("--cacert '" + filepath.Base(ca.file()) + "'"))
		Expect(item(r, "T-1").Curl).NotTo(ContainSubstring(filepath.Dir(ca.file())))
	})

	It("says which names the certificate is valid for", func() {
		now := time.Now()
		f := newTLSPartner(ca.issue(now.Add(-time.Hour), now.Add(time.Hour), "partner.example", "127.0.0.2"), 0)
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithCAFile(ca.file()), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection,
			"TLS: the certificate is valid for partner.example, 127.0.0.2, not 127.0.0.1")
	})

	It("says there is no TLS version in common", func() {
		f := newTLSPartner(ca.valid(), tls.VersionTLS11)
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), runner.WithCAFile(ca.file()), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection, "TLS: no protocol version in common", "TLS 1.2 and 1.3")
	})

	It("says an https:// URL reached a plain HTTP port", func() {
		f := newFakePartner()
		r := run("https"+strings.TrimPrefix(f.URL(), "http"), []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.Connection, "answered in plain HTTP on an https:// URL")
	})

	It("says an http:// URL reached a TLS port", func() {
		f := newTLSPartner(ca.valid(), 0)
		r := run("http"+strings.TrimPrefix(f.URL(), "https"), []runner.Job{miniJob()}, miniEnv(), quick())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Error, results.Connection, "answered 400")
		Expect(t1.Reason).To(ContainSubstring("must start with https://"))
	})
})

var _ = Describe("diagnosing a target that is reachable but not serving", func() {
	It("says no response headers came after connecting, to a listener that never answers", func() {
		r := run("http://"+silentListener(), []runner.Job{miniJob()}, miniEnv(), quick())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Error, results.System, "connected, but no response headers within 300ms")
		Expect(t1.Reason).To(ContainSubstring("accepted the connection"))
		Expect(r.Verdict.ExitCode).To(Equal(exitcode.NotTestable))
	})

	It("says no response headers came in time from a slow operation", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				select { // past golive's timeout, or until golive hangs up
				case <-time.After(5 * time.Second):
				case <-r.Context().Done():
				}
				writeJSON(w, 200, map[string]any{"id": "abc", "status": "DONE", "amount": "10.00"})
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.System, "no response headers within 300ms")
		Expect(item(r, "T-3").Status).To(Equal(results.Pass))
	})

	It("says the body stalled after the status line", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(200)
				_, _ = w.Write([]byte(`{"id":"abc",`))
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv(), quick())
		expectDiagnosis(item(r, "T-1"), results.Error, results.System,
			"status 200 came, but the body was not complete within 300ms (12 bytes read)")
		Expect(item(r, "T-1").Reason).To(ContainSubstring("stopped sending"))
	})

	DescribeTable("says a gateway status with Retry-After and an HTML page means maintenance",
		func(status int, text string) {
			r := run(maintenanceServer(status), []runner.Job{miniJob()}, miniEnv(), quick())
			for _, id := range []string{"T-1", "T-2", "T-3"} {
				it := item(r, id)
				expectDiagnosis(it, results.Error, results.System, "answered "+text[:3])
				Expect(it.Reason).To(ContainSubstring(text + " with Retry-After: 120"))
				Expect(it.Reason).To(ContainSubstring("HTML page where JSON was expected"))
				Expect(it.Reason).To(ContainSubstring("the target looks down"))
			}
			Expect(r.Verdict.Status).To(Equal(results.NotTestable))
			Expect(r.Verdict.ExitCode).To(Equal(exitcode.NotTestable))
		},
		Entry("502", http.StatusBadGateway, "502 Bad Gateway"),
		Entry("503", http.StatusServiceUnavailable, "503 Service Unavailable"),
		Entry("504", http.StatusGatewayTimeout, "504 Gateway Timeout"),
	)

	It("says an HTML maintenance page served with 200 is not the integration's defect", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(maintenancePage))
			return true
		}
		// T-2 polls until its deadline: cut it short.
		job := loadJob("testdata/mini.yaml", "testdata/mini-suite.yaml", 300*time.Millisecond)
		r := run(f.URL(), []runner.Job{job}, miniEnv(), quick())
		for _, id := range []string{"T-1", "T-2", "T-3"} {
			it := item(r, id)
			expectDiagnosis(it, results.Error, results.System)
			Expect(it.Reason).To(ContainSubstring("HTML maintenance page where JSON was expected"), id)
		}
	})
})

var _ = Describe("an interrupt while a request is on its way", func() {
	It("reports the item as not finished, not as the partner's failure", func() {
		arrived := make(chan struct{})
		var once sync.Once
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				once.Do(func() { close(arrived) })
				<-r.Context().Done() // golive hangs up when interrupted
				return true
			}
			return false
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		r, err := runner.New(runner.Target{BaseURL: f.URL()}, []runner.Job{miniJob()}, miniEnv())
		Expect(err).NotTo(HaveOccurred())
		go func() {
			<-arrived
			cancel()
		}()
		out := r.Run(ctx)
		t1 := item(out, "T-1")
		Expect(t1.Status).To(Equal(results.Skip))
		Expect(t1.Category).To(BeEmpty())
		Expect(t1.Message).To(ContainSubstring("not finished: the run was interrupted"))
		Expect(out.Interrupted).To(BeTrue())
	})
})

var _ = Describe("judging 5xx with the whole run in view", func() {
	It("calls one 500 on one input an integration defect while the rest of the API works", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, r *http.Request, _ int) bool {
			if strings.HasSuffix(r.URL.Path, "/abc") {
				writeJSON(w, 500, map[string]any{"code": "INTERNAL", "message": "boom"})
				return true
			}
			return false
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		t1 := item(r, "T-1")
		expectDiagnosis(t1, results.Fail, results.Integration, "expected status 200, got 500")
		Expect(t1.Reason).To(ContainSubstring("while the rest of the API answers"))
		Expect(t1.Reason).To(ContainSubstring("a defect for this input"))
		Expect(t1.Remediation).To(Equal("Serve GET /v1/things/{id}."), "the item's own remedy")
		Expect(r.Verdict.Status).To(Equal(results.NotCertified))
	})

	It("calls 5xx everywhere a system issue", func() {
		f := newFakePartner()
		f.onThing = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
			writeJSON(w, 500, map[string]any{"code": "INTERNAL", "message": "boom"})
			return true
		}
		r := run(f.URL(), []runner.Job{miniJob()}, miniEnv())
		for _, id := range []string{"T-1", "T-2", "T-3"} {
			it := item(r, id)
			expectDiagnosis(it, results.Error, results.System, "got 500")
			Expect(it.Reason).To(ContainSubstring("answered only 5xx"), id)
			Expect(it.Reason).To(ContainSubstring("the target looks down"), id)
		}
		Expect(r.Verdict.Status).To(Equal(results.NotTestable))
	})
})
