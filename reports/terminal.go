package reports

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/golive-cert/golive/results"
)

// Terminal shows a run's progress while it goes, and the summary at the
// end. Without Live the progress is a plain log, a line per finished item
// (CI logs, pipes). With Live (a terminal) only failures get a line, and one
// status line, redrawn in place, says how many checks are done, how many
// failed so far and about how long is left. It is safe for concurrent use
// (each call writes whole lines); share it by pointer, not by copy.
type Terminal struct {
	W       io.Writer // destination, usually os.Stdout
	Color   bool      // ANSI colours; the CLI decides (TTY and NO_COLOR)
	Quiet   bool      // no progress lines; the summary is one line per problem and the verdict
	Verbose bool      // also print every failed item in full, its exchanges and the skipped items
	Live    bool      // a terminal: failures as lines, progress on one line redrawn in place
	// Started is when the run started, for the time left; the first
	// finished item when zero. Now is the clock (time.Now when nil).
	Started time.Time
	Now     func() time.Time

	mu       sync.Mutex
	failures int  // failed and errored items so far
	status   bool // a live status line is on screen
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

// ItemDone records a finished item: in the plain log one line, e.g.
// "[ 3/12] ✗ COL-003 Status becomes final (critical, integration): …"; live,
// the line only for a failure, then the redrawn status line
// "[ 120/1300] 12 failed · 1m10s elapsed · about 11m left".
func (t *Terminal) ItemDone(it results.Item, done, total int) {
	if t.Quiet {
		return
	}
	line := t.itemLine(it, done, total)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if t.Started.IsZero() {
		t.Started = now
	}
	if isProblem(it) {
		t.failures++
	}
	if !t.Live {
		t.writeLocked(line)
		return
	}
	var b strings.Builder
	if t.status {
		b.WriteString("\r\x1b[2K") // back over the status line, erased
		t.status = false
	}
	if isProblem(it) || t.Verbose {
		b.WriteString(line)
	}
	if done < total {
		b.WriteString(t.statusLine(done, total, now.Sub(t.Started)))
		t.status = true
	}
	t.writeLocked(b.String())
}

// itemLine is an item's progress line, with its exchanges when Verbose.
func (t *Terminal) itemLine(it results.Item, done, total int) string {
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
	return b.String()
}

// statusLine is the live progress line (no newline: it is redrawn). The
// time left assumes the remaining checks take as long as the done ones.
func (t *Terminal) statusLine(done, total int, elapsed time.Duration) string {
	width := len(fmt.Sprint(total))
	s := fmt.Sprintf("[%*d/%d] %d failed · %s elapsed", width, done, total, t.failures, formatMs(elapsed.Milliseconds()))
	if done > 0 && elapsed > 0 {
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		s += " · about " + formatMs(left.Milliseconds()) + " left"
	}
	return t.paint(ansiDim, s)
}

func (t *Terminal) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Summary prints the run's distinct problems, most serious first (each
// with its fix, FAQ, affected items and, for an unreachable target, the
// commands to check it), then the counts, and the verdict as the very last
// line, where a reader and a CI log tail will look. With Quiet each problem
// is one line; with Verbose every failed item follows in full.
func (t *Terminal) Summary(run *results.Run) {
	if run == nil {
		return
	}
	run = normalize(run)
	var b strings.Builder
	t.mu.Lock()
	if t.status {
		b.WriteString("\r\x1b[2K")
		t.status = false
	}
	t.mu.Unlock()
	if t.Quiet {
		for _, p := range run.Problems {
			fmt.Fprintf(&b, "%s %s (%s, %s; %s): %s\n", t.paint(ansiBold, p.ID), t.paint(ansiRed, "✗"),
				p.Severity, p.Category, clean(itemList(p.Items, 5)), clean(oneLine(p.Title)))
		}
	} else {
		t.writeProblems(&b, run)
		if t.Verbose {
			t.writeFailures(&b, run.Items)
			t.writeSkipped(&b, run.Items)
		}
		t.writeCounts(&b, run.Summary)
	}
	v := run.Verdict
	fmt.Fprintf(&b, "Verdict: %s — %s\n", t.paint(ansiBold+verdictColor(v.Status), string(v.Status)), clean(oneLine(v.Reason)))
	t.write(b.String())
}

// writeProblems prints "N distinct problems" and each problem's block.
func (t *Terminal) writeProblems(b *strings.Builder, run *results.Run) {
	if len(run.Problems) == 0 {
		return
	}
	failing := 0
	for _, it := range run.Items {
		if isProblem(it) {
			failing++
		}
	}
	fmt.Fprintf(b, "\n%s\n", t.paint(ansiBold, fmt.Sprintf("%d distinct problem%s (%d failed item%s)",
		len(run.Problems), plural(len(run.Problems)), failing, plural(failing))))
	if n, why := notRun(run.Items); n > 0 {
		were := "s were"
		if n == 1 {
			were = " was"
		}
		fmt.Fprintf(b, "%d more item%s not run: %s.\n", n, were, clean(oneLine(why)))
	}
	curl := map[string]string{} // the first affected item's curl line per problem
	for _, it := range run.Items {
		if it.Problem != "" && curl[it.Problem] == "" {
			curl[it.Problem] = it.Curl
		}
	}
	for _, p := range run.Problems {
		fmt.Fprintf(b, "\n%s %s %s\n", t.paint(ansiBold, p.ID), t.paint(ansiRed, "✗"),
			t.paint(ansiBold, fmt.Sprintf("%s · %s · %s · %d item%s", strings.ToUpper(string(p.Severity)), p.Category,
				kindText(p.Kind), len(p.Items), plural(len(p.Items)))))
		fmt.Fprintf(b, "      %s\n", clean(oneLine(p.Title)))
		if d := p.Diagnosis; d != nil {
			t.field(b, "layer", d.Layer+" ("+d.Endpoint+")")
			t.field(b, "check", strings.Join(d.Commands, "\n"))
		}
		t.field(b, "fix", p.Fix)
		t.field(b, "faq", p.FAQ)
		t.field(b, "items", itemList(p.Items, 8))
		t.field(b, "reproduce", curl[p.ID])
	}
}

// itemList names up to most items: "A, B, C and 12 more".
func itemList(items []results.ProblemItem, most int) string {
	var ids []string
	for i, it := range items {
		if i == most {
			return strings.Join(ids, ", ") + fmt.Sprintf(" and %d more", len(items)-most)
		}
		id := it.ID
		if it.Also {
			id += " (also)"
		}
		ids = append(ids, id)
	}
	return strings.Join(ids, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (t *Terminal) writeFailures(b *strings.Builder, items []results.Item) {
	problems := problemsBySeverity(items)
	if len(problems) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s\n", t.paint(ansiBold, fmt.Sprintf("Failed items (%d)", len(problems))))
	var sev results.Severity = "\x00" // never a real severity: forces the first heading
	for _, it := range problems {
		if it.Severity != sev {
			sev = it.Severity
			fmt.Fprintf(b, "\n%s\n", t.paint(ansiBold, strings.ToUpper(string(sev))))
		}
		fmt.Fprintf(b, "  %s %s %s %s\n",
			t.paint(statusColor(it.Status), statusSymbol(it.Status)),
			t.paint(ansiBold, clean(it.ID)), clean(oneLine(it.Title)),
			t.paint(ansiDim, "["+string(categoryOf(it))+problemRef(it)+"]"))
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
	t.mu.Lock()
	defer t.mu.Unlock()
	t.writeLocked(s)
}

func (t *Terminal) writeLocked(s string) {
	if t.W == nil {
		return
	}
	// A progress line that fails to print is not worth stopping a run for.
	_, _ = io.WriteString(t.W, s)
}

// problemRef is " P3" for an item that belongs to a problem.
func problemRef(it results.Item) string {
	if it.Problem == "" {
		return ""
	}
	return " " + it.Problem
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
