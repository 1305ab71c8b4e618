package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/sandbox"
)

type sandboxCmd struct {
	cmd    *cobra.Command
	apis   []string
	addr   string
	fault  string
	settle time.Duration
}

func newSandboxCmd(gs *GlobalState) *sandboxCmd {
	c := &sandboxCmd{}
	c.cmd = &cobra.Command{
		Use:   "sandbox [--api NAME]... [--listen ADDR] [--fault NAME]",
		Short: "Serve the reference partner: a faithful implementation of the built-in APIs",
		Long: fmt.Sprintf(`sandbox serves the built-in APIs as a correct partner would, so partners can
compare their behaviour with it and golive can be tried against it. Use the
credentials client-id %q and api-key %q. Phone numbers ending in 999
settle as FAILED. With --fault it reproduces a typical partner defect.`, sandbox.DefaultClientID, sandbox.DefaultAPIKey),
		Example: "  golive sandbox --listen 127.0.0.1:8080\n  golive sandbox --api collections --fault amount-changed",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return c.run(gs) },
	}
	f := c.cmd.Flags()
	f.StringArrayVar(&c.apis, "api", nil, "API to serve (collections, payouts); default: all")
	f.StringVar(&c.addr, "listen", "127.0.0.1:8080", "address to serve on")
	// --addr was this flag's first name; golive server and uat say --listen.
	f.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to serve on")
	_ = f.MarkDeprecated("addr", "use --listen, as golive server and golive uat do")
	f.StringVar(&c.fault, "fault", "", "defect to reproduce: "+faultList())
	f.DurationVar(&c.settle, "settle-after", 2*time.Second, "time from PROCESSING to a final status")
	return c
}

func (c *sandboxCmd) run(gs *GlobalState) error {
	opts := []sandbox.Option{sandbox.WithFault(c.fault), sandbox.WithSettleAfter(c.settle)}
	if len(c.apis) > 0 {
		opts = append(opts, sandbox.WithAPIs(c.apis...))
	}
	sb, err := sandbox.New(opts...)
	if err != nil {
		return invalid(err)
	}
	base, stop, err := sb.Start(c.addr)
	if err != nil {
		return invalidf("--listen %s: %v", c.addr, err)
	}
	fmt.Fprintf(gs.Stdout, "golive sandbox serving at %s (fault: %s); Ctrl-C to stop\n", base, orNone(c.fault))
	<-gs.Ctx.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		return internal(fmt.Errorf("stop sandbox: %w", err))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
