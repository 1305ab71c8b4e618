package reports

// report.html is one self-contained file: CSS and JS are inlined from
// template/, fonts are the system's, and a Content-Security-Policy allows only
// that CSS and JS (by hash), so opening the file from file:// or a mail
// attachment never makes a network request, even if something slipped in.
//
// DOM contract, for tests and the headless-browser check (keep it stable):
//
//	<body data-verdict data-exit-code data-run-id data-schema>
//	#verdict                 banner; class verdict-{certified|observations|not-certified|not-testable}
//	  #verdict-status        the verdict text; #verdict-reason its reason
//	  #interrupted           present only when the run was interrupted
//	#problems                data-count; h2#problems-h "N distinct problems" with
//	                         .pill; ol.problem-index links to each card, then
//	  article.problem        one per problem, results.json order: id
//	                         (problem-P1), data-problem-id data-severity
//	                         data-category data-kind data-count; inside:
//	                         h3 .sentence (the plain title), .diagnosis
//	                         (transport: .layer, ol.commands pre.command),
//	                         .fix, a.faq-link (#faq-... in the page, or an
//	                         http(s) URL), details.detail (raw), and
//	    li.affected.failure  one per item whose own failure it is: id
//	                         (item-ID, the checklist row's link target),
//	                         data-item-id data-status data-severity
//	                         data-category data-evidence; .message, then
//	                         details.evidence: .reason .expected pre,
//	                         .actual pre, ol.timeline > li.exchange
//	                         (data-method, data-status-code: number or
//	                         "error", data-attempt), with a <details> and
//	                         bodies when data-evidence is true, else
//	                         p.exchange-line; p.digest for a body not kept
//	                         whole; pre.curl and button.copy[data-copy-target]
//	    li.affected.also     an item that fails for another problem first
//	                         (data-also), linking to it
//	#summary                 data-count-{total,passed,failed,errored,skipped}
//	#by-severity tbody tr    data-severity, data-count-{total,passed,failed,errored,skipped}
//	#by-category tbody tr    data-category, data-count (failed + errored items)
//	#filters                 hidden until JS runs; selects #filter-status
//	                         (opens on "problems": failed or error; "" = all),
//	                         #filter-severity, #filter-category (value "" =
//	                         all); button#filter-all shows every row, reset
//	                         goes back to the failures; #filter-count has
//	                         data-visible (rows shown)
//	#checklist tbody tr.item one per item, run order: data-item-id data-api
//	                         data-status data-severity data-category; a failed
//	                         row links to its li.affected and (a.problem-ref)
//	                         its problem; JS sets hidden on filtered-out rows
//	#run                     run facts: #run-partner #run-target #run-environment
//	                         #run-started #run-duration #run-tool #run-id
//	#apis tbody tr.api       data-api; .spec-sha256 and .suite-sha256 hold the
//	                         hashes (documents by name, never an absolute path)
//	#faq article.faq-entry   the embedded FAQ answers the page links to: id
//	                         (faq-DOC-ANCHOR), data-ref
//	#signoff                 "Certified by" / "Signature" / "Date" block
//
// Everything from the target goes through html/template's contextual
// escaping; template.CSS and template.JS wrap only our own embedded assets.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

//go:embed template/report.html.tmpl template/report.css template/report.js
var htmlAssets embed.FS

// WriteHTML writes run as report.html, a self-contained page that works
// offline and prints to a clean sign-off PDF.
func WriteHTML(w io.Writer, run *results.Run) error { return writeHTML(w, run, options{}) }

// WriteHTMLWith is WriteHTML with options (embedded FAQ answers, a docs URL).
func WriteHTMLWith(w io.Writer, run *results.Run, opts ...Option) error {
	return writeHTML(w, run, newOptions(opts))
}

