package runner

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golive-cert/golive/results"
)

// This file decides, for every failure, whose problem it is (DESIGN.md,
// "Failure categories") and says why in one sentence:
//
//   - transportFailure: no complete HTTP exchange; diagnose says which layer
//     broke (DNS, TCP, TLS, a reset, a timeout) from the error and from how
//     far the exchange got on the wire (wireTrace);
//   - serverFailure: a response that says the target is not serving;
//   - classify: the run-wide second look, which sees every item at once.
//
// docs/diagnosis.md lists every message; keep the two in step.

// transportFailure classifies an exchange that broke before a complete
// response came back: connection trouble, or a system that accepted the
// connection but did not answer in time.
func transportFailure(ex *exchange) *failure {
	if ex == nil || ex.err == nil {
		return nil
	}
	d := diagnose(ex)
	expected := "an HTTP response"
	if ex.status != 0 {
		expected = "the complete response body"
	}
	return &failure{
		status:   d.status,
		category: d.category,
		reason:   d.why,
		message:  fmt.Sprintf("%s %s: %s", ex.req.Method, ex.req.URL.Redacted(), d.what),
		expected: expected,
		actual:   d.what,
		ex:       ex,
	}
}

// describeTransport says in words what happened on the wire, for the
// exchange's evidence.
func describeTransport(ex *exchange) string { return diagnose(ex).what }

// serverFailure classifies a response that says the target is not serving:
// 502/503/504 and 429 are system issues, and so is any 5xx that is an HTML
// maintenance page; another 5xx is provisionally an integration defect,
// revisited with the whole run in view (classify).
func serverFailure(ex *exchange) *failure {
	if ex == nil || ex.status == 0 {
		return nil
	}
	switch {
	case isGatewayStatus(ex.status):
		return &failure{status: results.Error, category: results.System, ex: ex,
			reason: notServing(ex) + ": it is reachable but not serving"}
	case ex.status >= 500 && looksLikeMaintenance(ex):
		return &failure{status: results.Error, category: results.System, ex: ex,
			reason: notServing(ex) + ": the page says the service is unavailable, so it is reachable but not serving"}
	case ex.status >= 500:
		return &failure{status: results.Fail, category: results.Integration, serverError: true, ex: ex,
			reason: fmt.Sprintf("the target answered %d on this request: a defect for this input", ex.status)}
	}
	return nil
}

// isGatewayStatus: the answers of a target that is up but refuses to serve
// now (a gateway without a backend, maintenance, overload, rate limit).
func isGatewayStatus(status int) bool {
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return true
	}
	return false
}

// notServing describes a not-serving answer: "the target answered 503
// Service Unavailable with Retry-After: 120 and an HTML page where JSON was
// expected (a maintenance page or a gateway error)". It holds no body text,
// so it needs no masking.
func notServing(ex *exchange) string {
	why := fmt.Sprintf("the target answered %d %s", ex.status, http.StatusText(ex.status))
	if ra := strings.TrimSpace(ex.header.Get("Retry-After")); ra != "" {
		why += " with Retry-After: " + oneLine(ra)
	}
	if isHTML(ex) {
		why += " and an HTML page where JSON was expected (a maintenance page or a gateway error)"
	}
	return why
}

func isHTML(ex *exchange) bool {
	return strings.Contains(strings.ToLower(ex.header.Get("Content-Type")), "text/html")
}

// looksLikeMaintenance: an HTML page that says the service is down. golive
// always asks for JSON (Accept: application/json), so an HTML answer comes
// from something in front of the API, not from the API.
func looksLikeMaintenance(ex *exchange) bool {
	if !isHTML(ex) {
		return false
	}
	body := strings.ToLower(printable(ex.body))
	for _, word := range []string{"maintenance", "temporarily unavailable", "service unavailable", "be back soon", "down for"} {
		if strings.Contains(body, word) {
			return true
		}
	}
	return false
}

