package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/routers"

	"github.com/golive-cert/golive/schemacache"
	"github.com/golive-cert/golive/specs"
)

// handlerFunc serves one operation.
type handlerFunc func(w http.ResponseWriter, r *http.Request, in inbound)

// inbound is what the pipeline learned about a request before its handler runs.
type inbound struct {
	params map[string]string // path parameters
	// unvalidated: the request failed validation and the no-validation fault
	// let it through. It is answered as if valid but nothing is kept, so every
	// invalid probe gets its 200, even one that reuses an orderReference.
	unvalidated bool
}

// endpoint is the sandbox's implementation of one operationId.
type endpoint struct {
	handle handlerFunc
	// status marks a status lookup: the no-status fault removes it, and an
	// impossible orderReference there is "not found" (the operation documents
	// no 400).
	status bool
	// checksCredentials marks the token operation: it answers 401 for missing
	// or wrong client-id/api-key itself, before any 400 from validation.
	checksCredentials bool
}

// endpoints maps each operationId of the served specs to its handler.
func (s *Sandbox) endpoints() map[string]endpoint {
	return map[string]endpoint{
		"generateToken":       {handle: s.handleToken, checksCredentials: true},
		"previewUssdPush":     {handle: s.previewCollection},
		"initiateUssdPush":    {handle: s.initiateCollection},
		"getCollectionStatus": {handle: s.collectionStatus, status: true},
		"previewPayout":       {handle: s.previewPayout},
		"createPayout":        {handle: s.createPayout},
		"getPayoutStatus":     {handle: s.payoutStatus, status: true},
	}
}

// route is one operation of one spec, ready to match and validate requests.
type route struct {
	endpoint
	method   string
	segments []string       // "/v1/collections/{orderReference}" split on "/"
	spec     *routers.Route // what openapi3filter validates against
	public   bool           // the spec needs no bearer token here (security: [])
	// schemas compiles the request body schemas of a 3.1 document once
	// (validate.go); nil for 3.0 documents, which kin-openapi validates fast.
	schemas *schemacache.Cache
}

// routeTable routes by the documents' own paths, so the sandbox serves
// exactly what the specs declare and nothing else.
type routeTable []*route

// buildRoutes makes one route per operation of the APIs. An operation served
// by several APIs (POST /v1/token) is routed to the first. It fails when a
// document has an operation the sandbox does not implement, so a spec change
// cannot leave the sandbox silently out of date.
func buildRoutes(apis []*specs.API, impl map[string]endpoint) (routeTable, error) {
	var table routeTable
	seen := map[string]bool{}
	for _, api := range apis {
		var schemas *schemacache.Cache
		if api.Doc.IsOpenAPI31OrLater() {
			schemas = schemacache.New(api.Doc)
		}
		for _, op := range api.Operations() {
			key := op.Method + " " + op.Path
			if seen[key] {
				continue
			}
			seen[key] = true
			ep, ok := impl[op.ID]
			if !ok {
				return nil, fmt.Errorf("%s: operation %s (%s) is not implemented by the sandbox", api.Source, op.ID, key)
			}
			table = append(table, &route{
				endpoint: ep,
				method:   op.Method,
				segments: strings.Split(strings.TrimPrefix(op.Path, "/"), "/"),
				spec: &routers.Route{
					Spec: api.Doc, Path: op.Path, PathItem: op.PathItem,
					Method: op.Method, Operation: op.Op,
				},
				public:  !needsToken(api, op),
				schemas: schemas,
			})
		}
	}
	return table, nil
}

// needsToken reads the operation's security, falling back to the document's.
func needsToken(api *specs.API, op *specs.Operation) bool {
	if op.Op.Security != nil {
		return len(*op.Op.Security) > 0
	}
	return len(api.Doc.Security) > 0
}

// find returns the route for the request and its path parameters. When the
// path exists but not for this method, route is nil and allow lists the
// methods that do exist (for a 405).
func (t routeTable) find(r *http.Request) (rt *route, params map[string]string, allow []string) {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	for _, candidate := range t {
		p, ok := candidate.match(segs)
		if !ok {
			continue
		}
		if candidate.method == r.Method {
			return candidate, p, nil
		}
		if !slices.Contains(allow, candidate.method) {
			allow = append(allow, candidate.method)
		}
	}
	slices.Sort(allow)
	return nil, nil, allow
}

// match compares escaped path segments with the route's template; literal
// segments must be equal, {name} segments capture one non-empty segment.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segments) {
		return nil, false
	}
	params := map[string]string{}
	for i, want := range rt.segments {
		name, isParam := strings.CutPrefix(want, "{")
		if !isParam {
			if segs[i] != want {
				return nil, false
			}
			continue
		}
		value, err := url.PathUnescape(segs[i])
		if err != nil || value == "" {
			return nil, false
		}
		params[strings.TrimSuffix(name, "}")] = value
	}
	return params, true
}
