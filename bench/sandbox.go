package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// sandboxAPIs are the built-in APIs the sandbox serves, with their checklists.
var sandboxAPIs = []string{"collections", "payouts"}

// SandboxResult is golive's throughput against the in-process sandbox and
// its cost per request over a plain net/http loop sending the same requests.
type SandboxResult struct {
	Runs        int
	Items       int // per run
	Requests    int // per run
	NotPassed   []string
	Concurrency int // the default: max(4, 2 x CPUs)
	// At the default concurrency; rates from the median run.
	Wall        time.Duration // all runs
	ChecksPerS  float64
	RequestsPer float64
	// One request at a time, the plan built outside the timing, against a
	// plain loop replaying the requests golive sent, in the same order, to a
	// warmed sandbox of its own (the floor); callbacks, which golive
	// receives, are not counted as requests.
	SeqWall     time.Duration // timed runs
	SeqRequests int           // sent in the timed runs
	FloorWall   time.Duration
	PerRequest  time.Duration // golive, sequential: median run / requests sent
	FloorPerReq time.Duration // plain net/http: median replay / requests
	// The same two as CPU time of the whole process (user and system) while
	// each side ran, median per run; 0 where the system cannot say. Both
	// sides are bound to one core (docs/performance.md), so these follow the
	// wall figures, and move less with other work on a shared machine.
	CPUPerRequest  time.Duration
	FloorCPUPerReq time.Duration
}

// Overhead is what golive adds to each request over the plain loop.
func (s *SandboxResult) Overhead() time.Duration { return s.PerRequest - s.FloorPerReq }

func sandboxVars() map[string]string {
	return map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey,
		"checksumKey": sandbox.DefaultChecksumKey}
}

func noEnv(string) (string, bool) { return "", false }

// startSandbox serves a fresh sandbox whose orders settle at once (so a flow
// polls once) on loopback.
func startSandbox() (*httptest.Server, error) {
	sb, err := sandbox.New(sandbox.WithSettleAfter(0))
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(sb), nil
}

func builtinJobs(ctx context.Context) ([]certify.Job, error) {
	loader := specs.NewLoader()
	var jobs []certify.Job
	for _, name := range sandboxAPIs {
		api, err := loader.Load(ctx, name)
		if err != nil {
			return nil, err
		}
		s, err := suites.Load(name)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, certify.Job{API: api, Suite: s})
	}
	return jobs, nil
}

func runOnce(ctx context.Context, url string, jobs []certify.Job, o certify.Options) (*results.Run, error) {
	p, err := build(ctx, url, jobs, sandboxVars(), o)
	if err != nil {
		return nil, err
	}
	return p.Run(ctx, nil)
}

// build plans jobs against url through the pipeline every run takes
// (certify), seeded so repetitions send the same requests.
func build(ctx context.Context, url string, jobs []certify.Job, vars map[string]string, o certify.Options) (*certify.Plan, error) {
	if o.Seed == 0 {
		o.Seed = 1
	}
	// A measurement runs exactly the items it built: no derived checks join.
	o.Derived = certify.DerivedNone
	return certify.Build(ctx, certify.Request{
		Jobs:        jobs,
		Target:      certify.Target{BaseURL: url},
		Credentials: certify.Credentials{LookupEnv: noEnv, Vars: vars},
		Options:     o,
	})
}

