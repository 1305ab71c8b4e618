package derive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/derive"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/suites/tmpl"
)

// loadAPI loads a built-in API or a document from a file.
func loadAPI(nameOrPath string) *specs.API {
	GinkgoHelper()
	api, err := specs.NewLoader().Load(context.Background(), nameOrPath)
	Expect(err).NotTo(HaveOccurred())
	return api
}

// builtinAuth is the auth block of the API's built-in suite, which derived
// checks of the token operation reuse.
func builtinAuth(name string) *suites.Auth {
	GinkgoHelper()
	s, err := suites.Load(name)
	Expect(err).NotTo(HaveOccurred())
	return s.Auth
}

// planFor plans a built-in API with its suite's auth block.
func planFor(name string, opts derive.Options) []*suites.Item {
	GinkgoHelper()
	opts.Auth = builtinAuth(name)
	items, err := derive.Plan(loadAPI(name), opts)
	Expect(err).NotTo(HaveOccurred())
	return items
}

func idsOf(items []*suites.Item) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

func itemByID(items []*suites.Item, id string) *suites.Item {
	GinkgoHelper()
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	Fail("no item " + id + " in the plan")
	return nil
}

func inGroup(items []*suites.Item, group string) []*suites.Item {
	var out []*suites.Item
	for _, it := range items {
		if it.Group == group {
			out = append(out, it)
		}
	}
	return out
}

// resolve stands in for the runner's scope: fixed values of the shape the
// runner generates, and the sandbox's credentials.
func resolve(r tmpl.Ref) (any, bool) {
	switch {
	case r.NS == tmpl.Gen && strings.HasPrefix(r.Name, "reference"):
		return "GLTEST1234001" + strings.TrimPrefix(r.Name, "reference") + "0", true
	case r.NS == tmpl.Gen && r.Name == "uuid":
		return "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", true
	case r.NS == tmpl.Var && r.Name == "clientId":
		return sandbox.DefaultClientID, true
	case r.NS == tmpl.Var && r.Name == "apiKey":
		return sandbox.DefaultAPIKey, true
	case r.NS == tmpl.Capture:
		return "CAPTURED123", true
	}
	return nil, false
}

// httpRequest builds the request of a step the way the runner sends it.
func httpRequest(api *specs.API, st *suites.Step) (*http.Request, map[string]string) {
	GinkgoHelper()
	op := api.Operation(st.Operation)
	Expect(op).NotTo(BeNil(), st.Operation)
	path := op.Path
	params := map[string]string{}
	for _, f := range st.Request.Path {
		v, err := f.Value.RenderString(resolve)
		Expect(err).NotTo(HaveOccurred())
		params[f.Key] = v
		path = strings.ReplaceAll(path, "{"+f.Key+"}", url.PathEscape(v))
	}
	q := url.Values{}
	for _, f := range st.Request.Query {
		v, err := f.Value.Render(resolve)
		Expect(err).NotTo(HaveOccurred())
		if list, ok := v.([]any); ok {
			for _, el := range list {
				q.Add(f.Key, tmpl.Format(el))
			}
			continue
		}
		q.Set(f.Key, tmpl.Format(v))
	}
	var body []byte
	contentType := st.Request.ContentType
	switch {
	case st.Request.RawBody != nil:
		s, err := st.Request.RawBody.RenderString(resolve)
		Expect(err).NotTo(HaveOccurred())
		body = []byte(s)
	case st.Request.Body != nil:
		v, err := st.Request.Body.Render(resolve)
		Expect(err).NotTo(HaveOccurred())
		body, err = json.Marshal(v)
		Expect(err).NotTo(HaveOccurred())
	}
	if body != nil && contentType == "" {
		contentType = "application/json"
	}
	u := "http://golive.test" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(op.Method, u, bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	if body == nil {
		req.Body = http.NoBody
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, f := range st.Request.Headers {
		v, err := f.Value.RenderString(resolve)
		Expect(err).NotTo(HaveOccurred())
		req.Header.Set(f.Key, v)
	}
	return req, params
}

// validate checks a step's request against its operation, credentials aside.
func validate(api *specs.API, st *suites.Step) error {
	GinkgoHelper()
	req, params := httpRequest(api, st)
	op := api.Operation(st.Operation)
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params,
		Route: &routers.Route{Spec: api.Doc, Path: op.Path, PathItem: op.PathItem, Method: op.Method, Operation: op.Op},
		Options: &openapi3filter.Options{
			MultiError: true, SkipSettingDefaults: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	})
}

// fingerprint renders every request of the plan, to compare plans.
func fingerprint(items []*suites.Item) string {
	GinkgoHelper()
	var b strings.Builder
	for _, it := range items {
		for _, st := range it.Steps() {
			for _, part := range []suites.OrderedValues{st.Request.Path, st.Request.Query, st.Request.Headers} {
				o, err := part.Render(resolve)
				Expect(err).NotTo(HaveOccurred())
				data, _ := json.Marshal(o)
				b.Write(data)
			}
			for _, v := range []*suites.Value{st.Request.Body, st.Request.RawBody} {
				r, err := v.Render(resolve)
				Expect(err).NotTo(HaveOccurred())
				fmt.Fprintf(&b, "%v|", r)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// tmplRef is a template reference, as resolvers receive it.
type tmplRef = tmpl.Ref
