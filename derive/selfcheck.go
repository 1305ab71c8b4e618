package derive

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/golive-cert/golive/specs"
)

// Every generated request is validated against the operation with the same
// library the runner (and the sandbox) use, before it becomes an item: a
// positive or boundary request that does not validate would be a false
// positive, a negative one that does would test nothing.

// problems returns what is wrong with the request, one line each; none
// means it is valid. Problems with parameters the runner owns (credentials,
// Accept, Content-Type, cookies) are not the generator's and are left out.
func (oc *opCtx) problems(m *reqModel) []string {
	req, pathParams, err := oc.httpRequest(m)
	if err != nil {
		return []string{err.Error()}
	}
	fast := oc.legacyBody(m)
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route: &routers.Route{
			Spec: oc.api.Doc, Path: oc.op.Path, PathItem: oc.op.PathItem,
			Method: oc.op.Method, Operation: oc.op.Op,
		},
		Options: &openapi3filter.Options{
			MultiError:          true,
			SkipSettingDefaults: true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			ExcludeRequestBody:  fast,
			RegexCompiler:       specs.CompileRegex,
		},
	})
	out := dropUndecoded(realErrors(err, oc.skips), m)
	if fast {
		err := oc.body.schema.VisitJSON(sampleJSON(m.body), openapi3.VisitAsRequest(), openapi3.MultiErrors(),
			openapi3.SetSchemaRegexCompiler(specs.CompileRegex))
		out = append(out, realErrors(err, nil)...)
	}
	return out
}

// legacyBody reports whether the body can be validated here, with the
// schema compiled once, instead of inside ValidateRequest. kin-openapi
// compiles a JSON Schema 2020-12 validator on every call for OpenAPI 3.1
// documents (seconds for a large document's hundreds of variants), and then,
// for a schema that refers to components and uses no 2020-only keyword,
// validates with its OpenAPI 3.0 validator anyway. Exactly for those bodies
// golive calls that validator directly: the same verdict, without the cost.
func (oc *opCtx) legacyBody(m *reqModel) bool {
	if !oc.api.Doc.IsOpenAPI31OrLater() || m.raw != nil || m.kind != jsonBody || oc.body == nil || oc.body.media == nil ||
		oc.body.media.Schema == nil || m.contentType != "" && m.contentType != oc.body.mediaType {
		return false
	}
	return oc.facts.legacyValidated(oc.body.schema)
}

// sampleJSON is the body as kin-openapi decodes it from the wire.
func sampleJSON(v any) any {
	var out any
	if err := json.Unmarshal([]byte(jsonText(v, func(r ref) string { return sampleOf(r) })), &out); err != nil {
		return nil
	}
	return out
}

func (oc *opCtx) valid(m *reqModel) bool { return len(oc.problems(m)) == 0 }

// httpRequest builds the request the runner would send, with refs at their
// sample values.
func (oc *opCtx) httpRequest(m *reqModel) (*http.Request, map[string]string, error) {
	p := oc.op.Path
	pathParams := map[string]string{}
	query := url.Values{}
	header := http.Header{}
	for _, prm := range m.params {
		switch prm.in {
		case inPath:
			v := scalarText(sampleScalar(prm.val))
			pathParams[prm.name] = v
			p = strings.ReplaceAll(p, "{"+prm.name+"}", url.PathEscape(v))
		case inQuery:
			if list, ok := prm.val.([]any); ok {
				for _, el := range list {
					query.Add(prm.name, scalarText(sampleScalar(el)))
				}
				continue
			}
			query.Set(prm.name, scalarText(sampleScalar(prm.val)))
		case inHeader:
			header.Set(prm.name, scalarText(sampleScalar(prm.val)))
		}
	}
	var body []byte
	contentType := m.contentType
	switch {
	case m.raw != nil:
		body = []byte(sampleText(*m.raw))
	case m.kind == jsonBody:
		body = []byte(jsonText(m.body, func(r ref) string { return sampleOf(r) }))
		if contentType == "" {
			contentType = m.mediaType
		}
	case m.kind == formBody:
		body = []byte(formText(m.body, m.encoding, func(r ref) string { return sampleOf(r) }))
		if contentType == "" {
			contentType = m.mediaType
		}
	}
	u := "http://golive.invalid" + p
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(oc.op.Method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("build request: %w", err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	req.Header = header
	if contentType != "" && (body != nil) {
		req.Header.Set("Content-Type", contentType)
	}
	return req, pathParams, nil
}

// sampleScalar replaces a ref by its sample; other values pass.
func sampleScalar(v any) any {
	if r, ok := v.(ref); ok {
		return sampleOf(r)
	}
	return v
}

// dropUndecoded leaves out "property X is missing" for form fields kin-openapi
// does not decode: arrays encoded as deepObject (key[0]=v), which it drops
// silently. The field was sent; only the library cannot see it.
func dropUndecoded(problems []string, m *reqModel) []string {
	body, ok := m.body.(*obj)
	if m.kind != formBody || !ok || m.raw != nil {
		return problems
	}
	var out []string
	for _, p := range problems {
		dropped := false
		for _, mem := range body.members {
			e := m.encoding[mem.key]
			if _, isList := mem.val.([]any); isList && e != nil && e.Style == openapi3.SerializationDeepObject &&
				strings.Contains(p, `property "`+mem.key+`" is missing`) {
				dropped = true
			}
		}
		if !dropped {
			out = append(out, p)
		}
	}
	return out
}
