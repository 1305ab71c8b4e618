package runner

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// built is a request ready to send, with what spec validation needs.
type built struct {
	req        *http.Request
	body       []byte
	op         *specs.Operation
	pathParams map[string]string
}

// buildRequest renders a step's request against the scope. Header values may
// hold ${ENV}; they are resolved here and registered as secrets (renderHeader).
func (r *Runner) buildRequest(j *job, opID string, req *suites.Request, resolve tmpl.Resolver) (*built, error) {
	op := j.api.Operation(opID)
	if op == nil {
		return nil, fmt.Errorf("unknown operationId %q", opID)
	}
	params := map[string]string{}
	path := op.Path
	for _, f := range req.Path {
		v, err := f.Value.RenderString(resolve)
		if err != nil {
			return nil, fmt.Errorf("path parameter %s: %w", f.Key, err)
		}
		params[f.Key] = v
		path = strings.ReplaceAll(path, "{"+f.Key+"}", url.PathEscape(v))
	}
	if path == "/" && j.base.Path != "" {
		// An operation on "/" is the target URL itself: a webhook receiver's
		// address is given whole, not as a base.
		path = ""
	}
	u := *j.base
	u.Path = j.base.Path + path
	u.RawPath = ""
	if strings.Contains(path, "%") {
		u.RawPath = j.base.EscapedPath() + path
		u.Path, _ = url.PathUnescape(u.RawPath)
	}
	if len(req.Query) > 0 {
		q := url.Values{}
		for _, f := range req.Query {
			v, err := f.Value.Render(resolve)
			if err != nil {
				return nil, fmt.Errorf("query %s: %w", f.Key, err)
			}
			if list, ok := v.([]any); ok {
				for _, el := range list {
					q.Add(f.Key, tmpl.Format(el))
				}
				continue
			}
			q.Set(f.Key, tmpl.Format(v))
		}
		u.RawQuery = q.Encode()
	}

	var body []byte
	contentType := req.ContentType
	switch {
	case req.RawBody != nil:
		s, err := req.RawBody.RenderString(resolve)
		if err != nil {
			return nil, fmt.Errorf("rawBody: %w", err)
		}
		body = []byte(s)
	case req.Body != nil:
		v, err := req.Body.Render(resolve)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		if body, err = suites.AppendJSON(nil, v); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
	}
	var signatureHeader, signature string
	if req.Sign != nil && body != nil {
		var err error
		if body, signatureHeader, signature, err = r.sign(req.Sign, body, resolve); err != nil {
			return nil, err
		}
	}
	if body != nil && contentType == "" {
		contentType = "application/json"
	}

	hr, err := http.NewRequest(op.Method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "golive/"+r.cfg.version)
	if contentType != "" {
		hr.Header.Set("Content-Type", contentType)
	}
	for _, h := range r.extra {
		hr.Header.Set(h.name, h.value)
	}
	if signatureHeader != "" {
		hr.Header.Set(signatureHeader, signature)
	}
	for _, f := range req.Headers {
		v, err := r.renderHeader(f, resolve)
		if err != nil {
			return nil, err
		}
		if sensitiveHeader(f.Key) && carriesCredential(f.Value) {
			// Named after the header, never after the value: a captured
			// value is the target's text, and must not choose a variable
			// that a pasted curl line would expand.
			r.secrets.addCredential(f.Key, "", v)
		}
		hr.Header.Set(f.Key, v)
	}
	return &built{req: hr, body: body, op: op, pathParams: params}, nil
}

// renderHeader renders a header value and resolves the ${ENV} references the
// suite wrote in it (registered as secrets). Only the suite's own text is
// expanded: a value a reference inserts, such as a field captured from the
// target, is sent as it is, or a target answering "${AWS_SECRET_ACCESS_KEY}"
// would have golive send it that variable. The inserted values stand as
// placeholders while the suite's text is expanded: a NUL cannot be part of a
// ${NAME} reference, nor of an environment variable's value.
func (r *Runner) renderHeader(f suites.Field, resolve tmpl.Resolver) (string, error) {
	placeholder := func(i int) string { return fmt.Sprintf("\x00%d\x00", i) }
	var inserted []string
	text, err := f.Value.RenderString(func(ref tmpl.Ref) (any, bool) {
		v, ok := resolve(ref)
		if !ok {
			return nil, false
		}
		inserted = append(inserted, tmpl.Format(v))
		return placeholder(len(inserted) - 1), true
	})
	if err != nil {
		return "", fmt.Errorf("header %s: %w", f.Key, err)
	}
	text, err = r.expandEnv(text, "header "+f.Key)
	if err != nil {
		return "", err
	}
	if len(inserted) == 0 {
		return text, nil
	}
	// One pass, so that an inserted value is never searched for placeholders.
	if len(inserted) == 1 {
		// strings.Replace makes one pass too, without building a Replacer's
		// tables for every header of every request.
		return strings.Replace(text, placeholder(0), inserted[0], -1), nil
	}
	pairs := make([]string, 0, 2*len(inserted))
	for i, v := range inserted {
		pairs = append(pairs, placeholder(i), v)
	}
	return strings.NewReplacer(pairs...).Replace(text), nil
}

// carriesCredential reports whether a credential header's value, as the
// suite writes it, takes a value from the run: a variable (credentials come
// in through variables and --var) or a capture (a token the target issued).
// Such a value is a secret. Text the suite writes out, or generates, is not:
// it is a deliberately wrong credential ("golive-wrong-api-key-0000") that a
// curl line must show as sent, or the line would send the real one and not
// reproduce the check. ${ENV} references in the text are secrets already
// (expandEnv).
func carriesCredential(v *suites.Value) bool {
	for _, ref := range v.Refs() {
		if ref.NS != tmpl.Gen {
			return true
		}
	}
	return false
}

// secured reports whether the operation requires credentials.
func secured(api *specs.API, op *specs.Operation) bool {
	if op.Op.Security != nil {
		for _, req := range *op.Op.Security {
			if len(req) == 0 {
				return false // an empty requirement makes auth optional
			}
		}
		return len(*op.Op.Security) > 0
	}
	return len(api.Doc.Security) > 0
}
