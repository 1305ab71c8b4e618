package reports_test

// Helpers for the tests that check the reports with real consumers: headless
// Chromium for report.html (browser_test.go), a JUnit parser from npm and
// xmllint for junit.xml (junit_consumer_test.go), and real runs against the
// sandbox reference partner to feed them.
//
// Chromium is driven by internal/browsertest, shared with the hub's tests.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// ---------------------------------------------------------------------------
// Real runs against the sandbox reference partner

// Injection probes: if any of them ran in report.html it would record itself
// in window.__golivePwned and change the page title.
const (
	probeScript = `<script>window.__golivePwned=(window.__golivePwned||[]).concat("script");document.title="PWNED"</script>`
	probeImg    = `"><img src=x onerror="window.__golivePwned=(window.__golivePwned||[]).concat('img');document.title='PWNED'">`
	probeSVG    = `<svg onload="window.__golivePwned=(window.__golivePwned||[]).concat('svg')"></svg>`
	probeAttr   = `' autofocus onfocus='window.__golivePwned=(window.__golivePwned||[]).concat("attr")`
	probeURL    = `javascript:window.__golivePwned=(window.__golivePwned||[]).concat("href")`
	// allProbes is what a hostile target puts in every field it controls.
	allProbes = probeScript + " " + probeImg + " " + probeSVG + " " + probeAttr
)

// sandboxRun certifies the in-process sandbox (both built-in APIs) with the
// given fault, served on 127.0.0.1 as is or, when hostile, behind
// hostileTarget, and returns the real run. Poll deadlines are cut to keep
// faults like never-final quick. Runs are made once per process and shared:
// no test may modify one.
func sandboxRun(fault string, hostile bool) *results.Run {
	GinkgoHelper()
	key := fmt.Sprintf("%s/%v", fault, hostile)
	sandboxRunsMu.Lock()
	defer sandboxRunsMu.Unlock()
	if run, ok := sandboxRuns[key]; ok {
		return run
	}
	run := certifySandbox(fault, hostile)
	sandboxRuns[key] = run
	return run
}

var (
	sandboxRunsMu sync.Mutex
	sandboxRuns   = map[string]*results.Run{}
)

func certifySandbox(fault string, hostile bool) *results.Run {
	GinkgoHelper()
	sb, err := sandbox.New(sandbox.WithFault(fault), sandbox.WithSettleAfter(100*time.Millisecond))
	Expect(err).NotTo(HaveOccurred())
	var h http.Handler = sb
	if hostile {
		h = hostileTarget(sb)
	}
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	defer srv.Close()

	var jobs []runner.Job
	for _, name := range []string{"collections", "payouts"} {
		api, err := specs.NewLoader().Load(context.Background(), name)
		Expect(err).NotTo(HaveOccurred())
		suite, err := suites.Load(name)
		Expect(err).NotTo(HaveOccurred())
		for _, it := range suite.Items {
			for _, st := range it.Steps() {
				if st.Poll != nil {
					st.Poll.Deadline.Duration = 2 * time.Second
				}
			}
		}
		jobs = append(jobs, runner.Job{API: api, Suite: suite})
	}
	noEnv := func(string) (string, bool) { return "", false }
	r, err := runner.New(runner.Target{BaseURL: srv.URL, Environment: "staging", Partner: "sandbox (" + fault + ")"}, jobs,
		runner.WithVars(map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey, "checksumKey": sandbox.DefaultChecksumKey}),
		runner.WithEnv(noEnv), runner.WithConcurrency(8), runner.WithVersion("test"), runner.WithSeed(7))
	Expect(err).NotTo(HaveOccurred())
	return r.Run(context.Background())
}

// hostileTarget wraps the sandbox as a partner whose answers carry markup:
// every response has the probes in a header, and the payout status operation
// answers 502 with an HTML page full of them, so the probes reach the
// evidence (headers and bodies) of real failures.
func hostileTarget(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partner-Note", allProbes)
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/payouts/") && r.URL.Path != "/v1/payouts/preview" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body><h1>Bad gateway</h1>%s</body></html>", allProbes)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// probedFixture is the fixture run with the probes in every field a target
// (or a hostile suite author) can fill: partner, titles, messages, expected
// and actual, curl lines, remedies, FAQ links, URLs, headers, bodies and
// transport errors.
func probedFixture() *results.Run {
	run := fixtureRun()
	run.Target.Partner = "Acme Pay " + allProbes
	for i := range run.Items {
		it := &run.Items[i]
		it.Title += " " + allProbes
		it.Group += allProbes
		if it.Status == results.Fail || it.Status == results.Error {
			it.Message += " " + allProbes
			it.Reason += " " + allProbes
			it.Expected += "\n" + allProbes
			it.Actual += "\n" + allProbes
			it.Step += allProbes
			it.Curl += " -d '" + allProbes + "'"
			it.Remediation += "\n" + allProbes
		}
		for j := range it.Exchanges {
			ex := &it.Exchanges[j]
			ex.Step += allProbes
			ex.Request.URL += "?q=" + allProbes
			ex.Request.Headers = map[string]string{"X-Probe" + probeImg: allProbes}
			if ex.Response != nil {
				ex.Response.Headers = map[string]string{"X-Probe": allProbes}
				ex.Response.Body = `{"note":` + strconvQuote(allProbes) + `}` + allProbes
			} else {
				ex.Error += " " + allProbes
			}
		}
	}
	// One id with markup (ids land in attributes and anchors) and one FAQ
	// that is a javascript: URL.
	run.Items[2].ID = "COL-003" + probeAttr
	run.Items[2].FAQ = probeURL
	return run
}

func strconvQuote(s string) string {
	b, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return string(b)
}

// resultsFile is results.json as a consumer reads it: only the counts and
// the fields the browser and JUnit checks compare.
type resultsFile struct {
	Target struct {
		Partner string `json:"partner"`
		BaseURL string `json:"baseUrl"`
	} `json:"target"`
	Interrupted bool `json:"interrupted"`
	Verdict     struct {
		Status   string `json:"status"`
		ExitCode int    `json:"exitCode"`
	} `json:"verdict"`
	Summary struct {
		Total      int `json:"total"`
		Passed     int `json:"passed"`
		Failed     int `json:"failed"`
		Errored    int `json:"errored"`
		Skipped    int `json:"skipped"`
		BySeverity map[string]struct {
			Total   int `json:"total"`
			Passed  int `json:"passed"`
			Failed  int `json:"failed"`
			Errored int `json:"errored"`
			Skipped int `json:"skipped"`
		} `json:"bySeverity"`
		ByCategory map[string]int `json:"byCategory"`
	} `json:"summary"`
	Items    []docItem `json:"items"`
	Problems []struct {
		ID    string `json:"id"`
		Kind  string `json:"kind"`
		Title string `json:"title"`
		FAQ   string `json:"faq"`
	} `json:"problems"`
}

func readResultsFile(dir string) resultsFile {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(dir, "results.json"))
	Expect(err).NotTo(HaveOccurred())
	var doc resultsFile
	Expect(json.Unmarshal(data, &doc)).To(Succeed())
	Expect(doc.Items).To(HaveLen(doc.Summary.Total))
	return doc
}

// docItem is one item of results.json as the browser tests read it.
type docItem struct {
	ID       string `json:"id"`
	API      string `json:"api"`
	Group    string `json:"group"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	Status   string `json:"status"`
	Category string `json:"category"`
	Problem  string `json:"problem"`
	Kind     string `json:"kind"`
}
