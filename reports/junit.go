package reports

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/golive-cert/golive/results"
)

// WriteJUnit writes run as junit.xml: one testsuite per API, one testcase per
// checklist item. The output validates against the Jenkins xUnit JUnit schema
// (reports/testdata/jenkins-junit-10.xsd), which GitLab and the common GitHub
// Actions reporters also read.
func WriteJUnit(w io.Writer, run *results.Run) error {
	if run == nil {
		return errors.New("write junit.xml: no run")
	}
	suites := buildJUnit(run)
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"); err != nil {
		return fmt.Errorf("write junit.xml: %w", err)
	}
	if err := suites.WriteXML(w); err != nil {
		return fmt.Errorf("write junit.xml: %w", err)
	}
	return nil
}

// buildJUnit maps the run onto the junit package's types.
func buildJUnit(run *results.Run) junit.Testsuites {
	run = normalize(run) // problems, for the ids in messages
	top := junit.Testsuites{
		Name: "golive " + run.RunID,
		Time: seconds(run.DurationMs),
	}
	for i, api := range junitAPIs(run) {
		suite := junit.Testsuite{
			Name:      api.Name,
			ID:        i,
			Timestamp: run.StartedAt.UTC().Format(time.RFC3339),
		}
		addProperties(&suite, run, api)

		var ms int64
		seen := map[string]int{}
		for _, it := range run.Items {
			if it.API != api.Name {
				continue
			}
			tc := testcase(it, run.ProblemByID(it.Problem))
			tc.Name = uniqueName(seen, tc.Classname, tc.Name)
			suite.AddTestcase(tc)
			ms += max(it.DurationMs, 0)
		}
		// Items may run concurrently, so the suite's time is the sum of its
		// items' times (what JUnit readers expect), not wall-clock time.
		suite.Time = seconds(ms)

		// Not AddSuite: it would also total "skipped" on <testsuites>, an
		// attribute the Jenkins schema rejects there.
		top.Suites = append(top.Suites, suite)
		top.Tests += suite.Tests
		top.Failures += suite.Failures
		top.Errors += suite.Errors
	}
	return top
}

// junitAPIs is run.APIs (first entry wins for a repeated name) plus a bare
// entry for any API that items name but the run does not list, so that every
// item lands in exactly one testsuite.
func junitAPIs(run *results.Run) []results.API {
	var apis []results.API
	known := map[string]bool{}
	for _, a := range run.APIs {
		if !known[a.Name] {
			known[a.Name] = true
			apis = append(apis, a)
		}
	}
	for _, it := range run.Items {
		if !known[it.API] {
			known[it.API] = true
			apis = append(apis, results.API{Name: it.API})
		}
	}
	return apis
}

// addProperties records who ran what against which target, so a junit.xml
// found on its own still identifies the certification run.
func addProperties(s *junit.Testsuite, run *results.Run, api results.API) {
	add := func(name, value string) {
		if value != "" {
			s.AddProperty(name, value)
		}
	}
	add("golive.tool", run.Tool.Name)
	add("golive.tool.version", run.Tool.Version)
	add("golive.run.id", run.RunID)
	add("golive.target.partner", run.Target.Partner)
	add("golive.target.baseUrl", run.Target.BaseURL)
	add("golive.target.environment", run.Target.Environment)
	add("golive.api.title", api.Title)
	add("golive.api.version", api.Version)
	add("golive.spec", api.Spec)
	add("golive.spec.sha256", api.SpecSHA256)
	add("golive.suite", api.Suite)
	add("golive.suite.sha256", api.SuiteSHA256)
	add("golive.verdict", string(run.Verdict.Status))
	add("golive.verdict.reason", run.Verdict.Reason)
}

