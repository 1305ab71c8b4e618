package bench

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/suites"
)

// The critical-path measurements (issue 17): each is a wall time or a slack
// set against its floor, the least the work itself allows, so a ratio near 1
// says the runner adds nothing of its own.

// CriticalResult gathers the critical-path measurements.
type CriticalResult struct {
	NeverFinal    *NeverFinalResult
	Settle        *SettleResult
	CallbackSlack *CallbackSlackResult
	Marginal      *MarginalResult
}

// MeasureCritical makes the three critical-path measurements, and the
// overhead figure's split into per-run and per-request costs (the overhead
// figure itself is the sandbox section's). Quick cuts the checklists' 30 s
// poll deadlines to 5 s for never-final, and the split's repetitions.
func MeasureCritical(ctx context.Context, quick bool, logf func(string, ...any)) (*CriticalResult, error) {
	var (
		res      CriticalResult
		err      error
		deadline time.Duration // the checklists' own
	)
	if quick {
		deadline = 5 * time.Second
	}
	logf("demo --fault never-final at the default concurrency (poll deadline %s)...", orShipped(deadline))
	if res.NeverFinal, err = MeasureNeverFinal(ctx, deadline); err != nil {
		return nil, fmt.Errorf("never-final: %w", err)
	}
	logf("100 flows polling things that settle after 2s, at the default concurrency...")
	if res.Settle, err = MeasureSettle(ctx, 100, 2*time.Second); err != nil {
		return nil, fmt.Errorf("settle: %w", err)
	}
	logf("poll slack after the callback arrives (16 flows, settling after 1s, polling every 5s)...")
	if res.CallbackSlack, err = MeasureCallbackSlack(ctx, 16, time.Second, 5*time.Second); err != nil {
		return nil, fmt.Errorf("callback slack: %w", err)
	}
	runs := 10
	if quick {
		runs = 3
	}
	logf("golive's cost per run and per further request, against the plain loop's...")
	if res.Marginal, err = MeasureMarginal(ctx, 20, 400, runs); err != nil {
		return nil, fmt.Errorf("marginal overhead: %w", err)
	}
	return &res, nil
}

func orShipped(d time.Duration) string {
	if d == 0 {
		return "as shipped"
	}
	return d.String()
}

// NeverFinalResult is `golive demo --fault never-final` at the default
// concurrency: every flow polls an order that never settles until its poll
// deadline, so the floor is one poll deadline.
type NeverFinalResult struct {
	Concurrency int
	Items       int
	Failed      int           // items that did not pass (the flows, as they should)
	Deadline    time.Duration // the longest poll deadline: the floor
	Wall        time.Duration
}

// Ratio is the wall time over the floor.
func (r *NeverFinalResult) Ratio() float64 { return ratio(r.Wall, r.Deadline) }

// MeasureNeverFinal certifies a never-final sandbox (orders settle after
// 300 ms otherwise, as in the demo) with the built-in checklists at the
// default concurrency. deadline > 0 cuts every poll deadline to it (quick
// runs); 0 keeps the checklists' own.
func MeasureNeverFinal(ctx context.Context, deadline time.Duration) (*NeverFinalResult, error) {
	sb, err := sandbox.New(sandbox.WithFault(sandbox.FaultNeverFinal), sandbox.WithSettleAfter(300*time.Millisecond))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	jobs, err := builtinJobs(ctx)
	if err != nil {
		return nil, err
	}
	res := &NeverFinalResult{Concurrency: max(4, 2*runtime.NumCPU())}
	for _, j := range jobs {
		for _, it := range j.Suite.Items {
			for _, st := range it.Steps() {
				if st.Poll == nil {
					continue
				}
				if deadline > 0 {
					st.Poll.Deadline.Duration = deadline
				}
				res.Deadline = max(res.Deadline, st.Poll.Deadline.Duration)
			}
		}
	}
	p, err := build(ctx, srv.URL, jobs, sandboxVars(), certify.Options{})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	run, err := p.Run(ctx, nil)
	if err != nil {
		return nil, err
	}
	res.Wall = time.Since(start)
	res.Items = len(run.Items)
	res.Failed = res.Items - run.Summary.Passed
	return res, nil
}

// SettleResult is n flows, each polling its own thing, against a target
// whose things all become final a fixed time after they are first asked
// for, at the default concurrency. The floor is that settle time.
type SettleResult struct {
	Items       int
	Concurrency int
	Settle      time.Duration // the floor
	Schedule    Schedule
	Wall        time.Duration
	Passed      int
}

// Ratio is the wall time over the floor.
func (r *SettleResult) Ratio() float64 { return ratio(r.Wall, r.Settle) }

