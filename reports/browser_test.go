package reports_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/docs"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/sandbox"
)

// report.html checked the way a person meets it: opened from disk in a real
// browser (Debian's chromium, headless), read, filtered, printed and
// photographed. The DOM contract the checks rely on is at the top of html.go.

// recordViolations runs before the page's own scripts and keeps every
// Content-Security-Policy violation, so a test can tell that nothing was
// blocked: neither an injected script or image nor the report's own inline
// CSS and JS (whose hashes the policy lists).
const recordViolations = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at line " + e.lineNumber);
});`

// domFacts reads what the page shows: counts (data attributes and the
// numbers a reader sees), the checklist rows and the failure articles.
const domFacts = `(() => {
  const n = (el, a) => Number(el.getAttribute(a));
  const counts = (el) => ({total: n(el, "data-count-total"), passed: n(el, "data-count-passed"),
    failed: n(el, "data-count-failed"), errored: n(el, "data-count-errored"), skipped: n(el, "data-count-skipped")});
  const cells = (tr) => [...tr.querySelectorAll("td")].slice(0, 5).map((td) => Number(td.textContent.trim()));
  const summary = document.getElementById("summary");
  const bySeverity = {};
  document.querySelectorAll("#by-severity tbody tr").forEach((tr) => {
    bySeverity[tr.dataset.severity] = Object.assign(counts(tr), {shown: cells(tr)});
  });
  const byCategory = {};
  document.querySelectorAll("#by-category tbody tr").forEach((tr) => {
    byCategory[tr.dataset.category] = {count: n(tr, "data-count"), shown: Number(tr.querySelector("td").textContent.trim())};
  });
  const rows = [...document.querySelectorAll("#checklist tbody tr.item")].map((tr) => ({
    id: tr.dataset.itemId, status: tr.dataset.status, severity: tr.dataset.severity,
    category: tr.dataset.category, shown: tr.getClientRects().length > 0,
  }));
  const links = [...document.querySelectorAll("#checklist a[href^='#']")].map((a) => ({
    href: a.getAttribute("href"), found: !!document.getElementById(decodeURIComponent(a.getAttribute("href").slice(1))),
  }));
  return {
    summary: counts(summary),
    cards: [...summary.querySelectorAll(".card .n")].map((e) => Number(e.textContent.trim())),
    bySeverity, byCategory, rows, links,
    failures: [...document.querySelectorAll("#problems li.affected.failure")].map((a) => a.dataset.itemId),
    problems: [...document.querySelectorAll("#problems article.problem")].map((a) => a.dataset.problemId),
    heading: document.getElementById("problems-h").textContent.trim(),
    pill: Number(document.querySelector("#problems-h .pill").textContent.trim()),
    verdict: document.body.dataset.verdict,
    verdictShown: document.getElementById("verdict-status").textContent.trim(),
    exitCode: n(document.body, "data-exit-code"),
    interrupted: !!document.getElementById("interrupted"),
    filtersShown: document.getElementById("filters").getClientRects().length > 0,
    filterCount: document.getElementById("filter-count").textContent.trim(),
    copyButtons: [...document.querySelectorAll("button.copy")].filter((b) => !b.hidden).length,
  };
})()`

// pageFacts is the result of domFacts.
type pageFacts struct {
	Summary    domCounts            `json:"summary"`
	Cards      []int                `json:"cards"`
	BySeverity map[string]domCounts `json:"bySeverity"`
	ByCategory map[string]struct {
		Count int `json:"count"`
		Shown int `json:"shown"`
	} `json:"byCategory"`
	Rows []struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Severity string `json:"severity"`
		Category string `json:"category"`
		Shown    bool   `json:"shown"`
	} `json:"rows"`
	Links []struct {
		Href  string `json:"href"`
		Found bool   `json:"found"`
	} `json:"links"`
	Failures     []string `json:"failures"`
	Problems     []string `json:"problems"`
	Heading      string   `json:"heading"`
	Pill         int      `json:"pill"`
	Verdict      string   `json:"verdict"`
	VerdictShown string   `json:"verdictShown"`
	ExitCode     int      `json:"exitCode"`
	Interrupted  bool     `json:"interrupted"`
	FiltersShown bool     `json:"filtersShown"`
	FilterCount  string   `json:"filterCount"`
	CopyButtons  int      `json:"copyButtons"`
}

type domCounts struct {
	Total   int   `json:"total"`
	Passed  int   `json:"passed"`
	Failed  int   `json:"failed"`
	Errored int   `json:"errored"`
	Skipped int   `json:"skipped"`
	Shown   []int `json:"shown"` // the table cells a reader sees, by-severity rows only
}

// setFilters chooses values in the filter selects as a user would (the value
// changes, then input and change events bubble) and returns the ids of the
// rows the browser still renders and the count the page announces.
const setFilters = `((want) => {
  for (const [k, v] of Object.entries(want)) {
    const sel = document.getElementById("filter-" + k);
    if (![...sel.options].some((o) => o.value === v)) { throw new Error("filter-" + k + " has no option " + JSON.stringify(v)); }
    sel.value = v;
    sel.dispatchEvent(new Event("input", {bubbles: true}));
    sel.dispatchEvent(new Event("change", {bubbles: true}));
  }
  return visibleRows();
})`

// visibleRowsJS defines visibleRows() in the page.
const visibleRowsJS = `window.visibleRows = () => {
  const out = document.getElementById("filter-count");
  return {
    ids: [...document.querySelectorAll("#checklist tbody tr.item")].filter((tr) => tr.getClientRects().length > 0).map((tr) => tr.dataset.itemId),
    count: Number(out.dataset.visible),
    text: out.textContent.trim(),
  };
}; true`

type visible struct {
	IDs   []string `json:"ids"`
	Count int      `json:"count"`
	Text  string   `json:"text"`
}

// probeFacts says whether any injected markup became live.
const probeFacts = `({
  pwned: window.__golivePwned || [],
  title: document.title,
  scripts: document.scripts.length,
  images: document.images.length,
  svgs: document.querySelectorAll("svg").length,
  iframes: document.querySelectorAll("iframe, object, embed, form:not(#filters)").length,
  handlers: [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => el.tagName + " " + a.name)),
  autofocus: document.querySelectorAll("[autofocus]").length,
  jsLinks: document.querySelectorAll("a[href^='javascript:' i]").length,
  absoluteLinks: [...document.querySelectorAll("a[href]")].filter((a) => !a.getAttribute("href").startsWith("#")).map((a) => a.className + " " + a.getAttribute("href")),
  violations: window.__cspViolations || null,
  text: document.body.textContent,
})`

type probeResult struct {
	Pwned         []string `json:"pwned"`
	Title         string   `json:"title"`
	Scripts       int      `json:"scripts"`
	Images        int      `json:"images"`
	SVGs          int      `json:"svgs"`
	IFrames       int      `json:"iframes"`
	Handlers      []string `json:"handlers"`
	Autofocus     int      `json:"autofocus"`
	JSLinks       int      `json:"jsLinks"`
	AbsoluteLinks []string `json:"absoluteLinks"`
	Violations    []string `json:"violations"`
	Text          string   `json:"text"`
}

// overflowing lists the elements whose right edge passes the given width
// (the device's), outside the .scroll boxes that may scroll sideways: on a
// phone the page itself must never need it. Format with the width.
const overflowing = `[...document.querySelectorAll("body *")]
  .filter((el) => !el.closest(".scroll") && el.getBoundingClientRect().right > %d + 1)
  .slice(0, 12)
  .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") +
    " right=" + Math.round(el.getBoundingClientRect().right))`

const phoneWidth = 390

// cspMeta is the report's policy line; removing it shows what escaping
// alone achieves.
var cspMeta = regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>\n?`)