// testcase maps one item. Whose problem it is decides the element: CI
// dashboards show <error> as "could not test" and <failure> as "the code under
// test is wrong", which is exactly connection/system versus integration. The
// message starts with the item's problem id ("[P3] ..."), so the many
// testcases one cause fails read as one problem in CI.
func testcase(it results.Item, p *results.Problem) junit.Testcase {
	classname := it.API
	if it.Group != "" {
		classname += "." + it.Group
	}
	tc := junit.Testcase{
		Classname: classname,
		Name:      oneLine(it.ID + " " + it.Title),
		Time:      seconds(it.DurationMs),
	}
	switch it.Status {
	case results.Pass:
	case results.Skip:
		tc.Skipped = &junit.Result{Message: oneLine(firstNonEmpty(it.Reason, it.Message, "skipped"))}
	case results.Fail, results.Error:
		msg := oneLine(firstNonEmpty(it.Message, it.Reason, string(it.Status)))
		if p != nil {
			msg = "[" + p.ID + "] " + msg
		}
		r := &junit.Result{
			Message: msg,
			Type:    string(categoryOf(it)) + "/" + string(it.Severity),
			Data:    xmlSafe(clean(failureBody(it, p))),
		}
		if categoryOf(it) == results.Integration {
			tc.Failure = r
		} else {
			tc.Error = r
		}
	default:
		// An unknown status must not pass silently.
		tc.Error = &junit.Result{
			Message: fmt.Sprintf("unknown status %q", it.Status),
			Type:    "unknown/" + string(it.Severity),
		}
	}
	return tc
}

// categoryOf is the item's category, or the one its status implies when the
// runner left it empty (a failure means the target answered, an error that
// it did not).
func categoryOf(it results.Item) results.Category {
	switch {
	case it.Category != "":
		return it.Category
	case it.Status == results.Fail:
		return results.Integration
	default:
		return results.System
	}
}

// failureBody is the text a developer pastes into a ticket: what was
// expected, what came back, every exchange, how to reproduce and fix it.
func failureBody(it results.Item, p *results.Problem) string {
	var b strings.Builder
	if p != nil {
		fmt.Fprintf(&b, "Problem %s (%d item(s)): %s\nFix: %s\n\n", p.ID, len(p.Items), p.Title, p.Fix)
	}
	field := func(label, value string) {
		if value == "" {
			return
		}
		if strings.Contains(value, "\n") {
			fmt.Fprintf(&b, "%s:\n%s\n", label, indent(value, "  "))
		} else {
			fmt.Fprintf(&b, "%-12s %s\n", label+":", value)
		}
	}
	field("Expected", it.Expected)
	field("Actual", it.Actual)
	field("Category", string(categoryOf(it)))
	field("Reason", it.Reason)
	field("Step", it.Step)
	if len(it.Exchanges) > 0 {
		b.WriteString("\nExchanges:\n")
		for i, ex := range it.Exchanges {
			fmt.Fprintf(&b, "  %d. %s\n", i+1, exchangeLine(ex))
		}
	}
	if it.Curl != "" {
		fmt.Fprintf(&b, "\nReproduce:\n%s\n", indent(it.Curl, "  "))
	}
	if it.Remediation != "" {
		fmt.Fprintf(&b, "\nRemediation:\n%s\n", indent(it.Remediation, "  "))
	}
	if it.FAQ != "" {
		fmt.Fprintf(&b, "\nFAQ: %s\n", it.FAQ)
	}
	return b.String()
}

// uniqueName keeps classname+name unique within a suite (CI tools merge
// duplicates silently) by numbering repeats in run order, which is stable.
func uniqueName(seen map[string]int, classname, name string) string {
	key := classname + "\x00" + name
	seen[key]++
	if n := seen[key]; n > 1 {
		return fmt.Sprintf("%s (%d)", name, n)
	}
	return name
}

// seconds renders milliseconds as JUnit seconds, e.g. "1.250".
func seconds(ms int64) string {
	return fmt.Sprintf("%.3f", float64(max(ms, 0))/1000)
}

// xmlSafe replaces what XML 1.0 cannot carry at all (NUL, most control
// characters, invalid UTF-8); encoding/xml copies CDATA verbatim, and one
// stray byte from a target would make the whole junit.xml unreadable.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r',
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
