package reports_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

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

	It("lists failures by severity with everything needed to act on them", func() {
		out := terminalOutput(&reports.Terminal{}, run)
		crit := strings.Index(out, "\nCRITICAL\n")
		major := strings.Index(out, "\nMAJOR\n")
		minor := strings.Index(out, "\nMINOR\n")
		Expect(crit).To(BeNumerically(">", 0))
		Expect(major).To(BeNumerically(">", crit))
		Expect(minor).To(BeNumerically(">", major))

		critical := out[crit:major]
		Expect(critical).To(ContainSubstring("✗ COL-002 Payment status becomes final [integration]"))
		Expect(critical).To(ContainSubstring("! PAY-002 Payout status [system]"))
		for _, want := range []string{
			"      why:       the target answered every poll, but never with a final status\n",
			"      step:      poll-status\n",
			"      expected:  status in [SUCCESS, FAILED] within 2s\n",
			"      actual:    PENDING\n                 body: ",
			"      reproduce: curl -X GET 'https://partner.example/v1/payments/p_2' -H 'Authorization: Bearer ****'\n",
			"      fix:       Implement the check-status flow",
			"      faq:       https://docs.example/faq/collections#status-never-final\n",
		} {
			Expect(critical).To(ContainSubstring(want))
		}
		Expect(out[major:minor]).To(ContainSubstring("! PAY-001 Create a payout [connection]"))
		Expect(out[minor:]).To(ContainSubstring("✗ COL-003"))
	})

	It("ends with the counts and then the verdict and its reason", func() {
		out := terminalOutput(&reports.Terminal{}, run)
		Expect(out).To(ContainSubstring("9 items: 4 passed, 2 failed, 2 errors, 1 skipped\n"))
		Expect(out).To(ContainSubstring("by severity: critical 1/3 passed, major 2/4 passed, minor 1/2 passed"))
		Expect(out).To(ContainSubstring("failures by category: connection 1, system 1, integration 2"))
		Expect(lastLine(out)).To(Equal("Verdict: NOT CERTIFIED — " + run.Verdict.Reason))
	})

	It("prints one line per failure and the verdict when Quiet", func() {
		out := terminalOutput(&reports.Terminal{Quiet: true}, run)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		Expect(lines).To(HaveLen(run.Summary.Failed + run.Summary.Errored + 1))
		for _, it := range run.Items {
			if it.Status == results.Fail || it.Status == results.Error {
				Expect(out).To(ContainSubstring(it.ID + " "))
			}
		}
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
