package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
)

type demoCmd struct {
	cmd    *cobra.Command
	opts   runOptions
	fault  string
	client bool // certify the reference client in a UAT session instead (democlient.go)
}

func newDemoCmd(gs *GlobalState) *demoCmd {
	c := &demoCmd{}
	c.cmd = &cobra.Command{
		Use:   "demo [--fault NAME]",
		Short: "Certify the built-in sandbox partner: golive end to end with no set-up",
		Long: `demo starts the sandbox reference partner on a free loopback port, certifies
it against every built-in API and checklist, writes the reports and exits with
the verdict's code. With --fault the sandbox reproduces a typical partner
defect, and the reports show which checklist items catch it.`,
		Example: "  golive demo\n  golive demo --fault never-final\n  golive demo --client --fault client-no-status",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return c.run(gs) },
	}
	addRunFlags(c.cmd, &c.opts)
	c.cmd.Flags().StringVar(&c.fault, "fault", "", "sandbox fault to reproduce: "+faultList()+"; with --client, a client fault: "+clientFaultList())
	c.cmd.Flags().BoolVar(&c.client, "client", false, "certify golive's reference merchant client in a UAT session instead of the sandbox partner")
	return c
}

func faultList() string {
	var names []string
	for _, f := range sandbox.Faults() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func (c *demoCmd) run(gs *GlobalState) error {
	c.opts.timeoutSet = c.cmd.Flags().Changed("timeout")
	if c.client {
		return runClientDemo(gs, c.fault, c.opts.out)
	}
	sb, err := sandbox.New(sandbox.WithFault(c.fault), sandbox.WithSettleAfter(300*time.Millisecond))
	if err != nil {
		return invalid(fmt.Errorf("--fault: %w", err))
	}
	base, stop, err := sb.Start("127.0.0.1:0")
	if err != nil {
		return internal(fmt.Errorf("start sandbox: %w", err))
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = stop(ctx)
	}()
	label := c.fault
	if label == "" {
		label = "none: a correct integration"
	}
	// With --format json, stdout is results.json alone.
	say := gs.Stdout
	if c.opts.format == "json" {
		say = gs.Stderr
	}
	fmt.Fprintf(say, "Sandbox partner at %s (fault: %s)\n", base, label)

	o := c.opts
	o.target, o.env, o.partner = base, "staging", "golive sandbox"
	o.specs = specs.Builtin()
	// The sandbox's own credentials; they are masked in every report like
	// any other credential.
	o.vars = []string{"clientId=" + sandbox.DefaultClientID, "apiKey=" + sandbox.DefaultAPIKey,
		"checksumKey=" + sandbox.DefaultChecksumKey}
	o.webhookURL = base + "/webhooks/receiver"
	// The demo walks through the checklists; the spec-derived checks a run
	// adds by default join with --derived.
	o.noDerived = !o.derived
	return runCertification(gs, o)
}
