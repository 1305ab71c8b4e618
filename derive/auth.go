package derive

import (
	"fmt"
	"net/http"

	"github.com/golive-cert/golive/suites"
)

// authChecks: a secured operation called with its valid request but no
// credentials, or credentials the target never issued, must answer 401 or
// 403. The request is otherwise valid, so nothing but the credentials can
// explain a refusal, and a 2xx is an open door.
func (p *planner) authChecks(oc *opCtx) ([]*suites.Item, error) {
	if !oc.secured || oc.base == nil {
		return nil, nil
	}
	expect := suites.Expect{
		Status: &suites.StatusSpec{Codes: []int{http.StatusUnauthorized, http.StatusForbidden}},
		Schema: schemaCheck(documents(oc.op, http.StatusUnauthorized) || documents(oc.op, http.StatusForbidden)),
	}
	var items []*suites.Item
	for _, mode := range []struct{ auth, check, what string }{
		{suites.AuthNone, "auth-none", "without credentials"},
		{suites.AuthInvalid, "auth-invalid", "with credentials it never issued"},
	} {
		it := newItem(oc, RuleAuth, mode.check,
			fmt.Sprintf("%s refuses a call %s with 401 or 403", oc.label(), mode.what),
			fmt.Sprintf("Check the credentials on %s before anything else: answer a call %s with 401 (or 403) "+
				"and the documented error body, and never perform the operation for it.", oc.label(), mode.what))
		st, err := checkStep(oc, oc.base, expect)
		if err != nil {
			return nil, err
		}
		st.Auth = mode.auth
		it.Check = st
		items = append(items, it)
	}
	return items, nil
}
