package uat

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// gradeInput is what grading needs besides the tracker.
type gradeInput struct {
	apis       []string
	catalog    *catalog
	partner    string
	baseURL    string
	version    string
	started    time.Time
	finished   time.Time
	reason     EndReason
	live       bool
	tlsServed  bool
	source     string // HAR: the recording graded
	deadlineIn time.Duration
}

// grade turns the session's traffic into a results document.
func (s *Session) grade(reason EndReason, finished time.Time) *results.Run {
	return s.tracker.grade(gradeInput{apis: s.cfg.APIs, catalog: s.catalog, partner: s.cfg.Partner,
		baseURL: s.base, version: s.cfg.Version, started: s.started, finished: finished, reason: reason,
		live: true, tlsServed: s.tracker.tlsOnly})
}

func (t *tracker) grade(in gradeInput) *results.Run {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.apis {
		a.recountSeconds()
	}
	run := &results.Run{
		Schema:      results.Schema,
		Tool:        results.Tool{Name: "golive", Version: in.version},
		RunID:       "uat-" + strings.ToLower(rand.Text()[:16]),
		Target:      results.Target{Partner: in.partner, BaseURL: in.baseURL, Environment: "uat"},
		StartedAt:   in.started.UTC(),
		FinishedAt:  in.finished.UTC(),
		DurationMs:  in.finished.Sub(in.started).Milliseconds(),
		Interrupted: in.reason == EndInterrupted,
	}
	for _, name := range in.apis {
		api := in.catalog.apis[name]
		run.APIs = append(run.APIs, results.API{Name: name, Title: api.Doc.Info.Title, Version: api.Doc.Info.Version,
			OpenAPI: api.Doc.OpenAPI, Spec: api.Source, SpecSHA256: api.SHA256,
			Suite: "builtin:client." + name, SuiteSHA256: checklistSHA256(name)})
		g := &apiGrader{t: t, a: t.api(name), in: in}
		for _, item := range Checklist(name) {
			run.Items = append(run.Items, g.item(item))
		}
	}
	run.Summary = results.Summarize(run.Items)
	run.Verdict = results.Decide(run.Items, run.Interrupted)
	switch in.reason {
	case EndDeadline:
		run.Verdict.Reason += "; the session ended at its deadline"
	case EndInterrupted:
		run.Verdict.Reason = "the session was interrupted (Ctrl-C, or the hub stopping) before it ended; " + run.Verdict.Reason
	}
	return run
}

// apiGrader grades one API's items; t.mu is held.
type apiGrader struct {
	t  *tracker
	a  *apiTrack
	in gradeInput
}

// outcome is an item's result before it becomes a results.Item.
type outcome struct {
	status   results.Status
	category results.Category
	message  string
	expected string
	actual   string
	curl     string
	notes    []string
	evidence []*Exchange
}

func pass(msg string) outcome { return outcome{status: results.Pass, message: msg} }
func skip(msg string) outcome { return outcome{status: results.Skip, message: msg} }

func fail(msg, expected, actual string, ev ...[]*Exchange) outcome {
	o := outcome{status: results.Fail, category: results.Integration, message: msg, expected: expected, actual: actual}
	for _, e := range ev {
		o.evidence = append(o.evidence, e...)
	}
	return o
}

func (g *apiGrader) item(it Item) results.Item {
	o := g.decide(it)
	out := results.Item{
		ID: it.ID, API: g.a.name, Group: it.Group, Title: it.Title, Kind: "client",
		Severity: it.Severity, Status: o.status, Message: o.message, Expected: o.expected, Actual: o.actual,
		Curl: o.curl, Remediation: it.Remediation, FAQ: FAQFile + "#" + it.FAQ,
		StartedAt: g.in.started.UTC(), Notes: o.notes,
	}
	if o.status == results.Fail || o.status == results.Error {
		out.Category = o.category
		out.Reason = map[results.Category]string{
			results.Connection:  "no HTTP exchange with the partner's client happened",
			results.Integration: "the partner's client did not behave as the client checklist says",
		}[o.category]
	}
	for _, ex := range o.evidence {
		if len(out.Exchanges) == maxExamples {
			break
		}
		if ex != nil {
			out.Exchanges = append(out.Exchanges, resultExchange(ex))
		}
	}
	return out
}

