package results

import (
	"fmt"

	"github.com/golive-cert/golive/exitcode"
)

// Summarize counts the items.
func Summarize(items []Item) Summary {
	s := Summary{BySeverity: map[Severity]Tally{}, ByCategory: map[Category]int{}}
	for _, sev := range Severities() {
		s.BySeverity[sev] = Tally{}
	}
	for _, c := range Categories() {
		s.ByCategory[c] = 0
	}
	for _, it := range items {
		t := s.BySeverity[it.Severity]
		t.Total++
		s.Total++
		switch it.Status {
		case Pass:
			s.Passed++
			t.Passed++
		case Fail:
			s.Failed++
			t.Failed++
		case Error:
			s.Errored++
			t.Errored++
		case Skip:
			s.Skipped++
			t.Skipped++
		}
		s.BySeverity[it.Severity] = t
		if it.Category != "" && (it.Status == Fail || it.Status == Error) {
			s.ByCategory[it.Category]++
		}
	}
	return s
}

// Decide gives the verdict: an integration failure of a critical or major item
// means NOT CERTIFIED; otherwise connection or system trouble on such an item
// means the target could not be judged (NOT TESTABLE); minor failures alone
// are observations. An interrupted run is never certified.
func Decide(items []Item, interrupted bool) Verdict {
	var blocking, untestable, minor int
	for _, it := range items {
		if it.Status != Fail && it.Status != Error {
			continue
		}
		switch {
		case it.Severity == Minor:
			minor++
		case it.Category == Connection || it.Category == System:
			untestable++
		default:
			blocking++
		}
	}
	switch {
	case interrupted:
		return Verdict{NotCertified, "the run was interrupted before every item finished", exitcode.Interrupted}
	case blocking > 0:
		return Verdict{NotCertified, fmt.Sprintf("%d critical or major item(s) failed", blocking), exitcode.NotCertified}
	case untestable > 0:
		return Verdict{NotTestable, fmt.Sprintf("%d critical or major item(s) could not be judged: connection or system failures", untestable), exitcode.NotTestable}
	case minor > 0:
		return Verdict{CertifiedWithObservations, fmt.Sprintf("%d minor item(s) failed", minor), exitcode.Certified}
	default:
		return Verdict{Certified, "every critical and major item passed", exitcode.Certified}
	}
}
