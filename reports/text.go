package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

// Helpers shared by the JUnit, HTML and terminal renderers, so that the same
// failure reads the same way in every format.

// oneLine folds s onto a single line (JUnit message attributes, table cells,
// progress lines).
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// formatMs renders a duration in milliseconds the way people read it:
// "85 ms", "1.2 s", "2m05s".
func formatMs(ms int64) string {
	switch {
	case ms < 0:
		return "0 ms"
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	default:
		d := time.Duration(ms) * time.Millisecond
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// exchangeLine summarises one exchange on one line:
// "poll, attempt 3: GET https://… -> 200 (41 ms)".
func exchangeLine(ex results.Exchange) string {
	var b strings.Builder
	if label := exchangeLabel(ex); label != "" {
		b.WriteString(label + ": ")
	}
	fmt.Fprintf(&b, "%s %s -> %s (%s)", ex.Request.Method, ex.Request.URL, exchangeOutcome(ex), formatMs(ex.DurationMs))
	return oneLine(b.String())
}

// exchangeLabel names the step and, for polls and retries, the attempt.
func exchangeLabel(ex results.Exchange) string {
	switch {
	case ex.Step != "" && ex.Attempt > 1:
		return fmt.Sprintf("%s, attempt %d", ex.Step, ex.Attempt)
	case ex.Attempt > 1:
		return fmt.Sprintf("attempt %d", ex.Attempt)
	default:
		return ex.Step
	}
}

// exchangeOutcome is the response status, or the transport error when no
// response came back.
func exchangeOutcome(ex results.Exchange) string {
	switch {
	case ex.Response != nil:
		return fmt.Sprint(ex.Response.Status)
	case ex.Error != "":
		return "error: " + ex.Error
	default:
		return "no response"
	}
}

// isProblem reports whether the item needs someone's attention.
func isProblem(it results.Item) bool {
	return it.Status == results.Fail || it.Status == results.Error
}

// problemsBySeverity returns the failed and errored items, most serious
// severity first, keeping run order within a severity.
func problemsBySeverity(items []results.Item) []results.Item {
	var out []results.Item
	for _, it := range items {
		if isProblem(it) {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b results.Item) int {
		return severityRank(a.Severity) - severityRank(b.Severity)
	})
	return out
}

// severityRank orders severities; unknown ones sort last.
func severityRank(s results.Severity) int {
	if i := slices.Index(results.Severities(), s); i >= 0 {
		return i
	}
	return len(results.Severities())
}

// sortedKeys returns the keys of a header map in a stable order, so reports
// of the same run are byte-for-byte identical.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// statusSymbol is the one-character mark for a status, the same on the
// terminal and in the HTML checklist.
func statusSymbol(s results.Status) string {
	switch s {
	case results.Pass:
		return "✓"
	case results.Fail:
		return "✗"
	case results.Error:
		return "!"
	case results.Skip:
		return "-"
	default:
		return "?"
	}
}

// notRun counts the items a run skipped without trying them (a target that
// could not be tested stops the run early; an interrupt), with the first
// reason given: a dead target's diagnosis says what it kept from being tested.
func notRun(items []results.Item) (int, string) {
	n, why := 0, ""
	for _, it := range items {
		msg := firstNonEmpty(it.Message, it.Reason)
		if it.Status == results.Skip && strings.HasPrefix(msg, "not run: ") {
			if n == 0 {
				why = strings.TrimPrefix(msg, "not run: ")
			}
			n++
		}
	}
	return n, why
}
