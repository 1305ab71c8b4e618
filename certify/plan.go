package certify

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// Plan is a checked certification, ready to run (or to show: golive plan).
type Plan struct {
	jobs []Job
	seed int64
	env  string
	// productionSafe: a production run without AllowWrites; heldBack items
	// that would write were turned into skips.
	productionSafe bool
	// insecureTLS: the target's certificate is not verified.
	insecureTLS bool
	heldBack    int
	runner      *runner.Runner
	// loadTook and planTook time Build: loading documents and suites, then
	// composing and checking the plan (golive plan shows them).
	loadTook, planTook time.Duration
	obs                Observer
}

// itemDone forwards the runner's progress to the run's observer.
func (p *Plan) itemDone(it results.Item, done, total int) {
	if p.obs != nil {
		p.obs.ItemDone(it, done, total)
	}
}

// Observer hears of each item as it finishes, one call at a time.
type Observer interface {
	ItemDone(it results.Item, done, total int)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(it results.Item, done, total int)

// ItemDone calls f.
func (f ObserverFunc) ItemDone(it results.Item, done, total int) { f(it, done, total) }

// Seed is the seed the run uses (the request's, or the one Build chose).
func (p *Plan) Seed() int64 { return p.seed }

// Environment is the target's environment.
func (p *Plan) Environment() string { return p.env }

// Jobs are the APIs and their checklists, derived checks included.
func (p *Plan) Jobs() []Job { return p.jobs }

// ProductionSafe reports whether writes were held back, and how many items.
func (p *Plan) ProductionSafe() (bool, int) { return p.productionSafe, p.heldBack }

// Took says how long Build spent loading, then planning.
func (p *Plan) Took() (load, plan time.Duration) { return p.loadTook, p.planTook }

// Total is the number of items the run will report.
func (p *Plan) Total() int {
	n := 0
	for _, j := range p.jobs {
		n += len(j.Suite.Items)
	}
	return n
}

// PlannedItem is one check of the plan, as golive plan shows it.
type PlannedItem struct {
	API  *specs.API
	Item *suites.Item
	// IsChecklist is true for an item of a checklist, false for a
	// spec-derived one (then Item.Origin.Rule names its rule).
	IsChecklist bool
}

// Items lists every check in run order.
func (p *Plan) Items() []PlannedItem {
	var out []PlannedItem
	for _, j := range p.jobs {
		for _, it := range j.Suite.Items {
			out = append(out, PlannedItem{API: j.API, Item: it, IsChecklist: !it.Origin.Derived()})
		}
	}
	return out
}

// InsecureTLSWarning opens the verdict's reason of a run that skipped TLS
// certificate verification, so the report, results.json and every page
// that shows the verdict say so first.
const InsecureTLSWarning = "WARNING: TLS certificate verification was skipped (insecureSkipVerify): this run proves nothing about the endpoint's certificate"

// Run executes the plan. What went wrong with the target is in the
// results, never an error; a cancelled ctx ends the run early, its
// unfinished items skipped and the run marked interrupted (exit code 130).
// obs may be nil.
func (p *Plan) Run(ctx context.Context, obs Observer) (*results.Run, error) {
	if p.runner == nil {
		return nil, ErrPlanOnly
	}
	p.obs = obs // before the run starts its workers, which read it
	run := p.runner.Run(ctx)
	if p.insecureTLS {
		run.Verdict.Reason = InsecureTLSWarning + "; " + run.Verdict.Reason
	}
	if p.productionSafe && p.heldBack > 0 {
		run.Verdict.Reason += fmt.Sprintf("; production-safe run: %d item(s) that would change data were not run (allow writes to cover them)", p.heldBack)
	}
	return run, nil
}
