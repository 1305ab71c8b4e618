package certify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/suites"
)

// addDerived appends spec-derived checks to the jobs as Options.Derived
// says (see DerivedMode). The suite's auth and variables serve the derived
// items too.
func addDerived(jobs []Job, o Options, production bool) error {
	for i := range jobs {
		s := jobs[i].Suite
		asked := s.Derived != nil
		switch {
		case asked:
		case o.Derived == DerivedNone, signsRequests(s):
			// A receiver that checks signatures refuses every unsigned
			// derived request: only a suite that asks gets them.
			continue
		}
		items, err := planDerived(jobs[i], o, production)
		if err != nil {
			return err
		}
		if o.Derived != DerivedAll {
			items = uncovered(items, s)
		}
		merged := *s
		merged.Items = append(append([]*suites.Item(nil), s.Items...), items...)
		jobs[i].Suite = &merged
	}
	return nil
}

// uncovered drops the derived items the checklist already covers: an item
// on the same operation of the same kind (docs/derived-checks.md).
func uncovered(items []*suites.Item, s *suites.Suite) []*suites.Item {
	covered := map[string]bool{}
	for _, it := range s.Items {
		for _, k := range checklistKinds(it) {
			covered[k] = true
		}
	}
	if len(covered) == 0 {
		return items
	}
	kept := items[:0]
	for _, it := range items {
		if !covered[derivedKind(it)] {
			kept = append(kept, it)
		}
	}
	return kept
}

// kindKey is "operation rule"; the latency review has no operation.
func kindKey(op, rule string) string { return op + " " + rule }

// derivedKind is a derived item's kind: its rule on its first operation.
func derivedKind(it *suites.Item) string {
	if it.Latency != nil {
		return kindKey("", derive.RuleLatency)
	}
	steps := it.Steps()
	if len(steps) == 0 {
		return ""
	}
	return kindKey(steps[0].Operation, it.Origin.Rule)
}

// checklistKinds says which derived kinds a checklist item covers, read
// from what it sends and expects: a latency review; a call without or with
// forged credentials (auth); a call expecting only 4xx (negative); a call
// expecting success (positive); a flow that sends the same operation twice
// (duplicate) or reads back what it created (stateful).
func checklistKinds(it *suites.Item) []string {
	if it.Latency != nil {
		return []string{kindKey("", derive.RuleLatency)}
	}
	var out []string
	seen := map[string]int{}
	steps := it.Steps()
	for i, st := range steps {
		if st.Operation == "" {
			continue // a callback wait
		}
		seen[st.Operation]++
		switch {
		case seen[st.Operation] > 1:
			out = append(out, kindKey(st.Operation, derive.RuleDuplicate))
		case st.Auth == suites.AuthNone || st.Auth == suites.AuthInvalid:
			out = append(out, kindKey(st.Operation, derive.RuleAuth))
		case onlyClass(st.Expect.Status, 4):
			out = append(out, kindKey(st.Operation, derive.RuleNegative))
		case onlyClass(st.Expect.Status, 2):
			out = append(out, kindKey(st.Operation, derive.RulePositive))
			if i > 0 && steps[0].Operation != st.Operation {
				out = append(out, kindKey(steps[0].Operation, derive.RuleStateful))
			}
		}
	}
	return out
}

// onlyClass: the expected status is set and every code or class is in the
// class (2 for 2xx, 4 for 4xx).
func onlyClass(st *suites.StatusSpec, class int) bool {
	if st == nil || len(st.Codes)+len(st.Classes) == 0 {
		return false
	}
	for _, c := range st.Codes {
		if c/100 != class {
			return false
		}
	}
	for _, c := range st.Classes {
		if c != class {
			return false
		}
	}
	return true
}

func planDerived(j Job, o Options, production bool) ([]*suites.Item, error) {
	s := j.Suite
	opts := derive.Options{
		Seed:           o.Seed,
		Production:     production,
		AllowWrites:    o.AllowWrites,
		LatencyBudget:  s.Defaults.LatencyBudget.Or(suites.DefaultLatencyBudget),
		Auth:           s.Auth,
		SettleDeadline: o.SettleDeadline,
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