// MeasureSettle runs n polling flows on a fixed 300 ms schedule (so the
// schedule alone adds at most 300 ms past the settle time) against things
// that become final settle after their first request.
func MeasureSettle(ctx context.Context, n int, settle time.Duration) (*SettleResult, error) {
	api, err := loadSpecBytes(ctx, "mini.yaml", miniSpec)
	if err != nil {
		return nil, err
	}
	sch := Schedule{Name: "fixed 300ms", Interval: 300 * time.Millisecond, Backoff: 1, MaxInterval: 300 * time.Millisecond}
	f := &flipper{after: map[string]time.Duration{}, first: map[string]time.Time{}, seen: map[string]time.Time{}, calls: map[string]int{}}
	var ids []string
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("settle-%03d", i)
		f.after[id] = settle
		ids = append(ids, id)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	// The deadline leaves room for the old one-item-per-worker schedule,
	// which needs n / concurrency settle times.
	p, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: pollFlows(ids, sch, 10*time.Minute)}}, nil, certify.Options{})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	run, err := p.Run(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &SettleResult{Items: n, Concurrency: max(4, 2*runtime.NumCPU()), Settle: settle, Schedule: sch,
		Wall: time.Since(start), Passed: run.Summary.Passed}, nil
}

// CallbackSlackResult is how long a polling flow goes on waiting after the
// partner's callback has told golive the order is final: from the callback's
// arrival at golive's receiver to the status query that sees the final
// state. The floor is zero; the budget is 50 ms.
type CallbackSlackResult struct {
	Flows     int
	Settle    time.Duration // when the sandbox settles and calls back
	Interval  time.Duration // the poll's fixed interval, far longer than Settle
	Mean, Max time.Duration
	Measured  int // flows that saw both the callback and the final status
	Passed    int
}

// CallbackSlackBudget is what issue 17 allows after the callback arrives.
const CallbackSlackBudget = 50 * time.Millisecond

// MeasureCallbackSlack runs flows copies of the collections checklist's
// callback flow (initiate with a callbackUrl, poll the status, take the
// callback) against a sandbox that settles and calls back after settle,
// polling every interval.
func MeasureCallbackSlack(ctx context.Context, flows int, settle, interval time.Duration) (*CallbackSlackResult, error) {
	sb, err := sandbox.New(sandbox.WithSettleAfter(settle))
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(sb)
	defer srv.Close()
	jobs, err := builtinJobs(ctx)
	if err != nil {
		return nil, err
	}
	job := jobs[0] // collections
	var flow *suites.Item
	for _, it := range job.Suite.Items {
		if it.ID == "COL-023" {
			flow = it
		}
	}
	if flow == nil {
		return nil, fmt.Errorf("the collections checklist has no COL-023 callback flow")
	}
	for _, st := range flow.Flow {
		if st.Poll != nil {
			st.Poll.Interval.Duration, st.Poll.MaxInterval.Duration, st.Poll.Backoff = interval, interval, 1
			st.Poll.Deadline.Duration = max(st.Poll.Deadline.Duration, 3*interval)
		}
	}
	var items []*suites.Item
	for i := 0; i < flows; i++ {
		c := *flow
		c.ID = fmt.Sprintf("CB-%03d", i+1)
		items = append(items, &c)
	}
	job.Suite.Items = items
	p, err := build(ctx, srv.URL, []certify.Job{job}, sandboxVars(), certify.Options{Concurrency: flows})
	if err != nil {
		return nil, err
	}
	run, err := p.Run(ctx, nil)
	if err != nil {
		return nil, err
	}
	res := &CallbackSlackResult{Flows: flows, Settle: settle, Interval: interval, Passed: run.Summary.Passed}
	var slacks []time.Duration
	for _, it := range run.Items {
		if s, ok := slackAfterCallback(it); ok {
			slacks = append(slacks, s)
		}
	}
	res.Measured = len(slacks)
	if len(slacks) > 0 {
		sort.Slice(slacks, func(i, j int) bool { return slacks[i] < slacks[j] })
		var sum time.Duration
		for _, s := range slacks {
			sum += s
		}
		res.Mean, res.Max = sum/time.Duration(len(slacks)), slacks[len(slacks)-1]
	}
	return res, nil
}

// slackAfterCallback reads an item's evidence: from the first callback's
// arrival to the sending of the first status query answered with a final
// status (a query sent before the callback came counts as no slack).
func slackAfterCallback(it results.Item) (time.Duration, bool) {
	var arrived, final time.Time
	for _, ex := range it.Exchanges {
		switch {
		case ex.Step == "callback" && arrived.IsZero():
			arrived = ex.StartedAt
		case ex.Step == "checkStatus" && final.IsZero() && ex.Response != nil && !strings.Contains(ex.Response.Body, `"PROCESSING"`):
			final = ex.StartedAt
		}
	}
	if arrived.IsZero() || final.IsZero() {
		return 0, false
	}
	return max(0, final.Sub(arrived)), true
}
