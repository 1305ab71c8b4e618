package reports_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

// terminalOutput plays a whole run through a Terminal configured by t.
func terminalOutput(t *reports.Terminal, run *results.Run) string {
	var buf bytes.Buffer
	t.W = &buf
	for i, it := range run.Items {
		t.ItemDone(it, i+1, len(run.Items))
	}
	t.Summary(run)
	return buf.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var _ = Describe("Terminal", func() {
	var run *results.Run
	BeforeEach(func() { run = fixtureRun() })

	It("writes no ANSI escapes without Color, even when the target sends some", func() {
		out := terminalOutput(&reports.Terminal{Verbose: true}, run)
		Expect(out).NotTo(ContainSubstring("\x1b"))
		Expect(out).NotTo(ContainSubstring("\x07"))
		Expect(out).To(ContainSubstring(`\x1b[31mred`), "shown, not interpreted")
	})

	It("colours with Color", func() {
		out := terminalOutput(&reports.Terminal{Color: true}, run)
		Expect(out).To(ContainSubstring("\x1b[32m✓\x1b[0m"))
		Expect(out).To(ContainSubstring("\x1b[31m✗\x1b[0m"))
	})

	It("prints a progress line per item with its status symbol", func() {
		out := terminalOutput(&reports.Terminal{}, run)
		Expect(out).To(ContainSubstring("[1/9] ✓ COL-001 Initiate a payment returns 201 120 ms\n"))
		Expect(out).To(ContainSubstring("[2/9] ✗ COL-002 Payment status becomes final (critical, integration): status stayed PENDING after 3 polls over 2.0 s"))
		Expect(out).To(ContainSubstring("[4/9] - COL-004 Refund a payment skipped: the spec has no refund operation"))
		Expect(out).To(ContainSubstring("[5/9] ! PAY-001 Create a payout (major, connection): dial tcp"))
	})

	It("leads with the distinct problems, most serious first, with everything needed to act on them", func() {
		out := terminalOutput(&reports.Terminal{}, run)
		start := strings.Index(out, "\n4 distinct problems (4 failed items)\n")
		Expect(start).To(BeNumerically(">", 0))
		p1 := strings.Index(out, "\nP1 ✗ CRITICAL · system")
		p2 := strings.Index(out, "\nP2 ✗ CRITICAL · integration · check · 1 item\n")
		p3 := strings.Index(out, "\nP3 ✗ MAJOR · connection · unreachable · 1 item\n")
		p4 := strings.Index(out, "\nP4 ✗ MINOR · integration")
		Expect(p1).To(BeNumerically(">", start))
		Expect(p2).To(BeNumerically(">", p1))
		Expect(p3).To(BeNumerically(">", p2))
		Expect(p4).To(BeNumerically(">", p3))

		critical := out[p2:p3]
		for _, want := range []string{
			"      status stayed PENDING after 3 polls over 2.0 s\n",
			"      fix:       Implement the check-status flow",
			"      faq:       https://docs.example/faq/collections#status-never-final\n",
			"      items:     COL-002\n",
			"      reproduce: curl -X GET 'https://partner.example/v1/payments/p_2' -H 'Authorization: Bearer ****'\n",
		} {
			Expect(critical).To(ContainSubstring(want))
		}
		unreachable := out[p3:p4]
		Expect(unreachable).To(ContainSubstring("      layer:     tcp (https://partner.example)\n"))
		Expect(unreachable).To(ContainSubstring("      check:     nslookup partner.example\n                 telnet partner.example 443\n"))
		Expect(unreachable).To(ContainSubstring("golive doctor https://partner.example\n"))
	})

	It("says how many items were not run, and why, with the problems", func() {
		for i := range 2 {
			run.Items = append(run.Items, results.Item{ID: fmt.Sprint("NR-", i), Status: results.Skip, Severity: results.Major,
				Message: "not run: the first 4 items failed for connection or system reasons"})
		}
		out := terminalOutput(&reports.Terminal{}, run)
		Expect(out).To(ContainSubstring("\n2 more items were not run: the first 4 items failed for connection or system reasons.\n\nP1 "))
		var buf bytes.Buffer
		Expect(reports.WriteHTML(&buf, run)).To(Succeed())
		Expect(buf.String()).To(ContainSubstring(`<p class="lead not-run" id="not-run" data-count="2">2 more items were not run: the first 4 items failed`))
	})

	It("lists every failed item in full by severity when Verbose", func() {
		out := terminalOutput(&reports.Terminal{Verbose: true}, run)
		crit := strings.Index(out, "\nCRITICAL\n")
		major := strings.Index(out, "\nMAJOR\n")
		minor := strings.Index(out, "\nMINOR\n")
		Expect(crit).To(BeNumerically(">", 0))
		Expect(major).To(BeNumerically(">", crit))
		Expect(minor).To(BeNumerically(">", major))

		critical := out[crit:major]
		Expect(critical).To(ContainSubstring("✗ COL-002 Payment status becomes final [integration P2]"))
		Expect(critical).To(ContainSubstring("! PAY-002 Payout status [system P1]"))
		for _, want := range []string{
			"      why:       the target answered every poll, but never with a final status\n",
			"      step:      poll-status\n",
			"      expected:  status in [SUCCESS, FAILED] within 2s\n",
			"      actual:    PENDING\n                 body: ",
		} {
			Expect(critical).To(ContainSubstring(want))
		}
		Expect(out[major:minor]).To(ContainSubstring("! PAY-001 Create a payout [connection P3]"))
		Expect(out[minor:]).To(ContainSubstring("✗ COL-003"))
	})

	It("shows live progress on a terminal: failures as lines, one status line with done, failed and time left", func() {
		var buf bytes.Buffer
		clock := t0
		t := &reports.Terminal{W: &buf, Live: true, Started: t0, Now: func() time.Time { return clock }}
		for i, it := range run.Items {
			clock = clock.Add(time.Second)
			t.ItemDone(it, i+1, len(run.Items))
		}
		out := buf.String()
		Expect(out).NotTo(ContainSubstring("COL-001"), "a pass gets no line of its own")
		Expect(out).To(ContainSubstring("\r\x1b[2K[2/9] ✗ COL-002 Payment status becomes final (critical, integration)"))
		Expect(out).To(ContainSubstring("[1/9] 0 failed · 1.0 s elapsed · about 8.0 s left"))
		Expect(out).To(ContainSubstring("[8/9] 4 failed · 8.0 s elapsed · about 1.0 s left"))
		Expect(out).To(HaveSuffix("\r\x1b[2K"), "the status line is gone when the last item is done")
		t.Summary(run)
		Expect(lastLine(buf.String())).To(HavePrefix("Verdict: "))
	})

	It("ends with the counts and then the verdict and its reason", func() {
		out := terminalOutput(&reports.Terminal{}, run)
		Expect(out).To(ContainSubstring("9 items: 4 passed, 2 failed, 2 errors, 1 skipped\n"))
		Expect(out).To(ContainSubstring("by severity: critical 1/3 passed, major 2/4 passed, minor 1/2 passed"))
		Expect(out).To(ContainSubstring("failures by category: connection 1, system 1, integration 2"))
		Expect(lastLine(out)).To(Equal("Verdict: NOT CERTIFIED — " + run.Verdict.Reason))
	})

	It("prints one line per problem and the verdict when Quiet", func() {
		out := terminalOutput(&reports.Terminal{Quiet: true}, run)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		Expect(lines).To(HaveLen(len(run.Problems) + 1))
		Expect(lines[1]).To(Equal("P2 ✗ (critical, integration; COL-002): status stayed PENDING after 3 polls over 2.0 s"))
		Expect(lastLine(out)).To(Equal("Verdict: NOT CERTIFIED — " + run.Verdict.Reason))
	})

	It("adds exchanges and skipped items when Verbose", func() {
		plain := terminalOutput(&reports.Terminal{}, run)
		verbose := terminalOutput(&reports.Terminal{Verbose: true}, run)
		line := "poll-status, attempt 2: GET https://partner.example/v1/payments/p_2 -> 200 (41 ms)"
		Expect(plain).NotTo(ContainSubstring(line))
		Expect(verbose).To(ContainSubstring(line))
		Expect(verbose).To(ContainSubstring("Skipped (1)\n  - COL-004 Refund a payment: the spec has no refund operation\n"))
	})

	It("keeps lines whole when items finish concurrently", func() {
		var buf bytes.Buffer
		t := &reports.Terminal{W: &buf}
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.ItemDone(results.Item{ID: fmt.Sprintf("ID-%02d", i), Title: "t", Status: results.Pass}, i+1, 50)
			}()
		}
		wg.Wait()
		lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
		Expect(lines).To(HaveLen(50))
		for _, l := range lines {
			Expect(l).To(MatchRegexp(`^\[\s*\d+/50\] ✓ ID-\d\d t 0 ms$`))
		}
	})
})
