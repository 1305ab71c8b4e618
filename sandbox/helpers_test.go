package sandbox_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
)

// harness runs one sandbox on 127.0.0.1 and talks real HTTP to it. In
// strict mode (the clean sandbox) every exchange made through call is
// checked against the spec, so "every response validates" is asserted by
// every test rather than by a few.
type harness struct {
	base   string
	client *http.Client
	strict bool
	ops    map[string]opRef // operationId -> where it is documented
}

type opRef struct {
	api *specs.API
	op  *specs.Operation
}

// exchange is one request and its response, read in full.
type exchange struct {
	ref    *opRef // nil for requests to paths no spec declares
	req    *http.Request
	params map[string]string
	status int
	header http.Header
	body   []byte
}

// newHarness starts a sandbox with opts; strict when no fault is involved.
func newHarness(strict bool, opts ...sandbox.Option) *harness {
	GinkgoHelper()
	sb, err := sandbox.New(opts...)
	Expect(err).NotTo(HaveOccurred())
	return serve(sb, strict)
}

// serve puts sb on 127.0.0.1 and returns a harness for it.
func serve(sb *sandbox.Sandbox, strict bool) *harness {
	GinkgoHelper()
	srv := httptest.NewServer(sb) // listens on 127.0.0.1 only
	DeferCleanup(srv.Close)
	DeferCleanup(sb.Close) // runs first: no callback outlives the test
	return &harness{base: srv.URL, client: srv.Client(), strict: strict, ops: documented}
}

// documented indexes the built-in specs' operations by operationId; loaded
// once for the suite and only read afterwards.
var documented map[string]opRef

var _ = BeforeSuite(func() {
	documented = map[string]opRef{}
	loader := specs.NewLoader()
	for _, name := range []string{"collections", "payouts", "webhooks"} {
		api, err := loader.Load(context.Background(), name)
		Expect(err).NotTo(HaveOccurred())
		for _, op := range api.Operations() {
			if _, seen := documented[op.ID]; !seen {
				documented[op.ID] = opRef{api: api, op: op}
			}
		}
	}
})

// clean is a strict harness for the fault-free sandbox.
func clean(opts ...sandbox.Option) *harness {
	GinkgoHelper()
	return newHarness(true, opts...)
}

// faulty is a harness for a sandbox with one fault on; it does not insist
// on conformance, since breaking it is the point.
func faulty(fault string, opts ...sandbox.Option) *harness {
	GinkgoHelper()
	return newHarness(false, append([]sandbox.Option{sandbox.WithFault(fault)}, opts...)...)
}

// request describes what to send; zero values mean "the usual".
type request struct {
	params  map[string]string // path parameters
	headers map[string]string // extra headers; "" deletes one
	body    any               // string: sent raw; anything else: JSON-encoded
	token   string            // bearer token; "" sends none
}

// call sends a request to the operation and, in strict mode, checks the
// response against the spec.
func (h *harness) call(opID string, rq request) *exchange {
	GinkgoHelper()
	ref, ok := h.ops[opID]
	Expect(ok).To(BeTrue(), "no operation %s", opID)
	path := ref.op.Path
	for k, v := range rq.params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	x := h.send(ref.op.Method, path, rq)
	x.ref, x.params = &ref, rq.params
	if h.strict {
		Expect(x.conformance()).To(Succeed(), "%s %s -> %d %s", x.req.Method, x.req.URL.Path, x.status, x.body)
	}
	return x
}

// send makes a request to any method and path, with no spec check.
func (h *harness) send(method, path string, rq request) *exchange {
	GinkgoHelper()
	var body io.Reader
	switch b := rq.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		Expect(err).NotTo(HaveOccurred())
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.base+path, body)
	Expect(err).NotTo(HaveOccurred())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := h.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	return &exchange{req: req, status: resp.StatusCode, header: resp.Header, body: data}
}

// token gets a bearer token with the default credentials.
func (h *harness) token() string {
	GinkgoHelper()
	x := h.call("generateToken", request{headers: credentials(sandbox.DefaultClientID, sandbox.DefaultAPIKey)})
	Expect(x.status).To(Equal(http.StatusOK), string(x.body))
	return x.str("token")
}

func credentials(id, key string) map[string]string {
	return map[string]string{"client-id": id, "api-key": key}
}

// conformance checks the response against the operation in the spec:
// documented status, content type, and body schema.
func (x *exchange) conformance() error {
	if x.ref == nil {
		return fmt.Errorf("%s %s is not a documented operation", x.req.Method, x.req.URL.Path)
	}
	if ct := x.header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("Content-Type is %q, want application/json", ct)
	}
	route := &routers.Route{
		Spec: x.ref.api.Doc, Path: x.ref.op.Path, PathItem: x.ref.op.PathItem,
		Method: x.ref.op.Method, Operation: x.ref.op.Op,
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: x.req, PathParams: x.params, Route: route, Options: opts,
		},
		Status:  x.status,
		Header:  x.header,
		Body:    io.NopCloser(bytes.NewReader(x.body)),
		Options: opts,
	})
}

// json decodes the body as an object, keeping numbers exact.
func (x *exchange) json() map[string]any {
	GinkgoHelper()
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.UseNumber()
	var m map[string]any
	Expect(dec.Decode(&m)).To(Succeed(), "body: %s", x.body)
	return m
}

// str returns a top-level string field.
func (x *exchange) str(field string) string {
	GinkgoHelper()
	v, ok := x.json()[field].(string)
	Expect(ok).To(BeTrue(), "%q is not a string in %s", field, x.body)
	return v
}

// errorFields lists the "field" of each Error detail.
func (x *exchange) errorFields() []string {
	GinkgoHelper()
	var e struct {
		Details []struct{ Field, Issue string }
	}
	Expect(json.Unmarshal(x.body, &e)).To(Succeed())
	var fields []string
	for _, d := range e.Details {
		Expect(d.Issue).NotTo(BeEmpty())
		fields = append(fields, d.Field)
	}
	return fields
}

// expectError asserts an Error-schema answer with this status and code.
func (x *exchange) expectError(status int, code string) {
	GinkgoHelper()
	Expect(x.status).To(Equal(status), "body: %s", x.body)
	Expect(x.header.Get("Content-Type")).To(Equal("application/json"))
	Expect(x.str("code")).To(Equal(code))
	Expect(x.str("message")).NotTo(BeEmpty())
}

// newRef returns a fresh, valid orderReference.
func newRef() string { return "ORD" + rand.Text()[:16] }

// order builds a valid order request body.
func order(ref, amount, phone string) map[string]any {
	return map[string]any{"amount": amount, "currency": "TZS", "orderReference": ref, "phoneNumber": phone}
}

// apiOps names one API's order operations and callback events, so the same
// tests cover both.
type apiOps struct {
	name, preview, create, status, idPrefix string
	successEvent, failureEvent              string
}

var bothAPIs = []apiOps{
	{name: "collections", preview: "previewUssdPush", create: "initiateUssdPush", status: "getCollectionStatus", idPrefix: "col_",
		successEvent: "PAYMENT RECEIVED", failureEvent: "PAYMENT FAILED"},
	{name: "payouts", preview: "previewPayout", create: "createPayout", status: "getPayoutStatus", idPrefix: "pay_",
		successEvent: "PAYOUT SUCCESS", failureEvent: "PAYOUT FAILED"},
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
