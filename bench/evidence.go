package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/suites"
)

// These measurements follow issue 12 and 13: whatever a target sends, the
// evidence and the memory behind it stay bounded. Both build their own
// loopback target and report sizes and resident memory, never assert time.

// LargeBodyResult is a run of many checks against a target that answers
// every request with a large body that breaks the document, and the
// reports written from it.
type LargeBodyResult struct {
	Checks      int
	BodyBytes   int
	Failed      int
	Problems    int // distinct problems (0 where the build does not group)
	ResultsJSON int64
	ReportHTML  int64
	JUnit       int64
	Run         time.Duration
	RSSStart    uint64
	RSSPeak     uint64 // highest resident size over the run and the reports
}

// padded returns a JSON thing whose status breaks the document's enum,
// padded with a string field to about size bytes.
func padded(id, status string, size int) []byte {
	head := fmt.Sprintf(`{"id":%q,"status":%q,"amount":"1500.00","pad":"`, id, status)
	var b bytes.Buffer
	b.Grow(size + 64)
	b.WriteString(head)
	b.Write(bytes.Repeat([]byte("x"), max(0, size-len(head)-2)))
	b.WriteString(`"}`)
	return b.Bytes()
}

// MeasureLargeBodies runs checks checks (one per generated operation, see
// GenerateSpec) against a target whose every answer is a bodyBytes-long
// body with an undocumented status value, then writes the four reports.
func MeasureLargeBodies(ctx context.Context, checks, bodyBytes int) (*LargeBodyResult, error) {
	body := padded("t-1", "WEIRD", bodyBytes)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	doc := GenerateSpec(checks, "3.0.3")
	api, err := loadSpecBytes(ctx, fmt.Sprintf("generated-%d.json", checks), doc)
	if err != nil {
		return nil, err
	}
	s := checkPerOperation(api, "bench:large-bodies", scaleExpect)
	for _, it := range s.Items {
		if strings.HasPrefix(it.Check.Operation, "create") {
			b, _ := suites.NewString(`{"amount":"1500.00","currency":"TZS"}`)
			it.Check.Request.RawBody = b
			it.Check.Request.ContentType = "application/json"
		}
	}
	plan, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: s}}, nil, certify.Options{})
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "golive-bench-large-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	res := &LargeBodyResult{Checks: checks, BodyBytes: bodyBytes}
	probe := StartMemProbe()
	res.RSSStart = probe.Start
	start := time.Now()
	run, err := plan.Run(ctx, nil)
	if err == nil {
		res.Run = time.Since(start)
		err = reports.WriteAll(dir, run)
	}
	res.RSSPeak = probe.Stop()
	if err != nil {
		return nil, err
	}
	res.Failed = run.Summary.Failed + run.Summary.Errored
	res.Problems = len(run.Problems)
	for name, size := range map[string]*int64{reports.ResultsFile: &res.ResultsJSON, reports.HTMLFile: &res.ReportHTML, reports.JUnitFile: &res.JUnit} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		*size = fi.Size()
	}
	runtime.KeepAlive(run)
	return res, nil
}

// PollMemoryResult is a run of flows that poll a large "not yet" body
// until their deadline.
type PollMemoryResult struct {
	Items       int
	BodyBytes   int
	Deadline    time.Duration
	Interval    time.Duration
	Timeout     time.Duration // per request
	Attempts    int           // requests the target answered
	MaxOverrun  time.Duration // longest item past its poll deadline
	ResultsJSON int64
	RSSStart    uint64
	RSSPeak     uint64
}

// MeasurePollMemory runs items flows at once, each polling a thing that
// stays PROCESSING (a bodyBytes-long body) every interval until deadline.
func MeasurePollMemory(ctx context.Context, items, bodyBytes int, deadline, interval time.Duration) (*PollMemoryResult, error) {
	body := padded("thing", "PENDING", bodyBytes)
	var calls countingHandler
	calls.h = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
	srv := httptest.NewServer(&calls)
	defer srv.Close()
	api, err := loadSpecBytes(ctx, "mini.yaml", miniSpec)
	if err != nil {
		return nil, err
	}
	var ids []string
	for i := range items {
		ids = append(ids, fmt.Sprintf("poll-%02d", i))
	}
	sch := Schedule{Name: "fixed", Interval: interval, Backoff: 1, MaxInterval: interval}
	timeout := 10 * time.Second
	plan, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: pollFlows(ids, sch, deadline)}}, nil,
		certify.Options{Concurrency: items, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	res := &PollMemoryResult{Items: items, BodyBytes: bodyBytes, Deadline: deadline, Interval: interval, Timeout: timeout}
	probe := StartMemProbe()
	res.RSSStart = probe.Start
	run, err := plan.Run(ctx, nil)
	var js bytes.Buffer
	if err == nil {
		err = reports.WriteJSON(&js, run)
	}
	res.RSSPeak = probe.Stop()
	if err != nil {
		return nil, err
	}
	res.ResultsJSON = int64(js.Len())
	res.Attempts = calls.count()
	for _, it := range run.Items {
		if over := time.Duration(it.DurationMs)*time.Millisecond - deadline; over > res.MaxOverrun {
			res.MaxOverrun = over
		}
	}
	runtime.KeepAlive(run)
	return res, nil
}

// countingHandler counts the requests it answers.
type countingHandler struct {
	mu sync.Mutex
	n  int
	h  http.HandlerFunc
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.h(w, r)
}

func (c *countingHandler) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
