package browsertest

// Package browsertest drives a real headless Chromium for the tests of every
// page a person reads (report.html, the hub's pages): over the DevTools
// protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on file
// descriptors 3 and 4), so a test needs no client library and opens no port.
// It is test support: it fails the running Ginkgo spec on any error.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// ---------------------------------------------------------------------------
// External tools

// RequireTool returns the path of an external program the test needs. When it
// is missing the test fails under CI=true (CI must install it: .ci/run does)
// and is skipped on a developer's machine, with the way to install it.
func RequireTool(name, install string) string {
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

// ArtifactDir is where tests leave files for people to look at
// (screenshots, the print PDF): $GOLIVE_ARTIFACTS, else
// $TMPDIR/golive-artifacts. Each file's path is printed in the test output.
func ArtifactDir() string {
	GinkgoHelper()
	dir := os.Getenv("GOLIVE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "golive-artifacts")
	}
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	return dir
}

// SaveArtifact writes data to ArtifactDir()/name and reports the path.
func SaveArtifact(name string, data []byte) string {
	GinkgoHelper()
	path := filepath.Join(ArtifactDir(), name)
	Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
	AddReportEntry("artifact "+name, path)
	return path
}

// ---------------------------------------------------------------------------
// Chromium over the DevTools protocol

// Timeout bounds every DevTools call and every wait for an event: a safety
// net against a hung browser, not a performance assertion.
const Timeout = 60 * time.Second

type CDPError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type Message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *CDPError       `json:"error,omitempty"`
}

// Browser is one headless browser process.
type Browser struct {
	cmd     *exec.Cmd
	profile string
	toChrome,
	fromChrome *os.File
	stderr *bytes.Buffer
	exited chan struct{} // closed when the process has ended

	writeMu sync.Mutex

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan Message
	events  []Message
	changed chan struct{} // closed and replaced whenever events grows
	gone    chan struct{} // closed when the pipe from Chrome closes
}

// chromiumFlags keeps the browser quiet and local: no first-run, sync,
// component updates, background networking or QUIC, and a proxy on a closed
// loopback port plus a resolver that resolves nothing, so that even a request
// the report should never make could not leave 127.0.0.1.
func chromiumFlags(profile string, loopback bool) []string {
	hosts := "MAP * ~NOTFOUND"
	if loopback {
		hosts += ", EXCLUDE 127.0.0.1" // the server under test only
	}
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
		"--host-resolver-rules=" + hosts,
		"--user-data-dir=" + profile,
		"--remote-debugging-pipe",
		"about:blank",
	}
}

// Start starts a headless browser with a new profile.
func Start(bin string, loopback bool) *Browser {
	GinkgoHelper()
	home, err := os.MkdirTemp("", "golive-Browser-")
	Expect(err).NotTo(HaveOccurred())
	profile := filepath.Join(home, "profile")

	// fd 3: what Chrome reads; fd 4: what it writes.
	chromeIn, toChrome, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())
	fromChrome, chromeOut, err := os.Pipe()
	Expect(err).NotTo(HaveOccurred())

	b := &Browser{
		profile:    home,
		toChrome:   toChrome,
		fromChrome: fromChrome,
		stderr:     &bytes.Buffer{},
		exited:     make(chan struct{}),
		pending:    map[int64]chan Message{},
		changed:    make(chan struct{}),
		gone:       make(chan struct{}),
	}
	b.cmd = exec.Command(bin, chromiumFlags(profile, loopback)...)
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
	b.Call("", "Browser.getVersion", nil, &version)
	fmt.Fprintf(GinkgoWriter, "Browser: %s (%s)\n", version.Product, bin)
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

func (b *Browser) StderrTail() string {
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
func (b *Browser) read() {
	defer close(b.gone)
	r := bufio.NewReader(b.fromChrome)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			return
		}
		var msg Message
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
			go b.Send(msg.SessionID, "Page.handleJavaScriptDialog", map[string]any{"accept": false})
		}
	}
}

