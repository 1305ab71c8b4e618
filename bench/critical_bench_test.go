package bench

import (
	"context"
	"testing"
	"time"

	"github.com/golive-cert/golive/certify"
	"github.com/golive-cert/golive/specs"
)

// The critical-path figures of issue 17 as Go benchmarks, each reported as
// a ratio to its floor ("x-floor"). Each run takes at least its floor (30 s
// for never-final), so run them once:
//
//	go test -run '^$' -bench 'Critical' -benchtime 1x ./bench

func BenchmarkCriticalNeverFinal(b *testing.B) {
	for b.Loop() {
		r, err := MeasureNeverFinal(context.Background(), 0)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.Ratio(), "x-floor")
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
	}
}

func BenchmarkCriticalSettle100(b *testing.B) {
	for b.Loop() {
		r, err := MeasureSettle(context.Background(), 100, 2*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if r.Passed != r.Items {
			b.Fatalf("%d of %d flows passed", r.Passed, r.Items)
		}
		b.ReportMetric(r.Ratio(), "x-floor")
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
	}
}

func BenchmarkCriticalCallbackSlack(b *testing.B) {
	for b.Loop() {
		r, err := MeasureCallbackSlack(context.Background(), 16, time.Second, 5*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ratio(r.Max, CallbackSlackBudget), "x-budget")
		b.ReportMetric(float64(r.Mean)/float64(time.Millisecond), "mean-ms")
		b.ReportMetric(float64(r.Max)/float64(time.Millisecond), "max-ms")
	}
}

func BenchmarkCriticalOverhead(b *testing.B) {
	for b.Loop() {
		r, err := MeasureSandbox(context.Background(), 10)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ratio(r.PerRequest, r.FloorPerReq), "x-floor")
		b.ReportMetric(float64(r.PerRequest)/float64(time.Microsecond), "golive-us/req")
		b.ReportMetric(float64(r.FloorPerReq)/float64(time.Microsecond), "floor-us/req")
		if r.FloorCPUPerReq > 0 {
			b.ReportMetric(ratio(r.CPUPerRequest, r.FloorCPUPerReq), "x-floor-cpu")
		}
	}
}

// BenchmarkPerRequest is golive's side of the overhead figure, for
// profiling: the built-in checklists one request at a time against the
// sandbox, the plan built outside the timer (one-off start-up work), per
// request golive sent. It profiles the sandbox too (same process); read
// the runner's entries.
//
//	go test -run '^$' -bench PerRequest -count 5 -cpuprofile cpu.out ./bench
func BenchmarkPerRequest(b *testing.B) {
	ctx, url, jobs := sandboxAndJobs(b)
	var sent int
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		p, err := build(ctx, url, jobs, sandboxVars(), certify.Options{Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		run, err := p.Run(ctx, nil)
		took += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		sent += countSent(run)
	}
	reportPerRequest(b, took, sent)
}

// sandboxAndJobs serves a sandbox for the benchmark (closed after it) and
// loads the built-in checklists' jobs.
func sandboxAndJobs(b *testing.B) (context.Context, string, []certify.Job) {
	ctx := context.Background()
	srv, err := startSandbox()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	jobs, err := builtinJobs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return ctx, srv.URL, jobs
}

func reportPerRequest(b *testing.B, took time.Duration, sent int) {
	b.ReportMetric(float64(took)/float64(time.Microsecond)/float64(max(1, sent)), "us/req")
}

// BenchmarkFloorLoop is the floor of the overhead figure on its own: the
// plain net/http loop replaying golive's runs' requests to a sandbox of its
// own, per request, to set beside BenchmarkPerRequest (benchstat). Each
// iteration replays a fresh run, untimed: a replayed order reference is
// refused the second time.
func BenchmarkFloorLoop(b *testing.B) {
	ctx, url, jobs := sandboxAndJobs(b)
	loop, err := newPlainLoop(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer loop.close()
	var sent int
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		p, err := build(ctx, url, jobs, sandboxVars(), certify.Options{Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		run, err := p.Run(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		d, err := loop.replay(ctx, run)
		if err != nil {
			b.Fatal(err)
		}
		took += d.wall
		sent += countSent(run)
	}
	reportPerRequest(b, took, sent)
}

// BenchmarkCriticalOverheadMarginal is what each further request costs
// golive against the plain loop, apart from what a run costs whatever its
// size (MeasureMarginal).
//
//	go test -run '^$' -bench OverheadMarginal -benchtime 1x ./bench
func BenchmarkCriticalOverheadMarginal(b *testing.B) {
	for b.Loop() {
		m, err := MeasureMarginal(context.Background(), 20, 400, 10)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(m.Ratio(), "x-floor")
		b.ReportMetric(float64(m.GolivePerReq)/float64(time.Microsecond), "golive-us/req")
		b.ReportMetric(float64(m.FloorPerReq)/float64(time.Microsecond), "floor-us/req")
		b.ReportMetric(float64(m.GoliveSmall)/float64(time.Microsecond), "golive-us/small-run")
		b.ReportMetric(float64(m.FloorSmall)/float64(time.Microsecond), "floor-us/small-run")
	}
}

// BenchmarkPerRequestRepeated is golive's side of the marginal figure, for
// profiling: a plan of 400 copies of marginalItem against the sandbox, one
// request at a time, the plan built outside the timer; wall and process
// CPU time per request (the CPU includes the in-process sandbox's).
//
//	GOMAXPROCS=1 go test -run '^$' -bench PerRequestRepeated -benchtime 100x -cpuprofile cpu.out ./bench
func BenchmarkPerRequestRepeated(b *testing.B) { perRequestRepeated(b, 400) }

// BenchmarkPerRunRepeated is the same with one copy: what a run costs
// whatever its size.
func BenchmarkPerRunRepeated(b *testing.B) { perRequestRepeated(b, 1) }

func perRequestRepeated(b *testing.B, copies int) {
	ctx := context.Background()
	srv, err := startSandbox()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	api, err := specs.NewLoader().Load(ctx, "collections")
	if err != nil {
		b.Fatal(err)
	}
	s, err := repeatedSuite(copies)
	if err != nil {
		b.Fatal(err)
	}
	jobs := []certify.Job{{API: api, Suite: s}}
	var took, cpu time.Duration
	var sent int
	for b.Loop() {
		b.StopTimer()
		p, err := build(ctx, srv.URL, jobs, sandboxVars(), certify.Options{Concurrency: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		out, err := p.Run(ctx, nil)
		took += time.Since(start)
		cpu += processCPU() - cpu0
		if err != nil {
			b.Fatal(err)
		}
		sent += countSent(out)
	}
	reportPerRequest(b, took, sent)
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(max(1, sent)), "cpu-us/req")
}
