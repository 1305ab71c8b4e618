package runner_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/runner"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// plantedToken and plantedKey are secrets the fake partner and the tests
// share; no artifact may ever contain them.
const (
	plantedToken = "tok-PLANTED-0123456789abcdef"
	plantedKey   = "key-PLANTED-fedcba9876543210"
)

func env(extra map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := extra[name]
		return v, ok
	}
}

// loadJob loads a built-in or testdata spec and suite; shorten lets a test
// cut poll deadlines so a never-final fault fails fast.
func loadJob(specName, suiteName string, shorten time.Duration) runner.Job {
	api, err := specs.NewLoader().Load(context.Background(), specName)
	Expect(err).NotTo(HaveOccurred())
	s, err := suites.Load(suiteName)
	Expect(err).NotTo(HaveOccurred())
	if shorten > 0 {
		for _, it := range s.Items {
			for _, st := range it.Steps() {
				if st.Poll != nil {
					st.Poll.Deadline.Duration = shorten
				}
			}
		}
	}
	return runner.Job{API: api, Suite: s}
}

func run(target string, jobs []runner.Job, opts ...runner.Option) *results.Run {
	r, err := runner.New(runner.Target{BaseURL: target}, jobs, opts...)
	Expect(err).NotTo(HaveOccurred())
	return r.Run(context.Background())
}

func item(run *results.Run, id string) results.Item {
	for _, it := range run.Items {
		if it.ID == id {
			return it
		}
	}
	Fail("no item " + id)
	return results.Item{}
}

func notPassed(run *results.Run) []string {
	var ids []string
	for _, it := range run.Items {
		if it.Status != results.Pass {
			ids = append(ids, it.ID)
		}
	}
	return ids
}

// fakePartner serves the mini API (testdata/mini.yaml) and misbehaves on
// request: each hook may take over a response.
type fakePartner struct {
	mu          sync.Mutex
	tokens      int            // tokens issued
	valid       map[string]int // token -> uses left (-1: unlimited)
	thingCalls  int
	firstUses   int // uses the first token allows before it "expires" (0: unlimited)
	onThing     func(w http.ResponseWriter, r *http.Request, call int) bool
	server      *httptest.Server
	thingStatus string // status getThing reports (default DONE)
}

func newFakePartner() *fakePartner {
	f := &fakePartner{valid: map[string]int{}, thingStatus: "DONE"}
	f.server = httptest.NewServer(f)
	DeferCleanup(f.server.Close)
	return f
}

func (f *fakePartner) URL() string { return f.server.URL }

func (f *fakePartner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/token":
		f.token(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/things/"):
		f.thing(w, r, strings.TrimPrefix(r.URL.Path, "/v1/things/"))
	default:
		writeJSON(w, 404, map[string]any{"code": "NOT_FOUND", "message": "no route"})
	}
}

func (f *fakePartner) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("api-key") != plantedKey {
		writeJSON(w, 401, map[string]any{"code": "UNAUTHORIZED", "message": "bad api-key"})
		return
	}
	f.mu.Lock()
	f.tokens++
	tok := plantedToken
	uses := -1
	if f.tokens > 1 {
		tok = fmt.Sprintf("%s-%d", plantedToken, f.tokens)
	} else if f.firstUses > 0 {
		uses = f.firstUses
	}
	f.valid[tok] = uses
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"token": tok, "expiresIn": 3600})
}

func (f *fakePartner) thing(w http.ResponseWriter, r *http.Request, id string) {
	f.mu.Lock()
	f.thingCalls++
	call := f.thingCalls
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	uses, ok := f.valid[tok]
	if ok && uses > 0 {
		f.valid[tok] = uses - 1
	}
	if ok && uses == 0 {
		ok = false
	}
	status := f.thingStatus
	f.mu.Unlock()
	if f.onThing != nil && f.onThing(w, r, call) {
		return
	}
	if !ok {
		writeJSON(w, 401, map[string]any{"code": "UNAUTHORIZED", "message": "token expired"})
		return
	}
	if id == "missing" {
		writeJSON(w, 404, map[string]any{"code": "NOT_FOUND", "message": "no such thing"})
		return
	}
	writeJSON(w, 200, map[string]any{"id": id, "status": status, "amount": "10.00"})
}

func (f *fakePartner) tokenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func miniJob() runner.Job { return loadJob("testdata/mini.yaml", "testdata/mini-suite.yaml", 0) }

func miniEnv() runner.Option {
	return runner.WithEnv(env(map[string]string{"MINI_API_KEY": plantedKey}))
}