var _ = Describe("report.html in headless Chromium", Ordered, func() {
	var browser *chromium

	BeforeAll(func() {
		bin := requireTool("chromium", "install Debian's package: apt-get install chromium (.ci/run installs it when missing)")
		browser = startChromium(bin)
		DeferCleanup(browser.Close)
	})

	sources := []struct {
		name, desc string
		run        func() *results.Run
	}{
		{"fixture", "the fixture run, with injection probes in every field a target fills", probedFixture},
		{"sandbox", "a real run against the sandbox (amount-changed) behind a target that answers with markup",
			func() *results.Run { return sandboxRun(sandbox.FaultAmountChanged, true) }},
		{"schema", "a real run against the sandbox whose responses break the schema",
			func() *results.Run { return sandboxRun(sandbox.FaultSchemaViolation, false) }},
	}

	for _, src := range sources {
		Context(src.desc, Ordered, func() {
			var (
				dir  string
				page string // report.html
				doc  resultsFile
				run  *results.Run
				t    *tab
			)

			BeforeAll(func() {
				run = src.run()
				dir = GinkgoT().TempDir()
				// As the CLI writes it: the FAQ answers embedded.
				Expect(reports.WriteAll(dir, run, reports.WithFAQ(docs.FAQ()))).To(Succeed())
				page = filepath.Join(dir, reports.HTMLFile)
				doc = readResultsFile(dir)
			})

			// Every spec gets a fresh tab on a freshly loaded report.
			BeforeEach(func() {
				t = browser.NewTab(1280, 900)
				t.BeforeLoad(recordViolations)
				t.Open(page)
				t.Eval(visibleRowsJS, nil)
			})

			It("loads from file:// without a single network request, and its own CSS and JS pass its CSP", func() {
				reqs := t.Requests()
				Expect(reqs).To(HaveLen(1), "requests: %q", reqs)
				Expect(reqs[0]).To(HavePrefix("file://"))
				Expect(reqs[0]).To(HaveSuffix("/" + reports.HTMLFile))

				var perf struct {
					Resources []string `json:"resources"`
					Paint     int      `json:"paint"`
				}
				t.Eval(`({resources: performance.getEntriesByType("resource").map((e) => e.name),
				          paint: performance.getEntriesByType("paint").length})`, &perf)
				Expect(perf.Resources).To(BeEmpty(), "resource timing entries")

				var applied struct {
					Violations []string `json:"violations"`
					Background string   `json:"background"`
					BannerBG   string   `json:"bannerBG"`
				}
				t.Eval(`({violations: window.__cspViolations,
				          background: getComputedStyle(document.body).backgroundColor,
				          bannerBG: getComputedStyle(document.getElementById("verdict")).backgroundImage})`, &applied)
				Expect(applied.Violations).To(BeEmpty(), "CSP violations")
				Expect(applied.Background).To(Equal("rgb(245, 246, 248)"), "report.css applied (light scheme)")
				Expect(applied.BannerBG).To(HavePrefix("linear-gradient"), "verdict banner styled")
				Expect(t.Problems()).To(BeEmpty(), "exceptions, console errors, CSP reports, dialogs")
			})

			It("shows the counts results.json has", func() {
				var f pageFacts
				t.Eval(domFacts, &f)
				s := doc.Summary
				Expect(f.Summary).To(Equal(domCounts{Total: s.Total, Passed: s.Passed, Failed: s.Failed, Errored: s.Errored, Skipped: s.Skipped}))
				Expect(f.Cards).To(Equal([]int{s.Total, s.Passed, s.Failed, s.Errored, s.Skipped}), "summary cards as read")

				Expect(f.BySeverity).To(HaveLen(len(s.BySeverity)))
				for sev, want := range s.BySeverity {
					Expect(f.BySeverity).To(HaveKey(sev))
					got := f.BySeverity[sev]
					tally := []int{want.Total, want.Passed, want.Failed, want.Errored, want.Skipped}
					Expect([]int{got.Total, got.Passed, got.Failed, got.Errored, got.Skipped}).To(Equal(tally), sev)
					Expect(got.Shown).To(Equal(tally), "%s row as read", sev)
				}
				Expect(f.ByCategory).To(HaveLen(len(s.ByCategory)))
				for cat, want := range s.ByCategory {
					Expect(f.ByCategory).To(HaveKey(cat))
					Expect(f.ByCategory[cat].Count).To(Equal(want), cat)
					Expect(f.ByCategory[cat].Shown).To(Equal(want), "%s row as read", cat)
				}

				Expect(f.Rows).To(HaveLen(len(doc.Items)))
				failing := 0
				items := tableOrder(doc.Items, func(it docItem) bool { return it.Kind == "derived" })
				for i, it := range items {
					row := f.Rows[i]
					Expect([]string{row.ID, row.Status, row.Severity, row.Category}).To(Equal([]string{it.ID, it.Status, it.Severity, it.Category}), "row %d", i)
					bad := it.Status == "fail" || it.Status == "error"
					Expect(row.Shown).To(Equal(bad), "row %d: the checklist opens on the failures", i)
					if bad {
						failing++
					}
				}
				Expect(f.Failures).To(HaveLen(failing), "every failed item is in its problem's card")
				var problemIDs []string
				for _, p := range doc.Problems {
					problemIDs = append(problemIDs, p.ID)
				}
				Expect(f.Problems).To(Equal(problemIDs), "one card per problem, in results.json's order")
				Expect(f.Pill).To(Equal(len(doc.Problems)))
				if len(doc.Problems) > 0 {
					Expect(f.Heading).To(HavePrefix(fmt.Sprintf("%d distinct problem", len(doc.Problems))))
				}
				Expect(f.Links).To(HaveLen(2*failing), "every failed row links to its entry and its problem")
				for _, l := range f.Links {
					Expect(l.Found).To(BeTrue(), "link %s has a target", l.Href)
				}
				Expect(f.Verdict).To(Equal(doc.Verdict.Status))
				Expect(f.VerdictShown).To(Equal(doc.Verdict.Status))
				Expect(f.ExitCode).To(Equal(doc.Verdict.ExitCode))
				Expect(f.Interrupted).To(Equal(doc.Interrupted))
				Expect(f.FiltersShown).To(BeTrue(), "report.js showed the filters")
				Expect(f.FilterCount).To(Equal(fmt.Sprintf("%d of %d items", failing, s.Total)))
			})

			It("leads with the problems, links FAQ answers that work from the folder, and shows no local path", func() {
				var p struct {
					ProblemsTop  float64 `json:"problemsTop"`
					ChecklistTop float64 `json:"checklistTop"`
					FAQ          []struct {
						Href  string `json:"href"`
						Found bool   `json:"found"`
					} `json:"faq"`
					Sentences []string `json:"sentences"`
					Text      string   `json:"text"`
				}
				t.Eval(`({
				  problemsTop: document.getElementById("problems").getBoundingClientRect().top,
				  checklistTop: document.getElementById("checklist").getBoundingClientRect().top,
				  faq: [...document.querySelectorAll("a.faq-link")].map((a) => ({href: a.getAttribute("href"),
				    found: !a.getAttribute("href").startsWith("#") || !!document.getElementById(a.getAttribute("href").slice(1))})),
				  sentences: [...document.querySelectorAll("article.problem[data-kind=schema] .sentence")].map((e) => e.textContent),
				  text: document.body.textContent,
				})`, &p)
				Expect(p.ProblemsTop).To(BeNumerically("<", p.ChecklistTop), "failures first")
				for _, l := range p.FAQ {
					Expect(l.Found).To(BeTrue(), "FAQ link %s has its answer in the page", l.Href)
					Expect(l.Href).To(Or(HavePrefix("#faq-"), MatchRegexp(`^https?://`)), "a FAQ link works from the report folder")
				}
				for _, pr := range doc.Problems {
					if pr.FAQ != "" && !regexp.MustCompile(`^https?://`).MatchString(pr.FAQ) && src.name != "fixture" {
						Expect(p.FAQ).NotTo(BeEmpty(), "problem %s has a FAQ link", pr.ID)
					}
				}
				if src.name == "schema" {
					Expect(p.Sentences).NotTo(BeEmpty())
					for _, sentence := range p.Sentences {
						Expect(sentence).To(MatchRegexp(`^In the .*, field ".*" \(/.*\) breaks its ".*" rule: `), "a plain sentence first")
					}
				}
				Expect(p.Text).NotTo(MatchRegexp(`(^|[\s'"(])/(home|tmp|work|root|Users|var)/`), "no absolute local path")
				Expect(t.Problems()).To(BeEmpty())
			})

			It("filters the checklist by status, severity and category, and shows all again on reset", func() {
				type want struct{ status, severity, category string }
				expected := func(w want) []string {
					ids := []string{}
					for _, it := range tableOrder(doc.Items, func(it docItem) bool { return it.Kind == "derived" }) {
						if (w.status == "" || it.Status == w.status) && (w.severity == "" || it.Severity == w.severity) &&
							(w.category == "" || it.Category == w.category) {
							ids = append(ids, it.ID)
						}
					}
					return ids
				}
				all := expected(want{})
				choose := func(w want) visible {
					GinkgoHelper()
					arg, err := json.Marshal(map[string]string{"status": w.status, "severity": w.severity, "category": w.category})
					Expect(err).NotTo(HaveOccurred())
					var v visible
					t.Eval(setFilters+"("+string(arg)+")", &v)
					return v
				}

				var cases []want
				for _, st := range []string{"", "pass", "fail", "error", "skip"} {
					cases = append(cases, want{status: st})
				}
				for _, sev := range results.Severities() {
					cases = append(cases, want{severity: string(sev)})
				}
				for _, c := range results.Categories() {
					cases = append(cases, want{category: string(c)})
				}
				cases = append(cases,
					want{status: "fail", severity: "critical"},
					want{status: "fail", category: "integration"},
					want{status: "pass", category: "integration"}, // nothing: passed items have no category
				)
				narrowed := 0
				for _, w := range cases {
					v := choose(w)
					exp := expected(w)
					Expect(v.IDs).To(Equal(exp), "filter %+v", w)
					Expect(v.Count).To(Equal(len(exp)), "filter %+v", w)
					Expect(v.Text).To(Equal(fmt.Sprintf("%d of %d items", len(exp), len(all))), "filter %+v", w)
					if len(exp) < len(all) {
						narrowed++
					}
				}
				Expect(narrowed).To(BeNumerically(">=", 5), "the filters were exercised on a run where they hide rows")

				// Passes are one click away: "Show all", with a real mouse click.
				click := func(selector string) visible {
					GinkgoHelper()
					var at struct{ X, Y float64 }
					t.Eval(fmt.Sprintf(`(() => { const b = document.querySelector(%q); b.scrollIntoView({block: "center"});
					          const r = b.getBoundingClientRect(); return {X: r.x + r.width / 2, Y: r.y + r.height / 2}; })()`, selector), &at)
					for _, typ := range []string{"mousePressed", "mouseReleased"} {
						t.Call("Input.dispatchMouseEvent", map[string]any{"type": typ, "x": at.X, "y": at.Y, "button": "left", "clickCount": 1}, nil)
					}
					// report.js re-applies the filters in a task queued on
					// reset; a task queued after it sees the result.
					var v visible
					t.Eval(`new Promise((done) => setTimeout(() => done(visibleRows()), 0))`, &v)
					return v
				}
				choose(want{status: "fail", severity: "critical"})
				v := click("#filter-all")
				Expect(v.IDs).To(Equal(all))
				Expect(v.Count).To(Equal(len(all)))
				var values []string
				t.Eval(`["status", "severity", "category"].map((k) => document.getElementById("filter-" + k).value)`, &values)
				Expect(values).To(Equal([]string{"", "", ""}))

				// And back to the failures.
				v = click("#filters button[type=reset]")
				failing := []string{}
				for _, it := range tableOrder(doc.Items, func(it docItem) bool { return it.Kind == "derived" }) {
					if it.Status == "fail" || it.Status == "error" {
						failing = append(failing, it.ID)
					}
				}
				Expect(v.IDs).To(Equal(failing))
				t.Eval(`["status", "severity", "category"].map((k) => document.getElementById("filter-" + k).value)`, &values)
				Expect(values).To(Equal([]string{"problems", "", ""}))
				Expect(t.Problems()).To(BeEmpty())
			})

			It("shows what the target sent as text: no injection probe runs, under the CSP or without it", func() {
				if src.name == "schema" {
					Skip("this run's target plants no injection probes")
				}
				check := func(label string) {
					GinkgoHelper()
					var p probeResult
					t.Eval(probeFacts, &p)
					Expect(p.Pwned).To(BeEmpty(), "%s: a probe ran", label)
					Expect(p.Title).To(Equal(doc.Verdict.Status+" · "+cmp.Or(doc.Target.Partner, doc.Target.BaseURL)+" · go-live certification"),
						"%s: the title is the report's, with the partner's name as text", label)
					Expect(p.Scripts).To(Equal(1), "%s: only the report's own script", label)
					Expect(p.Images).To(BeZero(), label)
					Expect(p.SVGs).To(BeZero(), label)
					Expect(p.IFrames).To(BeZero(), label)
					Expect(p.Handlers).To(BeEmpty(), "%s: event-handler attributes", label)
					Expect(p.Autofocus).To(BeZero(), label)
					Expect(p.JSLinks).To(BeZero(), "%s: javascript: links", label)
					for _, l := range p.AbsoluteLinks {
						Expect(l).To(MatchRegexp(`^faq-link https?://`), "%s: the only absolute links are FAQ links", label)
					}
					Expect(p.Text).To(ContainSubstring(probeScript), "%s: the probe is shown as text", label)
					Expect(p.Text).To(ContainSubstring(probeImg), "%s: the probe is shown as text", label)
					Expect(t.Problems()).To(BeEmpty(), label)
				}

				// Open every piece of evidence first: collapsed <details> are
				// parsed all the same, but a reader clicks them open.
				var opened int
				t.Eval(`(() => { const ds = [...document.querySelectorAll("details")]; ds.forEach((d) => { d.open = true; }); return ds.length; })()`, &opened)
				Expect(opened).To(BeNumerically(">", 0))
				check("with the report's CSP")
				var violations []string
				t.Eval(`window.__cspViolations`, &violations)
				Expect(violations).To(BeEmpty())

				// The CSP is a second line of defence; escaping alone must hold.
				html, err := os.ReadFile(page)
				Expect(err).NotTo(HaveOccurred())
				Expect(cspMeta.Match(html)).To(BeTrue())
				bare := filepath.Join(dir, "report-without-csp.html")
				Expect(os.WriteFile(bare, cspMeta.ReplaceAll(html, nil), 0o644)).To(Succeed())
				t = browser.NewTab(1280, 900)
				t.Open(bare)
				t.Eval(`document.querySelectorAll("details").forEach((d) => { d.open = true; }); true`, nil)
				check("without any CSP")
				Expect(t.Requests()).To(HaveLen(1), "nothing injected made a request")
			})

			It("prints as a sign-off document: no controls, every row and every piece of evidence", func() {
				var v visible
				t.Eval(setFilters+`({status: "fail"})`, &v)
				Expect(len(v.IDs)).To(BeNumerically("<", len(doc.Items)))

				t.Call("Emulation.setEmulatedMedia", map[string]any{"media": "print"}, nil)
				var p struct {
					Filters   string `json:"filters"`
					Copy      int    `json:"copy"`
					Rows      int    `json:"rows"`
					Evidence  int    `json:"evidence"`
					Bodies    int    `json:"bodies"`
					Signoff   bool   `json:"signoff"`
					FAQSuffix string `json:"faqSuffix"`
					FAQLinks  int    `json:"faqLinks"`
				}
				t.Eval(`(() => {
				  const shown = (el) => el.getClientRects().length > 0;
				  const faq = document.querySelector("a.faq-link[href^='http']");
				  return {
				    filters: getComputedStyle(document.getElementById("filters")).display,
				    copy: [...document.querySelectorAll("button.copy")].filter(shown).length,
				    rows: [...document.querySelectorAll("#checklist tbody tr.item")].filter(shown).length,
				    evidence: [...document.querySelectorAll(".exchange-body")].filter(shown).length,
				    bodies: document.querySelectorAll(".exchange-body").length,
				    signoff: shown(document.getElementById("signoff")),
				    faqSuffix: faq ? getComputedStyle(faq, "::after").content : "",
				    faqLinks: document.querySelectorAll("a.faq-link[href^='http']").length,
				  };
				})()`, &p)
				Expect(p.Filters).To(Equal("none"))
				Expect(p.Copy).To(BeZero())
				Expect(p.Rows).To(Equal(len(doc.Items)), "rows hidden by a filter are printed")
				Expect(p.Evidence).To(Equal(p.Bodies), "collapsed exchanges are printed")
				Expect(p.Signoff).To(BeTrue())
				if p.FAQLinks > 0 {
					Expect(p.FAQSuffix).To(Or(ContainSubstring("attr(href)"), ContainSubstring("http")), "FAQ URLs printed in full")
				}

				pdf := t.PrintPDF()
				saveArtifact("report-"+src.name+".pdf", pdf)
				Expect(t.Problems()).To(BeEmpty())
			})

			It("looks right: screenshots (the whole page at desktop width, the first screens on a phone) are written as artifacts", func() {
				var wide []string
				t.Eval(fmt.Sprintf(overflowing, 1280), &wide)
				Expect(wide).To(BeEmpty(), "at 1280 px these stick out sideways")
				var scrolling []string
				t.Eval(`[...document.querySelectorAll(".scroll")].filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => el.firstElementChild.id)`, &scrolling)
				Expect(scrolling).To(BeEmpty(), "at 1280 px nothing needs a horizontal scroll")
				png := t.Screenshot(math.Inf(1))
				Expect(len(png)).To(BeNumerically(">", 10_000))
				saveArtifact("report-"+src.name+".png", png)

				phone := browser.NewTab(phoneWidth, 844)
				phone.Open(page)
				wide = nil
				phone.Eval(fmt.Sprintf(overflowing, phoneWidth), &wide)
				Expect(wide).To(BeEmpty(), "on a %d px phone these stick out sideways (only .scroll boxes may)", phoneWidth)
				saveArtifact("report-"+src.name+"-phone.png", phone.Screenshot(3*844))
				Expect(phone.Problems()).To(BeEmpty())
			})
		})
	}
})
