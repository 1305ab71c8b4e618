package runner

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/golive-cert/golive/results"
)

// This file decides, for every failure, whose problem it is (DESIGN.md,
// "Failure categories") and says why in one sentence:
//
//   - transportFailure: no complete HTTP exchange; diagnose says which layer
//     broke (DNS, TCP, TLS, a reset, a timeout) from the error and from how
//     far the exchange got on the wire, with golive doctor's diagnosis
//     (wire.go);
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
		slow:     d.category == results.System, // it hung after connecting
		reason:   d.why,
		layer:    d.layer,
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
//     problem: the target URL has the wrong scheme;
//   - slowness (a hang after connecting, responses over the budget) is
//     judged by its extent like a 500: system across the API, integration
//     on one operation or input (extent.go).
func classify(items []*itemRun) {
	s := surveyRun(items)
	pace := surveyExtent(items)
	for _, ir := range items {
		f := ir.failure
		if f == nil || ir.result.Status == results.Skip {
			continue
		}
		ex := f.ex
		switch {
		case f.slow:
			pace.judgeSlow(ir)
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
