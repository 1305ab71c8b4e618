package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/exitcode"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

type diffCmd struct {
	cmd    *cobra.Command
	format string
}

func newDiffCmd(gs *GlobalState) *diffCmd {
	c := &diffCmd{}
	c.cmd = &cobra.Command{
		Use:   "diff BEFORE AFTER",
		Short: "Compare two runs: what regressed, what was fixed, what is new",
		Long: `diff compares two results.json files (or report folders holding one) item by
item, as the hub's run diff does: regressed (passed, fails now), new failures,
still failing, fixed, now skipped, now passing, removed.

Exit codes: 0 nothing got worse, 1 an item regressed or newly fails,
2 a file is not a golive results document.`,
		Example: "  golive diff evidence/2026-11-30 golive-report\n  golive diff old/results.json new/results.json --format json",
		Args:    cobra.ExactArgs(2),
		RunE:    func(_ *cobra.Command, args []string) error { return c.run(gs, args[0], args[1]) },
	}
	c.cmd.Flags().StringVar(&c.format, "format", "text", "text or json")
	return c
}

func (c *diffCmd) run(gs *GlobalState, before, after string) error {
	if c.format != "text" && c.format != "json" {
		return invalidf("--format %q: want text or json", c.format)
	}
	a, err := readRun(before)
	if err != nil {
		return invalid(err)
	}
	b, err := readRun(after)
	if err != nil {
		return invalid(err)
	}
	d := results.Compare(a, b)
	write := reports.WriteDiffText
	if c.format == "json" {
		write = reports.WriteDiffJSON
	}
	if err := write(gs.Stdout, d); err != nil {
		return internal(err)
	}
	if d.Regressions() > 0 {
		return exit(exitcode.NotCertified)
	}
	return nil
}

// readRun reads a results.json, or the one in a report folder.
func readRun(path string) (*results.Run, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = path + string(os.PathSeparator) + reports.ResultsFile
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := results.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}
