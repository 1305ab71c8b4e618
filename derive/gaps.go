package derive

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/golive-cert/golive/specs"
)

// Gap is a create operation that gets no create-then-read check, and why,
// so `golive plan` says what a reviewer would otherwise assume was checked.
type Gap struct {
	Operation string `json:"operation"`
	Why       string `json:"why"`
}

// StatefulGaps lists the create operations (POST to a collection that
// changes data) without a create-then-read check, with the reason. Nothing
// is sent; the same options as Plan give the same answer.
func StatefulGaps(api *specs.API, opts Options) ([]Gap, error) {
	s, err := opts.settle()
	if err != nil {
		return nil, fmt.Errorf("derive %s: %w", api.Source, err)
	}
	p := &planner{api: api, s: s}
	var ops []*opCtx
	facts := newSchemaFacts()
	for _, op := range api.Operations() {
		if !s.writesAllowed() && op.ChangesData() {
			continue
		}
		oc := newOpCtx(api, op, facts)
		p.buildBase(oc)
		ops = append(ops, oc)
	}
	checked := map[string]bool{}
	paired := map[string]string{}
	for _, pr := range pairs(ops) {
		paired[pr.create.op.ID] = pr.read.op.ID
		if it, err := p.readAfterCreate(pr); err == nil && it != nil {
			checked[pr.create.op.ID] = true
		}
	}
	var gaps []Gap
	for _, oc := range ops {
		op := oc.op
		if op.Method != http.MethodPost || hasPathParams(oc) || !op.ChangesData() || checked[op.ID] {
			continue
		}
		var why string
		switch read, ok := paired[op.ID]; {
		case oc.base == nil:
			why = "no valid request could be generated for it"
		case ok:
			why = fmt.Sprintf("its read %s returns nothing that can be compared with what was created "+
				"(no field it was addressed by, no required field that was sent or returned at creation)", read)
		default:
			why = "no read operation returns what it creates: no OpenAPI link to one, no GET with path parameters " +
				"answering with its response schema or under its path whose parameters its request or response supplies"
		}
		gaps = append(gaps, Gap{Operation: op.ID, Why: why})
	}
	sort.Slice(gaps, func(i, j int) bool { return strings.Compare(gaps[i].Operation, gaps[j].Operation) < 0 })
	return gaps, nil
}