// Send issues a call and returns its reply.
func (b *Browser) Send(session, method string, params any) (Message, error) {
	if params == nil {
		params = struct{}{}
	}
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan Message, 1)
	b.pending[id] = ch
	b.mu.Unlock()

	data, err := json.Marshal(struct {
		ID        int64  `json:"id"`
		Method    string `json:"method"`
		Params    any    `json:"params"`
		SessionID string `json:"sessionId,omitempty"`
	}{id, method, params, session})
	if err != nil {
		return Message{}, err
	}
	b.writeMu.Lock()
	_, err = b.toChrome.Write(append(data, 0))
	b.writeMu.Unlock()
	if err != nil {
		return Message{}, fmt.Errorf("%s: %w", method, err)
	}
	select {
	case msg := <-ch:
		if msg.Error != nil {
			return msg, fmt.Errorf("%s: %d %s", method, msg.Error.Code, msg.Error.Message)
		}
		return msg, nil
	case <-b.gone:
		return Message{}, fmt.Errorf("%s: Browser closed the DevTools pipe", method)
	case <-time.After(Timeout):
		return Message{}, fmt.Errorf("%s: no answer from Browser within %s", method, Timeout)
	}
}

// Call issues a call that must succeed and decodes its result into out (if
// not nil).
func (b *Browser) Call(session, method string, params, out any) {
	GinkgoHelper()
	msg, err := b.Send(session, method, params)
	Expect(err).NotTo(HaveOccurred(), "Browser stderr:\n%s", b.StderrTail())
	if out != nil {
		Expect(json.Unmarshal(msg.Result, out)).To(Succeed(), "%s result: %s", method, msg.Result)
	}
}

// EventCount is a mark for waitEvent: events from here on.
func (b *Browser) EventCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// WaitEvent returns the first event named method of session at or after mark.
func (b *Browser) WaitEvent(session, method string, mark int) Message {
	GinkgoHelper()
	deadline := time.After(Timeout)
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
			Fail(fmt.Sprintf("Browser ended while waiting for %s:\n%s", method, b.StderrTail()))
		case <-deadline:
			Fail(fmt.Sprintf("no %s from Browser within %s", method, Timeout))
		}
	}
}

// EventsOf lists session's events named method, at or after mark.
func (b *Browser) EventsOf(session, method string, mark int) []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Message
	for _, ev := range b.events[mark:] {
		if ev.Method == method && ev.SessionID == session {
			out = append(out, ev)
		}
	}
	return out
}

// Close asks the browser to quit, ends its process group if it does not,
// and removes its profile.
func (b *Browser) Close() {
	_, _ = b.Send("", "Browser.close", nil)
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

// Tab is one page of the browser, attached as a flat session.
type Tab struct {
	b        *Browser
	targetID string
	session  string
	mark     int // events of this Tab start here
}

// NewTab opens about:blank at width x height CSS pixels, in the light colour
// scheme, with the Page, Runtime, Log and Network domains on. The Tab closes
// when the spec ends.
func (b *Browser) NewTab(width, height int) *Tab {
	GinkgoHelper()
	var created struct {
		TargetID string `json:"targetId"`
	}
	b.Call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &created)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.Call("", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached)
	t := &Tab{b: b, targetID: created.TargetID, session: attached.SessionID, mark: b.EventCount()}
	DeferCleanup(func() { _, _ = b.Send("", "Target.closeTarget", map[string]any{"targetId": t.targetID}) })

	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		t.Call(domain+".enable", nil, nil)
	}
	t.Call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
	}, nil)
	t.Call("Emulation.setEmulatedMedia", map[string]any{
		"media":    "screen",
		"features": []map[string]string{{"name": "prefers-color-scheme", "value": "light"}},
	}, nil)
	return t
}

// Session is the tab's DevTools session, for Browser.WaitEvent and EventsOf.
func (t *Tab) Session() string { return t.session }

// Call is Browser.Call in the tab's session.
func (t *Tab) Call(method string, params, out any) {
	GinkgoHelper()
	t.b.Call(t.session, method, params, out)
}

