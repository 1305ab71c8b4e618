package reports_test

// Helpers for the tests that check the reports with real consumers: headless
// Chromium for report.html (browser_test.go), a JUnit parser from npm and
// xmllint for junit.xml (junit_consumer_test.go), and real runs against the
// sandbox reference partner to feed them.
//
// Chromium is driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: NUL-separated JSON on file descriptors 3 and 4),
// so the test needs no client library and opens no port at all.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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
// External tools

// requireTool returns the path of an external program the test needs. When it
// is missing the test fails under CI=true (CI must install it: .ci/run does)
// and is skipped on a developer's machine, with the way to install it.
func requireTool(name, install string) string {
	GinkgoHelper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s is not on PATH: %s", name, install)
	if os.Getenv("CI") == "true" {
		Fail(msg + " (CI=true: .ci/run must install it)")
	}
	Skip(msg)
	return ""
}

// artifactDir is where tests leave files for people to look at
// (screenshots, the print PDF): $GOLIVE_ARTIFACTS, else
// $TMPDIR/golive-artifacts. Each file's path is printed in the test output.
func artifactDir() string {
	GinkgoHelper()
	dir := os.Getenv("GOLIVE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "golive-artifacts")
	}
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	return dir
}

// saveArtifact writes data to artifactDir()/name and reports the path.
func saveArtifact(name string, data []byte) string {
	GinkgoHelper()
	path := filepath.Join(artifactDir(), name)
	Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
	AddReportEntry("artifact "+name, path)
	return path
}

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
	Items []struct {
		ID       string `json:"id"`
		API      string `json:"api"`
		Group    string `json:"group"`
		Title    string `json:"title"`
		Severity string `json:"severity"`
		Status   string `json:"status"`
		Category string `json:"category"`
		Problem  string `json:"problem"`
		Kind     string `json:"kind"`
	} `json:"items"`
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

// ---------------------------------------------------------------------------
// Chromium over the DevTools protocol

// cdpTimeout bounds every DevTools call and every wait for an event: a safety
// net against a hung browser, not a performance assertion.
const cdpTimeout = 60 * time.Second

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
}

// chromium is one headless browser process.
type chromium struct {
	cmd     *exec.Cmd
	profile string
	toChrome,
	fromChrome *os.File
	stderr *bytes.Buffer
	exited chan struct{} // closed when the process has ended

	writeMu sync.Mutex

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpMessage
	events  []cdpMessage
	changed chan struct{} // closed and replaced whenever events grows
	gone    chan struct{} // closed when the pipe from Chrome closes
}

// chromiumFlags keeps the browser quiet and local: no first-run, sync,
// component updates, background networking or QUIC, and a proxy on a closed
// loopback port plus a resolver that resolves nothing, so that even a request
// the report should never make could not leave 127.0.0.1.
func chromiumFlags(profile string) []string {
	return []string{
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--disable-default-apps",
		"--disable-crash-reporter",
		"--disable-breakpad",
		"--disable-dev-shm-usage",
		"--hide-scrollbars",
		"--mute-audio",
		"--force-color-profile=srgb",
		"--proxy-server=127.0.0.1:9",
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--user-data-dir=" + profile,
		"--remote-debugging-pipe",
		"about:blank",
	}
}

// startChromium starts a headless browser with a new profile.
func startChromium(bin string) *chromium {
	GinkgoHelper()
	home, err := os.MkdirTemp("", "golive-chromium-")
	Expect(err).NotTo(HaveOccurred())
	profile := filepath.Join(home, "profile")

	// fd 3: what Chrome reads; fd 4: what it writes.
	chromeIn, toChrome, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	fromChrome, chromeOut, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())

	b := &chromium{
		profile:    home,
		toChrome:   toChrome,
		fromChrome: fromChrome,
		stderr:     &bytes.Buffer{},
		exited:     make(chan struct{}),
		pending:    map[int64]chan cdpMessage{},
		changed:    make(chan struct{}),
		gone:       make(chan struct{}),
	}
	b.cmd = exec.Command(bin, chromiumFlags(profile)...)
	b.cmd.ExtraFiles = []*os.File{chromeIn, chromeOut}
	b.cmd.Stdout = io.Discard
	b.cmd.Stderr = &lockedWriter{w: b.stderr}
	// Its own HOME keeps ~/.config and ~/.pki of whoever runs the tests
	// untouched; its own process group lets close end its helpers too.
	b.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "TZ=UTC"}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	Expect(b.cmd.Start()).To(Succeed(), "start %s", bin)
	chromeIn.Close()
	chromeOut.Close()
	go func() {
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	go b.read()

	var version struct {
		Product string `json:"product"`
	}
	b.call("", "Browser.getVersion", nil, &version)
	fmt.Fprintf(GinkgoWriter, "chromium: %s (%s)\n", version.Product, bin)
	return b
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (b *chromium) stderrTail() string {
	lw := b.cmd.Stderr.(*lockedWriter)
	lw.mu.Lock()
	defer lw.mu.Unlock()
	s := b.stderr.String()
	if len(s) > 3000 {
		s = "…" + s[len(s)-3000:]
	}
	return s
}

// read dispatches every message from Chrome: replies to their callers,
// events to the log that waitEvent searches.
func (b *chromium) read() {
	defer close(b.gone)
	r := bufio.NewReader(b.fromChrome)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var msg cdpMessage
		if err := json.Unmarshal(raw[:len(raw)-1], &msg); err != nil {
			continue
		}
		b.mu.Lock()
		if msg.ID != 0 {
			if ch, ok := b.pending[msg.ID]; ok {
				delete(b.pending, msg.ID)
				ch <- msg
			}
		} else {
			b.events = append(b.events, msg)
			close(b.changed)
			b.changed = make(chan struct{})
		}
		b.mu.Unlock()
		if msg.Method == "Page.javascriptDialogOpening" {
			// A dialog would block the page; dismiss it (the test fails on
			// the event itself, since no report may open one).
			go b.send(msg.SessionID, "Page.handleJavaScriptDialog", map[string]any{"accept": false})
		}
	}
}

