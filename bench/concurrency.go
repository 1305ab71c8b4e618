package bench

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// miniSpec is a tiny API (a copy of runner/testdata/mini.yaml): a token
// operation and GET /v1/things/{id}.
//
//go:embed testdata/mini.yaml
var miniSpec []byte

// loadSpecBytes loads a document held in memory through the file loader, as
// a user's --spec would be.
func loadSpecBytes(ctx context.Context, name string, data []byte) (*specs.API, error) {
	dir, err := os.MkdirTemp("", "golive-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return nil, err
	}
	return specs.NewLoader().Load(ctx, path)
}

// ConcurrencyLevel is one run of the independent items at one concurrency.
type ConcurrencyLevel struct {
	Concurrency int
	Wall        time.Duration
	Ideal       time.Duration // ceil(items / concurrency) x latency: the latency alone
	MaxInFlight int           // the most requests the target saw at once
	Passed      int
}

// ConcurrencyResult is the wall time of independent items against a target
// that adds a fixed latency to every response.
type ConcurrencyResult struct {
	Items   int
	Latency time.Duration
	Levels  []ConcurrencyLevel
}

// slowThings serves the mini API's getThing after a fixed delay, counting
// the requests in flight.
type slowThings struct {
	delay    time.Duration
	inFlight atomic.Int32
	mu       sync.Mutex
	most     int32
}

func (s *slowThings) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.mu.Lock()
	s.most = max(s.most, n)
	s.mu.Unlock()
	t := time.NewTimer(s.delay)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return
	case <-t.C:
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/things/")
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q,"status":"DONE","amount":"10.00"}`, id)
}

func (s *slowThings) takeMost() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.most
	s.most = 0
	return int(m)
}

// independentItems is a checklist of n checks of the mini API, none
// depending on another: each reads its own thing and expects it DONE.
func independentItems(n int) *suites.Suite {
	s := &suites.Suite{Source: "bench:independent", Name: "independent", API: "mini"}
	done, _ := suites.NewString("DONE")
	for i := 0; i < n; i++ {
		id, _ := suites.NewString(fmt.Sprintf("thing-%03d", i))
		s.Items = append(s.Items, &suites.Item{
			Line: i + 1, ID: fmt.Sprintf("IND-%03d", i+1), Title: "read a thing", Severity: results.Major,
			Check: &suites.Step{
				Name: "getThing", Operation: "getThing",
				Request: suites.Request{Path: suites.OrderedValues{{Key: "id", Value: id}}},
				Expect: suites.Expect{
					Status: &suites.StatusSpec{Codes: []int{200}},
					Body:   suites.PathMatchers{{Path: "status", Matcher: &suites.Matcher{Equals: done}}},
				},
			},
		})
	}
	return s
}

// MeasureConcurrency runs n independent items against a target that adds
// latency to every response, once per concurrency level.
func MeasureConcurrency(ctx context.Context, n int, latency time.Duration, levels []int) (*ConcurrencyResult, error) {
	api, err := loadSpecBytes(ctx, "mini.yaml", miniSpec)
	if err != nil {
		return nil, err
	}
	target := &slowThings{delay: latency}
	srv := httptest.NewServer(target)
	defer srv.Close()
	res := &ConcurrencyResult{Items: n, Latency: latency}
	for _, c := range levels {
		r, err := build(ctx, srv.URL, []certify.Job{{API: api, Suite: independentItems(n)}}, nil,
			certify.Options{Concurrency: c, LatencyBudget: 10 * latency})
		if err != nil {
			return nil, err
		}
		target.takeMost()
		start := time.Now()
		out, err := r.Run(ctx, nil)
		if err != nil {
			return nil, err
		}
		lvl := ConcurrencyLevel{Concurrency: c, Wall: time.Since(start), MaxInFlight: target.takeMost(),
			Ideal: time.Duration((n+c-1)/c) * latency}
		lvl.Passed = out.Summary.Passed
		res.Levels = append(res.Levels, lvl)
		srv.CloseClientConnections()
	}
	return res, nil
}