func (g *apiGrader) decide(it Item) outcome {
	a := g.a
	if it.Key == KeyTraffic {
		return g.traffic()
	}
	if a.exchanges == 0 || (!g.in.live && a.calls == 0) {
		return skip("not judged: no traffic from the client for this API")
	}
	if it.LiveOnly && !g.in.live {
		return skip("needs a live session (golive uat): a recording alone cannot decide this item")
	}
	switch it.Key {
	case KeyTokenFirst:
		if a.noToken.n > 0 {
			return fail(fmt.Sprintf("%d secured call(s) without a valid token", a.noToken.n),
				"every secured call carries Authorization: Bearer <token from POST /v1/token>",
				"answered 401: no token, or one the API never issued", a.noToken.ex)
		}
		return pass("every secured call carried a token")
	case KeyTokenReuse:
		return g.tokenReuse()
	case KeyTokenRefresh:
		return g.tokenRefresh()
	case KeyValidRequests:
		if a.invalid.n > 0 {
			return fail(fmt.Sprintf("%d request(s) break the API specification", a.invalid.n),
				"every request valid against the OpenAPI document", strings.Join(a.invalidList, "\n"), a.invalid.ex)
		}
		return pass("every request was valid against the specification")
	case KeyCheckStatus:
		return g.checkStatus()
	case KeyPollRate, KeyPollStops:
		return g.polling(it.Key)
	case KeyRetryAfter:
		return g.retryAfter()
	case KeyNewReference:
		if a.reused.n > 0 {
			return fail(fmt.Sprintf("%d orderReference(s) reused for a different payment", a.reused.n),
				"a new orderReference for every payment", "the same orderReference with another amount, currency or payer", a.reused.ex)
		}
		return g.ifPayments(pass("every payment had its own orderReference"))
	case KeyRetrySameRef:
		if len(a.timeouts) == 0 {
			return g.notPlayed(CaseTimeout)
		}
		if a.second.n > 0 {
			return fail(fmt.Sprintf("%d second payment(s) created after a timeout", a.second.n),
				"the retry reuses the orderReference of the payment that timed out",
				"a new orderReference for the same payer and amount: the payer is charged twice", a.second.ex)
		}
		return pass("no second payment after a timeout")
	case KeyDataAccuracy:
		if n := a.mismatch.n + a.unknownRef.n; n > 0 {
			return fail(fmt.Sprintf("%d step(s) disagree with what was initiated", n),
				"preview, initiate and status queries carry the same amount, currency, payer and orderReference",
				fmt.Sprintf("%d preview/initiate mismatch(es), %d status query(ies) of references never initiated", a.mismatch.n, a.unknownRef.n),
				a.mismatch.ex, a.unknownRef.ex)
		}
		return g.ifPayments(pass("every step agreed with what was initiated"))
	case KeyCallbackAck, KeyCallbackTamper, KeyCallbackDup:
		return g.callbacks(it.Key)
	case KeyUnknownState:
		return g.unknownState()
	case KeyCredsInURL:
		if a.credsInURL.n > 0 {
			return fail(fmt.Sprintf("%d request(s) carried credentials in the URL", a.credsInURL.n),
				"credentials in headers only", "credentials in the path or query string (masked in this report)", a.credsInURL.ex)
		}
		return pass("no credentials in any URL")
	case KeyTLS:
		return g.tls()
	case KeyCasesComplete:
		var todo []string
		for _, c := range Cases(a.name, g.t.timing) {
			if !a.seen[c.Kind] {
				todo = append(todo, c.ID+" ("+c.Title+")")
			}
		}
		if len(todo) > 0 {
			msg := fmt.Sprintf("%d of %d cases not played", len(todo), len(caseKinds()))
			if g.in.reason == EndDeadline {
				msg += " before the deadline"
			}
			return fail(msg, "every case of the UAT case list played", "to do: "+strings.Join(todo, "; "))
		}
		return pass("every case was played")
	}
	return skip("not graded")
}

func (g *apiGrader) traffic() outcome {
	if !g.in.live {
		// A recording is graded by what the client did with the API: token
		// requests alone (which every API shares) are not its traffic.
		if g.a.calls > 0 {
			return pass(fmt.Sprintf("%d exchange(s) recorded", g.a.exchanges))
		}
		actual := "none"
		if g.a.exchanges > 0 {
			actual = fmt.Sprintf("only %d token request(s) (POST /v1/token)", g.a.exchanges)
		}
		return outcome{status: results.Fail, category: results.Connection,
			message:  "the recording holds no request of the " + g.a.name + " API",
			expected: "the client's calls to the " + g.a.name + " API: " + g.flow(), actual: actual}
	}
	if g.a.exchanges > 0 {
		return pass(fmt.Sprintf("%d exchange(s) recorded", g.a.exchanges))
	}
	host, port := hostPort(g.in.baseURL)
	return outcome{status: results.Error, category: results.Connection,
		message:  "no request from the partner's client reached the session",
		expected: "the client's calls at " + g.in.baseURL, actual: "no traffic at all",
		curl: fmt.Sprintf("telnet %s %s\ncurl -v -X POST %s/v1/token -H 'client-id: <client id>' -H 'api-key: <api key>'",
			host, port, g.in.baseURL)}
}

