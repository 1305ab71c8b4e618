package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// delivery is one callback as a catcher received it.
type delivery struct {
	at     time.Time
	method string
	path   string
	header http.Header
	body   []byte
}

// json decodes the callback body, keeping numbers exact.
func (d delivery) json() map[string]any {
	GinkgoHelper()
	dec := json.NewDecoder(bytes.NewReader(d.body))
	dec.UseNumber()
	var m map[string]any
	Expect(dec.Decode(&m)).To(Succeed(), "callback body: %s", d.body)
	return m
}

// catcher stands in for a merchant's callback endpoint: a loopback server
// that records every request. Its answer can be changed with respond.
type catcher struct {
	srv *httptest.Server

	mu      sync.Mutex
	got     []delivery
	respond http.HandlerFunc // nil: 200 {"received":true}
}

// newCatcher starts a catcher; create it before the sandbox, so that the
// sandbox is closed (callbacks stopped) before the catcher is.
func newCatcher() *catcher {
	GinkgoHelper()
	c := &catcher{}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	DeferCleanup(c.srv.Close)
	return c
}

func (c *catcher) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.got = append(c.got, delivery{at: time.Now(), method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
	respond := c.respond
	c.mu.Unlock()
	if respond != nil {
		respond(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"received":true}`)
}

// url is a callback address on the catcher.
func (c *catcher) url(path string) string { return c.srv.URL + "/callbacks/" + path }

func (c *catcher) answer(h http.HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.respond = h
}

func (c *catcher) deliveries() []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]delivery(nil), c.got...)
}

func (c *catcher) count() int { return len(c.deliveries()) }

// callbackConforms validates a callback against the callback its API's spec
// declares on the create operation, as a request to the callbackUrl.
func callbackConforms(createOp string, d delivery) error {
	GinkgoHelper()
	ref := documented[createOp]
	Expect(ref.op.Op.Callbacks).To(HaveLen(1), "%s declares one callback", createOp)
	var route *routers.Route
	for _, cb := range ref.op.Op.Callbacks {
		item := cb.Value.Value("{$request.body#/callbackUrl}")
		Expect(item).NotTo(BeNil(), "the callback is addressed by the request's callbackUrl")
		Expect(item.Post).NotTo(BeNil())
		route = &routers.Route{Spec: ref.api.Doc, Path: "/", PathItem: item, Method: http.MethodPost, Operation: item.Post}
	}
	req, err := http.NewRequest(d.method, "http://callback.invalid"+d.path, bytes.NewReader(d.body))
	Expect(err).NotTo(HaveOccurred())
	req.Header = d.header.Clone()
	return openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: map[string]string{}, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
}
