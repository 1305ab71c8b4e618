package runner_test

import (
	"bytes"
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

// crowdTarget serves the mini API. It counts the requests in flight, and
// answers every thing PENDING until it has been asked about all of them:
// so every item passes only if all were polling at the same time. While
// things are still PENDING it holds requests until `hold` are in flight and
// then lets that group go, so the run is pushed against its bound.
type crowdTarget struct {
	things, hold int

	mu       sync.Mutex
	inFlight int
	most     int
	round    int // a group of held requests is let go by moving on a round
	asked    map[string]bool
	changed  chan struct{} // closed and replaced when a round ends or a thing is asked about
}

func newCrowdTarget(things, hold int) *crowdTarget {
	return &crowdTarget{things: things, hold: hold, asked: map[string]bool{}, changed: make(chan struct{})}
}

func (t *crowdTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/v1/token" {
		_, _ = w.Write([]byte(`{"token":"crowd-token","expiresIn":3600}`))
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/things/")
	t.mu.Lock()
	t.inFlight++
	t.most = max(t.most, t.inFlight)
	t.asked[id] = true
	mine := t.round
	if t.inFlight >= t.hold {
		t.round++
	}
	t.wake()
	// The safety only keeps a broken runner from hanging the suite: a
	// correct one always fills a group or asks about every thing.
	safety := time.NewTimer(30 * time.Second)
	defer safety.Stop()
	for t.round == mine && len(t.asked) < t.things {
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-safety.C:
			t.mu.Lock()
			t.round++ // let the group go
			t.wake()
			t.mu.Unlock()
		case <-r.Context().Done():
		}
		t.mu.Lock()
		if r.Context().Err() != nil {
			break
		}
	}
	status := "PENDING"
	if len(t.asked) >= t.things {
		status = "DONE"
	}
	// Before the answer is written, so the count never includes a request
	// whose slot golive may already have given back.
	t.inFlight--
	t.mu.Unlock()
	fmt.Fprintf(w, `{"id":%q,"status":%q,"amount":"10.00"}`, id, status)
}

func (t *crowdTarget) wake() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *crowdTarget) counts() (most, asked int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.most, len(t.asked)
}

// crowdSuite has n flows, each polling its own thing until DONE.
func crowdSuite(n int) *suites.Suite {
	GinkgoHelper()
	var b strings.Builder
	b.WriteString(`name: crowd
api: mini
auth:
  operation: generateToken
  request:
    headers:
      client-id: crowd
      api-key: crowd-key
  token: token
  expiresIn: expiresIn
items:
`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `  - id: C-%03d
    title: thing %d becomes DONE
    severity: major
    flow:
      - name: wait
        operation: getThing
        request:
          path: {id: "thing-%d"}
        poll:
          until: {status: DONE}
          interval: 20ms
          deadline: 60s
        expect:
          status: 200
`, i, i, i)
	}
	s, err := suites.Parse("crowd-suite.yaml", []byte(b.String()))
	Expect(err).NotTo(HaveOccurred())
	return s
}

func checkedJob(specPath string, s *suites.Suite) runner.Job {
	GinkgoHelper()
	api, err := specs.NewLoader().Load(context.Background(), specPath)
	Expect(err).NotTo(HaveOccurred())
	Expect(suites.Check(s, api, nil, nil)).To(Succeed())
	return runner.Job{API: api, Suite: s}
}

// settleTarget serves testdata/settle.yaml: an order is PENDING until the
// first status query has been answered, then DONE, and its callback (when
// asked for one) is sent right after that answer. retryAfter, when set,
// rides on PENDING answers.
type settleTarget struct {
	retryAfter string

	mu       sync.Mutex
	callback string
	queries  int
	final    bool
}

