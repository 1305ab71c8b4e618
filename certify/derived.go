package certify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/suites"
)

// addDerived appends spec-derived checks to every job whose suite asks for
// them (a derived block), that has no checklist of its own, or, with
// DerivedAll, to every checklist that does not sign what it sends. The
// suite's auth and variables serve the derived items too.
func addDerived(jobs []Job, o Options, production bool) error {
	for i := range jobs {
		s := jobs[i].Suite
		if s.Derived == nil && (o.Derived != DerivedAll || signsRequests(s)) {
			// A receiver that checks signatures refuses every unsigned
			// derived request: only a suite that asks gets them.
			continue
		}
		items, err := planDerived(jobs[i], o, production)
		if err != nil {
			return err
		}
		merged := *s
		merged.Items = append(append([]*suites.Item(nil), s.Items...), items...)
		jobs[i].Suite = &merged
	}
	return nil
}

func planDerived(j Job, o Options, production bool) ([]*suites.Item, error) {
	s := j.Suite
	opts := derive.Options{
		Seed:          o.Seed,
		Production:    production,
		AllowWrites:   o.AllowWrites,
		LatencyBudget: s.Defaults.LatencyBudget.Or(suites.DefaultLatencyBudget),
		Auth:          s.Auth,
	}
	var exclude []string
	if d := s.Derived; d != nil {
		opts.Rules, opts.Severity, exclude = d.Rules, d.Severity, d.Exclude
	}
	if o.Rules != nil {
		opts.Rules = o.Rules
	}
	if o.LatencyBudget > 0 {
		opts.LatencyBudget = o.LatencyBudget
	}
	items, err := derive.Plan(j.API, opts)
	if err != nil {
		var crash *derive.InternalError
		switch {
		case errors.As(err, &crash):
			return nil, &InternalError{Err: err}
		case s.Derived != nil && s.Derived.Line > 0:
			// derive names the document; the suite's derived block is the line to fix.
			return nil, invalid("", fmt.Errorf("%s:%d: %w", s.Source, s.Derived.Line, err))
		case o.Rules != nil:
			return nil, invalid(FieldRules, err)
		default:
			return nil, invalid("", err)
		}
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