func (g *apiGrader) tokenReuse() outcome {
	issued, single := 0, 0
	for _, u := range g.t.tokens {
		if !u.issued {
			continue
		}
		issued++
		if u.uses <= 1 {
			single++
		}
	}
	if issued == 0 {
		return g.lacking("no token was issued", "a token request (POST /v1/token)")
	}
	if issued >= 3 && single*2 > issued {
		return fail(fmt.Sprintf("%d of %d tokens were used for at most one call", single, issued),
			"one token reused until it expires", fmt.Sprintf("%d tokens for %d secured calls", issued, g.a.secured))
	}
	return pass(fmt.Sprintf("%d token(s) for %d secured call(s)", issued, g.a.secured))
}

func (g *apiGrader) tokenRefresh() outcome {
	exp := g.t.allExpiries()
	if len(exp) == 0 {
		return g.notPlayed(CaseTokenExpiry)
	}
	var o outcome
	for _, e := range exp {
		switch {
		case e.reused > 0:
			o = fail("the client sent an expired token again after the 401",
				"a new token from POST /v1/token, then the call repeated",
				fmt.Sprintf("%s sent %d more time(s) after it was refused", e.label, e.reused), []*Exchange{e.ex, e.reuse})
		case !e.refreshed && o.status != results.Fail:
			o = fail("after the 401 the client never made a secured call with a new token",
				"a new token from POST /v1/token, then the call repeated", "no further secured call", []*Exchange{e.ex})
		}
	}
	if o.status == results.Fail {
		o.notes = g.simulatedNote(exp)
		return o
	}
	o = pass(fmt.Sprintf("a new token after each of %d expiry(ies)", len(exp)))
	o.notes = g.simulatedNote(exp)
	return o
}

func (g *apiGrader) simulatedNote(exp []*expiry) []string {
	for _, e := range exp {
		if e.simulated {
			return []string{"The 401 answers were the session's scripted expiry (case " + g.a.name + "." + CaseTokenExpiry + "), not a fault of the partner."}
		}
	}
	return nil
}

func (g *apiGrader) checkStatus() outcome {
	var missing, pending []string
	var ev []*Exchange
	total := 0
	for _, p := range g.sortedPayments() {
		if !p.created || p.clientGone {
			continue // payments whose answer was lost belong to unknown-state
		}
		total++
		if p.finalSeen {
			continue
		}
		if g.in.live && p.settleBy.After(g.in.finished.Add(-2*g.t.timing.MinPollInterval)) {
			pending = append(pending, p.ref)
			continue
		}
		line := p.ref
		if p.acked {
			line += " (callback acknowledged, never confirmed by a status query)"
		} else if p.queries > 0 {
			line += fmt.Sprintf(" (%d status query(ies), none saw the final state)", p.queries)
		} else {
			line += " (never queried)"
		}
		missing = append(missing, line)
		if len(ev) < maxExamples && p.firstEx != nil {
			ev = append(ev, p.firstEx)
		}
	}
	if total == 0 {
		return g.lacking("no payment was initiated", g.initiation())
	}
	var notes []string
	if len(pending) > 0 {
		notes = append(notes, fmt.Sprintf("Still PROCESSING when the session ended (not counted): %s", strings.Join(pending, ", ")))
	}
	if len(missing) > 0 {
		o := fail(fmt.Sprintf("%d of %d payments: the client never learned the final state", len(missing), total),
			"status queries by orderReference until SUCCESS or FAILED for every payment",
			joinCapped(missing), ev)
		o.notes = notes
		return o
	}
	o := pass(fmt.Sprintf("the final state of all %d payment(s) was queried", total-len(pending)))
	o.notes = notes
	return o
}

