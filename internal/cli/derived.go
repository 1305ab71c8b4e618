package cli

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/suites"
)

// derivedSettings are the flags that shape spec-derived checks.
type derivedSettings struct {
	seed        int64
	production  bool
	allowWrites bool
	force       bool // --derived: add them even where the suite does not ask
	// rules and latency override the suite's (golive plan --rules, --latency-budget).
	rules   []string
	latency time.Duration
}

// addDerived appends spec-derived checks to every job whose suite asks for
// them (a derived block), that has no suite of its own, or when forced. The
// suite's auth and variables serve the derived items too.
func addDerived(jobs []runner.Job, ds derivedSettings) error {
	for i := range jobs {
		s := jobs[i].Suite
		if s.Derived == nil && (!ds.force || signsRequests(s)) {
			// A receiver that checks signatures refuses every unsigned
			// derived request: only a suite that asks gets them.
			continue
		}
		items, err := planDerived(jobs[i], ds)
		if err != nil {
			return err
		}
		merged := *s
		merged.Items = append(append([]*suites.Item(nil), s.Items...), items...)
		jobs[i].Suite = &merged
	}
	return nil
}

func planDerived(j runner.Job, ds derivedSettings) ([]*suites.Item, error) {
	s := j.Suite
	opts := derive.Options{
		Seed:          ds.seed,
		Production:    ds.production,
		AllowWrites:   ds.allowWrites,
		LatencyBudget: s.Defaults.LatencyBudget.Or(2 * time.Second),
		Auth:          s.Auth,
	}
	var exclude []string
	if d := s.Derived; d != nil {
		opts.Rules, opts.Severity, exclude = d.Rules, d.Severity, d.Exclude
	}
	if ds.rules != nil {
		opts.Rules = ds.rules
	}
	if ds.latency > 0 {
		opts.LatencyBudget = ds.latency
	}
	items, err := derive.Plan(j.API, opts)
	if err != nil {
		// derive names the document; the suite's derived block is the line to fix.
		if s.Derived != nil && s.Derived.Line > 0 {
			return nil, fmt.Errorf("%s:%d: %w", s.Source, s.Derived.Line, err)
		}
		return nil, err
	}
	kept := items[:0]
	for _, it := range items {
		if !excluded(it.ID, exclude) {
			kept = append(kept, it)
		}
	}
	return kept, nil
}

// excluded matches an item id, or an operationId (derived.<op>.<check>).
func excluded(id string, exclude []string) bool {
	for _, x := range exclude {
		if id == x || strings.HasPrefix(id, "derived."+x+".") {
			return true
		}
	}
	return false
}

// newSeed picks a run's seed: positive and short enough to retype.
func newSeed() int64 { return rand.Int64N(1<<31) + 1 }

// isDerivedOnly reports whether s is the stand-in for an API given without a checklist.
func isDerivedOnly(s *suites.Suite) bool { return strings.HasPrefix(s.Source, "derived:") }

// derivedOnlySuite is the checklist of an API given without one: the
// spec-derived checks alone.
func derivedOnlySuite(apiName string) *suites.Suite {
	return &suites.Suite{Source: "derived:" + apiName, Name: apiName, API: apiName, Derived: &suites.Derived{}}
}

// signsRequests reports whether the suite signs what it sends (a webhook
// receiver's checklist), which generated requests cannot do.
func signsRequests(s *suites.Suite) bool {
	for _, it := range s.Items {
		for _, st := range it.Steps() {
			if st.Request.Sign != nil {
				return true
			}
		}
	}
	return false
}