// send issues a call and returns its reply.
func (b *chromium) send(session, method string, params any) (cdpMessage, error) {
	if params == nil {
		params = struct{}{}
	}
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()

	data, err := json.Marshal(struct {
		ID        int64  `json:"id"`
		Method    string `json:"method"`
		Params    any    `json:"params"`
		SessionID string `json:"sessionId,omitempty"`
	}{id, method, params, session})
	if err != nil {
		return cdpMessage{}, err
	}
	b.writeMu.Lock()
	_, err = b.toChrome.Write(append(data, 0))
	b.writeMu.Unlock()
	if err != nil {
		return cdpMessage{}, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case msg := <-ch:
		if msg.Error != nil {
			return msg, fmt.Errorf("%s: %d %s", method, msg.Error.Code, msg.Error.Message)
		}
		return msg, nil
	case <-b.gone:
		return cdpMessage{}, fmt.Errorf("%s: chromium closed the DevTools pipe", method)
	case <-time.After(cdpTimeout):
		return cdpMessage{}, fmt.Errorf("%s: no answer from chromium within %s", method, cdpTimeout)
	}
}

// call issues a call that must succeed and decodes its result into out (if
// not nil).
func (b *chromium) call(session, method string, params, out any) {
	GinkgoHelper()
	msg, err := b.send(session, method, params)
	Expect(err).NotTo(HaveOccurred(), "chromium stderr:\n%s", b.stderrTail())
	if out != nil {
		Expect(json.Unmarshal(msg.Result, out)).To(Succeed(), "%s result: %s", method, msg.Result)
	}
}

// eventCount is a mark for waitEvent: events from here on.
func (b *chromium) eventCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// waitEvent returns the first event named method of session at or after mark.
func (b *chromium) waitEvent(session, method string, mark int) cdpMessage {
	GinkgoHelper()
	deadline := time.After(cdpTimeout)
	for {
		b.mu.Lock()
		for _, ev := range b.events[mark:] {
			if ev.Method == method && ev.SessionID == session {
				b.mu.Unlock()
				return ev
			}
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-b.gone:
			Fail(fmt.Sprintf("chromium ended while waiting for %s:\n%s", method, b.stderrTail()))
		case <-deadline:
			Fail(fmt.Sprintf("no %s from chromium within %s", method, cdpTimeout))
		}
	}
}

// eventsOf lists session's events named method, at or after mark.
func (b *chromium) eventsOf(session, method string, mark int) []cdpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []cdpMessage
	for _, ev := range b.events[mark:] {
		if ev.Method == method && ev.SessionID == session {
			out = append(out, ev)
		}
	}
	return out
}

// close asks the browser to quit, ends its process group if it does not,
// and removes its profile.
func (b *chromium) close() {
	_, _ = b.send("", "Browser.close", nil)
	select {
	case <-b.exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-b.exited
	}
	b.toChrome.Close()
	b.fromChrome.Close()
	_ = os.RemoveAll(b.profile)
}

// tab is one page of the browser, attached as a flat session.
type tab struct {
	b        *chromium
	targetID string
	session  string
	mark     int // events of this tab start here
}

// newTab opens about:blank at width x height CSS pixels, in the light colour
// scheme, with the Page, Runtime, Log and Network domains on. The tab closes
// when the spec ends.
func (b *chromium) newTab(width, height int) *tab {
	GinkgoHelper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.call("", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)
	t := &tab{b: b, targetID: created.TargetID, session: attached.SessionID, mark: b.eventCount()}
	DeferCleanup(func() { _, _ = b.send("", "Target.closeTarget", map[string]any{"targetId": t.targetID}) })

	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		t.call(domain+".enable", nil, nil)
	}
	t.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
	}, nil)
	t.call("Emulation.setEmulatedMedia", map[string]any{
		"media":    "screen",
		"features": []map[string]string{{"name": "prefers-color-scheme", "value": "light"}},
	}, nil)
	return t
}