func (g *apiGrader) polling(key string) outcome {
	var bad []string
	var ev []*Exchange
	queried := 0
	for _, p := range g.sortedPayments() {
		if p.queries > 0 {
			queried++
		}
		switch {
		case key == KeyPollRate && p.fastPolls >= 2:
			bad = append(bad, fmt.Sprintf("%s: %d of %d queries sooner than %s after the previous one", p.ref, p.fastPolls, p.queries, g.t.timing.MinPollInterval))
			ev = append(ev, p.pollEx.ex...)
		case key == KeyPollStops && p.afterFinal >= 2:
			bad = append(bad, fmt.Sprintf("%s: %d queries after the status was final", p.ref, p.afterFinal))
			ev = append(ev, p.afterEx.ex...)
		}
	}
	if queried == 0 {
		// Not a pass either way: without a status query check-status fails
		// (a payment never queried, or, in a recording, none initiated).
		return skip("not judged: no status query")
	}
	if len(bad) > 0 {
		if key == KeyPollRate {
			return fail(fmt.Sprintf("%d payment(s) polled faster than the documented pace", len(bad)),
				fmt.Sprintf("at least %s between two status queries of one payment", g.t.timing.MinPollInterval), joinCapped(bad), ev)
		}
		return fail(fmt.Sprintf("%d payment(s) polled after the final status", len(bad)),
			"no status query once SUCCESS or FAILED was seen", joinCapped(bad), ev)
	}
	return pass(fmt.Sprintf("%d payment(s) polled at a good pace", queried))
}

func (g *apiGrader) retryAfter() outcome {
	if len(g.a.windows) == 0 {
		return g.notPlayed(CaseMaintenance)
	}
	o := pass(fmt.Sprintf("Retry-After honoured in %d 503 window(s)", len(g.a.windows)))
	for _, w := range g.a.windows {
		if w.early.n > 0 {
			o = fail(fmt.Sprintf("%d retry(ies) before the Retry-After time", w.early.n),
				fmt.Sprintf("the retry after %s at the earliest", w.retryAfter),
				"retried "+w.ref+" inside the maintenance window", append([]*Exchange{w.first}, w.early.ex...))
			break
		}
	}
	o.notes = append(o.notes, g.outageNote())
	return o
}

func (g *apiGrader) outageNote() string {
	return "The 503 answers were the session's simulated maintenance window (case " + g.a.name + "." + CaseMaintenance + "): an outage golive scripted, not a fault of the partner."
}

func (g *apiGrader) unknownState() outcome {
	var bad []string
	var ev []*Exchange
	for _, p := range g.a.timeouts {
		if !p.askedAgain {
			bad = append(bad, p.ref+": its answer timed out and the client never asked about it again")
			if p.firstEx != nil {
				ev = append(ev, p.firstEx)
			}
		}
	}
	for _, w := range g.a.windows {
		if !w.recovered {
			bad = append(bad, w.ref+": answered 503 and never retried")
			ev = append(ev, w.first)
		}
	}
	if len(g.a.timeouts) == 0 && len(g.a.windows) == 0 {
		if !g.in.live {
			return skip("needs a live session (golive uat): the recording has no timeout and no 503")
		}
		return g.notPlayed(CaseTimeout)
	}
	if len(bad) > 0 {
		o := fail(fmt.Sprintf("%d payment(s) given up in an unknown state", len(bad)),
			"after a timeout a status query (or a retry) by the same orderReference; after a 503 a retry later",
			joinCapped(bad), ev)
		if len(g.a.windows) > 0 {
			o.notes = []string{g.outageNote()}
		}
		return o
	}
	return pass("every payment with a lost answer was followed up")
}

func (g *apiGrader) callbacks(key string) outcome {
	kind := map[string]string{KeyCallbackAck: CallbackGenuine, KeyCallbackTamper: CallbackTampered, KeyCallbackDup: CallbackDuplicate}[key]
	d := g.a.deliveries[kind]
	if d == nil || d.n == 0 {
		if !g.a.callbackURL {
			return skip("not exercised: no payment gave a callbackUrl (case " + g.a.name + "." + CaseCallback + ")")
		}
		return skip("not exercised: no callback was due before the session ended")
	}
	switch {
	case key == KeyCallbackTamper && d.bad.n > 0:
		return fail(fmt.Sprintf("%d tampered callback(s) accepted", d.bad.n),
			"a non-2xx answer (400 or 401): the checksum does not match", "2xx: the receiver did not verify the checksum", d.bad.ex)
	case key == KeyCallbackTamper:
		return pass(fmt.Sprintf("%d tampered callback(s) refused", d.n))
	case d.err.n > 0 && d.bad.n == 0:
		o := fail(fmt.Sprintf("%d %s callback(s) got no answer", d.err.n, kind),
			"the receiver at the callbackUrl answers", "no answer (connection refused, reset or timed out)", d.err.ex)
		o.category = results.Connection
		return o
	case d.bad.n > 0 || d.err.n > 0:
		want := fmt.Sprintf("2xx within %s", g.t.timing.AckBudget)
		if key == KeyCallbackDup {
			want = "2xx again for a callback already processed"
		}
		return fail(fmt.Sprintf("%d of %d %s callback(s) not acknowledged as expected", d.bad.n+d.err.n, d.n, kind),
			want, "an error status, a late answer or none", d.bad.ex, d.err.ex)
	}
	return pass(fmt.Sprintf("%d %s callback(s) acknowledged", d.n, kind))
}

