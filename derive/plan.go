package derive

import (
	"errors"
	"fmt"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// InternalError is a planning crash recovered: golive's fault, not the
// document's, and told apart from bad input with errors.As.
type InternalError struct {
	Source string // the document
	While  string // what was being planned
	Value  any    // what the panic carried
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("derive %s: internal error while planning %s: %v", e.Source, e.While, e.Value)
}

// planner holds one Plan call's inputs; nothing outlives the call.
type planner struct {
	api *specs.API
	s   *settings
}

// Plan generates the spec-derived checks for every operation of the API as
// ordinary suite items, for the runner to execute like hand-written ones.
// Nothing is sent. The same API, options and seed give the same items.
func Plan(api *specs.API, opts Options) (items []*suites.Item, err error) {
	if api == nil || api.Doc == nil {
		return nil, errors.New("derive: no API document")
	}
	s, err := opts.settle()
	if err != nil {
		return nil, fmt.Errorf("derive %s: %w", api.Source, err)
	}
	p := &planner{api: api, s: s}
	current := ""
	defer func() {
		// Real-world documents reach corners no test did; one odd operation
		// is reported, not a crash of the whole command.
		if r := recover(); r != nil {
			items, err = nil, &InternalError{Source: api.Source, While: current, Value: r}
		}
	}()

	var ops []*opCtx
	facts := newSchemaFacts()
	for _, op := range api.Operations() {
		if !s.writesAllowed() && op.ChangesData() {
			continue // production: never change anything unless allowed
		}
		current = op.ID
		oc := newOpCtx(api, op, facts)
		p.buildBase(oc)
		ops = append(ops, oc)
	}
	for _, oc := range ops {
		current = oc.op.ID
		planned, err := p.operationItems(oc)
		if err != nil {
			return nil, fmt.Errorf("derive %s: %w", api.Source, err)
		}
		items = append(items, planned...)
	}
	current = "the stateful checks"
	if s.rules[RuleStateful] {
		st, err := p.statefulChecks(ops)
		if err != nil {
			return nil, fmt.Errorf("derive %s: %w", api.Source, err)
		}
		items = append(items, st...)
	}
	if s.rules[RuleLatency] {
		items = append(items, p.latency())
	}
	p.finish(items)
	return items, nil
}

// operationItems are one operation's checks, rule by rule.
func (p *planner) operationItems(oc *opCtx) ([]*suites.Item, error) {
	var items []*suites.Item
	if p.s.rules[RulePositive] {
		it, err := p.positive(oc)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	for _, r := range []struct {
		name string
		gen  func(*opCtx) ([]*suites.Item, error)
	}{{RuleNegative, p.negatives}, {RuleAuth, p.authChecks}, {RuleBoundary, p.boundaries}, {RuleDuplicate, p.duplicates}} {
		if !p.s.rules[r.name] {
			continue
		}
		more, err := r.gen(oc)
		if err != nil {
			return nil, err
		}
		items = append(items, more...)
	}
	return items, nil
}

// latency is one item per API: every response of the run within the budget.
func (p *planner) latency() *suites.Item {
	return &suites.Item{
		ID:     idPrefix + "latency",
		Title:  fmt.Sprintf("Every response of %s arrives within %s", p.api.Name, p.s.LatencyBudget),
		Group:  idPrefix + RuleLatency,
		Origin: suites.Origin{Rule: RuleLatency},
		Remediation: fmt.Sprintf("Answer every call within %s: do slow work (wallet pushes, bank calls) asynchronously "+
			"and return at once, and index the fields status lookups search by.", p.s.LatencyBudget),
		FAQ:     faqDoc + "#derived-" + RuleLatency,
		Latency: &suites.Latency{Budget: suites.Duration{Duration: p.s.LatencyBudget}},
	}
}

// finish makes ids unique and sets severities (overrides by final id).
func (p *planner) finish(items []*suites.Item) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	for i, id := range uniqueIDs(ids) {
		items[i].ID = id
		items[i].Severity = p.s.severity(id, ruleOf(items[i]), items[i].Severity)
	}
}
