// Package bench measures golive end to end on the machine it runs on
// (`golive bench`, docs/performance.md): checks per second against the
// in-process sandbox and golive's overhead per request over a plain net/http
// loop; load time of real-world OpenAPI documents against kin-openapi's bare
// load; the wall time of 100 independent items against a slow target at
// several concurrency levels; how long a polling flow takes to notice that
// the target reached its final state (poll slack); the critical-path figures
// of issue 17, each against its floor (critical.go); and a generated API of
// 1,000 operations planned and run with its peak memory.
//
// Every server it starts listens on 127.0.0.1 only, and every request loop is
// bounded in count.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Config chooses what to measure and how thoroughly.
type Config struct {
	// Quick trades precision for time: fewer repetitions, smaller samples
	// (well under a minute in all).
	Quick bool
	// CorpusDir holds OpenAPI documents to load (the corpus section is
	// skipped when it is empty or missing).
	CorpusDir string
	// Log, when set, receives one line as each measurement starts.
	Log io.Writer
}

// Results are every measurement, ready to print.
type Results struct {
	Machine     Machine
	Quick       bool
	Sandbox     *SandboxResult
	Corpus      []CorpusResult
	CorpusNote  string
	Concurrency *ConcurrencyResult
	PollSlack   []PollSlackResult
	Critical    *CriticalResult
	Scale       []ScaleResult
	Took        time.Duration
}

// Machine describes where the figures were measured.
type Machine struct {
	GoVersion string
	OS, Arch  string
	CPUs      int
	CPU       string
}

func thisMachine() Machine {
	m := Machine{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Run makes every measurement in turn.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	start := time.Now()
	res := &Results{Machine: thisMachine(), Quick: cfg.Quick}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	var err error

	runs := 10
	if cfg.Quick {
		runs = 2
	}
	logf("sandbox throughput and per-request overhead (%d runs of the built-in checklists)...", runs)
	if res.Sandbox, err = MeasureSandbox(ctx, runs); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}

	if cfg.CorpusDir == "" {
		res.CorpusNote = "skipped: no corpus directory given"
	} else if _, statErr := os.Stat(cfg.CorpusDir); statErr != nil {
		res.CorpusNote = fmt.Sprintf("skipped: %v", statErr)
	} else {
		reps := 5
		if cfg.Quick {
			reps = 1
		}
		logf("loading every document in %s (%d repetitions each)...", cfg.CorpusDir, reps)
		if res.Corpus, err = MeasureCorpus(ctx, cfg.CorpusDir, reps); err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
	}

	logf("100 independent items against a target adding 100ms, at concurrency 1, 10 and 50...")
	if res.Concurrency, err = MeasureConcurrency(ctx, 100, 100*time.Millisecond, []int{1, 10, 50}); err != nil {
		return nil, fmt.Errorf("concurrency: %w", err)
	}

	trials, span := 16, 6*time.Second
	if cfg.Quick {
		trials, span = 6, 2500*time.Millisecond
	}
	logf("poll slack (%d flows per schedule, flipping to final within %s)...", trials, span)
	if res.PollSlack, err = MeasurePollSlack(ctx, DefaultSchedules(), trials, span); err != nil {
		return nil, fmt.Errorf("poll slack: %w", err)
	}

	if res.Critical, err = MeasureCritical(ctx, cfg.Quick, logf); err != nil {
		return nil, fmt.Errorf("critical path: %w", err)
	}

	ops := 1000
	if cfg.Quick {
		ops = 200
	}
	for _, version := range []string{"3.0.3", "3.1.0"} {
		logf("scale: a generated OpenAPI %s API of %d operations, one check each...", version, ops)
		sr, err := MeasureScale(ctx, ops, version)
		if err != nil {
			return nil, fmt.Errorf("scale: %w", err)
		}
		res.Scale = append(res.Scale, *sr)
	}
	res.Took = time.Since(start)
	return res, nil
}
