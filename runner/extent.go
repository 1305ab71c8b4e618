package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// This file judges slowness by its extent, the way classify judges 5xx
// (docs/diagnosis.md, "Slowness"): a target that is slow or hangs across
// the API is not serving well (system, nothing in the integration to
// change); one operation, or one input of it, that hangs or is slow while
// the rest of the API answers in time is a defect of that operation
// (integration, naming it). A failure is "slow" when the request hung
// after connecting (no response headers, or a body that stalled, within
// the timeout), when a step's response missed its latency, or when a
// latency review found responses over the budget.

// pace is what one exchange says about how fast the target serves.
type pace int

const (
	unjudged pace = iota // no answer and no hang (a refused connection, a reset), or not a request golive sent
	inTime               // answered within the latency budget
	tooSlow              // answered over the budget, or hung after connecting
)

// paceOf judges one exchange against its API's latency budget.
func paceOf(ir *itemRun, ex *exchange) pace {
	if ex.wire == nil {
		// Callbacks are the partner's requests to golive: they say nothing
		// about how fast the partner answers.
		return unjudged
	}
	if ex.err != nil {
		// Only a hang after the connection was made is slowness; DNS, TCP
		// and TLS failures are connection problems, judged elsewhere.
		if diagnose(ex).category == results.System {
			return tooSlow
		}
		return unjudged
	}
	if ex.status == 0 {
		return unjudged
	}
	if ex.duration > ir.job.latencyBudget {
		return tooSlow
	}
	return inTime
}

// opPace counts one operation's exchanges by pace.
type opPace struct {
	api, label   string // label: the operationId, or "METHOD /path" when unknown
	inTime, slow int
}

// extent is what the run's exchanges with one target (a base URL) say about
// its speed, operation by operation.
type extent struct {
	ops map[string]*opPace // by operationOf
}

// extents holds an extent per target base URL: a webhook receiver at its
// own URL is judged apart from the partner's API.
type extents map[string]*extent

func surveyExtent(items []*itemRun) extents {
	out := extents{}
	seen := map[*exchange]bool{} // a hung token request is shared by many items
	for _, ir := range items {
		for _, ex := range ir.exchanges {
			if seen[ex] {
				continue
			}
			seen[ex] = true
			p := paceOf(ir, ex)
			if p == unjudged {
				continue
			}
			e := out.of(ir)
			key := operationOf(ir, ex)
			op := e.ops[key]
			if op == nil {
				op = &opPace{api: ir.job.api.Name, label: operationLabel(ir, ex)}
				e.ops[key] = op
			}
			if p == tooSlow {
				op.slow++
			} else {
				op.inTime++
			}
		}
	}
	return out
}

func (x extents) of(ir *itemRun) *extent {
	base := ir.job.base.String()
	e := x[base]
	if e == nil {
		e = &extent{ops: map[string]*opPace{}}
		x[base] = e
	}
	return e
}

// slowOps lists the labels of the operations with at least one slow or hung
// exchange, sorted; api "" means every API at this target.
func (e *extent) slowOps(api string) []string {
	var out []string
	for _, op := range e.ops {
		if op.slow > 0 && (api == "" || op.api == api) {
			out = append(out, op.label)
		}
	}
	sort.Strings(out)
	return out
}

// acrossTheAPI: more than half of the operations judged were slow or hung
// at least once. Counting operations, not requests, keeps one operation that
// hangs on one input, and that many items call, from looking like a slow
// target; counting any slow exchange, not only operations that were never
// in time, keeps an overloaded target that answers some requests in time
// from looking like many defects. With one operation judged there is no rest
// of the API to compare with, and its slowness is the target's.
func (e *extent) acrossTheAPI() bool {
	return len(e.slowOps(""))*2 > len(e.ops)
}

// spread: "7 of 7 operations answered over the 2s budget or hung at least once".
func (e *extent) spread(budget time.Duration) string {
	return fmt.Sprintf("%d of %d operations answered over the %s budget or hung at least once", len(e.slowOps("")), len(e.ops), budget)
}

// judgeSlow classifies a failure caused by slowness, with the run in view.
func (x extents) judgeSlow(ir *itemRun) {
	e := x.of(ir)
	budget := ir.job.latencyBudget
	if e.acrossTheAPI() {
		if ir.item.Latency == nil && ir.result.Category == results.System {
			// A hang already carries the diagnosis's reason: keep it, and
			// say how widely the target hangs.
			ir.result.Reason += fmt.Sprintf(" (%s: slow across the API)", e.spread(budget))
			return
		}
		setCategory(ir, results.Error, results.System, e.spread(budget)+
			": the target is slow across the API, not on one operation or one input")
		return
	}
	// The rest of the API answers in time: the slowness belongs to the
	// operation, and the item's own remediation applies.
	ir.result.Status = results.Fail
	ir.result.Category = results.Integration
	ir.result.Remediation = ir.item.Remediation
	healthy := fmt.Sprintf("the rest of the API answers in time (%d of %d operations never over the %s budget)",
		len(e.ops)-len(e.slowOps("")), len(e.ops), budget)
	if ir.item.Latency != nil {
		ops := e.slowOps(ir.job.api.Name)
		if len(ops) == 0 {
			// The review's own budget is tighter than the API's: nothing
			// was slow by the API's measure, so its reason stands.
			return
		}
		ir.result.Reason = fmt.Sprintf("only %s answered over the budget or hung, while %s: slow operations, a defect to fix in %s, not an outage",
			strings.Join(ops, ", "), healthy, them(len(ops)))
		return
	}
	op := operationLabel(ir, ir.failure.ex)
	what := "was slow on this request"
	if ir.failure.ex != nil && ir.failure.ex.err != nil {
		what = "hung on this request"
	}
	ir.result.Reason = fmt.Sprintf("%s %s while %s: the operation is slow or hangs on this input, a defect to fix in it, not an outage",
		op, what, healthy)
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// operationLabel names the operation an exchange called, for a reader: the
// operationId with its method and path ("initiateUssdPush (POST
// /v1/collections/ussd-push)"), or the method and path when no operation is
// known (a suite's custom step).
func operationLabel(ir *itemRun, ex *exchange) string {
	if ex == nil {
		return "the operation"
	}
	id := ""
	if auth := ir.job.suite.Auth; auth != nil && ex.step == "token" {
		id = auth.Operation
	}
	for _, st := range ir.item.Steps() {
		if id == "" && st.Name == ex.step {
			id = st.Operation
		}
	}
	if op := ir.job.api.Operation(id); op != nil {
		return fmt.Sprintf("%s (%s %s)", id, op.Method, op.Path)
	}
	return ex.req.Method + " " + ex.req.URL.Path
}