// MeasureSandbox runs the built-in checklists against the sandbox runs
// times at the default concurrency, then runs times one item at a time, and
// replays the requests of a sequential run with a plain net/http client.
func MeasureSandbox(ctx context.Context, runs int) (*SandboxResult, error) {
	srv, err := startSandbox()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	jobs, err := builtinJobs(ctx)
	if err != nil {
		return nil, err
	}
	res := &SandboxResult{Runs: runs, Concurrency: max(4, 2*runtime.NumCPU())}
	// Warm up connections, caches and the sandbox.
	for i := 0; i < max(1, runs/2); i++ {
		if _, err := runOnce(ctx, srv.URL, jobs, certify.Options{}); err != nil {
			return nil, err
		}
	}
	// Each figure is the median run, so a burst of other work on the
	// machine moves it less than it moves a mean.
	var walls []time.Duration
	for i := 0; i < runs; i++ {
		start := time.Now()
		out, err := runOnce(ctx, srv.URL, jobs, certify.Options{})
		if err != nil {
			return nil, err
		}
		walls = append(walls, time.Since(start))
		res.Wall += walls[i]
		res.Items, res.Requests = len(out.Items), countRequests(out)
		for _, it := range out.Items {
			if it.Status != results.Pass {
				res.NotPassed = append(res.NotPassed, fmt.Sprintf("%s %s: %s", it.ID, it.Status, it.Message))
			}
		}
	}
	median := medianDuration(walls)
	res.ChecksPerS = float64(res.Items) / median.Seconds()
	res.RequestsPer = float64(res.Requests) / median.Seconds()

	// One request at a time: golive's cost per request in steady state,
	// set against a plain loop sending the same requests. Only the run is
	// timed: building the plan (checking the suites, resolving variables)
	// is start-up work done once per run, as loading the documents is, not
	// per request. Each golive run is replayed by the loop at once, so a
	// burst of other work on the machine weighs on both alike; the first
	// pair is untimed, to warm both sides.
	loop, err := newPlainLoop(ctx)
	if err != nil {
		return nil, fmt.Errorf("plain net/http loop: %w", err)
	}
	defer loop.close()
	var floors, cpus, floorCPUs []time.Duration
	walls = walls[:0]
	for i := 0; i <= runs; i++ {
		p, err := build(ctx, srv.URL, jobs, sandboxVars(), certify.Options{Concurrency: 1})
		if err != nil {
			return nil, err
		}
		cpu0, start := processCPU(), time.Now()
		out, err := p.Run(ctx, nil)
		if err != nil {
			return nil, err
		}
		wall, cpu := time.Since(start), processCPU()-cpu0
		floor, err := loop.replay(ctx, out)
		if err != nil {
			return nil, fmt.Errorf("plain net/http loop: %w", err)
		}
		if i == 0 {
			continue
		}
		walls, floors = append(walls, wall), append(floors, floor.wall)
		cpus, floorCPUs = append(cpus, cpu), append(floorCPUs, floor.cpu)
		res.SeqWall += wall
		res.FloorWall += floor.wall
		res.SeqRequests += countSent(out)
	}
	perRun := time.Duration(max(1, res.SeqRequests/runs))
	res.PerRequest = medianDuration(walls) / perRun
	res.FloorPerReq = medianDuration(floors) / perRun
	res.CPUPerRequest = medianDuration(cpus) / perRun
	res.FloorCPUPerReq = medianDuration(floorCPUs) / perRun
	return res, nil
}

func medianDuration(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func countRequests(run *results.Run) int {
	n := 0
	for _, it := range run.Items {
		n += len(it.Exchanges)
	}
	return n
}

// plainLoop sends the requests of golive's runs again, in order, with a
// plain http.Client to a sandbox of its own (golive's has seen their order
// references already). Masked credentials are replaced with real ones (the
// sandbox's client-id and api-key, and a token it issued) unless golive's
// request was refused for them (a deliberately wrong one), and every request
// must get the answer golive got, or the loop would measure other work.
//
// The sandbox calls back the callbackUrl of the payments it is sent, so the
// same server does the same work for the loop as for golive: the loop's
// requests name a plain receiver of its own (answering 200 to any POST), and
// a replay ends once it has had as many callbacks as golive's run received.
type plainLoop struct {
	srv    *httptest.Server
	recv   *httptest.Server
	client *http.Client
	token  string
	called chan struct{} // one per callback the plain receiver answered
}

func newPlainLoop(ctx context.Context) (*plainLoop, error) {
	srv, err := startSandbox()
	if err != nil {
		return nil, err
	}
	l := &plainLoop{srv: srv, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}},
		called: make(chan struct{}, 1024)}
	l.recv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusOK)
		select {
		case l.called <- struct{}{}:
		default: // more callbacks than any run has: not counted
		}
	}))
	if l.token, err = sandboxToken(ctx, l.client, srv.URL); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *plainLoop) close() {
	l.client.CloseIdleConnections()
	l.srv.Close()
	l.recv.Close()
}

type plainRequest struct {
	method, path string
	header       http.Header
	body         []byte
	refused      bool // golive's was answered 401 or 403
	status       int  // the answer golive got
}

// callbacksWait bounds how long a replay waits for the sandbox's callbacks
// after its last request: generous, since the sandbox sends them at once.
const callbacksWait = 30 * time.Second

// took is how long a side of the measurement took: wall time, and the
// process's CPU time over the same span (0 where the system cannot say).
type took struct{ wall, cpu time.Duration }

