package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// MarginalResult separates what each further request costs from what a
// run costs whatever its size (the callback receiver, classifying and
// grouping at the end). Both sides run plans of one simple check (COL-005,
// a preview: one request, its response validated and matched, no token, no
// callback) repeated Small and Large times, one request at a time; the
// per-request figures are the slopes. The small runs show the fixed cost
// (the slope's intercept is the difference of two noisy figures, too
// unsteady on a shared machine to print).
type MarginalResult struct {
	Small, Large  int
	GoliveSmall   time.Duration // median run
	GoliveLarge   time.Duration
	FloorSmall    time.Duration // median replay
	FloorLarge    time.Duration
	GolivePerReq  time.Duration // (large - small) / (Large - Small)
	FloorPerReq   time.Duration
	RunsPerFigure int
}

// Ratio is golive's marginal cost per request over the loop's.
func (m *MarginalResult) Ratio() float64 { return ratio(m.GolivePerReq, m.FloorPerReq) }

// marginalItem is the check repeated: one request, no token, no callback.
const marginalItem = "COL-005"

// MeasureMarginal runs plans of small and large copies of marginalItem,
// runs times each (after one untimed pair), each golive run replayed by the
// plain loop at once.
func MeasureMarginal(ctx context.Context, small, large, runs int) (*MarginalResult, error) {
	srv, err := startSandbox()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	api, err := specs.NewLoader().Load(ctx, "collections")
	if err != nil {
		return nil, err
	}
	loop, err := newPlainLoop(ctx)
	if err != nil {
		return nil, fmt.Errorf("plain net/http loop: %w", err)
	}
	defer loop.close()
	m := &MarginalResult{Small: small, Large: large, RunsPerFigure: runs}
	plans := map[int][]certify.Job{}
	for _, size := range []int{small, large} {
		s, err := repeatedSuite(size)
		if err != nil {
			return nil, err
		}
		plans[size] = []certify.Job{{API: api, Suite: s}}
	}
	// The two sizes alternate, so a burst of other work on the machine
	// weighs on both.
	walls, floors := map[int][]time.Duration{}, map[int][]time.Duration{}
	for i := 0; i <= runs; i++ {
		for _, size := range []int{small, large} {
			wall, floor, err := marginalPair(ctx, srv.URL, plans[size], size, loop)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				walls[size], floors[size] = append(walls[size], wall), append(floors[size], floor)
			}
		}
	}
	m.GoliveSmall, m.FloorSmall = medianDuration(walls[small]), medianDuration(floors[small])
	m.GoliveLarge, m.FloorLarge = medianDuration(walls[large]), medianDuration(floors[large])
	extra := time.Duration(large - small)
	m.GolivePerReq = (m.GoliveLarge - m.GoliveSmall) / extra
	m.FloorPerReq = (m.FloorLarge - m.FloorSmall) / extra
	return m, nil
}

// marginalPair is one golive run of a plan of size requests and its replay.
func marginalPair(ctx context.Context, url string, jobs []certify.Job, size int, loop *plainLoop) (time.Duration, time.Duration, error) {
	p, err := build(ctx, url, jobs, sandboxVars(), certify.Options{Concurrency: 1})
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	out, err := p.Run(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	wall := time.Since(start)
	if n := countSent(out); n != size {
		return 0, 0, fmt.Errorf("a plan of %d copies of %s sent %d requests", size, marginalItem, n)
	}
	floor, err := loop.replay(ctx, out)
	if err != nil {
		return 0, 0, fmt.Errorf("plain net/http loop: %w", err)
	}
	return wall, floor.wall, nil
}

// repeatedSuite is the collections checklist with only marginalItem, n
// times under distinct ids.
func repeatedSuite(n int) (*suites.Suite, error) {
	s, err := suites.Load("collections")
	if err != nil {
		return nil, err
	}
	var base *suites.Item
	for _, it := range s.Items {
		if it.ID == marginalItem {
			base = it
		}
	}
	if base == nil {
		return nil, fmt.Errorf("the collections checklist has no %s", marginalItem)
	}
	s.Items = make([]*suites.Item, 0, n)
	for i := range n {
		c := *base
		c.ID = fmt.Sprintf("%s-%d", marginalItem, i+1)
		s.Items = append(s.Items, &c)
	}
	return s, nil
}
