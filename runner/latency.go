package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// reviewLatency checks every response of the item's API against the budget.
// It runs after every other item, since it judges their exchanges.
func (r *Runner) reviewLatency(ctx context.Context, ir *itemRun, all []*itemRun) {
	it := ir.item
	ir.result = r.newResult(ir)
	if why := notRunReason(ctx, it); why != "" {
		ir.result.Status, ir.result.Message = results.Skip, why
		return
	}
	budget := it.Latency.Budget.Or(ir.job.suite.Defaults.LatencyBudget.Or(r.cfg.latencyBudget))
	type slow struct {
		item string
		ex   *exchange
	}
	var over []slow
	measured := 0
	for _, other := range all {
		if other.job != ir.job || other == ir {
			continue
		}
		for _, ex := range other.exchanges {
			if ex.status == 0 {
				continue
			}
			measured++
			if ex.duration > budget {
				over = append(over, slow{other.item.ID, ex})
			}
		}
	}
	if measured == 0 {
		ir.result.Status, ir.result.Message = results.Skip, "not run: no responses to measure, every other item failed before a response came"
		return
	}
	if len(over) == 0 {
		ir.result.Status = results.Pass
		return
	}
	sort.Slice(over, func(i, j int) bool { return over[i].ex.duration > over[j].ex.duration })
	var lines []string
	for i, s := range over {
		if i == 5 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(over)-5))
			break
		}
		lines = append(lines, fmt.Sprintf("%s %s took %s (%s, step %s)", s.ex.req.Method, s.ex.req.URL.Path, s.ex.duration.Round(time.Millisecond), s.item, s.ex.step))
	}
	worst := over[0]
	ir.failure = integrationFailure(worst.ex,
		fmt.Sprintf("%d of %d responses exceeded the %s budget; slowest %s %s took %s", len(over), measured, budget,
			worst.ex.req.Method, worst.ex.req.URL.Path, worst.ex.duration.Round(time.Millisecond)),
		fmt.Sprintf("every response within %s", budget), strings.Join(lines, "\n"))
	ir.failure.reason = "the target answers, but slower than the latency budget"
	ir.failure.slow = true // how widely is decided with the run in view (extent.go)
	r.finishItem(ir)
	ir.result.Exchanges = nil // the slow exchanges belong to, and are shown with, their own items
}
