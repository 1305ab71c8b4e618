package reports

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/golive-cert/golive/results"
)

// Terminal prints a line per finished item while a run goes, and the summary
// at the end. It is safe for concurrent use (each call writes whole lines);
// share it by pointer, not by copy.
type Terminal struct {
	W       io.Writer // destination, usually os.Stdout
	Color   bool      // ANSI colours; the CLI decides (TTY and NO_COLOR)
	Quiet   bool      // no progress lines; the summary is one line per failure and the verdict
	Verbose bool      // also print each item's exchanges and the skipped items

	mu sync.Mutex
}

// ANSI SGR codes; used only through Terminal.paint so Color=false is plain.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
)

// ItemDone prints one progress line for a finished item, e.g.
// "[ 3/12] ✗ COL-003 Status becomes final (critical, integration): …".
func (t *Terminal) ItemDone(it results.Item, done, total int) {
	if t.Quiet {
		return
	}
	var b strings.Builder
	width := len(fmt.Sprint(total))
	fmt.Fprintf(&b, "[%*d/%d] %s %s %s", width, done, total,
		t.paint(statusColor(it.Status), statusSymbol(it.Status)),
		t.paint(ansiBold, clean(it.ID)), clean(oneLine(it.Title)))
	switch it.Status {
	case results.Fail, results.Error:
		fmt.Fprintf(&b, " (%s, %s): %s", it.Severity, categoryOf(it),
			clean(oneLine(firstNonEmpty(it.Message, it.Reason))))
	case results.Skip:
		b.WriteString(t.paint(ansiDim, " skipped: "+clean(oneLine(firstNonEmpty(it.Message, it.Reason)))))
	}
	b.WriteString(t.paint(ansiDim, " "+formatMs(it.DurationMs)) + "\n")
	if t.Verbose {
		for _, ex := range it.Exchanges {
			b.WriteString(t.paint(ansiDim, "        "+clean(exchangeLine(ex))) + "\n")
		}
	}
	t.write(b.String())
}

// Summary prints the failures grouped by severity (most serious first), the
// counts, and the verdict as the very last line, where a reader and a CI log
// tail will look. With Quiet each failure is one line.
func (t *Terminal) Summary(run *results.Run) {
	if run == nil {
		return
	}
	var b strings.Builder
	if t.Quiet {
		for _, it := range problemsBySeverity(run.Items) {
			fmt.Fprintf(&b, "%s %s %s (%s, %s): %s\n", t.paint(statusColor(it.Status), statusSymbol(it.Status)),
				t.paint(ansiBold, clean(it.ID)), clean(oneLine(it.Title)), it.Severity, categoryOf(it),
				clean(oneLine(firstNonEmpty(it.Message, it.Reason))))
		}
	} else {
		t.writeFailures(&b, run.Items)
		if t.Verbose {
			t.writeSkipped(&b, run.Items)
		}
		t.writeCounts(&b, run.Summary)
	}
	v := run.Verdict
	fmt.Fprintf(&b, "Verdict: %s — %s\n", t.paint(ansiBold+verdictColor(v.Status), string(v.Status)), clean(oneLine(v.Reason)))
	t.write(b.String())
}

func (t *Terminal) writeFailures(b *strings.Builder, items []results.Item) {
	problems := problemsBySeverity(items)
	if len(problems) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", t.paint(ansiBold, fmt.Sprintf("Failures (%d)", len(problems))))
	var sev results.Severity = "\x00" // never a real severity: forces the first heading
	for _, it := range problems {
		if it.Severity != sev {
			sev = it.Severity
			fmt.Fprintf(b, "\n%s\n", t.paint(ansiBold, strings.ToUpper(string(sev))))
		}
		fmt.Fprintf(b, "  %s %s %s %s\n",
			t.paint(statusColor(it.Status), statusSymbol(it.Status)),
			t.paint(ansiBold, clean(it.ID)), clean(oneLine(it.Title)),
			t.paint(ansiDim, "["+string(categoryOf(it))+"]"))
		if it.Message != "" {
			fmt.Fprintf(b, "      %s\n", clean(oneLine(it.Message)))
		}
		t.field(b, "why", it.Reason)
		t.field(b, "step", it.Step)
		t.field(b, "expected", it.Expected)
		t.field(b, "actual", it.Actual)
		t.field(b, "reproduce", it.Curl)
		t.field(b, "fix", it.Remediation)
		t.field(b, "faq", it.FAQ)
	}
}

func (t *Terminal) writeSkipped(b *strings.Builder, items []results.Item) {
	var lines []string
	for _, it := range items {
		if it.Status == results.Skip {
			lines = append(lines, fmt.Sprintf("  %s %s %s: %s", statusSymbol(it.Status),
				clean(it.ID), clean(oneLine(it.Title)), clean(oneLine(firstNonEmpty(it.Message, it.Reason)))))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n%s\n", t.paint(ansiBold, fmt.Sprintf("Skipped (%d)", len(lines))), strings.Join(lines, "\n"))
}

func (t *Terminal) writeCounts(b *strings.Builder, s results.Summary) {
	fmt.Fprintf(b, "\n%d items: %s, %s, %s, %s\n", s.Total,
		t.paint(ansiGreen, fmt.Sprintf("%d passed", s.Passed)),
		t.paint(ansiRed, fmt.Sprintf("%d failed", s.Failed)),
		t.paint(ansiYellow, fmt.Sprintf("%d errors", s.Errored)),
		fmt.Sprintf("%d skipped", s.Skipped))
	var sev []string
	for _, name := range results.Severities() {
		c := s.BySeverity[name]
		sev = append(sev, fmt.Sprintf("%s %d/%d passed", name, c.Passed, c.Total))
	}
	fmt.Fprintf(b, "  by severity: %s\n", strings.Join(sev, ", "))
	var cat []string
	for _, name := range results.Categories() {
		cat = append(cat, fmt.Sprintf("%s %d", name, s.ByCategory[name]))
	}
	fmt.Fprintf(b, "  failures by category: %s\n\n", strings.Join(cat, ", "))
}

// field prints "      label:     value", continuing multi-line values under
// the value column so expected/actual bodies stay readable.
func (t *Terminal) field(b *strings.Builder, label, value string) {
	if value == "" {
		return
	}
	pad := strings.Repeat(" ", 6+10+1) // indent + label column + space
	lines := strings.Split(strings.TrimRight(clean(value), "\n"), "\n")
	fmt.Fprintf(b, "      %s %s\n", t.paint(ansiDim, fmt.Sprintf("%-10s", label+":")), lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(b, "%s%s\n", pad, l)
	}
}

func (t *Terminal) paint(code, s string) string {
	if !t.Color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *Terminal) write(s string) {
	if t.W == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// A progress line that fails to print is not worth stopping a run for.
	_, _ = io.WriteString(t.W, s)
}

func statusColor(s results.Status) string {
	switch s {
	case results.Pass:
		return ansiGreen
	case results.Fail:
		return ansiRed
	case results.Error:
		return ansiYellow
	default:
		return ansiDim
	}
}

func verdictColor(v results.VerdictStatus) string {
	switch v {
	case results.Certified:
		return ansiGreen
	case results.CertifiedWithObservations:
		return ansiYellow
	case results.NotTestable:
		return ansiMagenta
	default:
		return ansiRed
	}
}

// clean makes target-supplied text harmless on a terminal: control
// characters (ESC sequences could recolour, retitle or hide output) are shown
// as \xNN instead of being interpreted. Newlines and tabs are kept.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