// BeforeLoad runs script in every document this Tab loads, before the
// page's own scripts (DevTools scripts are not subject to the page's CSP).
func (t *Tab) BeforeLoad(script string) {
	GinkgoHelper()
	t.Call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": script}, nil)
}

// Open navigates to path (a local file) and waits for its load event.
func (t *Tab) Open(path string) string {
	GinkgoHelper()
	abs, err := filepath.Abs(path)
	Expect(err).NotTo(HaveOccurred())
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	mark := t.b.EventCount()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	t.Call("Page.navigate", map[string]any{"url": u}, &nav)
	Expect(nav.ErrorText).To(BeEmpty(), "navigate to %s", u)
	t.b.WaitEvent(t.session, "Page.loadEventFired", mark)
	return u
}

// Eval runs a JavaScript expression in the page (awaiting a promise) and
// decodes its JSON value into out.
func (t *Tab) Eval(expr string, out any) {
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
	t.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		Fail(fmt.Sprintf("JavaScript threw: %s %s\n%s", res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description, expr))
	}
	if out != nil {
		Expect(res.Result.Value).NotTo(BeEmpty(), "%s returned %s %s", expr, res.Result.Type, res.Result.Description)
		Expect(json.Unmarshal(res.Result.Value, out)).To(Succeed(), "%s", res.Result.Value)
	}
}

// Requests lists the URLs the page asked the network stack for.
func (t *Tab) Requests() []string {
	var urls []string
	for _, ev := range t.b.EventsOf(t.session, "Network.requestWillBeSent", t.mark) {
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

// Problems lists what went wrong in the page: uncaught exceptions, console
// and log errors and warnings (CSP violations are logged there), dialogs.
func (t *Tab) Problems() []string {
	var out []string
	for _, ev := range t.b.EventsOf(t.session, "Runtime.exceptionThrown", t.mark) {
		out = append(out, "exception: "+string(ev.Params))
	}
	for _, ev := range t.b.EventsOf(t.session, "Page.javascriptDialogOpening", t.mark) {
		out = append(out, "dialog: "+string(ev.Params))
	}
	for _, ev := range t.b.EventsOf(t.session, "Log.entryAdded", t.mark) {
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
	for _, ev := range t.b.EventsOf(t.session, "Runtime.consoleAPICalled", t.mark) {
		var p struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(ev.Params, &p) == nil && (p.Type == "error" || p.Type == "warning" || p.Type == "assert") {
			out = append(out, "console: "+string(ev.Params))
		}
	}
	return out
}

// Screenshot captures the page from its top, beyond the viewport, down to
// maxHeight CSS pixels (or its end), as PNG.
func (t *Tab) Screenshot(maxHeight float64) []byte {
	GinkgoHelper()
	var metrics struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}
	t.Call("Page.getLayoutMetrics", nil, &metrics)
	var shot struct {
		Data string `json:"data"`
	}
	t.Call("Page.captureScreenshot", map[string]any{
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

// Visit navigates to an http(s) URL and waits for its load event.
func (t *Tab) Visit(u string) {
	GinkgoHelper()
	mark := t.b.EventCount()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	t.Call("Page.navigate", map[string]any{"url": u}, &nav)
	Expect(nav.ErrorText).To(BeEmpty(), "navigate to %s", u)
	t.b.WaitEvent(t.session, "Page.loadEventFired", mark)
}

// PrintPDF prints the page as the browser's "Save as PDF" would, on A4.
func (t *Tab) PrintPDF() []byte {
	GinkgoHelper()
	var out struct {
		Data string `json:"data"`
	}
	t.Call("Page.printToPDF", map[string]any{
		"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": true, "preferCSSPageSize": true,
	}, &out)
	pdf, err := base64.StdEncoding.DecodeString(out.Data)
	Expect(err).NotTo(HaveOccurred())
	Expect(pdf).To(HavePrefix("%PDF-"))
	return pdf
}