// classify takes the second look, with the whole run in view:
//   - a 500 is an integration defect of one input while the rest of the API
//     answers; when most operations answer nothing but 5xx, it is the target
//     being down (system);
//   - a 502/503/504 that most operations share says the target is down or
//     in maintenance, and the reason says how widely;
//   - an HTML maintenance page where JSON was expected is a system issue
//     whatever its status (a 200 maintenance page fails the schema checks,
//     but it is not the integration's defect);
//   - a 400 saying "plain HTTP sent to an HTTPS port" is a connection
//     problem: the target URL has the wrong scheme.
func classify(items []*itemRun) {
	s := surveyRun(items)
	for _, ir := range items {
		f := ir.failure
		if f == nil || ir.result.Status == results.Skip {
			continue
		}
		ex := f.ex
		switch {
		case f.serverError && s.mostlyDown():
			setCategory(ir, results.Error, results.System, fmt.Sprintf(
				"%s answered only 5xx (%d of %d responses): the target looks down, not defective on one input",
				s.downText(), s.serverResponses, s.responses))
		case f.serverError && s.answered > s.down:
			ir.result.Reason = fmt.Sprintf("the target answered %d on this request while %s: a defect for this input, not an outage",
				ex.status, s.healthyText())
		case f.serverError:
			ir.result.Reason = fmt.Sprintf("the target answered %d on this request and nothing else in the run answered without a 5xx, "+
				"but %d response(s) are too few to call it an outage: treated as a defect for this input", ex.status, s.responses)
		case f.category == results.System && ex != nil && isGatewayStatus(ex.status) && s.down*2 > s.answered:
			ir.result.Reason = fmt.Sprintf("%s answered only 5xx; this one %s: the target looks down%s",
				s.downText(), strings.TrimPrefix(notServing(ex), "the target "), forMaintenance(ex))
		case f.category == results.Integration && ex != nil && ex.status != 0 && ex.err == nil && looksLikeMaintenance(ex):
			setCategory(ir, results.Error, results.System, fmt.Sprintf(
				"the target answered %d with an HTML maintenance page where JSON was expected: something in front of the API is serving instead of it",
				ex.status))
		case f.category == results.Integration && ex != nil && ex.status == http.StatusBadRequest && plainHTTPToTLSPort(ex):
			setCategory(ir, results.Error, results.Connection,
				"the target's port expects TLS but golive spoke plain HTTP: the target URL must start with https://")
		}
	}
}

// forMaintenance adds "for maintenance" when the answers say so.
func forMaintenance(ex *exchange) string {
	if ex.status == http.StatusServiceUnavailable && (ex.header.Get("Retry-After") != "" || looksLikeMaintenance(ex)) {
		return " for maintenance"
	}
	return ""
}

func setCategory(ir *itemRun, status results.Status, c results.Category, reason string) {
	ir.result.Status = status
	ir.result.Category = c
	ir.result.Reason = reason
	ir.result.Remediation = categoryRemedy(c)
}

// plainHTTPToTLSPort recognises the 400 that Go, nginx and others send when
// a plain HTTP request reaches a TLS port.
func plainHTTPToTLSPort(ex *exchange) bool {
	body := strings.ToLower(printable(ex.body))
	return strings.Contains(body, "http request to an https server") ||
		strings.Contains(body, "plain http request was sent to https port")
}

// runSurvey is what the run's responses say about the target as a whole.
type runSurvey struct {
	responses       int // responses (any status), each exchange counted once
	serverResponses int // of which 5xx
	answered        int // operations that answered at least once
	down            int // of which answered nothing but 5xx
}

func surveyRun(items []*itemRun) runSurvey {
	type tally struct{ ok, server int }
	ops := map[string]*tally{}
	seen := map[*exchange]bool{} // a failed token exchange is shared by many items
	var s runSurvey
	for _, ir := range items {
		for _, ex := range ir.exchanges {
			if ex.status == 0 || seen[ex] {
				continue
			}
			seen[ex] = true
			key := operationOf(ir, ex)
			t := ops[key]
			if t == nil {
				t = &tally{}
				ops[key] = t
			}
			s.responses++
			if ex.status >= 500 {
				s.serverResponses++
				t.server++
			} else {
				t.ok++
			}
		}
	}
	for _, t := range ops {
		s.answered++
		if t.ok == 0 {
			s.down++
		}
	}
	return s
}

