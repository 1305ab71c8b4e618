package uat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/golive-cert/golive/specs"
)

// Operation ids of the BAU APIs the grading reasons about.
const (
	opToken = "generateToken"
)

// opRole is what an operation means for the client checklist.
type opRole int

const (
	roleOther opRole = iota
	roleToken
	rolePreview
	roleInitiate
	roleStatus
)

// catalog knows the documents of the session's APIs: which operation a
// request is, and whether it is valid against the spec.
type catalog struct {
	apis   map[string]*specs.API
	routes []*catalogRoute

	// Status queries repeat (a client polls one URL many times) and their
	// validation depends on the URL alone, so its answer is remembered:
	// validation is most of a session's cost per request.
	mu   sync.Mutex
	memo map[string][]violation
}

// maxMemo bounds the remembered answers; the memo starts afresh when full.
const maxMemo = 10_000

type catalogRoute struct {
	api      string
	op       *specs.Operation
	role     opRole
	segments []string
	spec     *routers.Route
	secured  bool
}

// roleOf maps the BAU operationIds to their role.
func roleOf(operationID string) opRole {
	switch operationID {
	case opToken:
		return roleToken
	case "previewUssdPush", "previewPayout":
		return rolePreview
	case "initiateUssdPush", "createPayout":
		return roleInitiate
	case "getCollectionStatus", "getPayoutStatus":
		return roleStatus
	}
	return roleOther
}

func newCatalog(ctx context.Context, names []string) (*catalog, error) {
	loader := specs.NewLoader()
	c := &catalog{apis: map[string]*specs.API{}}
	for _, name := range names {
		if !IsAPI(name) {
			return nil, &UnknownAPIError{Name: name}
		}
		api, err := loader.Load(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		c.apis[name] = api
		for _, op := range api.Operations() {
			secured := len(api.Doc.Security) > 0
			if op.Op.Security != nil {
				secured = len(*op.Op.Security) > 0
			}
			c.routes = append(c.routes, &catalogRoute{
				api: name, op: op, role: roleOf(op.ID), secured: secured,
				segments: strings.Split(strings.TrimPrefix(op.Path, "/"), "/"),
				spec: &routers.Route{Spec: api.Doc, Path: op.Path, PathItem: op.PathItem,
					Method: op.Method, Operation: op.Op},
			})
		}
	}
	return c, nil
}

// match finds the operation of a request; the token operation, shared by
// the APIs, is the first API's.
func (c *catalog) match(method, path string) (*catalogRoute, map[string]string) {
	rt, params, _ := c.matchUnder(method, path, false)
	return rt, params
}

// matchUnder is match that, with anyPrefix, also finds the route under a
// base path (a recording made against https://host/payments/v1/... or a
// hub's /uat/SESSION/v1/...), and returns that prefix ("/payments").
func (c *catalog) matchUnder(method, path string, anyPrefix bool) (*catalogRoute, map[string]string, string) {
	all := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for _, rt := range c.routes {
		if rt.op.Method != method || len(all) < len(rt.segments) || (!anyPrefix && len(all) != len(rt.segments)) {
			continue
		}
		prefix := all[:len(all)-len(rt.segments)]
		segs := all[len(prefix):]
		params := map[string]string{}
		ok := true
		for i, want := range rt.segments {
			name, isParam := strings.CutPrefix(want, "{")
			if !isParam {
				if segs[i] != want {
					ok = false
					break
				}
				continue
			}
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				ok = false
				break
			}
			params[strings.TrimSuffix(name, "}")] = v
		}
		if ok {
			p := ""
			if len(prefix) > 0 {
				p = "/" + strings.Join(prefix, "/")
			}
			return rt, params, p
		}
	}
	return nil, nil, ""
}

// violation is one way a request breaks its spec.
type violation struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// validate checks a request against its operation with kin-openapi. The
// bearer token is the authentication items' business, not data mapping.
func (c *catalog) validate(ctx context.Context, rt *catalogRoute, params map[string]string,
	method, rawURL string, header http.Header, body []byte) []violation {
	if rt.role != roleStatus {
		return c.validateNow(ctx, rt, params, method, rawURL, header, body)
	}
	key := rt.op.ID + " " + rawURL
	c.mu.Lock()
	v, ok := c.memo[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = c.validateNow(ctx, rt, params, method, rawURL, header, body)
	c.mu.Lock()
	if c.memo == nil || len(c.memo) >= maxMemo {
		c.memo = map[string][]violation{}
	}
	c.memo[key] = v
	c.mu.Unlock()
	return v
}

func (c *catalog) validateNow(ctx context.Context, rt *catalogRoute, params map[string]string,
	method, rawURL string, header http.Header, body []byte) []violation {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, bytes.NewReader(body))
	if err != nil {
		return []violation{{Field: "request", Rule: oneLine(err.Error())}}
	}
	req.Header = header.Clone()
	err = openapi3filter.ValidateRequest(ctx, &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: rt.spec,
		Options: &openapi3filter.Options{
			MultiError:          true,
			SkipSettingDefaults: true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
		},
	})
	if err == nil {
		return nil
	}
	return flatten(err)
}

// flatten turns kin-openapi's error tree into field/rule pairs.
func flatten(err error) []violation {
	var out []violation
	var walk func(err error, field string)
	walk = func(err error, field string) {
		var multi openapi3.MultiError
		var reqErr *openapi3filter.RequestError
		var schemaErr *openapi3.SchemaError
		switch {
		case errors.As(err, &multi):
			for _, inner := range multi {
				walk(inner, field)
			}
		case errors.As(err, &reqErr):
			if reqErr.Parameter != nil {
				field = reqErr.Parameter.Name
			}
			if reqErr.Err == nil {
				out = append(out, violation{Field: orDefault(field, "request"), Rule: oneLine(reqErr.Reason)})
				return
			}
			walk(reqErr.Err, field)
		case errors.As(err, &schemaErr):
			path := strings.Join(schemaErr.JSONPointer(), ".")
			if rest, ok := strings.CutPrefix(schemaErr.Reason, `property "`); ok {
				if name, ok := strings.CutSuffix(rest, `" is unsupported`); ok {
					path = strings.TrimPrefix(path+"."+name, ".")
				}
			}
			if field != "" {
				path = strings.TrimSuffix(field+"."+path, ".")
			}
			out = append(out, violation{Field: orDefault(path, "body"), Rule: oneLine(schemaErr.Reason)})
		default:
			out = append(out, violation{Field: orDefault(field, "request"), Rule: oneLine(err.Error())})
		}
	}
	walk(err, "")
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