func (t *settleTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	t.mu.Lock()
	defer t.mu.Unlock()
	if r.Method == http.MethodPost {
		var body struct{ CallbackURL string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		t.callback = body.CallbackURL
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"o-1"}`))
		return
	}
	t.queries++
	if t.final {
		_, _ = w.Write([]byte(`{"id":"o-1","status":"DONE"}`))
		return
	}
	if t.retryAfter != "" {
		w.Header().Set("Retry-After", t.retryAfter)
	}
	_, _ = w.Write([]byte(`{"id":"o-1","status":"PENDING"}`))
	if t.callback != "" {
		t.final = true
		go func(url string) {
			resp, err := http.Post(url, "application/json", bytes.NewReader([]byte(`{"id":"o-1","status":"DONE"}`)))
			if err == nil {
				resp.Body.Close()
			}
		}(t.callback)
	}
}

func (t *settleTarget) statusQueries() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.queries
}

// settleSuite creates an order (with a callback URL when callback is set),
// polls its status on a schedule far longer than the test may take, and
// with a callback, takes it.
func settleSuite(callback bool, interval, deadline string) *suites.Suite {
	GinkgoHelper()
	body, wait := "{}", ""
	if callback {
		body = `{callbackUrl: "{{ gen.callbackUrl }}"}`
		wait = `
      - name: outcome
        callback:
          deadline: 10s`
	}
	text := fmt.Sprintf(`name: settle
api: settle
items:
  - id: S-1
    title: the order settles
    severity: critical
    flow:
      - name: create
        operation: createOrder
        request:
          body: %s
        expect:
          status: 202
        capture:
          id: id
      - name: checkStatus
        operation: getOrder
        request:
          path: {id: "{{ capture.id }}"}
        poll:
          until: {status: DONE}
          interval: %s
          deadline: %s
        expect:
          status: 200%s
`, body, interval, deadline, wait)
	s, err := suites.Parse("settle-suite.yaml", []byte(text))
	Expect(err).NotTo(HaveOccurred())
	return s
}

var _ = Describe("scheduling: concurrency bounds requests, not items", func() {
	It("never sends more than --concurrency requests at once, with far more items polling side by side", func() {
		const items, concurrency = 24, 3
		target := newCrowdTarget(items, concurrency)
		srv := httptest.NewServer(target)
		DeferCleanup(srv.Close)

		out := run(srv.URL, []runner.Job{checkedJob("testdata/mini.yaml", crowdSuite(items))},
			runner.WithEnv(env(nil)), runner.WithConcurrency(concurrency))

		Expect(notPassed(out)).To(BeEmpty(), "every thing stayed PENDING until all %d were asked about: all were polling at once", items)
		most, asked := target.counts()
		Expect(asked).To(Equal(items))
		Expect(most).To(BeNumerically("<=", concurrency), "requests in flight at the target")
		Expect(most).To(Equal(concurrency), "the bound was reached, so the test tests it")
	})
})

var _ = Describe("scheduling: items in progress and their goroutines", func() {
	It("keeps few items in progress and reuses their goroutines when one-shot checks far outnumber the slots", func() {
		// Without the gate, every item the dispatcher could start while a
		// slot was briefly free joined the queue (up to 256); without
		// reused workers, each item had a goroutine of its own. Either way
		// the counts below would be near the number of items; with both,
		// a few more than twice the concurrency. The bounds leave room
		// for a loaded machine that delays items between their slot and
		// their end.
		const items, concurrency = 200, 2
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"thing","status":"DONE","amount":"10.00"}`))
		}))
		DeferCleanup(srv.Close)
		r, err := runner.New(runner.Target{BaseURL: srv.URL}, []runner.Job{checkedJob("testdata/mini.yaml", oneShotSuite(items))},
			runner.WithConcurrency(concurrency))
		Expect(err).NotTo(HaveOccurred())
		out := r.Run(context.Background())
		Expect(notPassed(out)).To(BeEmpty())
		workers, busiest := runner.Scheduling(r)
		Expect(busiest).To(BeNumerically("<=", items/4), "items in progress at once")
		Expect(workers).To(BeNumerically("<=", busiest), "goroutines started")
		Expect(workers).To(BeNumerically("<", items/4))
	})
})

// oneShotSuite has n checks reading a thing, without a token.
func oneShotSuite(n int) *suites.Suite {
	GinkgoHelper()
	var b strings.Builder
	b.WriteString("name: oneshot\napi: mini\nitems:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `  - id: O-%03d
    title: thing %d can be read
    severity: major
    check:
      operation: getThing
      request:
        path: {id: "thing-%d"}
      expect:
        status: 200
`, i, i, i)
	}
	s, err := suites.Parse("oneshot-suite.yaml", []byte(b.String()))
	Expect(err).NotTo(HaveOccurred())
	return s
}

var _ = Describe("polling: waking on the callback, honouring Retry-After", func() {
	It("wakes as soon as the callback arrives and confirms with one status query", func() {
		// The poll's interval is ten minutes: only the callback can end
		// the wait before the item timeout fails the item.
		target := &settleTarget{}
		srv := httptest.NewServer(target)
		DeferCleanup(srv.Close)
		out := run(srv.URL, []runner.Job{checkedJob("testdata/settle.yaml", settleSuite(true, "10m", "20m"))},
			runner.WithEnv(env(nil)), runner.WithItemTimeout(2*time.Minute))
		it := item(out, "S-1")
		Expect(it.Status).To(Equal(results.Pass), it.Message)
		Expect(target.statusQueries()).To(Equal(2), "the PENDING answer, then the one confirming query")
	})

	It("waits as long as a 2xx not-yet answer's Retry-After says", func() {
		// Every 10ms for 1.5s would be about 150 queries; Retry-After: 1
		// allows one at 0, one after 1s, and the last at the deadline.
		target := &settleTarget{retryAfter: "1"}
		srv := httptest.NewServer(target)
		DeferCleanup(srv.Close)
		s := settleSuite(false, "10ms", "1500ms")
		out := run(srv.URL, []runner.Job{checkedJob("testdata/settle.yaml", s)}, runner.WithEnv(env(nil)))
		Expect(item(out, "S-1").Status).To(Equal(results.Fail))
		Expect(target.statusQueries()).To(BeNumerically("<=", 3))
	})
})
