package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/uat"
	"github.com/golive-cert/golive/uat/client"
)

// writeClientChecklist renders an API's client checklist for a partner.
func writeClientChecklist(w io.Writer, api string) error {
	if !uat.IsAPI(api) {
		return invalid(&uat.UnknownAPIError{Name: api})
	}
	items := uat.Checklist(api)
	counts := map[results.Severity]int{}
	for _, it := range items {
		counts[it.Severity]++
	}
	fmt.Fprintf(w, "# %s client checklist\n\n", api)
	fmt.Fprintf(w, "Graded over your client's traffic in a UAT session (golive uat) or a HAR recording (golive grade).\n\n")
	fmt.Fprintf(w, "%d items: %d critical, %d major, %d minor. ", len(items), counts[results.Critical], counts[results.Major], counts[results.Minor])
	fmt.Fprintf(w, "A client is CERTIFIED when no critical or major item fails; minor failures are observations.\n\n")
	fmt.Fprintln(w, "| ID | Severity | Group | Check | What to do if it fails |")
	fmt.Fprintln(w, "|----|----------|-------|-------|------------------------|")
	for _, it := range items {
		live := ""
		if it.LiveOnly {
			live = " (live session only)"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s%s | %s ([FAQ](%s#%s)) |\n", it.ID, it.Severity, cell(it.Group), cell(it.Title), live,
			cell(it.Remediation), uat.FAQFile, it.FAQ)
	}
	fmt.Fprintf(w, "\n## UAT cases\n\n| Case | What to do | Test values | Expected |\n|------|-----------|-------------|----------|\n")
	for _, cs := range uat.Cases(api, uat.DefaultTiming()) {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", cs.ID, cell(cs.Do), cell(cs.Values), cell(cs.Expect))
	}
	return nil
}

// writeClientFaults lists the reference client's faults for golive list.
func writeClientFaults(w io.Writer) error {
	fmt.Fprintln(w, "\nClient faults (golive demo --client --fault NAME):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, f := range client.Faults() {
		fmt.Fprintf(tw, "  %s\t%s\n", f.Name, f.Description)
	}
	return tw.Flush()
}
