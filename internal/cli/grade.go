package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/uat"
)

type gradeCmd struct {
	cmd     *cobra.Command
	api     string
	har     string
	out     string
	partner string
	pace    uat.Timing
}

func newGradeCmd(gs *GlobalState) *gradeCmd {
	c := &gradeCmd{pace: uat.DefaultTiming()}
	c.cmd = &cobra.Command{
		Use:   "grade --api NAME --har FILE --out DIR",
		Short: "Grade a HAR recording of a partner's client against the client checklist",
		Long: `grade reads a HAR 1.2 recording of a client's traffic to a BAU API (browser dev
tools, a proxy, or a UAT session's recording.har) and grades the items traffic
alone can decide; the others are reported skipped as needing a live session
(golive uat).`,
		Example: "  golive grade --api collections --har acme.har --out grade-acme/",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.StringVar(&c.api, "api", "", "BAU API of the recording: collections or payouts")
	f.StringVar(&c.har, "har", "", "HAR 1.2 file")
	f.StringVar(&c.out, "out", "golive-grade", "folder for the reports")
	f.StringVar(&c.partner, "partner", "", "partner name for the reports")
	f.DurationVar(&c.pace.MinPollInterval, "poll-interval", c.pace.MinPollInterval, "the documented minimum pause between status queries of one payment; unless given, a golive session's recording.har is held to the pace it states")
	return c
}

func (c *gradeCmd) run(gs *GlobalState) error {
	if c.api == "" || c.har == "" {
		return invalidf("--api and --har are required")
	}
	if !uat.IsAPI(c.api) {
		return invalid(&uat.UnknownAPIError{Name: c.api})
	}
	if err := checkOut(c.out); err != nil {
		return err
	}
	f, err := os.Open(c.har)
	if err != nil {
		return invalidf("--har: %v", err)
	}
	defer f.Close()
	// Without --poll-interval, a golive session's recording is held to the
	// pace that session documented (it says so in the HAR), any other
	// recording to the default.
	var pace uat.Timing
	if c.cmd.Flags().Changed("poll-interval") {
		pace = c.pace
	}
	run, err := uat.GradeHARWith(c.api, f, uat.HAROptions{Partner: c.partner, Version: gs.Version, Timing: pace})
	var notHAR *uat.NotHARError
	switch {
	case errors.As(err, &notHAR):
		return invalidf("--har %s: %v", c.har, err)
	case err != nil:
		return internal(err)
	}
	if err := reports.WriteAll(c.out, run); err != nil {
		return internal(fmt.Errorf("write reports: %w", err))
	}
	term := &reports.Terminal{W: gs.Stdout, Color: useColor(gs)}
	term.Summary(run)
	fmt.Fprintf(gs.Stdout, "Reports: %s\n", c.out)
	return exit(verdictCode(run))
}
