package sandbox

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/golive-cert/golive/schemacache"
	"github.com/golive-cert/golive/specs"
)

// validateRequest checks the request against its operation in the spec and
// turns what is wrong into an Error answer (nil when the request is valid).
// The bearer token has been checked already, so security is not re-checked.
func validateRequest(r *http.Request, rt *route, params map[string]string) *problem {
	if passesCompiled(r, rt, params) {
		return nil
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      rt.spec,
		Options: &openapi3filter.Options{
			MultiError:          true, // report every bad field at once, not one per attempt
			SkipSettingDefaults: true, // the handlers see the request as it was sent
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			RegexCompiler:       specs.CompileRegex,
		},
	}
	// For a 3.1 document kin-openapi compiles the body's JSON Schema on
	// every request (~500 µs, the sandbox's bottleneck under derived checks):
	// a JSON body is checked against the schema compiled once instead.
	schema, body := fastBody(r, rt)
	input.Options.ExcludeRequestBody = schema != nil
	err := openapi3filter.ValidateRequest(r.Context(), input)
	if err == nil && schema != nil {
		found, verr := rt.schemas.Validate(schema, body)
		if verr == nil {
			if len(found) == 0 {
				return nil
			}
			details := bodyDetails(found)
			return &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
				message: fmt.Sprintf("the request does not match the API specification (%d issue(s))", len(details)),
				details: details}
		}
		// Not JSON, or a schema not compilable here: kin-openapi says why.
		input.Options.ExcludeRequestBody = false
		err = openapi3filter.ValidateRequest(r.Context(), input)
	}
	if err == nil {
		return nil
	}
	if rt.status {
		// A status lookup documents no 400: an orderReference that cannot
		// exist simply is not found.
		p := notFound(params["orderReference"])
		p.message += " (it is not a valid orderReference)"
		return p
	}
	var parse *openapi3filter.ParseError
	if errors.As(err, &parse) {
		return &problem{status: http.StatusBadRequest, code: "INVALID_JSON",
			message: "the request body is not valid JSON",
			details: []detail{{Field: "body", Issue: oneLine(parse.Error())}}}
	}
	details := describe(err)
	return &problem{status: http.StatusBadRequest, code: "VALIDATION_FAILED",
		message: fmt.Sprintf("the request does not match the API specification (%d issue(s))", len(details)),
		details: details}
}

// fastBody returns the request's JSON body schema and its body when the
// compiled schema can check it: a 3.1 document, an operation taking JSON, a
// JSON content type and a body. Anything else (no body, another content
// type) is left to kin-openapi, whose answers name those cases.
func fastBody(r *http.Request, rt *route) (*openapi3.Schema, []byte) {
	rb := rt.spec.Operation.RequestBody
	if rt.schemas == nil || rb == nil || rb.Value == nil || r.GetBody == nil {
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, nil
	}
	content := rb.Value.Content.Get(mt)
	if content == nil || content.Schema == nil || content.Schema.Value == nil {
		return nil, nil
	}
	rc, err := r.GetBody() // bufferBody kept it in memory
	if err != nil {
		return nil, nil
	}
	body, err := io.ReadAll(rc)
	if err != nil || len(body) == 0 {
		return nil, nil
	}
	return content.Schema.Value, body
}

// bodyDetails names each problem's field as describe does: dotted from the
// body's root, one detail per missing or unsupported property.
func bodyDetails(found []schemacache.Problem) []detail {
	var out []detail
	for _, p := range found {
		issue := oneLine(p.Reason)
		if len(p.Properties) > 0 && (p.Keyword == "required" || p.Keyword == "additionalProperties") {
			for _, name := range p.Properties {
				out = append(out, detail{Field: strings.Join(append(append([]string(nil), p.Pointer...), name), "."), Issue: issue})
			}
			continue
		}
		out = append(out, detail{Field: orDefault(strings.Join(p.Pointer, "."), "body"), Issue: issue})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// describe flattens kin-openapi's error tree into field/issue pairs, sorted
// by field so answers are stable. While walking, field carries the name of
// the parameter whose errors are being read, if any.
func describe(err error) []detail {
	var out []detail
	var walk func(err error, field string)
	walk = func(err error, field string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner, field)
			}
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				field = e.Parameter.Name
			case strings.HasPrefix(e.Reason, "header Content-Type"):
				out = append(out, detail{Field: "Content-Type", Issue: "must be application/json, got " +
					quoteOrNone(e.Input.Request.Header.Get("Content-Type"))})
				return
			case errors.Is(e.Err, openapi3filter.ErrInvalidRequired) && e.RequestBody != nil:
				out = append(out, detail{Field: "body", Issue: "a JSON request body is required"})
				return
			}
			if e.Err == nil {
				out = append(out, detail{Field: orDefault(field, "request"), Issue: oneLine(e.Reason)})
				return
			}
			walk(e.Err, field)
		case *openapi3.SchemaError:
			out = append(out, detail{Field: schemaField(e, field), Issue: oneLine(e.Reason)})
		default:
			out = append(out, detail{Field: orDefault(field, "request"), Issue: oneLine(err.Error())})
		}
	}
	walk(err, "")
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// schemaField names the field a schema error is about, dotted from the body
// root ("receiver.phoneNumber"), or the parameter name for parameters.
func schemaField(e *openapi3.SchemaError, param string) string {
	path := e.JSONPointer()
	if name, ok := unsupportedProperty(e.Reason); ok {
		path = append(path, name)
	}
	if param != "" {
		return strings.Join(append([]string{param}, path...), ".")
	}
	return orDefault(strings.Join(path, "."), "body")
}

// unsupportedProperty reads the property name from kin-openapi's reason for
// a property that additionalProperties: false forbids; its pointer names
// only the parent object.
func unsupportedProperty(reason string) (string, bool) {
	rest, ok := strings.CutPrefix(reason, `property "`)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, `" is unsupported`)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return fmt.Sprintf("%q", s)
}
