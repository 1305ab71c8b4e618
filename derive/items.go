package derive

import (
	"fmt"

	"github.com/golive-cert/golive/suites"
)

// faqDoc is the FAQ page that answers every derived rule; items link to
// its anchors (derived-positive, derived-negative, ...).
const faqDoc = "docs/faq/derived.md"

// newItem starts an item of a rule; Plan fills the severity once ids are final.
func newItem(oc *opCtx, rule, check, title, remediation string) *suites.Item {
	return &suites.Item{
		ID:          itemID(oc.op.ID, check),
		Title:       title,
		Group:       idPrefix + rule,
		Origin:      suites.Origin{Rule: rule},
		Remediation: remediation,
		FAQ:         faqDoc + "#derived-" + rule,
	}
}

// ruleOf reads the rule back from an item's group.
func ruleOf(it *suites.Item) string { return it.Origin.Rule }

// checkStep is a one-request step of the operation.
func checkStep(oc *opCtx, m *reqModel, expect suites.Expect) (*suites.Step, error) {
	req, err := m.request()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", oc.op.ID, err)
	}
	return &suites.Step{Name: oc.op.ID, Operation: oc.op.ID, Request: req, Expect: expect}, nil
}

// schemaCheck is Expect.Schema: on (nil) when the operation documents the
// answer being checked, off when it documents nothing that could match, so
// a right status is not failed for a gap in the document.
func schemaCheck(on bool) *bool {
	if on {
		return nil
	}
	off := false
	return &off
}

// skipped is an item that is reported as skipped, with the reason: what
// golive could not generate is said, not silently left out.
func skipped(it *suites.Item, oc *opCtx, reason string) *suites.Item {
	it.Skip = reason
	// The runner reports skipped items without running them, but the suite
	// check still wants a well-formed step.
	it.Check = &suites.Step{Name: oc.op.ID, Operation: oc.op.ID, Request: pathOnly(oc)}
	return it
}

// pathOnly is a request with placeholder path parameters, for skipped items.
func pathOnly(oc *opCtx) suites.Request {
	var r suites.Request
	for _, p := range oc.params {
		if p.In == inPath {
			r.Path = append(r.Path, suites.Field{Key: p.Name, Value: suites.NewValue("golive")})
		}
	}
	return r
}
