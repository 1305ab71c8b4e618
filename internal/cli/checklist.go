package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/suites"
)

type checklistCmd struct{ cmd *cobra.Command }

func newChecklistCmd(gs *GlobalState) *checklistCmd {
	c := &checklistCmd{}
	var clientSide bool
	c.cmd = &cobra.Command{
		Use:     "checklist API|FILE",
		Short:   "Print, as Markdown, the checklist a partner will be held to",
		Example: "  golive checklist collections > collections-checklist.md",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if clientSide {
				return writeClientChecklist(gs.Stdout, args[0])
			}
			s, err := suites.Load(args[0])
			if err != nil {
				return invalid(err)
			}
			writeChecklist(gs.Stdout, s)
			return nil
		},
	}
	c.cmd.Flags().BoolVar(&clientSide, "client", false, "the client checklist (a merchant calling the API; see golive uat)")
	return c
}

// writeChecklist renders a suite for a partner: what is checked, how serious
// a failure is, and what to do about it.
func writeChecklist(w io.Writer, s *suites.Suite) {
	fmt.Fprintf(w, "# %s quality checklist\n\n", s.API)
	if d := strings.TrimSpace(s.Description); d != "" {
		fmt.Fprintf(w, "%s\n\n", d)
	}
	counts := map[results.Severity]int{}
	for _, it := range s.Items {
		counts[it.Severity]++
	}
	fmt.Fprintf(w, "%d items: %d critical, %d major, %d minor. ", len(s.Items), counts[results.Critical], counts[results.Major], counts[results.Minor])
	fmt.Fprintf(w, "A partner is CERTIFIED when no critical or major item fails; minor failures are observations.\n\n")
	fmt.Fprintln(w, "| ID | Severity | Group | Check | What to do if it fails |")
	fmt.Fprintln(w, "|----|----------|-------|-------|------------------------|")
	for _, it := range s.Items {
		remedy := cell(it.Remediation)
		if it.FAQ != "" {
			link := it.FAQ
			if s.FAQBase != "" && !strings.Contains(link, "/") {
				link = s.FAQBase + "#" + it.FAQ
			}
			remedy += fmt.Sprintf(" ([FAQ](%s))", link)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", it.ID, it.Severity, cell(it.Group), cell(it.Title), remedy)
	}
}

func cell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}
