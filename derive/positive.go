package derive

import (
	"fmt"
	"net/http"

	"github.com/golive-cert/golive/suites"
)

// positive: the operation's valid request gets a documented success, and
// the runner validates status, content type, headers and body against the
// spec (Expect.Schema left on).
func (p *planner) positive(oc *opCtx) (*suites.Item, error) {
	it := newItem(oc, RulePositive, "positive",
		fmt.Sprintf("%s accepts a valid request and answers as documented", oc.label()),
		fmt.Sprintf("Make %s accept a request that follows the spec (the request golive sent is in the evidence) "+
			"and answer it with a documented success status whose content type and body validate against the "+
			"documented response schema.", oc.label()))
	if oc.base == nil {
		return skipped(it, oc, oc.baseErr), nil
	}
	status := successStatus(oc.op)
	// Golive cannot know the ids of resources it did not create: on such a
	// path, the operation's documented "not found" is a right answer too
	// (the stateful rule reads what it created).
	if hasPathParams(oc) && documents(oc.op, http.StatusNotFound) {
		status.Codes = append(status.Codes, http.StatusNotFound)
	}
	// Credentials golive had to invent are rightly refused.
	if oc.credentials {
		for _, c := range []int{http.StatusUnauthorized, http.StatusForbidden} {
			if documentsExactly(oc, c) {
				status.Codes = append(status.Codes, c)
			}
		}
	}
	st, err := checkStep(oc, oc.base, suites.Expect{Status: status})
	if err != nil {
		return nil, err
	}
	it.Check = st
	return it, nil
}

func hasPathParams(oc *opCtx) bool {
	for _, prm := range oc.params {
		if prm.In == inPath {
			return true
		}
	}
	return false
}

// documentsExactly reports whether the status itself is documented (not
// only through a class or default).
func documentsExactly(oc *opCtx, status int) bool {
	return oc.op.Op.Responses != nil && oc.op.Op.Responses.Value(fmt.Sprint(status)) != nil
}
