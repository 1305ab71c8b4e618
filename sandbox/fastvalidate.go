package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// passesCompiled reports whether a request to a 3.1 operation is valid by
// the compiled schemas alone: every parameter a plain value that passes its
// schema, and the JSON body (if any) passing the body schema. kin-openapi
// compiles each 3.1 parameter schema again on every request (about 25 µs a
// request for the built-in collections API); the compiled cache does not.
// Like the runner's, this check only ever passes a request: anything it
// does not judge, or judges invalid, goes to validateRequest's kin-openapi
// path, which words the answer. It is never laxer than kin-openapi: a
// parameter is judged only in the forms kin-openapi reads the same way.
func passesCompiled(r *http.Request, rt *route, params map[string]string) bool {
	if rt.schemas == nil {
		return false
	}
	op := rt.spec.Operation
	for _, ref := range rt.spec.PathItem.Parameters {
		p := ref.Value
		if op.Parameters != nil && op.Parameters.GetByInAndName(p.In, p.Name) != nil {
			continue // the operation's own declaration wins, as in kin-openapi
		}
		if !rt.parameterPasses(r, p, params) {
			return false
		}
	}
	for _, ref := range op.Parameters {
		if !rt.parameterPasses(r, ref.Value, params) {
			return false
		}
	}
	if op.RequestBody == nil {
		return true
	}
	schema, body := fastBody(r, rt)
	if schema == nil {
		// No body, or not JSON: kin-openapi says whether that is allowed.
		return false
	}
	return rt.schemas.Passes(schema, body)
}

// parameterPasses judges one parameter: an absent optional one passes, a
// single plain value is checked against its schema as the JSON value
// kin-openapi would decode it to. Content parameters, arrays and objects,
// repeated or empty values, cookies and absent required ones are left to
// kin-openapi.
func (rt *route) parameterPasses(r *http.Request, p *openapi3.Parameter, params map[string]string) bool {
	if p == nil || p.Content != nil || !defaultStyle(p) {
		return false
	}
	if p.Schema == nil {
		return true
	}
	s := p.Schema.Value
	if s == nil || s.Type == nil || len(*s.Type) != 1 {
		return false
	}
	var values []string
	switch p.In {
	case openapi3.ParameterInPath:
		if v, ok := params[p.Name]; ok {
			values = []string{v}
		}
	case openapi3.ParameterInQuery:
		values = r.URL.Query()[p.Name]
	case openapi3.ParameterInHeader:
		values = r.Header.Values(p.Name)
	default:
		return false
	}
	switch {
	case len(values) == 0:
		return !p.Required
	case len(values) > 1 || values[0] == "":
		return false
	}
	doc, ok := plainJSON((*s.Type)[0], values[0])
	return ok && rt.schemas.Passes(s, doc)
}

// defaultStyle reports whether p is serialised the default way (simple in
// a path or header, form in a query), the only one judged here: kin-openapi
// reads label and matrix path values, or other query styles, otherwise.
func defaultStyle(p *openapi3.Parameter) bool {
	switch p.In {
	case openapi3.ParameterInPath, openapi3.ParameterInHeader:
		return p.Style == "" || p.Style == openapi3.SerializationSimple
	case openapi3.ParameterInQuery:
		return p.Style == "" || p.Style == openapi3.SerializationForm
	}
	return false
}

// plainJSON is a parameter's text as the JSON value of its schema's type;
// false for a type or a text kin-openapi might read otherwise.
func plainJSON(typ, text string) ([]byte, bool) {
	switch typ {
	case openapi3.TypeString:
		b, err := json.Marshal(text)
		return b, err == nil
	case openapi3.TypeInteger:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != text {
			return nil, false
		}
		return []byte(text), true
	case openapi3.TypeBoolean:
		if text != "true" && text != "false" {
			return nil, false
		}
		return []byte(text), true
	}
	return nil, false // numbers: float parsing is kin-openapi's to judge
}
