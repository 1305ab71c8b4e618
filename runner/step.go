package runner

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/match"
	"github.com/golive-cert/golive/suites"
)

// runStep sends a step's request (repeating it while it polls), then checks
// the response against the spec and the step's expectations, then captures.
func (r *Runner) runStep(ctx context.Context, ir *itemRun, st *suites.Step) *failure {
	if st.Callback != nil {
		return r.waitCallback(ctx, ir, st)
	}
	ir.scope.curOp = st.Operation
	b, err := r.buildRequest(ir.job, st.Operation, &st.Request, ir.scope.resolve)
	if err != nil {
		return &failure{status: "error", category: "integration", // the suite cannot be rendered: reported, never sent
			reason: "the request could not be built from the suite", message: fmt.Sprintf("step %s: %v", stepLabel(st), err)}
	}
	token, f := r.applyAuth(ctx, ir, st, b)
	if f != nil {
		return f
	}

	call := &stepCall{ir: ir, st: st, b: b, token: token}
	var ex *exchange
	if st.Poll != nil {
		ex, f = r.poll(ctx, call)
		if f != nil {
			return f
		}
	} else {
		// A one-shot step keeps its request slot until its response is
		// judged when the body is large: judging one (parsing, validating)
		// costs several times its size, so large bodies read but not yet
		// judged must not pile up behind the items in progress
		// (schedule.go). A small body is judged after the slot is free, so
		// the next request goes out while this one is judged.
		held := r.sched.acquire(ctx)
		if held {
			ctx = holdingSlot(ctx)
		}
		ex = r.attempt(ctx, call)
		if held {
			if len(ex.body) <= judgedInSlotAbove {
				r.sched.release()
			} else {
				defer r.sched.release()
			}
		}
	}
	if f := transportFailure(ex); f != nil {
		return f
	}
	if f := r.checkResponse(ir, st, b, ex); f != nil {
		return f
	}
	return captureFrom(ir, st, ex, ex.body)
}

// stepCall is one step's request on its way: what attempts need to repeat it.
type stepCall struct {
	ir       *itemRun
	st       *suites.Step
	b        *built
	token    string // the run token the request carries, if any
	attempts int
}

// attempt sends the built request once and records the exchange. A 401 to
// the run's token means it expired mid-run: the token is refreshed once and
// the request repeated.
func (r *Runner) attempt(ctx context.Context, c *stepCall) *exchange {
	ex := r.sendOnce(ctx, c)
	if ex.status == http.StatusUnauthorized && c.token != "" && c.ir.job.auth != nil {
		if fresh, err := c.ir.job.auth.refresh(ctx, c.token); err == nil && fresh != c.token {
			c.token = fresh
			// The first exchange keeps the header it was sent with: the
			// request is not copied per attempt (sendOnce), so its header is
			// copied before it changes.
			c.b.req.Header = c.b.req.Header.Clone()
			c.b.req.Header.Set(c.ir.job.auth.header(), c.ir.job.auth.value(fresh))
			ex = r.sendOnce(ctx, c)
		}
	}
	return ex
}

// sendOnce sends the built request as it stands. It is not cloned: send
// takes a shallow copy with its own context and body, and nothing changes the
// built request's URL or header once it has been sent except attempt, which
// replaces the header rather than editing the one an exchange shares.
func (r *Runner) sendOnce(ctx context.Context, c *stepCall) *exchange {
	c.attempts++
	ex := r.send(ctx, c.b.req, c.b.body, c.ir.job.timeout)
	ex.step, ex.attempt = c.st.Name, c.attempts
	r.learnSecrets(ex, c.ir.job.suite.Secrets)
	ex.learned = true
	c.ir.exchanges = append(c.ir.exchanges, ex)
	return ex
}