// mostlyDown: more than half of the operations that answered gave nothing
// but 5xx. Counting operations, not responses, keeps one broken operation
// that many items call (an integration defect) from looking like an outage.
func (s runSurvey) mostlyDown() bool { return s.responses >= 3 && s.down*2 > s.answered }

// downText: "18 of 20 operations", "the only operation called".
func (s runSurvey) downText() string {
	if s.answered == 1 {
		return "the only operation called"
	}
	return fmt.Sprintf("%d of %d operations", s.down, s.answered)
}

func (s runSurvey) healthyText() string {
	return fmt.Sprintf("the rest of the API answers (%d of %d operations gave non-5xx answers)", s.answered-s.down, s.answered)
}

// operationOf names the operation an exchange called, so the survey can
// count operations rather than requests.
func operationOf(ir *itemRun, ex *exchange) string {
	api := ir.job.api.Name
	if auth := ir.job.suite.Auth; auth != nil && ex.step == "token" {
		return api + "." + auth.Operation
	}
	for _, st := range ir.item.Steps() {
		if st.Name == ex.step && st.Operation != "" {
			return api + "." + st.Operation
		}
	}
	return api + " " + ex.req.Method + " " + ex.req.URL.Path
}

// diagnosis is what broke on the wire, and whose problem it is.
type diagnosis struct {
	status   results.Status
	category results.Category
	what     string // what happened, for the message and the evidence
	why      string // why this category, in one sentence
}

func connection(what, why string) diagnosis {
	return diagnosis{status: results.Error, category: results.Connection, what: what, why: why}
}

func system(what, why string) diagnosis {
	return diagnosis{status: results.Error, category: results.System, what: what, why: why}
}

// The reasons, one per kind of trouble; docs/diagnosis.md quotes them.
const (
	whyDNS        = "no HTTP exchange happened: the target's host name does not resolve (DNS)"
	whyRefused    = "no HTTP exchange happened: nothing accepts connections at the target's address and port (service down, wrong port, or a firewall rejecting)"
	whyNoRoute    = "no HTTP exchange happened: the network has no route to the target (routing, VPN or firewall)"
	whyConnect    = "no HTTP exchange happened: the TCP connection could not be established in time (a firewall dropping packets, routing, or the wrong address)"
	whyTLS        = "no HTTP exchange happened: the TLS handshake or the target's certificate failed"
	whyTLSStall   = "no HTTP exchange happened: TCP connected but the TLS handshake stalled (a TLS-inspecting firewall, or a port that does not speak TLS)"
	whyBroken     = "the connection broke before the response was complete: a proxy, load balancer or crash cut it"
	whyNoAnswer   = "the target accepted the connection and the request but did not answer in time: it is reachable but not serving"
	whyStalled    = "the target started answering, then stopped sending: it is reachable but not serving"
	whyInterrupt  = "the run was interrupted while this request was on its way"
	whyUnexpected = "no complete HTTP exchange happened"
)

