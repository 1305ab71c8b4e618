package derive

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/golive-cert/golive/suites"
)

// duplicates: a create operation that documents 409, or whose request
// carries a reference or idempotency key the client chooses, is sent the
// identical request twice. The second answer must be 409, or the same
// resource (the identity the first answer gave): never a second resource,
// which for a payment is the customer charged twice.
func (p *planner) duplicates(oc *opCtx) ([]*suites.Item, error) {
	if oc.base == nil || oc.op.Method != http.MethodPost || hasPathParams(oc) || !oc.op.ChangesData() {
		return nil, nil
	}
	conflict := documents409(oc)
	key := clientReference(oc)
	if !conflict && key == "" {
		return nil, nil
	}
	first, err := checkStep(oc, oc.base, suites.Expect{Status: successStatus(oc.op)})
	if err != nil {
		return nil, err
	}
	first.Name = "first"
	again, err := checkStep(oc, oc.base, suites.Expect{})
	if err != nil {
		return nil, err
	}
	again.Name = "again"
	id := identityField(oc)
	var promise string
	switch {
	case id != "":
		// 409, or success naming the resource the first call made. The
		// identity is matched as "absent or the same", so a 409 whose error
		// body has no such field passes, and a 2xx must carry it (the schema
		// requires it). Both answers are read through a gjson multipath,
		// {"id":id}, which gives {"id":"…"} or, without the field, {}: a
		// comparison of values, so an id holding regular-expression
		// characters ("ord.1", "a(b") is compared as the text it is.
		path := identityObject(id)
		first.Capture = append(first.Capture, suites.Capture{Name: "first_identity", Path: path})
		codes := append([]int{http.StatusConflict}, successStatus(oc.op).Codes...)
		again.Expect.Status = &suites.StatusSpec{Codes: codes, Classes: successStatus(oc.op).Classes}
		same, _ := suites.NewString("{{ capture.first_identity }}")
		again.Expect.Body = suites.PathMatchers{{Path: path, Matcher: &suites.Matcher{
			OneOf: []*suites.Value{same, suites.NewValue(map[string]any{})}}}}
		promise = fmt.Sprintf("409 or the same %s", id)
	case conflict:
		again.Expect.Status = &suites.StatusSpec{Codes: []int{http.StatusConflict}}
		promise = "409"
	default:
		return nil, nil // a success could not be told from a second resource
	}
	again.Expect.Schema = schemaCheck(true)
	why := "documents 409"
	if key != "" {
		why = "lets the client choose " + key
	}
	it := newItem(oc, RuleDuplicate, "duplicate",
		fmt.Sprintf("%s answers an identical second request with %s, never a second resource", oc.label(), promise),
		fmt.Sprintf("%s %s: when the same request arrives twice (a client retrying after a timeout), answer the "+
			"second with 409 (the documented error) or with the resource the first one created; never create it again.",
			oc.label(), why))
	it.Flow = []*suites.Step{first, again}
	return []*suites.Item{it}, nil
}

// identityObject is the gjson multipath {"NAME":NAME}: the field as a
// one-key object, or {} when the body has no such field.
func identityObject(name string) string {
	key, _ := json.Marshal(name) // a string always marshals
	return "{" + string(key) + ":" + escapeGJSON(name) + "}"
}

// documents409 says the create documents a 409 answer.
func documents409(oc *opCtx) bool {
	if oc.op.Op.Responses == nil {
		return false
	}
	return oc.op.Op.Responses.Value("409") != nil
}

// clientReference is the reference or idempotency key the request carries
// that the client chose (a body field or header the generator filled with a
// run-unique value), "" when there is none.
func clientReference(oc *opCtx) string {
	if o, ok := oc.base.body.(*obj); ok {
		for _, k := range o.keys() {
			if v, _ := o.get(k); looksLikeReference(k) {
				if _, isRef := v.(ref); isRef {
					return "the body's " + k
				}
			}
		}
	}
	for _, prm := range oc.base.params {
		if prm.in == inHeader && looksLikeReference(prm.name) {
			return "the header " + prm.name
		}
	}
	return ""
}

// identityField is the field of the create's success body that names what
// it made: id first, then another required identifier-like scalar.
func identityField(oc *opCtx) string {
	view := viewObject(successSchema(oc.op))
	var names []string
	for name, s := range view.props {
		if view.required[name] && isScalar(s) && looksLikeIdentifier(name) {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		if (names[i] == "id") != (names[j] == "id") {
			return names[i] == "id"
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}
