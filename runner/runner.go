// Package runner is golive's engine: it plans checklist items from specs and
// suites, executes them against a target, classifies every failure and gives
// the verdict. It knows nothing about report formats.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

// Target is the partner endpoint under test.
type Target struct {
	BaseURL     string
	Environment string // staging (default), production
	Partner     string
	// Headers are sent with every request ("Name: value"); values may hold
	// ${ENV} references, which are resolved at start and treated as secrets.
	Headers []string
}

// Job pairs an API with the checklist run against it.
type Job struct {
	API   *specs.API
	Suite *suites.Suite
	// BaseURL overrides the target's base URL for this API (a webhook
	// receiver usually lives elsewhere than the partner's API).
	BaseURL string
}

// Runner executes jobs against one target. Make one with New.
type Runner struct {
	target  Target
	base    *url.URL
	jobs    []*job
	cfg     config
	client  *http.Client
	secrets *Redactor
	runID   string
	extra   []header // resolved Target.Headers
	// callbacks is golive's callback receiver, started on first use.
	callbacks *callbackHub
	// evidence is the run's remaining allowance of body bytes (evidence.go).
	evidence *evidenceBudget
	// sched bounds requests in flight and paces items (schedule.go).
	sched *scheduler
}

type header struct{ name, value string }

// New resolves variables and environment references. The suites must have
// been checked against their APIs (suites.Check; certify.Build does it):
// the runner trusts its plan. Any error here is the user's input; nothing
// has been sent.
func New(target Target, jobs []Job, opts ...Option) (*Runner, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	base, err := parseBaseURL(target.BaseURL)
	if err != nil {
		return nil, err
	}
	if target.Environment == "" {
		target.Environment = "staging"
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("nothing to run: no API given")
	}
	r := &Runner{target: target, base: base, cfg: cfg, secrets: NewRedactor(), runID: newRunID(cfg.seed),
		callbacks: &callbackHub{listen: cfg.callbackListen, public: cfg.callbackURL}, evidence: newEvidenceBudget(),
		sched: newScheduler(cfg.concurrency)}
	if r.client, err = newHTTPClient(cfg); err != nil {
		return nil, err
	}
	for _, h := range target.Headers {
		name, value, ok := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			// Never echo it: a malformed header is often a credential.
			return nil, fmt.Errorf("header: want \"Name: value\", got %d characters without a colon after a header name", len(h))
		}
		v, err := r.expandEnv(value, "header "+name)
		if err != nil {
			return nil, err
		}
		if sensitiveHeader(name) {
			r.secrets.addCredential(name, value, v)
		}
		r.extra = append(r.extra, header{name, v})
	}
	var problems []string
	for _, j := range jobs {
		pj, err := r.prepare(j)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		r.jobs = append(r.jobs, pj)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return r, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("no base URL: want the partner's, e.g. https://staging.partner.example")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an absolute http(s) URL such as https://staging.partner.example", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %q: credentials in the URL would end up in reports; pass them with --header or variables", u.Redacted())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// RunID identifies this run; generated references start with it.
func (r *Runner) RunID() string { return r.runID }

// Total is the number of items the run will report.
func (r *Runner) Total() int {
	n := 0
	for _, j := range r.jobs {
		n += len(j.suite.Items)
	}
	return n
}

// Run executes every item and returns the results. It never returns an
// error: what went wrong is in the items. A cancelled ctx (Ctrl-C) stops the
// run; items not finished are reported as skipped and the run as interrupted.
func (r *Runner) Run(ctx context.Context) *results.Run {
	started := r.cfg.now()
	run := &results.Run{
		Schema:    results.Schema,
		Tool:      results.Tool{Name: "golive", Version: r.cfg.version},
		RunID:     r.runID,
		Seed:      r.cfg.seed,
		Target:    results.Target{Partner: r.target.Partner, BaseURL: r.base.String(), Environment: r.target.Environment},
		StartedAt: started,
	}
	for _, j := range r.jobs {
		run.APIs = append(run.APIs, j.describe())
	}

	items := r.execute(ctx)
	// The receiver closes first: a callback still arriving (a partner's
	// duplicate sent with the first) is answered and recorded, and then
	// counted with its item.
	r.callbacks.close()
	r.lateCallbacks(items)
	// Idle keep-alive connections would outlive the run (goroutines and
	// file descriptors) for their idle timeout.
	r.client.CloseIdleConnections()
	classify(items)
	r.scrub(items) // after classify, which rewrites reasons
	run.Items = make([]results.Item, 0, len(items))
	for _, it := range items {
		run.Items = append(run.Items, it.result)
	}
	// Failures sharing a cause become one problem, which every report leads with.
	run.Problems = results.GroupProblems(run.Items)
	run.Interrupted = ctx.Err() != nil
	run.FinishedAt = r.cfg.now()
	run.DurationMs = run.FinishedAt.Sub(started).Milliseconds()
	run.Summary = results.Summarize(run.Items)
	run.Verdict = results.Decide(run.Items, run.Interrupted)
	return run
}

// execute runs the items, each on its own goroutine as the scheduler makes
// room for it (schedule.go), then the latency reviews, which need every
// other item's responses.
func (r *Runner) execute(ctx context.Context) []*itemRun {
	var all, latency, work []*itemRun
	seq := 0
	for _, j := range r.jobs {
		for _, it := range j.suite.Items {
			seq++
			ir := &itemRun{job: j, item: it, seq: seq}
			all = append(all, ir)
			if it.Latency != nil {
				latency = append(latency, ir)
			} else {
				work = append(work, ir)
			}
		}
	}
	total := len(all)
	var (
		mu   sync.Mutex
		done int
	)
	finish := func(ir *itemRun) {
		// Under the lock, so progress output never interleaves.
		mu.Lock()
		defer mu.Unlock()
		done++
		if r.cfg.progress != nil {
			r.cfg.progress(ir.result, done, total)
		}
	}

	var h health
	for _, ir := range work {
		r.sched.start(ctx, func(ctx context.Context) {
			if why := h.stopped(); why != "" {
				r.skipItem(ir, why)
			} else {
				r.runItem(ctx, ir)
				h.observe(ir)
			}
			finish(ir)
		})
	}
	r.sched.wait()

	for _, ir := range latency {
		r.reviewLatency(ctx, ir, all)
		finish(ir)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	return all
}

func newRunID(seed int64) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	n := binary.BigEndian.Uint64(b[:])
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var id [8]byte
	for i := range id {
		id[i] = alphabet[n%uint64(len(alphabet))]
		n /= uint64(len(alphabet))
	}
	_ = seed // the run id is unique even for a repeated seed, so references never collide
	return string(id[:])
}

func (r *Runner) timeNow() time.Time { return r.cfg.now() }
