package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golive-cert/golive/exitcode"

	"github.com/spf13/cobra"
)

// Execute runs the command line in gs and returns the process exit code.
// Commands return *exitcode.Error for every outcome that is not success;
// any other error comes from cobra itself (unknown command, wrong
// arguments) and is the user's input: exit code 2. Joined problems are
// printed one per line.
func Execute(gs *GlobalState) int {
	root := newRootCmd(gs)
	root.SetArgs(gs.Args)
	err := root.ExecuteContext(gs.Ctx)
	if err == nil {
		return 0
	}
	code := exitcode.Of(err, exitcode.InvalidInput)
	var ee *exitcode.Error
	if errors.As(err, &ee) && ee.Err == nil {
		return int(code) // the command already said everything (a verdict)
	}
	for _, line := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		fmt.Fprintln(gs.Stderr, "golive: "+line)
	}
	return int(code)
}

func newRootCmd(gs *GlobalState) *cobra.Command {
	root := &cobra.Command{
		Use:   "golive",
		Short: "Certify a partner's payment-API integration for go-live",
		Long: `golive runs a BAU API's quality checklist against a partner's staging
endpoint, drives the payment and check-status flows, says of every failure
whether it is a connection, system or integration issue and how to fix it,
and writes JUnit, HTML and JSON certification reports.

Exit codes: 0 certified (observations allowed), 1 not certified,
2 invalid input, 3 target not testable, 4 internal error, 130 interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       gs.Version,
	}
	root.SetOut(gs.Stdout)
	root.SetErr(gs.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return invalid(err) })
	root.AddCommand(
		newRunCmd(gs).cmd,
		newDemoCmd(gs).cmd,
		newSandboxCmd(gs).cmd,
		newListCmd(gs).cmd,
		newChecklistCmd(gs).cmd,
		newValidateCmd(gs).cmd,
		newDoctorCmd(gs).cmd,
		newVerifyCmd(gs).cmd,
		newPlanCmd(gs).cmd,
		newBenchCmd(gs).cmd,
		newDiffCmd(gs).cmd,
		newUATCmd(gs).cmd,
		newGradeCmd(gs).cmd,
		newServerCmd(gs).cmd,
		newPartnerCmd(gs),
		newUserCmd(gs),
	)
	return root
}