func (g *apiGrader) tls() outcome {
	if g.in.live && !g.in.tlsServed {
		return skip("not judged: the session served plain HTTP (start it with --tls-cert and --tls-key)")
	}
	if !g.in.live && g.t.tlsN == 0 {
		return skip("not judged: the recording was made over plain HTTP (a local test setup)")
	}
	if g.t.plainN > 0 {
		return fail(fmt.Sprintf("%d request(s) without TLS", g.t.plainN), "https:// only", "plain http://", g.t.plain)
	}
	return pass("every request used TLS")
}

func (g *apiGrader) notPlayed(kind string) outcome {
	if !g.in.live {
		return skip("needs a live session (golive uat): the recording does not exercise it")
	}
	return skip("not exercised: case " + g.a.name + "." + kind + " was not played")
}

func (g *apiGrader) ifPayments(o outcome) outcome {
	for _, p := range g.a.payments {
		if p.created {
			return o
		}
	}
	return g.lacking("no payment was initiated", g.initiation())
}

// lacking is the outcome of an item the traffic gave nothing to judge by
// (what says what was missing, need the traffic the item needs). A live
// session skips it: its cases-complete item holds the client to the whole
// case list. A recording has no such item, so the item fails: certifying a
// recording that never showed the flow would certify untested code.
func (g *apiGrader) lacking(what, need string) outcome {
	if g.in.live {
		return skip("not judged: " + what)
	}
	return fail("cannot be judged: the recording lacks the traffic this item needs ("+what+")",
		"a recording of the client's whole flow: "+g.flow(), "missing: "+need)
}

// initiation names the API's payment-initiating request.
func (g *apiGrader) initiation() string {
	return "a payment initiated (POST /v1/" + g.a.name + "/...)"
}

// flow is the traffic a recording needs for every item it can decide.
func (g *apiGrader) flow() string {
	return "POST /v1/token, then POST /v1/" + g.a.name + "/... to initiate payments, then GET /v1/" +
		g.a.name + "/{orderReference} until SUCCESS or FAILED"
}

func (g *apiGrader) sortedPayments() []*payment {
	out := make([]*payment, 0, len(g.a.payments))
	for _, p := range g.a.payments {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].createdAt.Before(out[j].createdAt) })
	return out
}

func resultExchange(ex *Exchange) results.Exchange {
	step := ex.Operation
	if ex.Callback != "" {
		step = ex.Callback + " callback"
	}
	if ex.Simulated != "" {
		step += " (simulated: case " + ex.API + "." + ex.Simulated + ")"
	}
	out := results.Exchange{Step: step, Attempt: int(ex.Seq), StartedAt: ex.StartedAt,
		DurationMs: int64(ex.DurationMs),
		Request:    results.Request{Method: ex.Method, URL: ex.URL, Headers: ex.RequestHeaders, Body: ex.RequestBody},
		Error:      ex.Error}
	if ex.Status != 0 {
		out.Response = &results.Response{Status: ex.Status, Headers: ex.ResponseHeaders, Body: ex.ResponseBody,
			Truncated: ex.ResponseTruncated}
	}
	if ex.ClientGone {
		out.Error = "the client went away before the answer (it timed out)"
	}
	return out
}

// joinCapped lists lines for an item's actual value, at most 50 of them.
func joinCapped(lines []string) string {
	const max = 50
	if len(lines) <= max {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:max], "\n") + fmt.Sprintf("\n... and %d more", len(lines)-max)
}

func hostPort(base string) (string, string) {
	u, err := url.Parse(base)
	if err != nil {
		return base, ""
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return u.Host, map[string]string{"https": "443"}[u.Scheme]
	}
	return host, port
}