func writeHTML(w io.Writer, run *results.Run, o options) error {
	if run == nil {
		return errors.New("write report.html: no run")
	}
	page, err := newHTMLPage(run, o)
	if err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	// Parsed per call rather than cached in a package variable: it takes
	// well under a millisecond and keeps the package free of shared state.
	tmpl, err := template.New("report.html.tmpl").
		Funcs(template.FuncMap{"visible": clean, "thousands": thousands}).
		ParseFS(htmlAssets, "template/report.html.tmpl")
	if err != nil {
		return fmt.Errorf("write report.html: parse template: %w", err)
	}
	// Render to a buffer so a template error never leaves half a page in w.
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	return nil
}

// itemGroup is one part of the checklist table: the checklist's own items,
// or the spec-derived checks, which are shown apart (they come from the
// document, not from the BAU team's checklist) and count in the verdict all
// the same.
type itemGroup struct {
	ID    string // for the table section's id
	Title string
	Items []htmlItem
}

// ItemGroups splits the items, run order kept within each group. A run
// with one kind of item has one group.
func (p htmlPage) ItemGroups() []itemGroup {
	checklist := itemGroup{ID: "checklist-items", Title: "Checklist items"}
	derived := itemGroup{ID: "derived-items", Title: "Spec-derived checks"}
	for _, it := range p.Items {
		if it.Kind == "derived" {
			derived.Items = append(derived.Items, it)
		} else {
			checklist.Items = append(checklist.Items, it)
		}
	}
	var out []itemGroup
	for _, g := range []itemGroup{checklist, derived} {
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// htmlPage is what the template sees: the run plus everything pre-computed
// that would be awkward to express in template syntax.
type htmlPage struct {
	Run          *results.Run
	VerdictClass string
	Started      string // human, UTC
	StartedISO   string
	Duration     string
	Severities   []severityRow
	Categories   []categoryRow
	Items        []htmlItem    // every item, run order
	Problems     []htmlProblem // the run's problems, most serious first
	Failing      int           // failed and errored items
	NotRun       int           // items skipped without being tried, and why
	NotRunWhy    string
	FAQ          []faqEntry       // embedded FAQ answers the page links to
	Statuses     []results.Status // filter options, in checklist order
	CSS          template.CSS
	JS           template.JS
	CSP          string
}

type severityRow struct {
	Severity results.Severity
	results.Tally
}

type categoryRow struct {
	Category results.Category
	Count    int
	Hint     string
}

type htmlItem struct {
	results.Item
	Anchor        string // id of its entry in its problem's card, "" if it has none
	ProblemAnchor string // id of its problem's card
	Symbol        string
	StatusLabel   string
	Duration      string
	Note          string // one line shown under the title in the checklist
	FAQLink       string // where Item.FAQ works from the page, "" to show it as text
	Exchanges     []htmlExchange
}

// htmlProblem is one problem's card.
type htmlProblem struct {
	results.Problem
	Anchor   string
	KindText string
	FAQLink  string
	Count    int // items whose own failure it is
	Affected []htmlAffected
}

// htmlAffected is one item in a problem's card. Evidence says whether its
// exchanges show their bodies: the first few items of a problem do; the
// others show one line per exchange, so that a problem shared by a
// thousand items stays a small card.
type htmlAffected struct {
	*htmlItem
	Also     bool   // fails for another problem first (AlsoOf)
	AlsoOf   string // that problem's id
	AlsoLink string // and its card
	Evidence bool
}

// evidenceItems is how many items of one problem show their bodies.
const evidenceItems = 3

type htmlExchange struct {
	results.Exchange
	RequestDigest   string // "1,048,576 bytes, sha256 ab12…; first 4,096 kept"
	ResponseDigest  string
	Label           string
	Offset          string // since the item started
	Duration        string
	Outcome         string
	Code            string // data-status-code: "201" or "error"
	CodeClass       string // s2xx, s3xx, s4xx, s5xx, err
	RequestHeaders  []header
	ResponseHeaders []header
	RequestBody     string
	ResponseBody    string
}

type header struct{ Name, Value string }

// categoryHint says in one line whose move it is, next to the counts.
func categoryHint(c results.Category) string {
	switch c {
	case results.Connection:
		return "No HTTP exchange, or it broke: the partner checks reachability, firewall and certificates."
	case results.System:
		return "Reachable but not serving (5xx, maintenance, timeouts): retry later; the partner's operations team."
	case results.Integration:
		return "Serves, but not as the spec and checklist say: the partner's developers, with the FAQ."
	default:
		return ""
	}
}

func newHTMLPage(run *results.Run, o options) (*htmlPage, error) {
	css, err := htmlAssets.ReadFile("template/report.css")
	if err != nil {
		return nil, err
	}
	js, err := htmlAssets.ReadFile("template/report.js")
	if err != nil {
		return nil, err
	}
	run = normalize(run)
	p := &htmlPage{
		Run:          run,
		VerdictClass: verdictClass(run.Verdict.Status),
		Started:      run.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		StartedISO:   run.StartedAt.UTC().Format(time.RFC3339),
		Duration:     formatMs(run.DurationMs),
		Statuses:     []results.Status{results.Pass, results.Fail, results.Error, results.Skip},
		CSS:          template.CSS(css),
		JS:           template.JS(js),
		CSP: "default-src 'none'; img-src data:; style-src " + cspHash(css) +
			"; script-src " + cspHash(js) + "; base-uri 'none'; form-action 'none'",
	}
	for _, sev := range results.Severities() {
		p.Severities = append(p.Severities, severityRow{sev, run.Summary.BySeverity[sev]})
	}
	for _, c := range results.Categories() {
		p.Categories = append(p.Categories, categoryRow{c, run.Summary.ByCategory[c], categoryHint(c)})
	}

	faq := &faqLinker{fsys: o.faq, docsURL: o.docsURL, docs: map[string]string{}, byRef: map[string]int{}}
	anchors := map[string]bool{}
	probAnchor := map[string]string{}
	probIndex := map[string]int{}
	for _, pr := range run.Problems {
		hp := htmlProblem{Problem: pr, Anchor: uniqueAnchor(anchors, "problem-", pr.ID), KindText: kindText(pr.Kind), FAQLink: faq.link(pr.FAQ)}
		probAnchor[pr.ID] = hp.Anchor
		probIndex[pr.ID] = len(p.Problems)
		p.Problems = append(p.Problems, hp)
	}
	p.Items = make([]htmlItem, len(run.Items))
	// Problem cards list items in run order; the first few of each show
	// their bodies.
	shown := map[string]int{}
	for i, item := range run.Items {
		it := newHTMLItem(item)
		it.FAQLink = faq.link(item.FAQ)
		if isProblem(item) {
			p.Failing++
			it.Anchor = uniqueAnchor(anchors, "item-", item.ID)
			it.ProblemAnchor = probAnchor[item.Problem]
		}
		p.Items[i] = it
		if !isProblem(item) {
			continue
		}
		if n, ok := probIndex[item.Problem]; ok {
			hp := &p.Problems[n]
			hp.Count++
			hp.Affected = append(hp.Affected, htmlAffected{htmlItem: &p.Items[i], Evidence: shown[item.Problem] < evidenceItems})
			shown[item.Problem]++
		}
		for _, id := range item.AlsoProblems {
			if n, ok := probIndex[id]; ok {
				hp := &p.Problems[n]
				hp.Affected = append(hp.Affected, htmlAffected{htmlItem: &p.Items[i], Also: true, AlsoOf: item.Problem, AlsoLink: probAnchor[item.Problem]})
			}
		}
	}
	p.FAQ = faq.entries
	p.NotRun, p.NotRunWhy = notRun(run.Items)
	return p, nil
}

// kindText names a problem's kind for its badge.
func kindText(k results.CauseKind) string {
	switch k {
	case results.CauseTransport:
		return "unreachable"
	case results.CauseServerError:
		return "server error"
	case results.CauseMissingOperation:
		return "missing operation"
	case results.CauseSchema:
		return "response schema"
	case results.CauseStatus:
		return "wrong status"
	default:
		return "check"
	}
}

func newHTMLItem(it results.Item) htmlItem {
	h := htmlItem{
		Item:        it,
		Symbol:      statusSymbol(it.Status),
		StatusLabel: statusLabel(it.Status),
		Duration:    formatMs(it.DurationMs),
	}
	switch it.Status {
	case results.Fail, results.Error:
		h.Note = oneLine(firstNonEmpty(it.Message, it.Reason))
	case results.Skip:
		h.Note = oneLine(firstNonEmpty(it.Reason, it.Message))
	}
	if isProblem(it) {
		for _, ex := range it.Exchanges {
			h.Exchanges = append(h.Exchanges, newHTMLExchange(ex, it.StartedAt))
		}
	}
	return h
}

func newHTMLExchange(ex results.Exchange, itemStart time.Time) htmlExchange {
	h := htmlExchange{
		Exchange:       ex,
		Label:          exchangeLabel(ex),
		Duration:       formatMs(ex.DurationMs),
		Outcome:        exchangeOutcome(ex),
		Code:           "error",
		CodeClass:      "err",
		RequestHeaders: headerList(ex.Request.Headers),
		RequestBody:    prettyBody(ex.Request.Body),
		RequestDigest:  digestText(ex.Request.BodyDigest),
	}
	if !itemStart.IsZero() && !ex.StartedAt.IsZero() {
		h.Offset = "+" + formatMs(ex.StartedAt.Sub(itemStart).Milliseconds())
	}
	if r := ex.Response; r != nil {
		h.Code = fmt.Sprint(r.Status)
		h.CodeClass = fmt.Sprintf("s%dxx", r.Status/100)
		h.ResponseHeaders = headerList(r.Headers)
		h.ResponseBody = prettyBody(r.Body)
		h.ResponseDigest = digestText(r.BodyDigest)
	}
	return h
}

// digestText describes a body the evidence does not keep whole.
func digestText(d *results.BodyDigest) string {
	if d == nil {
		return ""
	}
	sum := d.SHA256
	if len(sum) > 16 {
		sum = sum[:16] + "…"
	}
	s := fmt.Sprintf("%s bytes, sha256 %s", thousands(d.Size), sum)
	if d.Kept > 0 {
		return s + fmt.Sprintf("; the first %s shown", thousands(int64(d.Kept)))
	}
	return s + "; not kept (summary only)"
}

// thousands writes 1048576 as "1,048,576".
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// prettyBody indents JSON bodies so evidence is readable; anything else
// (including truncated JSON) is shown exactly as received.
func prettyBody(body string) string {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || !json.Valid([]byte(trimmed)) {
		return body
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
		return body
	}
	return buf.String()
}

func headerList(m map[string]string) []header {
	var hs []header
	for _, k := range sortedKeys(m) {
		hs = append(hs, header{k, m[k]})
	}
	return hs
}

// uniqueAnchor turns an id into an HTML id ("item-COL-003", "problem-P1"):
// letters, digits, '-', '_' and '.' survive, anything else becomes '-'; a
// repeat gets a numeric suffix so every id on the page stays unique.
func uniqueAnchor(used map[string]bool, prefix, id string) string {
	base := prefix + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, id)
	a := base
	for n := 2; used[a]; n++ {
		a = fmt.Sprintf("%s-%d", base, n)
	}
	used[a] = true
	return a
}

// cspHash is the CSP source expression that allows exactly this inline
// <style> or <script> content.
func cspHash(content []byte) string {
	sum := sha256.Sum256(content)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func verdictClass(v results.VerdictStatus) string {
	switch v {
	case results.Certified:
		return "certified"
	case results.CertifiedWithObservations:
		return "observations"
	case results.NotTestable:
		return "not-testable"
	default:
		return "not-certified"
	}
}

func statusLabel(s results.Status) string {
	switch s {
	case results.Pass:
		return "passed"
	case results.Fail:
		return "failed"
	case results.Error:
		return "error"
	case results.Skip:
		return "skipped"
	default:
		return string(s)
	}
}
