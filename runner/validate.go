package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/golive-cert/golive/specs"
)

// validateResponse checks a response against the operation in the spec:
// documented status, documented content type, headers and body schema. It
// returns "" when the response conforms, or one line naming the JSON pointer
// and the rule that failed.
func validateResponse(j *job, b *built, ex *exchange) string {
	api := j.api
	if ex.truncated {
		return "" // a cut body cannot be validated; the truncation is reported with the exchange
	}
	route := &routers.Route{
		Spec:      api.Doc,
		Path:      b.op.Path,
		PathItem:  b.op.PathItem,
		Method:    b.op.Method,
		Operation: b.op.Op,
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    b.req,
			PathParams: b.pathParams,
			Route:      route,
		},
		Status: ex.status,
		Header: ex.header,
		Body:   io.NopCloser(bytes.NewReader(ex.body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			RegexCompiler:         specs.CompileRegex, // the one regex policy (ECMA-262 where RE2 cannot)
		},
	}
	body := responseSchema(b, ex)
	if body != nil && j.schemas != nil && !api.Doc.IsOpenAPI31OrLater() {
		// 3.0: a body the compiled translation passes conforms (it is never
		// laxer than kin-openapi's 3.0 validator); any other is judged and
		// described by kin-openapi, as it always was.
		input.Options.ExcludeResponseBody = j.schemas.conforms(body, ex.body)
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			return describeValidation(ex.status, err)
		}
		return ""
	}
	fast := api.Doc.IsOpenAPI31OrLater() && body != nil && j.schemas != nil
	if fast {
		// Status, content type and headers by kin-openapi; the body by the
		// compiled schema (see schemaCache).
		input.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return describeValidation(ex.status, err)
	}
	if !fast {
		return ""
	}
	if problem, ok := j.schemas.validateBody(body, ex.body); ok {
		return problem
	}
	input.Options.ExcludeResponseBody = false
	input.Body = io.NopCloser(bytes.NewReader(ex.body))
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return describeValidation(ex.status, err)
	}
	return ""
}

// responseSchema is the JSON schema the spec documents for this response,
// or nil when there is none (or it is not JSON).
func responseSchema(b *built, ex *exchange) *openapi3.Schema {
	resp := b.op.Op.Responses.Status(ex.status)
	if resp == nil {
		resp = b.op.Op.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return nil
	}
	ct, _, _ := strings.Cut(ex.header.Get("Content-Type"), ";")
	ct = strings.TrimSpace(ct)
	mt := resp.Value.Content.Get(ct)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil || !strings.Contains(ct, "json") {
		return nil
	}
	return mt.Schema.Value
}

func describeValidation(status int, err error) string {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return oneLine(err.Error())
	}
	switch {
	case re.Reason == "status is not supported":
		return fmt.Sprintf("status %d is not documented for this operation", status)
	case strings.Contains(re.Reason, "header Content-Type has unexpected value"):
		return re.Reason
	case re.Err == nil:
		return oneLine(re.Reason)
	}
	var problems []string
	collectSchemaErrors(re.Err, &problems)
	if len(problems) == 0 {
		return oneLine(re.Error())
	}
	return bodyProblems(problems)
}

// bodyProblems writes schema problems as one line: the first three, and how
// many more there were.
func bodyProblems(problems []string) string {
	const most = 3
	more := ""
	if len(problems) > most {
		more = fmt.Sprintf(" (and %d more)", len(problems)-most)
		problems = problems[:most]
	}
	return "body " + strings.Join(problems, "; ") + more
}

// collectSchemaErrors flattens kin-openapi's error tree into
// "/pointer: reason (rule: keyword)" lines.
func collectSchemaErrors(err error, out *[]string) {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		for _, e := range multi {
			collectSchemaErrors(e, out)
		}
		return
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		pointer := "/" + strings.Join(se.JSONPointer(), "/")
		rule := se.SchemaField
		reason := se.Reason
		if reason == "" {
			reason = oneLine(se.Error())
		}
		if rule != "" {
			*out = append(*out, fmt.Sprintf("%s: %s (rule: %s)", pointer, reason, rule))
		} else {
			*out = append(*out, fmt.Sprintf("%s: %s", pointer, reason))
		}
		return
	}
	*out = append(*out, oneLine(err.Error()))
}