func (t *tab) call(method string, params, out any) {
	GinkgoHelper()
	t.b.call(t.session, method, params, out)
}

// beforeLoad runs script in every document this tab loads, before the
// page's own scripts (DevTools scripts are not subject to the page's CSP).
func (t *tab) beforeLoad(script string) {
	GinkgoHelper()
	t.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": script}, nil)
}

// open navigates to path (a local file) and waits for its load event.
func (t *tab) open(path string) string {
	GinkgoHelper()
	abs, err := filepath.Abs(path)
	Expect(err).NotTo(HaveOccurred())
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	mark := t.b.eventCount()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	t.call("Page.navigate", map[string]any{"url": u}, &nav)
	Expect(nav.ErrorText).To(BeEmpty(), "navigate to %s", u)
	t.b.waitEvent(t.session, "Page.loadEventFired", mark)
	return u
}

// eval runs a JavaScript expression in the page (awaiting a promise) and
// decodes its JSON value into out.
func (t *tab) eval(expr string, out any) {
	GinkgoHelper()
	var res struct {
		Result struct {
			Type        string          `json:"type"`
			Value       json.RawMessage `json:"value"`
			Description string          `json:"description"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	t.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		Fail(fmt.Sprintf("JavaScript threw: %s %s\n%s", res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description, expr))
	}
	if out != nil {
		Expect(res.Result.Value).NotTo(BeEmpty(), "%s returned %s %s", expr, res.Result.Type, res.Result.Description)
		Expect(json.Unmarshal(res.Result.Value, out)).To(Succeed(), "%s", res.Result.Value)
	}
}

// requests lists the URLs the page asked the network stack for.
func (t *tab) requests() []string {
	var urls []string
	for _, ev := range t.b.eventsOf(t.session, "Network.requestWillBeSent", t.mark) {
		var p struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(ev.Params, &p) == nil {
			urls = append(urls, p.Request.URL)
		}
	}
	return urls
}

// problems lists what went wrong in the page: uncaught exceptions, console
// and log errors and warnings (CSP violations are logged there), dialogs.
func (t *tab) problems() []string {
	var out []string
	for _, ev := range t.b.eventsOf(t.session, "Runtime.exceptionThrown", t.mark) {
		out = append(out, "exception: "+string(ev.Params))
	}
	for _, ev := range t.b.eventsOf(t.session, "Page.javascriptDialogOpening", t.mark) {
		out = append(out, "dialog: "+string(ev.Params))
	}
	for _, ev := range t.b.eventsOf(t.session, "Log.entryAdded", t.mark) {
		var p struct {
			Entry struct {
				Level  string `json:"level"`
				Source string `json:"source"`
				Text   string `json:"text"`
			} `json:"entry"`
		}
		if json.Unmarshal(ev.Params, &p) == nil && (p.Entry.Level == "error" || p.Entry.Level == "warning") {
			out = append(out, fmt.Sprintf("log %s/%s: %s", p.Entry.Source, p.Entry.Level, p.Entry.Text))
		}
	}
	for _, ev := range t.b.eventsOf(t.session, "Runtime.consoleAPICalled", t.mark) {
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(ev.Params, &p) == nil && (p.Type == "error" || p.Type == "warning" || p.Type == "assert") {
			out = append(out, "console: "+string(ev.Params))
		}
	}
	return out
}

// screenshot captures the page from its top, beyond the viewport, down to
// maxHeight CSS pixels (or its end), as PNG.
func (t *tab) screenshot(maxHeight float64) []byte {
	GinkgoHelper()
	var metrics struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	t.call("Page.getLayoutMetrics", nil, &metrics)
	var shot struct {
		Data string `json:"data"`
	}
	t.call("Page.captureScreenshot", map[string]any{
		"format":                "png",
		"captureBeyondViewport": true,
		"clip": map[string]any{
			"x": 0, "y": 0, "scale": 1,
			"width": metrics.CSSContentSize.Width, "height": min(metrics.CSSContentSize.Height, maxHeight),
		},
	}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	Expect(err).NotTo(HaveOccurred())
	Expect(png).To(HavePrefix("\x89PNG\r\n\x1a\n"))
	return png
}

// printPDF prints the page as the browser's "Save as PDF" would, on A4.
func (t *tab) printPDF() []byte {
	GinkgoHelper()
	var out struct {
		Data string `json:"data"`
	}
	t.call("Page.printToPDF", map[string]any{
		"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": true, "preferCSSPageSize": true,
	}, &out)
	pdf, err := base64.StdEncoding.DecodeString(out.Data)
	Expect(err).NotTo(HaveOccurred())
	Expect(pdf).To(HavePrefix("%PDF-"))
	return pdf
}
