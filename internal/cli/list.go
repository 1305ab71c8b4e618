package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/sandbox"
	"github.com/golive-cert/golive/specs"
	"github.com/golive-cert/golive/suites"
)

type listCmd struct{ cmd *cobra.Command }

func newListCmd(gs *GlobalState) *listCmd {
	c := &listCmd{}
	c.cmd = &cobra.Command{
		Use:   "list",
		Short: "List the built-in BAU APIs, their checklists and the sandbox faults",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return c.run(gs) },
	}
	return c
}

func (c *listCmd) run(gs *GlobalState) error {
	loader := specs.NewLoader()
	tw := tabwriter.NewWriter(gs.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API\tTITLE\tVERSION\tOPENAPI\tOPERATIONS\tCHECKLIST ITEMS")
	for _, name := range specs.Builtin() {
		api, err := loader.Load(gs.Ctx, name)
		if err != nil {
			return internal(err)
		}
		items := "-"
		if suites.IsBuiltin(name) {
			s, err := suites.Load(name)
			if err != nil {
				return internal(err)
			}
			items = fmt.Sprint(len(s.Items))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", name, api.Doc.Info.Title, api.Doc.Info.Version, api.Doc.OpenAPI, len(api.Operations()), items)
	}
	if err := tw.Flush(); err != nil {
		return internal(err)
	}
	// Before the sandbox faults, which end the output (scripts read them to the end).
	if err := writeClientFaults(gs.Stdout); err != nil {
		return internal(err)
	}
	fmt.Fprintln(gs.Stdout, "\nSandbox faults (golive demo --fault NAME, golive sandbox --fault NAME):")
	tw = tabwriter.NewWriter(gs.Stdout, 2, 4, 2, ' ', 0)
	for _, f := range sandbox.Faults() {
		fmt.Fprintf(tw, "  %s\t%s\n", f.Name, f.Description)
	}
	if err := tw.Flush(); err != nil {
		return internal(err)
	}
	return nil
}

// builtinAPIs names the built-in APIs, for messages.
func builtinAPIs() []string { return specs.Builtin() }
