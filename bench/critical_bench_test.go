package bench

import (
	"context"
	"testing"
	"time"
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
		r, err := MeasureSandbox(context.Background(), 5)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(ratio(r.PerRequest, r.FloorPerReq), "x-floor")
		b.ReportMetric(float64(r.PerRequest)/float64(time.Microsecond), "golive-us/req")
		b.ReportMetric(float64(r.FloorPerReq)/float64(time.Microsecond), "floor-us/req")
	}
}
