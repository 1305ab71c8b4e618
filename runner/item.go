package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

// itemRun is one checklist item being executed.
type itemRun struct {
	job    *job
	item   *suites.Item
	seq    int
	scope  *scope
	result results.Item
	// exchanges are kept unmasked until the item ends, for the latency
	// review and the classifier (which looks at statuses across the run).
	exchanges []*exchange
	// failure is set when the item failed or errored.
	failure *failure
	// callbacksSeen is how many callbacks the item had recorded when it ended.
	callbacksSeen int
}

// failure says what went wrong, before the run-wide classification.
type failure struct {
	status   results.Status
	category results.Category
	reason   string
	message  string
	expected string
	actual   string
	step     string
	ex       *exchange // the exchange that failed, for the curl line
	// layer is where a transport failure broke (dns, tcp, tls, http), for
	// grouping failures into problems.
	layer string
	// serverError marks a failure caused by a 500: integration for one input,
	// system when most of the run answered 5xx (decided in classify).
	serverError bool
	// specProblem is the validator's text when the response broke the
	// document (validate.go), for grouping failures by cause (evidence.go).
	specProblem string
	// slow marks a failure caused by slowness (a hang after connecting, a
	// response over its latency): system when the target is slow across the
	// API, integration when one operation is (decided in classify, extent.go).
	slow bool
}

func (r *Runner) runItem(ctx context.Context, ir *itemRun) {
	it := ir.item
	ir.result = r.newResult(ir)
	start := time.Now()
	defer func() {
		r.closeCallbacks(ir)
		ir.result.DurationMs = time.Since(start).Milliseconds()
		r.finishItem(ir)
	}()
	if why := notRunReason(ctx, it); why != "" {
		ir.result.Status, ir.result.Message = results.Skip, why
		return
	}
	run := ctx
	ctx, cancel := context.WithTimeout(ctx, it.Timeout.Or(r.cfg.itemTimeout))
	defer cancel()
	ir.scope = newScope(r, ir)
	for _, st := range it.Steps() {
		judged := len(ir.exchanges)
		if f := r.runStep(ctx, ir, st); f != nil {
			if run.Err() != nil {
				// Cut short by Ctrl-C: not the partner's defect, and not a result.
				ir.result.Status, ir.result.Message = results.Skip, "not finished: the run was interrupted during step "+st.Name
				return
			}
			f.step = st.Name
			ir.failure = f
			return
		}
		// The step passed and its captures are taken: its bodies are not
		// needed whole any more. Letting go now, not at the item's end, keeps
		// memory flat while hundreds of items wait between steps
		// (schedule.go); a failing step's bodies stay whole for its cause.
		for _, ex := range ir.exchanges[judged:] {
			if ex.step != "token" {
				ex.shrink(rawKeep)
			}
		}
	}
	ir.result.Status = results.Pass
}

// notRunReason says why an item is not run: the suite skips it, or the run
// was interrupted before it started; "" means run it.
func notRunReason(ctx context.Context, it *suites.Item) string {
	switch {
	case it.Skip != "":
		return it.Skip
	case ctx.Err() != nil:
		return "not run: the run was interrupted"
	}
	return ""
}

// skipItem reports an item that was not run, and why.
func (r *Runner) skipItem(ir *itemRun, why string) {
	ir.result = r.newResult(ir)
	ir.result.Status, ir.result.Message = results.Skip, why
}

func (r *Runner) newResult(ir *itemRun) results.Item {
	it := ir.item
	return results.Item{
		ID:          it.ID,
		API:         ir.job.api.Name,
		Group:       it.Group,
		Title:       it.Title,
		Kind:        itemKind(it),
		Severity:    it.Severity,
		Remediation: it.Remediation,
		FAQ:         faqLink(ir.job.suite, it.FAQ),
		StartedAt:   r.timeNow(),
	}
}

// finishItem fills the result from the failure, with secrets masked.
func (r *Runner) finishItem(ir *itemRun) {
	// Callbacks arrive on their own clock: show one timeline in time order.
	sort.SliceStable(ir.exchanges, func(i, j int) bool { return ir.exchanges[i].started.Before(ir.exchanges[j].started) })
	f := ir.failure
	if f != nil {
		// Before the bodies are let go: a schema problem says what came.
		ir.result.Cause = r.causeOf(ir, f)
	}
	spent := 0 // body bytes this item's evidence keeps, against itemEvidenceBudget
	for _, ex := range ir.exchanges {
		// The failing exchange is always kept; others while the item's and
		// the run's budgets last (evidence.go).
		keep := f != nil && ex == f.ex || spent < itemEvidenceBudget && r.evidence.take(evidenceSize(ex))
		rec := r.recordKept(ex, ir.job.suite.Secrets, keep)
		spent += len(rec.Request.Body)
		if rec.Response != nil {
			spent += len(rec.Response.Body)
		}
		ir.result.Exchanges = append(ir.result.Exchanges, rec)
		// Judged and recorded: the raw body is no longer needed whole. A
		// token exchange may be shared by every item that needed the token
		// (auth.go), so it is left as it is.
		if ex.step != "token" {
			ex.shrink(rawKeep)
		}
	}
	if f == nil {
		return
	}
	ir.result.Status = f.status
	ir.result.Category = f.category
	ir.result.Reason = maskCards(r.secrets.Mask(f.reason))
	ir.result.Message = maskCards(r.secrets.Mask(oneLine(f.message)))
	ir.result.Expected = maskCards(r.secrets.Mask(f.expected))
	ir.result.Actual = maskCards(r.secrets.Mask(f.actual))
	ir.result.Step = f.step
	if f.category == results.Connection || f.category == results.System {
		ir.result.Remediation = categoryRemedy(f.category)
	}
	if f.ex != nil {
		ir.result.Curl = r.curl(f.ex)
	}
}

func faqLink(s *suites.Suite, anchor string) string {
	if anchor == "" {
		return ""
	}
	if strings.Contains(anchor, "://") || strings.HasPrefix(anchor, "docs/") {
		return anchor
	}
	base := s.FAQBase
	if base == "" {
		return "#" + anchor
	}
	return base + "#" + anchor
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// integrationFailure is the common case: the target answered, but wrongly.
func integrationFailure(ex *exchange, message, expected, actual string) *failure {
	return &failure{
		status:   results.Fail,
		category: results.Integration,
		reason:   "the target answered, but not as the spec and checklist require",
		message:  message,
		expected: expected,
		actual:   actual,
		ex:       ex,
	}
}

func stepLabel(st *suites.Step) string {
	if st.Callback != nil {
		return st.Name + " (callback)"
	}
	return fmt.Sprintf("%s (%s)", st.Name, st.Operation)
}

// categoryRemedy is what to do about a connection or system failure, whatever
// the item: these are not fixed in the integration's code.
func categoryRemedy(c results.Category) string {
	switch c {
	case results.Connection:
		return "Check that the target is reachable from where golive runs: DNS, firewall and allow-lists, the port, " +
			"and the TLS certificate (curl -v and openssl s_client show where it breaks). Then run again."
	case results.System:
		return "The target is reachable but not serving (down, in maintenance, overloaded or behind a failing gateway). " +
			"Ask the partner's operations team to restore the service, then run again; nothing in the integration needs to change for this item."
	}
	return ""
}

// itemKind is the item's shape for reports; spec-derived items say so.
func itemKind(it *suites.Item) string {
	if it.Origin.Derived() {
		return "derived"
	}
	return it.Kind()
}
