package reports_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

func htmlOf(run *results.Run) string {
	var buf bytes.Buffer
	Expect(reports.WriteHTML(&buf, run)).To(Succeed())
	return buf.String()
}

// html/template always double-quotes attribute values, so these simple
// patterns are enough to read our own output.
var (
	tagRE  = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9]*)\b([^>]*)>`)
	attrRE = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9-]*)="([^"]*)"`)
)

type tag struct {
	name  string
	attrs map[string]string
}

func tags(page string) []tag {
	var out []tag
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		t := tag{name: strings.ToLower(m[1]), attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[2], -1) {
			t.attrs[strings.ToLower(a[1])] = a[2]
		}
		out = append(out, t)
	}
	return out
}

// find returns the tags with the given name whose attributes include want.
func find(page, name string, want map[string]string) []tag {
	var out []tag
next:
	for _, t := range tags(page) {
		if t.name != name {
			continue
		}
		for k, v := range want {
			if got, ok := t.attrs[k]; !ok || got != v {
				continue next
			}
		}
		out = append(out, t)
	}
	return out
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	Expect(err).NotTo(HaveOccurred())
	return n
}

var _ = Describe("WriteHTML", func() {
	var (
		run  *results.Run
		page string
	)
	BeforeEach(func() {
		run = fixtureRun()
		page = htmlOf(run)
	})

	Describe("escaping target data", func() {
		It("never lets a target's markup through", func() {
			Expect(page).NotTo(ContainSubstring("<script>alert"))
			Expect(page).NotTo(ContainSubstring("<img"))
			Expect(page).NotTo(ContainSubstring("onerror=alert(1)>"))
			Expect(page).To(ContainSubstring("&lt;script&gt;alert(1)&lt;/script&gt;"), "shown as text")
			Expect(strings.Count(page, "<script")).To(Equal(1), "only the report's own script")
		})

		It("makes control characters visible instead of emitting them", func() {
			Expect(page).NotTo(ContainSubstring("\x1b"))
			Expect(page).To(ContainSubstring(`\x1b[31mred`))
		})

		It("links the FAQ only when it is an http(s) URL", func() {
			Expect(page).NotTo(ContainSubstring(`href="javascript:`))
			Expect(page).NotTo(ContainSubstring("ZgotmplZ"))
			Expect(page).To(ContainSubstring("<code>javascript:alert(1)</code>"), "shown as text")
			Expect(find(page, "a", map[string]string{"class": "faq-link"})).To(HaveLen(2))
		})
	})

	Describe("self-contained", func() {
		It("loads nothing from the network: no http(s) or protocol-relative URL in any resource attribute", func() {
			resource := regexp.MustCompile(`(?i)^\s*(https?:)?//`)
			for _, t := range tags(page) {
				for name, value := range t.attrs {
					if !resource.MatchString(value) {
						continue
					}
					isFAQLink := t.name == "a" && name == "href" && t.attrs["class"] == "faq-link"
					Expect(isFAQLink).To(BeTrue(), "<%s %s=%q>", t.name, name, value)
				}
			}
			Expect(page).NotTo(MatchRegexp(`(?i)url\(|@import|<link[^>]+stylesheet|<iframe|<img`))
		})

		It("allows, by CSP, only its own inline style and script", func() {
			csp := find(page, "meta", map[string]string{"http-equiv": "Content-Security-Policy"})
			Expect(csp).To(HaveLen(1))
			policy := html.UnescapeString(csp[0].attrs["content"]) // as the browser reads it
			Expect(policy).To(HavePrefix("default-src 'none';"))
			for _, el := range []string{"style", "script"} {
				m := regexp.MustCompile(`(?s)<` + el + `>(.*?)</` + el + `>`).FindStringSubmatch(page)
				Expect(m).NotTo(BeNil())
				sum := sha256.Sum256([]byte(m[1]))
				Expect(policy).To(ContainSubstring(fmt.Sprintf("%s-src 'sha256-%s'", el, base64.StdEncoding.EncodeToString(sum[:]))))
			}
		})
	})

	Describe("data attributes for tests and tools", func() {
		It("carries the summary counts", func() {
			s := find(page, "section", map[string]string{"id": "summary"})
			Expect(s).To(HaveLen(1))
			a := s[0].attrs
			Expect([]int{atoi(a["data-count-total"]), atoi(a["data-count-passed"]), atoi(a["data-count-failed"]), atoi(a["data-count-errored"]), atoi(a["data-count-skipped"])}).
				To(Equal([]int{run.Summary.Total, run.Summary.Passed, run.Summary.Failed, run.Summary.Errored, run.Summary.Skipped}))
		})

		It("carries the counts by severity and by category", func() {
			for _, sev := range results.Severities() {
				row := find(page, "tr", map[string]string{"data-severity": string(sev), "data-count-total": strconv.Itoa(run.Summary.BySeverity[sev].Total)})
				Expect(row).To(HaveLen(1), string(sev))
				Expect(atoi(row[0].attrs["data-count-failed"])).To(Equal(run.Summary.BySeverity[sev].Failed))
				Expect(atoi(row[0].attrs["data-count-errored"])).To(Equal(run.Summary.BySeverity[sev].Errored))
			}
			for _, c := range results.Categories() {
				row := find(page, "tr", map[string]string{"data-category": string(c), "data-count": strconv.Itoa(run.Summary.ByCategory[c])})
				Expect(row).To(HaveLen(1), string(c))
			}
		})

		It("has one checklist row per item, in run order, with status, severity and category", func() {
			rows := find(page, "tr", map[string]string{})
			var items []tag
			for _, r := range rows {
				if strings.HasPrefix(r.attrs["class"], "item ") {
					items = append(items, r)
				}
			}
			Expect(items).To(HaveLen(len(run.Items)))
			for i, it := range tableOrder(run.Items, func(it results.Item) bool { return it.Kind == "derived" }) {
				Expect(items[i].attrs).To(HaveKeyWithValue("data-status", string(it.Status)))
				Expect(items[i].attrs).To(HaveKeyWithValue("data-severity", string(it.Severity)))
				Expect(items[i].attrs).To(HaveKeyWithValue("data-category", string(it.Category)))
				Expect(items[i].attrs).To(HaveKeyWithValue("data-api", it.API))
				Expect(items[i].attrs).NotTo(HaveKey("hidden"), "every row is readable without JS")
			}
			Expect(find(page, "tr", map[string]string{"data-status": "fail"})).To(HaveLen(run.Summary.Failed))
		})

		It("shows the verdict on the banner", func() {
			Expect(find(page, "header", map[string]string{"id": "verdict", "class": "banner verdict-not-certified", "data-verdict": "NOT CERTIFIED"})).To(HaveLen(1))
			Expect(find(page, "body", map[string]string{"data-exit-code": "1", "data-run-id": run.RunID})).To(HaveLen(1))
		})
	})

	It("keeps the filters hidden until JS runs", func() {
		form := regexp.MustCompile(`<form id="filters" class="filters" hidden>`)
		Expect(page).To(MatchRegexp(form.String()))
		Expect(page).To(ContainSubstring(`<select id="filter-status" name="status">`))
		Expect(page).To(ContainSubstring(`<select id="filter-severity" name="severity">`))
		Expect(page).To(ContainSubstring(`<select id="filter-category" name="category">`))
	})

	Describe("failure details", func() {
		It("leads with one card per problem, most serious first, each listing its items, linked from their rows", func() {
			Expect(page).To(ContainSubstring(`<h2 id="problems-h">4 distinct problems <span class="pill">4</span></h2>`))
			arts := find(page, "article", map[string]string{})
			var ids []string
			for _, a := range arts {
				if a.attrs["data-problem-id"] == "" {
					continue
				}
				ids = append(ids, a.attrs["data-problem-id"]+" "+a.attrs["data-severity"]+" "+a.attrs["data-category"])
				Expect(page).To(ContainSubstring(`<a class="problem-ref" href="#` + a.attrs["id"] + `">`))
			}
			Expect(ids).To(Equal([]string{"P1 critical system", "P2 critical integration", "P3 major connection", "P4 minor integration"}))
			Expect(strings.Index(page, `id="problems"`)).To(BeNumerically("<", strings.Index(page, `id="checklist"`)), "failures first")
			var items []string
			for _, li := range find(page, "li", map[string]string{}) {
				if strings.HasPrefix(li.attrs["class"], "affected failure") {
					items = append(items, li.attrs["data-item-id"])
					Expect(page).To(ContainSubstring(`<a href="#` + li.attrs["id"] + `">`))
				}
			}
			Expect(items).To(ConsistOf("COL-002", "PAY-002", "PAY-001", "COL-003"))
		})

		It("shows an unreachable target as one diagnosis block with the partner's own commands", func() {
			start := strings.Index(page, `data-kind="transport"`)
			Expect(start).To(BeNumerically(">", 0))
			art := page[start : start+strings.Index(page[start:], "</article>")]
			Expect(art).To(ContainSubstring(`<span class="layer">tcp</span>`))
			Expect(art).To(ContainSubstring(`<pre class="command">telnet partner.example 443</pre>`))
			Expect(art).To(ContainSubstring(`<pre class="command">openssl s_client -connect partner.example:443 -servername partner.example &lt;/dev/null</pre>`))
			Expect(art).To(ContainSubstring(`<pre class="command">golive doctor https://partner.example</pre>`))
		})

		It("shows expected vs actual, the timeline with every attempt, the curl line with a copy button, the fix and FAQ", func() {
			start := strings.Index(page, `data-problem-id="P2"`)
			Expect(start).To(BeNumerically(">", 0))
			art := page[start : start+strings.Index(page[start:], "</article>")]

			Expect(art).To(ContainSubstring(`data-item-id="COL-002" data-status="fail"`))
			Expect(art).To(ContainSubstring(`<div class="expected"><h4>Expected</h4><pre>status in [SUCCESS, FAILED] within 2s</pre>`))
			Expect(art).To(ContainSubstring(`<div class="actual"><h4>Actual</h4><pre>PENDING`))
			Expect(strings.Count(art, `<li class="exchange"`)).To(Equal(4))
			Expect(strings.Count(art, "<details>")).To(Equal(4))
			Expect(art).To(ContainSubstring(`data-method="GET" data-status-code="200" data-attempt="3"`))
			Expect(art).To(ContainSubstring("poll-status, attempt 3"))
			Expect(art).To(ContainSubstring("golive stopped reading at the run's body size cap."))
			Expect(art).To(ContainSubstring(`<pre class="curl" id="curl-item-COL-002">curl -X GET`))
			Expect(art).To(ContainSubstring(`<button type="button" class="copy" data-copy-target="curl-item-COL-002" hidden>Copy</button>`))
			Expect(art).To(ContainSubstring(`<p class="fix">Implement the check-status flow`))
			Expect(art).To(ContainSubstring(`href="https://docs.example/faq/collections#status-never-final"`))
		})

		It("shows a body the evidence does not keep whole by its size and hash", func() {
			run := fixtureRun()
			run.Items[1].Exchanges[3].Response.BodyDigest = &results.BodyDigest{Size: 1 << 20, SHA256: strings.Repeat("ab", 32), Kept: 4096}
			run.Items[1].Exchanges[2].Response.Body = ""
			run.Items[1].Exchanges[2].Response.BodyDigest = &results.BodyDigest{Size: 1 << 20, SHA256: strings.Repeat("cd", 32)}
			page := htmlOf(run)
			Expect(page).To(ContainSubstring("Body: 1,048,576 bytes, sha256 abababababababab…; the first 4,096 shown"))
			Expect(page).To(ContainSubstring("Body: 1,048,576 bytes, sha256 cdcdcdcdcdcdcdcd…; not kept (summary only)"))
		})

		It("shows the transport error when no response came back", func() {
			Expect(page).To(ContainSubstring(`data-method="POST" data-status-code="error" data-attempt="1"`))
			Expect(page).To(ContainSubstring(`<p class="transport-error">dial tcp 203.0.113.7:443: connect: connection refused</p>`))
		})

		It("says so when nothing failed", func() {
			run := fixtureRun()
			run.Items, run.Problems = run.Items[:1], nil
			Expect(htmlOf(run)).To(ContainSubstring(`<p class="none">Nothing to fix: no item failed.</p>`))
		})
	})

	It("prints as a sign-off document", func() {
		Expect(page).To(ContainSubstring("@media print"))
		Expect(page).To(ContainSubstring(`<section id="signoff"`))
		Expect(page).To(ContainSubstring("Certified by (name, role)"))
		Expect(page).To(ContainSubstring(`<span class="label">Date</span>`))
	})

	It("shows run metadata and the spec and suite hashes", func() {
		for _, want := range []string{
			`<dd id="run-target"><code>https://partner.example</code></dd>`,
			`<dd id="run-environment">staging</dd>`,
			`<time datetime="2026-03-14T09:30:00Z">2026-03-14 09:30:00 UTC</time>`,
			`<dd id="run-duration">11.0 s</dd>`,
			`<dd id="run-tool">golive 1.2.3</dd>`,
			run.APIs[0].SpecSHA256, run.APIs[0].SuiteSHA256, run.APIs[1].SpecSHA256,
		} {
			Expect(page).To(ContainSubstring(want))
		}
	})

	DescribeTable("colours the banner by verdict",
		func(v results.VerdictStatus, class string) {
			run := fixtureRun()
			run.Verdict.Status = v
			Expect(htmlOf(run)).To(ContainSubstring(`<header id="verdict" class="banner ` + class + `"`))
		},
		Entry("certified", results.Certified, "verdict-certified"),
		Entry("with observations", results.CertifiedWithObservations, "verdict-observations"),
		Entry("not certified", results.NotCertified, "verdict-not-certified"),
		Entry("not testable", results.NotTestable, "verdict-not-testable"),
	)

	It("is byte-for-byte reproducible", func() {
		Expect(htmlOf(fixtureRun())).To(Equal(page))
	})
})
