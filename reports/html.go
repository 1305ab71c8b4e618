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
//	#run                     run facts: #run-partner #run-target #run-environment
//	                         #run-started #run-duration #run-tool #run-id
//	#apis tbody tr.api       data-api; .spec-sha256 and .suite-sha256 hold the hashes
//	#summary                 data-count-{total,passed,failed,errored,skipped}
//	#by-severity tbody tr    data-severity, data-count-{total,passed,failed,errored,skipped}
//	#by-category tbody tr    data-category, data-count (failed + errored items)
//	#filters                 hidden until JS runs; selects #filter-status,
//	                         #filter-severity, #filter-category (value "" = all);
//	                         #filter-count has data-visible (rows shown)
//	#checklist tbody tr.item one per item, run order: data-item-id data-api
//	                         data-status data-severity data-category;
//	                         JS sets the hidden attribute on filtered-out rows
//	#failures article.failure  one per failed/errored item, most severe first:
//	                         id (the row's link target), data-item-id data-status
//	                         data-severity data-category; inside: .message
//	                         .reason .expected pre, .actual pre,
//	                         ol.timeline > li.exchange (data-method,
//	                         data-status-code: number or "error", data-attempt)
//	                         each with one <details>; pre.curl and
//	                         button.copy[data-copy-target]; .remediation;
//	                         a.faq-link (the only absolute links in the file)
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
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/results"
)

//go:embed template/report.html.tmpl template/report.css template/report.js
var htmlAssets embed.FS

// WriteHTML writes run as report.html, a self-contained page that works
// offline and prints to a clean sign-off PDF.
func WriteHTML(w io.Writer, run *results.Run) error {
	if run == nil {
		return errors.New("write report.html: no run")
	}
	page, err := newHTMLPage(run)
	if err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	// Parsed per call rather than cached in a package variable: it takes
	// well under a millisecond and keeps the package free of shared state.
	tmpl, err := template.New("report.html.tmpl").
		Funcs(template.FuncMap{"visible": clean}).
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
	Items        []htmlItem       // every item, run order
	Problems     []htmlItem       // failed and errored items, most severe first
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
	Anchor      string // id of its article in #failures, "" if it has none
	Symbol      string
	StatusLabel string
	Duration    string
	Note        string // one line shown under the title in the checklist
	FAQLink     string // Item.FAQ when it is an http(s) URL, else "" (shown as text)
	Exchanges   []htmlExchange
}

type htmlExchange struct {
	results.Exchange
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

func newHTMLPage(run *results.Run) (*htmlPage, error) {
	css, err := htmlAssets.ReadFile("template/report.css")
	if err != nil {
		return nil, err
	}
	js, err := htmlAssets.ReadFile("template/report.js")
	if err != nil {
		return nil, err
	}
	p := &htmlPage{
		Run:          normalize(run),
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

	anchors := map[string]bool{}
	for _, item := range run.Items {
		it := newHTMLItem(item)
		if isProblem(item) {
			it.Anchor = uniqueAnchor(anchors, item.ID)
			p.Problems = append(p.Problems, it)
		}
		p.Items = append(p.Items, it)
	}
	slices.SortStableFunc(p.Problems, func(a, b htmlItem) int {
		return severityRank(a.Severity) - severityRank(b.Severity)
	})
	return p, nil
}

func newHTMLItem(it results.Item) htmlItem {
	h := htmlItem{
		Item:        it,
		Symbol:      statusSymbol(it.Status),
		StatusLabel: statusLabel(it.Status),
		Duration:    formatMs(it.DurationMs),
	}
	if u, err := url.Parse(it.FAQ); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		h.FAQLink = it.FAQ
	}
	switch it.Status {
	case results.Fail, results.Error:
		h.Note = oneLine(firstNonEmpty(it.Message, it.Reason))
	case results.Skip:
		h.Note = oneLine(firstNonEmpty(it.Reason, it.Message))
	}
	for _, ex := range it.Exchanges {
		h.Exchanges = append(h.Exchanges, newHTMLExchange(ex, it.StartedAt))
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
	}
	if !itemStart.IsZero() && !ex.StartedAt.IsZero() {
		h.Offset = "+" + formatMs(ex.StartedAt.Sub(itemStart).Milliseconds())
	}
	if r := ex.Response; r != nil {
		h.Code = fmt.Sprint(r.Status)
		h.CodeClass = fmt.Sprintf("s%dxx", r.Status/100)
		h.ResponseHeaders = headerList(r.Headers)
		h.ResponseBody = prettyBody(r.Body)
	}
	return h
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

// uniqueAnchor turns an item id into an HTML id ("item-COL-003"): letters,
// digits, '-', '_' and '.' survive, anything else becomes '-'; a repeat gets
// a numeric suffix so every id on the page stays unique.
func uniqueAnchor(used map[string]bool, id string) string {
	base := "item-" + strings.Map(func(r rune) rune {
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