// checkResponse applies, in order: status, spec validation, headers, body.
func (r *Runner) checkResponse(ir *itemRun, st *suites.Step, b *built, ex *exchange) *failure {
	e := st.Expect
	if e.Status != nil && !e.Status.Allows(ex.status) {
		return statusFailure(st, ex, e.Status.String())
	}
	if e.Status == nil && (ex.status < 200 || ex.status > 299) {
		return statusFailure(st, ex, "2xx")
	}
	if ex.truncated && (len(e.Body) > 0 || st.Capture != nil) {
		return integrationFailure(ex,
			fmt.Sprintf("step %s: the response body is larger than golive's %d-byte cap, so it cannot be checked", stepLabel(st), r.cfg.bodyCap),
			fmt.Sprintf("a body under %d bytes", r.cfg.bodyCap), fmt.Sprintf("more than %d bytes", r.cfg.bodyCap))
	}
	valid := jsonType(ex.header) && len(ex.body) > 0 && !ex.truncated
	if valid && !gjson.ValidBytes(ex.body) {
		return integrationFailure(ex, fmt.Sprintf("step %s: the response says JSON but its body is not valid JSON", stepLabel(st)),
			"a valid JSON body", excerpt(ex.body))
	}
	if e.ValidateSchema() {
		if problem := validateResponse(ir.job, b, ex); problem != "" {
			// The document by its API name: its path is the user's machine's.
			f := integrationFailure(ex,
				fmt.Sprintf("step %s: response does not match the spec: %s", stepLabel(st), problem),
				"a response as documented in the "+ir.job.api.Name+" OpenAPI document", problem)
			f.specProblem = problem
			return f
		}
	}
	if f := checkMessage(ir, st, ex, ex.header, ex.body, valid, "response"); f != nil {
		return f
	}
	if limit := e.Latency.Duration; limit > 0 && ex.duration > limit {
		f := integrationFailure(ex, fmt.Sprintf("step %s: answered in %s, over the %s budget", stepLabel(st), roundDur(ex.duration), limit),
			"a response within "+limit.String(), roundDur(ex.duration).String())
		f.slow = true
		return f
	}
	return nil
}

// checkMessage applies the step's header and body matchers to a response or
// to a callback the partner sent. valid says the body is already known to
// be valid JSON (checkResponse has read it), so it is not scanned again.
func checkMessage(ir *itemRun, st *suites.Step, ex *exchange, header http.Header, body []byte, valid bool, what string) *failure {
	e := st.Expect
	for _, pm := range e.Headers {
		present := len(header.Values(pm.Path)) > 0
		if mm, ok := match.Evaluate(pm.Matcher, match.Header(header.Get(pm.Path), present), ir.scope.resolve); !ok {
			return integrationFailure(ex, fmt.Sprintf("step %s: header %s: %s", stepLabel(st), pm.Path, mm.Message),
				"header "+pm.Path+" "+mm.Expected, mm.Actual)
		}
	}
	if len(e.Body) > 0 && !valid && !gjson.ValidBytes(body) {
		return integrationFailure(ex, fmt.Sprintf("step %s: the %s body is not valid JSON", stepLabel(st), what),
			"a JSON body", excerpt(body))
	}
	for _, pm := range e.Body {
		res := gjson.GetBytes(body, pm.Path)
		if mm, ok := match.Evaluate(pm.Matcher, res, ir.scope.resolve); !ok {
			return integrationFailure(ex, fmt.Sprintf("step %s: %s: %s", stepLabel(st), pm.Path, mm.Message),
				pm.Path+" "+mm.Expected, mm.Actual)
		}
	}
	return nil
}

func statusFailure(st *suites.Step, ex *exchange, want string) *failure {
	f := integrationFailure(ex,
		fmt.Sprintf("step %s: expected status %s, got %d", stepLabel(st), want, ex.status),
		"status "+want, fmt.Sprintf("status %d: %s", ex.status, excerpt(ex.body)))
	if sf := serverFailure(ex); sf != nil {
		sf.message, sf.expected, sf.actual = f.message, f.expected, f.actual
		return sf
	}
	return f
}

func captureFrom(ir *itemRun, st *suites.Step, ex *exchange, body []byte) *failure {
	for _, c := range st.Capture {
		res := gjson.GetBytes(body, c.Path)
		if !res.Exists() {
			return integrationFailure(ex,
				fmt.Sprintf("step %s: nothing at %s to capture as %s", stepLabel(st), c.Path, c.Name),
				c.Path+" present", "absent in "+excerpt(body))
		}
		ir.scope.captures[c.Name] = match.Capture(res)
	}
	return nil
}

// excerpt shortens a body for messages.
func excerpt(b []byte) string {
	s := oneLine(printable(b))
	if s == "" {
		return "(empty body)"
	}
	const max = 300
	if len(s) > max {
		return s[:max] + "… (" + strconv.Itoa(len(b)) + " bytes)"
	}
	return s
}

// retryAfter reads Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func jsonType(h http.Header) bool {
	ct := strings.ToLower(h.Get("Content-Type"))
	return strings.Contains(ct, "json")
}
