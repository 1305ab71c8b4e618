package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

// Schedule is how a flow polls: the first wait, its growth, its ceiling.
type Schedule struct {
	Name        string
	Interval    time.Duration
	Backoff     float64
	MaxInterval time.Duration
}

// DefaultSchedules are the built-in checklists' schedule (300ms growing by
// 1.5 up to 2s) and two fixed ones.
func DefaultSchedules() []Schedule {
	return []Schedule{
		{Name: "checklist: 300ms x1.5 to 2s", Interval: 300 * time.Millisecond, Backoff: 1.5, MaxInterval: 2 * time.Second},
		{Name: "fixed 300ms", Interval: 300 * time.Millisecond, Backoff: 1, MaxInterval: 300 * time.Millisecond},
		{Name: "fixed 1s", Interval: time.Second, Backoff: 1, MaxInterval: time.Second},
	}
}

// PollSlackResult is how long flows kept waiting after the target reached
// its final state: measured on the target, from the instant a flow's thing
// became final to the request that saw it final. Schedule is the part the
// poll schedule alone implies (the next attempt's time on the schedule,
// with zero-latency requests); the rest is the runner's own delay.
type PollSlackResult struct {
	Schedule                  Schedule
	Flows                     int
	Span                      time.Duration
	Mean, P50, Max            time.Duration
	ScheduleMean, ScheduleMax time.Duration
	Attempts                  float64 // mean attempts per flow
	Failed                    int
}

// flipper serves the mini API's getThing: each thing is PENDING until a
// given time after it was first asked for, then DONE.
type flipper struct {
	mu    sync.Mutex
	after map[string]time.Duration // thing -> time from first request to final
	first map[string]time.Time
	seen  map[string]time.Time // first request answered DONE
	calls map[string]int
}

func (f *flipper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	id := strings.TrimPrefix(r.URL.Path, "/v1/things/")
	f.mu.Lock()
	if _, ok := f.first[id]; !ok {
		f.first[id] = now
	}
	f.calls[id]++
	status := "PENDING"
	if now.Sub(f.first[id]) >= f.after[id] {
		status = "DONE"
		if _, ok := f.seen[id]; !ok {
			f.seen[id] = now
		}
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q,"status":%q,"amount":"10.00"}`, id, status)
}

// pollFlows is a checklist of flows, each polling its own thing until DONE.
func pollFlows(ids []string, sch Schedule, deadline time.Duration) *suites.Suite {
	s := &suites.Suite{Source: "bench:poll", Name: "poll", API: "mini"}
	done, _ := suites.NewString("DONE")
	for i, id := range ids {
		v, _ := suites.NewString(id)
		s.Items = append(s.Items, &suites.Item{
			Line: i + 1, ID: fmt.Sprintf("POLL-%03d", i+1), Title: "a thing becomes final", Severity: results.Major,
			Flow: []*suites.Step{{
				Name: "wait", Operation: "getThing",
				Request: suites.Request{Path: suites.OrderedValues{{Key: "id", Value: v}}},
				Poll: &suites.Poll{
					Until:       suites.PathMatchers{{Path: "status", Matcher: &suites.Matcher{Equals: done}}},
					Interval:    suites.Duration{Duration: sch.Interval},
					Backoff:     sch.Backoff,
					MaxInterval: suites.Duration{Duration: sch.MaxInterval},
					Deadline:    suites.Duration{Duration: deadline},
				},
				Expect: suites.Expect{Status: &suites.StatusSpec{Codes: []int{200}}},
			}},
		})
	}
	return s
}

// scheduleSlack is the slack the schedule alone implies for a flip after d:
// the first attempt at or after d, minus d.
func scheduleSlack(sch Schedule, d time.Duration) time.Duration {
	t, wait := time.Duration(0), sch.Interval
	for t < d {
		t += wait
		wait = min(time.Duration(float64(wait)*max(1, sch.Backoff)), max(sch.MaxInterval, sch.Interval))
	}
	return t - d
}

// MeasurePollSlack runs, per schedule, flows whose things become final at
// instants spread evenly over span (all flows of a schedule at once).
func MeasurePollSlack(ctx context.Context, schedules []Schedule, flows int, span time.Duration) ([]PollSlackResult, error) {
	api, err := loadSpecBytes(ctx, "mini.yaml", miniSpec)
	if err != nil {
		return nil, err
	}
	var out []PollSlackResult
	for _, sch := range schedules {
		f := &flipper{after: map[string]time.Duration{}, first: map[string]time.Time{}, seen: map[string]time.Time{}, calls: map[string]int{}}
		var ids []string
		for i := 0; i < flows; i++ {
			id := fmt.Sprintf("flow-%03d", i)
			// Spread the flips over (0, span], off the schedule's grid.
			f.after[id] = time.Duration(float64(span) * (float64(i) + 0.5) / float64(flows))
			ids = append(ids, id)
		}
		srv := httptest.NewServer(f)
		r, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: pollFlows(ids, sch, span+30*time.Second)}}, nil,
			certify.Options{Concurrency: flows})
		if err != nil {
			srv.Close()
			return nil, err
		}
		run, err := r.Run(ctx, nil)
		srv.Close()
		if err != nil {
			return nil, err
		}
		res := PollSlackResult{Schedule: sch, Flows: flows, Span: span, Failed: flows - run.Summary.Passed}
		var slacks []time.Duration
		var sum, schedSum time.Duration
		calls := 0
		f.mu.Lock()
		for _, id := range ids {
			calls += f.calls[id]
			seen, ok := f.seen[id]
			if !ok {
				continue
			}
			slack := seen.Sub(f.first[id].Add(f.after[id]))
			slacks = append(slacks, slack)
			sum += slack
			ss := scheduleSlack(sch, f.after[id])
			schedSum += ss
			res.ScheduleMax = max(res.ScheduleMax, ss)
		}
		f.mu.Unlock()
		if len(slacks) > 0 {
			sort.Slice(slacks, func(i, j int) bool { return slacks[i] < slacks[j] })
			res.Mean = sum / time.Duration(len(slacks))
			res.P50 = slacks[len(slacks)/2]
			res.Max = slacks[len(slacks)-1]
			res.ScheduleMean = schedSum / time.Duration(len(slacks))
		}
		res.Attempts = float64(calls) / float64(flows)
		out = append(out, res)
	}
	return out, nil
}
