package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests check that every measurement works and is sane; they assert
// no timings (the machine decides those), only bounds an order of magnitude
// away and what must hold whatever the speed.

func TestMeasureSandbox(t *testing.T) {
	res, err := MeasureSandbox(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Items == 0 || res.Requests < res.Items {
		t.Fatalf("items %d, requests %d", res.Items, res.Requests)
	}
	if len(res.NotPassed) > 0 {
		t.Fatalf("the built-in checklists do not pass against the sandbox: %v", res.NotPassed)
	}
	if res.ChecksPerS <= 0 || res.PerRequest <= 0 || res.FloorPerReq <= 0 {
		t.Fatalf("no figures: %+v", res)
	}
}

func TestMeasureCorpus(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mini.yaml"), miniSpec, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"swagger": "2.0"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a document"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := MeasureCorpus(context.Background(), dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("want 2 documents, got %+v", res)
	}
	broken, mini := res[0], res[1]
	if broken.Err == "" || !strings.Contains(broken.Err, "swagger") {
		t.Errorf("broken.json: want golive's refusal, got %+v", broken)
	}
	if mini.Err != "" || mini.Operations != 2 || mini.Load <= 0 || mini.Plan <= 0 || mini.Kin <= 0 {
		t.Errorf("mini.yaml: %+v", mini)
	}
}

func TestMeasureConcurrency(t *testing.T) {
	res, err := MeasureConcurrency(context.Background(), 20, 20*time.Millisecond, []int{1, 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range res.Levels {
		if l.Passed != 20 {
			t.Errorf("concurrency %d: %d of 20 passed", l.Concurrency, l.Passed)
		}
		if l.MaxInFlight > l.Concurrency {
			t.Errorf("concurrency %d: the target saw %d requests at once", l.Concurrency, l.MaxInFlight)
		}
		if l.Wall < l.Ideal {
			t.Errorf("concurrency %d: %s is faster than the latency allows (%s)", l.Concurrency, l.Wall, l.Ideal)
		}
	}
	if res.Levels[1].MaxInFlight < 2 {
		t.Errorf("concurrency 10 never had two requests in flight")
	}
}

func TestMeasurePollSlack(t *testing.T) {
	sch := Schedule{Name: "fixed 50ms", Interval: 50 * time.Millisecond, Backoff: 1, MaxInterval: 50 * time.Millisecond}
	res, err := MeasurePollSlack(context.Background(), []Schedule{sch}, 4, 400*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Failed != 0 {
		t.Fatalf("%d flows failed", r.Failed)
	}
	if r.Attempts < 2 || r.Max < 0 || r.Mean < 0 {
		t.Fatalf("implausible: %+v", r)
	}
	if r.Max > 10*time.Second {
		t.Fatalf("a flow noticed the final state %s late", r.Max)
	}
}

func TestScheduleSlack(t *testing.T) {
	sch := Schedule{Interval: 300 * time.Millisecond, Backoff: 1.5, MaxInterval: 2 * time.Second}
	// Attempts at 0, 300, 750, 1425, 2437.5, 3956.25, 5956.25 ms...
	for _, tc := range []struct{ flip, want time.Duration }{
		{0, 0},
		{100 * time.Millisecond, 200 * time.Millisecond},
		{750 * time.Millisecond, 0},
		{1500 * time.Millisecond, 937500 * time.Microsecond},
		{4 * time.Second, 1956250 * time.Microsecond},
	} {
		if got := scheduleSlack(sch, tc.flip); got != tc.want {
			t.Errorf("flip at %s: slack %s, want %s", tc.flip, got, tc.want)
		}
	}
}

// TestScaleBoundedMemory runs the generated API of 1,000 operations and
// checks that the process stays within 256 MiB of where it started.
func TestScaleBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	res, err := MeasureScale(context.Background(), 1000, "3.0.3")
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed != 1000 {
		t.Fatalf("%d of 1000 checks passed", res.Passed)
	}
	if res.RSSStart > 0 && res.RSSPeak-res.RSSStart > 256<<20 {
		t.Fatalf("resident memory grew by %s running 1,000 operations", mib(res.RSSPeak-res.RSSStart))
	}
	t.Logf("load %s, plan %s, run %s, RSS %s -> peak %s", res.Load, res.Plan, res.Run, mib(res.RSSStart), mib(res.RSSPeak))
}

func TestGenerateSpecLoads(t *testing.T) {
	for _, v := range []string{"3.0.3", "3.1.0"} {
		api, err := loadSpecBytes(context.Background(), "g.json", GenerateSpec(10, v))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if n := len(api.Operations()); n != 10 {
			t.Fatalf("%s: %d operations", v, n)
		}
		if err := api.Validate(context.Background()); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
	}
}

func TestWriteTable(t *testing.T) {
	r := &Results{
		Machine:     thisMachine(),
		Sandbox:     &SandboxResult{Items: 44, Requests: 54, Runs: 1, Concurrency: 4, ChecksPerS: 1000, PerRequest: time.Millisecond, FloorPerReq: 500 * time.Microsecond},
		Corpus:      []CorpusResult{{Name: "a.yaml", Bytes: 2048, OpenAPI: "3.0.3", Operations: 3, Load: time.Millisecond, Kin: time.Millisecond / 2}, {Name: "b.json", Err: "load spec b.json: swagger 2.0"}},
		Concurrency: &ConcurrencyResult{Items: 100, Latency: 100 * time.Millisecond, Levels: []ConcurrencyLevel{{Concurrency: 10, Wall: 1100 * time.Millisecond, Ideal: time.Second, MaxInFlight: 10, Passed: 100}}},
		PollSlack:   []PollSlackResult{{Schedule: DefaultSchedules()[0], Flows: 4, Mean: 500 * time.Millisecond}},
		Scale:       []ScaleResult{{OpenAPI: "3.0.3", Operations: 1000, Run: time.Second, Passed: 1000}},
	}
	var buf bytes.Buffer
	if err := r.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"checks per second", "golive overhead per request", "a.yaml", "refused: load spec b.json", "WALL/IDEAL", "Poll slack", "PEAK RSS"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}
