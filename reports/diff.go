package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/golive-cert/golive/results"
)

// WriteDiffText prints a comparison of two runs for a terminal: what got
// worse first, then what got better, then a count of the rest.
func WriteDiffText(w io.Writer, d results.Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Before: run %s (%s): %s\n", d.Before.RunID, d.Before.Started, d.Before.Verdict.Status)
	fmt.Fprintf(&b, "After:  run %s (%s): %s\n\n", d.After.RunID, d.After.Started, d.After.Verdict.Status)
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	for _, c := range d.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s/%s\t%s -> %s\t%s\n", c.Change, c.Severity, c.API, c.ID, orAbsent(c.Before), orAbsent(c.After), oneLine(c.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Items) == 0 {
		b.WriteString("No item changed.\n")
	}
	var parts []string
	for _, c := range results.Changes() {
		if n := d.Counts[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", strings.Join(parts, ", "))
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDiffJSON writes the comparison as JSON (golive diff --format json).
func WriteDiffJSON(w io.Writer, d results.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

func orAbsent(s results.Status) string {
	if s == "" {
		return "absent"
	}
	return string(s)
}