// diagnose reads the transport error of an exchange together with how far
// the exchange got (wireTrace): a bare "context deadline exceeded" means a
// connect timeout before the TCP handshake and a silent server after it.
func diagnose(ex *exchange) diagnosis {
	err := ex.err
	w := ex.wire.snapshot()
	host := ex.req.URL.Hostname()
	addr := w.addr
	if addr == "" {
		addr = hostPort(ex.req.URL)
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		// Only the run's own context is ever cancelled (item and request
		// timeouts are deadlines): the operator stopped the run, so the item
		// is not finished rather than failed.
		return diagnosis{status: results.Skip, what: "not finished: the run was interrupted", why: whyInterrupt}
	case ex.status != 0:
		return brokenBody(ex)
	case errors.As(err, &dnsErr):
		return connection(describeDNS(dnsErr), whyDNS)
	}
	if what, ok := describeTLS(err, host, addr); ok {
		return connection(what, whyTLS)
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return connection(fmt.Sprintf("TCP connect to %s refused", dialAddr(err, addr)), whyRefused)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return connection(fmt.Sprintf("TCP connect to %s failed: no route to the host", dialAddr(err, addr)), whyNoRoute)
	case isTimeout(err):
		return timedOut(ex, w, host, addr)
	case errors.Is(err, syscall.ECONNRESET) && w.wrote:
		return connection("connection reset by the target after the request was sent, before any response", whyBroken)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return connection("connection reset by the target while the request was being sent", whyBroken)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return connection("the target closed the connection without answering (EOF after the request was sent)", whyBroken)
	}
	return connection("the HTTP exchange broke: "+innerError(err), whyUnexpected)
}

// timedOut tells apart the layers a deadline can cut: the DNS lookup, the
// TCP connect, the TLS handshake (connection issues: nothing was served),
// and the wait for an answer after connecting (a system issue).
func timedOut(ex *exchange, w wirePhases, host, addr string) diagnosis {
	within := waited(ex)
	switch {
	case w.dnsStarted && !w.dnsDone:
		return connection(fmt.Sprintf("DNS lookup of %s did not finish within %s", host, within), whyDNS)
	case !w.connected && (w.connectStarted || isDialTimeout(ex.err)):
		return connection(fmt.Sprintf("TCP connect to %s timed out after %s", dialAddr(ex.err, addr), within), whyConnect)
	case !w.connected:
		return connection(fmt.Sprintf("no connection to %s within %s", addr, within), whyConnect)
	case ex.req.URL.Scheme == "https" && !w.tlsDone:
		return connection(fmt.Sprintf("TLS handshake with %s did not finish within %s", addr, within), whyTLSStall)
	case !w.wrote:
		return system(fmt.Sprintf("connected to %s, but the request could not be sent within %s", addr, within), whyNoAnswer)
	}
	return system(fmt.Sprintf("no response within the request timeout: connected, but no response headers within %s", within), whyNoAnswer)
}

// brokenBody: the status line and headers came, the body did not.
func brokenBody(ex *exchange) diagnosis {
	n := len(ex.body)
	cut := fmt.Sprintf("body cut at %d bytes", n)
	if cl := ex.header.Get("Content-Length"); cl != "" {
		cut += " of " + cl + " announced"
	}
	switch {
	case isTimeout(ex.err):
		return system(fmt.Sprintf("status %d came, then the body stalled after %d bytes: no more data within %s", ex.status, n, waited(ex)), whyStalled)
	case errors.Is(ex.err, syscall.ECONNRESET):
		return connection(fmt.Sprintf("connection reset after the status line (%d): %s", ex.status, cut), whyBroken)
	case errors.Is(ex.err, io.ErrUnexpectedEOF), errors.Is(ex.err, io.EOF):
		return connection(fmt.Sprintf("connection closed after the status line (%d): %s", ex.status, cut), whyBroken)
	}
	return connection(fmt.Sprintf("the body broke after the status line (%d): %s: %s", ex.status, cut, innerError(ex.err)), whyBroken)
}

// waited is how long the exchange waited before it was cut: the request
// timeout when its own deadline fired, else what was measured (another
// timer, such as the transport's or the item's, fired first).
func waited(ex *exchange) time.Duration {
	if ex.timeout > 0 && errors.Is(ex.err, context.DeadlineExceeded) {
		if dl, ok := ex.req.Context().Deadline(); !ok || dl.Sub(ex.started) > ex.timeout-50*time.Millisecond {
			return ex.timeout
		}
	}
	return roundDur(ex.duration)
}