// replay sends the requests golive sent in run, then waits for as many
// callbacks as golive received, and returns the time taken.
func (l *plainLoop) replay(ctx context.Context, run *results.Run) (took, error) {
	receiver, callbacks := callbacksOf(run)
	var reqs []plainRequest
	for _, ex := range sent(run) {
		u, err := url.Parse(ex.Request.URL)
		if err != nil {
			return took{}, fmt.Errorf("request URL: %w", err)
		}
		h := http.Header{}
		for k, v := range ex.Request.Headers {
			h.Set(k, v)
		}
		status := 0
		if ex.Response != nil {
			status = ex.Response.Status
		}
		refused := status == http.StatusUnauthorized || status == http.StatusForbidden
		body := []byte(ex.Request.Body)
		if receiver != "" {
			body = bytes.ReplaceAll(body, []byte(receiver), []byte(l.recv.URL))
		}
		reqs = append(reqs, plainRequest{method: ex.Request.Method, path: u.RequestURI(), header: h, body: body, refused: refused, status: status})
	}
	// Nothing left over from an earlier replay is counted.
	for len(l.called) > 0 {
		<-l.called
	}
	// A new connection per run, as golive's runs each make one.
	l.client.CloseIdleConnections()
	cpu0, start := processCPU(), time.Now()
	for _, r := range reqs {
		if err := l.send(ctx, r); err != nil {
			return took{}, err
		}
	}
	timeout := time.NewTimer(callbacksWait)
	defer timeout.Stop()
	for got := 0; got < callbacks; got++ {
		select {
		case <-l.called:
		case <-timeout.C:
			return took{}, fmt.Errorf("%d of the %d callbacks golive received came to the plain receiver", got, callbacks)
		case <-ctx.Done():
			return took{}, ctx.Err()
		}
	}
	return took{wall: time.Since(start), cpu: processCPU() - cpu0}, nil
}

// callbacksOf returns the origin of golive's callback receiver in a run
// ("" when nothing called back) and how many callbacks it received.
func callbacksOf(run *results.Run) (string, int) {
	origin, n := "", 0
	for _, it := range run.Items {
		for _, ex := range it.Exchanges {
			if ex.Step != "callback" {
				continue
			}
			n++
			if u, err := url.Parse(ex.Request.URL); err == nil && origin == "" {
				origin = u.Scheme + "://" + u.Host
			}
		}
	}
	return origin, n
}

func (l *plainLoop) send(ctx context.Context, r plainRequest) error {
	hr, err := http.NewRequestWithContext(ctx, r.method, l.srv.URL+r.path, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	for k, vs := range r.header {
		v := vs[0]
		if strings.Contains(v, "****") && !r.refused {
			switch strings.ToLower(k) {
			case "authorization":
				v = "Bearer " + l.token
			case "api-key":
				v = sandbox.DefaultAPIKey
			case "client-id":
				v = sandbox.DefaultClientID
			}
		}
		hr.Header.Set(k, v)
	}
	resp, err := l.client.Do(hr)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if err := resp.Body.Close(); err != nil {
		return err
	}
	if resp.StatusCode != r.status {
		return fmt.Errorf("%s %s: answered %d, golive's was answered %d", r.method, r.path, resp.StatusCode, r.status)
	}
	return nil
}

func sandboxToken(ctx context.Context, client *http.Client, base string) (string, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/token", nil)
	if err != nil {
		return "", err
	}
	hr.Header.Set("client-id", sandbox.DefaultClientID)
	hr.Header.Set("api-key", sandbox.DefaultAPIKey)
	resp, err := client.Do(hr)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("no token from the sandbox (status %d, %v)", resp.StatusCode, err)
	}
	return tok.Token, nil
}

// countSent counts the requests golive sent in a run (sent).
func countSent(run *results.Run) int { return len(sent(run)) }

// sent are the exchanges of the requests golive sent in a run, in order:
// each once (the run's token exchange may be shared by items), callbacks
// not (the target sends those to golive).
func sent(run *results.Run) []results.Exchange {
	type key struct {
		at  time.Time
		url string
	}
	seen := map[key]bool{}
	var out []results.Exchange
	for _, it := range run.Items {
		for _, ex := range it.Exchanges {
			k := key{ex.StartedAt, ex.Request.URL}
			if ex.Step == "callback" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, ex)
		}
	}
	return out
}
