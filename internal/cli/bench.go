package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/bench"
	"github.com/golive-cert/golive/exitcode"
)

// benchOptions are the flags of `golive bench`.
type benchOptions struct {
	quick  bool
	corpus string
}

type benchCmd struct {
	cmd  *cobra.Command
	opts benchOptions
}

func newBenchCmd(gs *GlobalState) *benchCmd {
	c := &benchCmd{}
	c.cmd = &cobra.Command{
		Use:   "bench [--quick] [--corpus DIR]",
		Short: "Measure golive's speed on this machine",
		Long: `bench measures golive end to end on this machine and prints a table
(docs/performance.md explains every figure):

  - checks per second against the in-process sandbox, and golive's overhead
    per request over a plain net/http loop sending the same requests;
  - load time of every OpenAPI document in --corpus against kin-openapi's
    bare load of the same file;
  - wall time of 100 independent items against a target that adds 100ms to
    every response, at concurrency 1, 10 and 50;
  - poll slack: how long a polling flow takes to see that the target has
    reached its final state;
  - the critical path, each against its floor: demo --fault never-final
    against its poll deadline, 100 flows against their 2 s settle time, the
    slack after a callback against 50 ms, per-request overhead against a
    plain net/http loop;
  - a generated API of 1,000 operations, planned and run, with peak memory.

Every server it starts listens on 127.0.0.1; nothing else is contacted.
--quick takes well under a minute; the full run a few minutes.`,
		Example: `  golive bench --quick
  go run ./cmd/golive bench --corpus ../shared/corpus`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.BoolVar(&c.opts.quick, "quick", false, "fewer repetitions and smaller samples (well under a minute)")
	f.StringVar(&c.opts.corpus, "corpus", "../shared/corpus", "folder of OpenAPI documents to time loading (skipped if missing)")
	return c
}

func (c *benchCmd) run(gs *GlobalState) error {
	res, err := bench.Run(gs.Ctx, bench.Config{Quick: c.opts.quick, CorpusDir: c.opts.corpus, Log: progressTo(gs)})
	if err != nil {
		if gs.Ctx.Err() != nil {
			return exitcode.With(exitcode.Interrupted, fmt.Errorf("bench interrupted"))
		}
		return internal(fmt.Errorf("bench: %w", err))
	}
	if err := res.WriteTable(gs.Stdout); err != nil {
		return internal(err)
	}
	return nil
}

// progressTo is where bench says what it measures: stderr, so stdout holds
// only the table.
func progressTo(gs *GlobalState) io.Writer {
	if gs.Stderr == nil {
		return io.Discard
	}
	return gs.Stderr
}