func describeDNS(e *net.DNSError) string {
	var s string
	switch {
	case e.IsNotFound:
		s = fmt.Sprintf("DNS: %s does not resolve (no such host)", e.Name)
	case e.IsTimeout:
		s = fmt.Sprintf("DNS lookup of %s timed out", e.Name)
	default:
		s = fmt.Sprintf("DNS lookup of %s failed: %s", e.Name, e.Err)
	}
	if e.Server != "" {
		s += " (name server " + e.Server + ")"
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.As(err, &ne) && ne.Timeout()
}

func isDialTimeout(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Timeout()
}

// dialAddr is the address a failed dial went to, when the error says.
func dialAddr(err error, fallback string) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return fallback
}

func hostPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// innerError drops the `Get "URL": ` that net/http puts in front: the URL is
// already in the message, masked.
func innerError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// wireTrace records how far an exchange got on the wire. Its callbacks run
// on the transport's goroutines, some after the request has returned (a dial
// finishes in the background), hence the lock.
type wireTrace struct {
	mu sync.Mutex
	p  wirePhases
}

// wirePhases is a snapshot of a wireTrace.
type wirePhases struct {
	addr           string // the address TCP connected (or tried to connect) to
	dnsStarted     bool
	dnsDone        bool
	connectStarted bool
	connected      bool // TCP is up (or a kept-alive connection was reused)
	tlsDone        bool // the TLS handshake succeeded (or was not needed)
	wrote          bool // the whole request was written
}

func (t *wireTrace) snapshot() wirePhases {
	if t == nil {
		return wirePhases{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p
}

func (t *wireTrace) update(f func(p *wirePhases)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f(&t.p)
}

// traceWire attaches t to the request's context. The trace stops recording
// when that context ends (the deadline fired, or send returned), so a dial
// that completes in the background afterwards cannot change the diagnosis.
func traceWire(ctx context.Context, t *wireTrace) context.Context {
	set := func(f func(p *wirePhases)) {
		if ctx.Err() == nil {
			t.update(f)
		}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { set(func(p *wirePhases) { p.dnsStarted = true }) },
		DNSDone:  func(httptrace.DNSDoneInfo) { set(func(p *wirePhases) { p.dnsDone = true }) },
		ConnectStart: func(_, addr string) {
			set(func(p *wirePhases) { p.connectStarted, p.addr = true, addr })
		},
		ConnectDone: func(_, addr string, err error) {
			if err == nil {
				set(func(p *wirePhases) { p.connected, p.addr = true, addr })
			}
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				set(func(p *wirePhases) { p.tlsDone = true })
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			set(func(p *wirePhases) {
				p.connected, p.tlsDone = true, true
				if p.addr == "" && info.Conn != nil {
					p.addr = info.Conn.RemoteAddr().String()
				}
			})
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				set(func(p *wirePhases) { p.wrote = true })
			}
		},
	})
}

// scrub masks every item again once the run is over, with every secret the
// run has learned. Two things slip through the per-item masking otherwise:
// a value at a secret JSON path is learned when the item that received it is
// recorded, possibly after another item that echoed it; and the message,
// expected and actual texts quote bodies, where card numbers must be masked
// as they are in the recorded bodies.
func (r *Runner) scrub(items []*itemRun) {
	clean := func(s string) string { return maskCards(r.secrets.Mask(s)) }
	for _, ir := range items {
		res := &ir.result
		res.Reason, res.Message = clean(res.Reason), clean(res.Message)
		res.Expected, res.Actual = clean(res.Expected), clean(res.Actual)
		res.Curl = clean(res.Curl)
		for i := range res.Notes {
			res.Notes[i] = clean(res.Notes[i])
		}
		for i := range res.Exchanges {
			ex := &res.Exchanges[i]
			ex.Request.URL, ex.Request.Body, ex.Error = clean(ex.Request.URL), clean(ex.Request.Body), clean(ex.Error)
			scrubHeaders(ex.Request.Headers, clean)
			if ex.Response != nil {
				ex.Response.Body = clean(ex.Response.Body)
				scrubHeaders(ex.Response.Headers, clean)
			}
		}
	}
}

func scrubHeaders(h map[string]string, clean func(string) string) {
	for k, v := range h {
		h[k] = clean(v)
	}
}
