package runner

// Benchmarks of the runner's hot paths (issue 7). Run them with
//
//	go test -run='^$' -bench=. -benchmem ./runner
//
// They use the built-in collections API and checklist against the
// in-process sandbox on loopback.

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

func benchEnv(string) (string, bool) { return "", false }

func benchVars() map[string]string {
	return map[string]string{"clientId": sandbox.DefaultClientID, "apiKey": sandbox.DefaultAPIKey,
		"checksumKey": sandbox.DefaultChecksumKey}
}

// benchSandbox serves a sandbox whose orders settle at once, so flows poll
// once, on loopback for the benchmark.
func benchSandbox(b *testing.B) string {
	b.Helper()
	sb, err := sandbox.New(sandbox.WithSettleAfter(0))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	return srv.URL
}

func benchJobs(b *testing.B, names ...string) []Job {
	b.Helper()
	loader := specs.NewLoader()
	var jobs []Job
	for _, name := range names {
		api, err := loader.Load(context.Background(), name)
		if err != nil {
			b.Fatal(err)
		}
		s, err := suites.Load(name)
		if err != nil {
			b.Fatal(err)
		}
		jobs = append(jobs, Job{API: api, Suite: s})
	}
	return jobs
}

// benchCheck is a passing check with a JSON request body and what the
// sandbox answered to it, taken from a real run.
type benchCheck struct {
	r    *Runner
	j    *job
	item *suites.Item
	resp *results.Response
}

func findBenchCheck(b *testing.B, api string) benchCheck {
	b.Helper()
	url := benchSandbox(b)
	r, err := New(Target{BaseURL: url}, benchJobs(b, api),
		WithVars(benchVars()), WithEnv(benchEnv), WithSeed(1), WithConcurrency(4))
	if err != nil {
		b.Fatal(err)
	}
	out := r.Run(context.Background())
	for _, res := range out.Items {
		if res.Status != results.Pass || res.Kind != "check" {
			continue
		}
		for _, it := range r.jobs[0].suite.Items {
			if it.ID != res.ID || it.Check == nil || it.Check.Request.Body == nil || !it.Check.Expect.ValidateSchema() {
				continue
			}
			last := res.Exchanges[len(res.Exchanges)-1]
			if last.Response == nil || last.Response.Status/100 != 2 || last.Response.Body == "" {
				continue
			}
			return benchCheck{r: r, j: r.jobs[0], item: it, resp: last.Response}
		}
	}
	b.Fatalf("no passing check with a request body in the %s checklist", api)
	return benchCheck{}
}

// BenchmarkBuildRequest renders one check's request from its templates:
// path, query, headers and a JSON body with generated values.
func BenchmarkBuildRequest(b *testing.B) {
	c := findBenchCheck(b, "collections")
	st := c.item.Check
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sc := newScope(c.r, &itemRun{job: c.j, item: c.item, seq: i + 1})
		if _, err := c.r.buildRequest(c.j, st.Operation, &st.Request, sc.resolve); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSpecs are the built-in APIs the validation benchmark covers, one per
// OpenAPI version: kin-openapi validates 3.1 documents with a JSON Schema
// 2020-12 validator and 3.0 documents with its own.
var benchSpecs = []string{"collections", "payouts"}

// BenchmarkValidateResponse validates a conforming 2xx response (status,
// content type, body schema) against the operation in the spec, and a
// response whose body breaks the schema (the path that explains why).
func BenchmarkValidateResponse(b *testing.B) {
	for _, api := range benchSpecs {
		b.Run(api, func(b *testing.B) { benchValidate(b, api) })
	}
}

func benchValidate(b *testing.B, api string) {
	c := findBenchCheck(b, api)
	b.Logf("%s (OpenAPI %s): %s %s", api, c.j.api.Doc.OpenAPI, c.item.ID, c.item.Check.Operation)
	st := c.item.Check
	sc := newScope(c.r, &itemRun{job: c.j, item: c.item, seq: 1})
	bt, err := c.r.buildRequest(c.j, st.Operation, &st.Request, sc.resolve)
	if err != nil {
		b.Fatal(err)
	}
	header := http.Header{}
	for k, v := range c.resp.Headers {
		header.Set(k, v)
	}
	for _, tc := range []struct {
		name  string
		body  string
		valid bool
	}{
		{"valid", c.resp.Body, true},
		{"invalid", `{"status": 7, "unexpected": [1, 2, 3]}`, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ex := &exchange{status: c.resp.Status, header: header, body: []byte(tc.body)}
			if got := validateResponse(c.j, bt, ex); (got == "") != tc.valid {
				b.Fatalf("validateResponse(%s) = %q", tc.name, got)
			}
			b.SetBytes(int64(len(tc.body)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_ = validateResponse(c.j, bt, ex)
			}
		})
	}
}

// BenchmarkPlan checks both built-in checklists against their APIs and
// prepares them, as New does before anything is sent.
func BenchmarkPlan(b *testing.B) {
	jobs := benchJobs(b, "collections", "payouts")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := New(Target{BaseURL: "http://127.0.0.1:9"}, jobs, WithVars(benchVars()), WithEnv(benchEnv), WithSeed(1)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSandboxRun runs both built-in checklists end to end against the
// in-process sandbox, once per op; checks/s counts every item run.
func BenchmarkSandboxRun(b *testing.B) {
	url := benchSandbox(b)
	jobs := benchJobs(b, "collections", "payouts")
	var items, exchanges int
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, err := New(Target{BaseURL: url}, jobs, WithVars(benchVars()), WithEnv(benchEnv), WithSeed(int64(i+1)))
		if err != nil {
			b.Fatal(err)
		}
		out := r.Run(context.Background())
		if out.Summary.Passed != len(out.Items) {
			for _, it := range out.Items {
				if it.Status != results.Pass {
					b.Fatalf("%s %s: %s", it.ID, it.Status, it.Message)
				}
			}
		}
		items += len(out.Items)
		for _, it := range out.Items {
			exchanges += len(it.Exchanges)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(items)/float64(b.N), "items/op")
	b.ReportMetric(float64(exchanges)/float64(b.N), "requests/op")
	b.ReportMetric(float64(items)/elapsed.Seconds(), "checks/s")
}
