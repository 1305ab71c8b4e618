package runner

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/golive-cert/golive/callbacks"
	"github.com/golive-cert/golive/match"
	"github.com/golive-cert/golive/suites"
)

// Poll defaults, used where a suite leaves them out.
const (
	defaultPollInterval = time.Second
	defaultPollDeadline = 60 * time.Second
	defaultPollMax      = 10 * time.Second
)

// poll repeats a step while the target says "not yet": a 2xx whose body does
// not satisfy until, or a transient 429/502/503/504; either may say when to
// come back with Retry-After, which is honoured. Anything else ends the poll
// and is judged by the step's expectations. The wait between attempts grows
// by the backoff factor and never overshoots the deadline, so no time is
// wasted after the deadline is known to be missed; it holds no request slot.
//
// When an earlier step handed out a callback URL, the callback arriving
// ends the wait at once: the partner says the state changed, and one status
// query confirms it, so a flow finishes when the partner does rather than on
// the poll's schedule. A wait a 429/502/503/504 asked for is not cut short:
// the target said it cannot serve sooner.
func (r *Runner) poll(ctx context.Context, c *stepCall) (*exchange, *failure) {
	ir, st := c.ir, c.st
	p := st.Poll
	interval := p.Interval.Or(defaultPollInterval)
	maxInterval := p.MaxInterval.Or(defaultPollMax)
	backoff := p.Backoff
	if backoff < 1 {
		backoff = 1
	}
	deadlineAfter := p.Deadline.Or(defaultPollDeadline)
	start := time.Now()
	deadline := start.Add(deadlineAfter)
	// No attempt starts after the deadline, and none (a token refresh's
	// repeat included) runs past it by more than one request timeout.
	actx, cancel := context.WithDeadline(ctx, deadline.Add(ir.job.timeout))
	defer cancel()

	var last *exchange
	var lastSeen string
	wake := callbackWake(ir.scope.slot)
	for {
		ex := r.attempt(actx, c)
		last = ex
		// Only the first, the previous and this attempt keep their bodies
		// while the poll goes on: memory stays flat however long it runs.
		shrinkPoll(ir, st.Name)
		if ex.err != nil {
			return ex, nil // transport failures are judged by the caller
		}
		wait := interval
		unavailable := false
		switch {
		case ex.status >= 200 && ex.status < 300:
			done, seen := untilHolds(p.Until, ex.body, ir.scope)
			if done {
				return ex, nil
			}
			lastSeen = seen
			wait = max(wait, retryAfter(ex.header, time.Now()))
		case ex.status == http.StatusTooManyRequests || ex.status == http.StatusBadGateway ||
			ex.status == http.StatusServiceUnavailable || ex.status == http.StatusGatewayTimeout:
			wait = max(wait, retryAfter(ex.header, time.Now()))
			lastSeen = fmt.Sprintf("status %d", ex.status)
			unavailable = true
		default:
			return ex, nil
		}
		remaining := time.Until(deadline)
		if remaining <= 0 || ctx.Err() != nil {
			break
		}
		if wait > remaining {
			wait = remaining
		}
		woken := wake.sleep(ctx, wait, !unavailable)
		if ctx.Err() != nil {
			break
		}
		if !woken {
			// The schedule resumes where it was after a wake: the
			// confirming query is an extra, not a step of the backoff.
			interval = min(time.Duration(float64(interval)*backoff), maxInterval)
		}
	}
	if f := serverFailure(last); f != nil && last.status >= 500 {
		f.message = fmt.Sprintf("step %s: still %s after %s of polling (%d attempts)", stepLabel(st), lastSeen, roundDur(time.Since(start)), c.attempts)
		return last, f
	}
	f := integrationFailure(last,
		fmt.Sprintf("step %s: %s stayed %s for %s (%d attempts): the check-status flow never reaches a final state",
			stepLabel(st), untilPaths(p.Until), lastSeen, roundDur(time.Since(start)), c.attempts),
		"within "+deadlineAfter.String()+": "+untilText(p.Until, ir.scope),
		lastSeen)
	f.reason = fmt.Sprintf("%s stayed %s for %s: the check-status flow never reaches a final state",
		untilPaths(p.Until), lastSeen, roundDur(time.Since(start)))
	if ctx.Err() != nil {
		f.reason = "polling was cut short by the item timeout or an interrupt"
		f.message = fmt.Sprintf("step %s: polling stopped by the item timeout or an interrupt while %s was %s", stepLabel(st), untilPaths(p.Until), lastSeen)
	}
	return last, f
}

// pollWake ends a poll's wait when the item's callback arrives.
type pollWake struct {
	slot *callbacks.Slot // nil: no callback to wait for
	next int             // the number of the callback that wakes the poll
}

// callbackWake watches slot for callbacks not yet arrived: one that came
// before the poll started is already answered by its first attempt.
func callbackWake(slot *callbacks.Slot) *pollWake {
	w := &pollWake{slot: slot}
	if slot != nil {
		kept, dropped := slot.Deliveries()
		w.next = len(kept) + dropped
	}
	return w
}

// sleep waits for d, or ctx, or (when wakeable) the next callback, and
// reports whether a callback ended it.
func (w *pollWake) sleep(ctx context.Context, d time.Duration, wakeable bool) bool {
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if w.slot == nil || !wakeable {
		<-sctx.Done()
		return false
	}
	if _, ok := w.slot.WaitFor(sctx, w.next); !ok {
		return false
	}
	w.next++
	return true
}

// untilHolds reports whether every until-condition holds, and what the first
// path showed (for the message when it never does).
func untilHolds(until suites.PathMatchers, body []byte, sc *scope) (bool, string) {
	seen := ""
	for i, pm := range until {
		res := gjson.GetBytes(body, pm.Path)
		if i == 0 {
			seen = match.Describe(res)
		}
		if _, ok := match.Evaluate(pm.Matcher, res, sc.resolve); !ok {
			return false, match.Describe(res)
		}
	}
	return true, seen
}

func untilPaths(until suites.PathMatchers) string {
	var paths []string
	for _, pm := range until {
		paths = append(paths, pm.Path)
	}
	return strings.Join(paths, ", ")
}

func untilText(until suites.PathMatchers, sc *scope) string {
	var parts []string
	for _, pm := range until {
		m := pm.Matcher
		switch {
		case m.OneOf != nil:
			var words []string
			for _, v := range m.OneOf {
				s, _ := v.RenderString(sc.resolve)
				words = append(words, s)
			}
			parts = append(parts, pm.Path+" one of "+strings.Join(words, ", "))
		case m.Equals != nil:
			s, _ := m.Equals.RenderString(sc.resolve)
			parts = append(parts, pm.Path+" = "+s)
		default:
			parts = append(parts, pm.Path+" as required")
		}
	}
	return strings.Join(parts, " and ")
}

func roundDur(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
