package reports_test

import (
	"bytes"
	"testing/fstest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/docs"
	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/results"
)

var _ = Describe("FAQ links in report.html", func() {
	page := func(faq string, opts ...reports.Option) string {
		GinkgoHelper()
		run := fixtureRun()
		run.Items[1].FAQ = faq // COL-002, problem P2
		run.Problems = results.GroupProblems(run.Items)
		var buf bytes.Buffer
		Expect(reports.WriteHTMLWith(&buf, run, opts...)).To(Succeed())
		return buf.String()
	}

	It("embeds the answer an item links to, so the link works from the report folder", func() {
		html := page("docs/faq/collections.md#token-issued", reports.WithFAQ(docs.FAQ()))
		Expect(html).To(ContainSubstring(`<a class="faq-link" href="#faq-collections-token-issued">`))
		Expect(html).To(ContainSubstring(`<article class="faq-entry" id="faq-collections-token-issued" data-ref="docs/faq/collections.md#token-issued">`))
		Expect(html).To(ContainSubstring(`<h3>COL-001: A token is issued for valid credentials</h3>`))
		Expect(html).To(ContainSubstring(`<code>POST /v1/token</code>`), "inline code kept as code")
		Expect(html).To(ContainSubstring("<pre>{&#34;token&#34;:"), "fenced code as a block")
	})

	It("renders the answer's text as text", func() {
		fsys := fstest.MapFS{"docs/faq/x.md": {Data: []byte("<a id=\"a\"></a>\n## Title <img src=x onerror=alert(1)>\n\n- `<script>`\n")}}
		html := page("docs/faq/x.md#a", reports.WithFAQ(fsys))
		Expect(html).To(ContainSubstring("Title &lt;img src=x onerror=alert(1)&gt;"))
		Expect(html).To(ContainSubstring("<code>&lt;script&gt;</code>"))
	})

	It("links to the published docs what it cannot embed, and shows the rest as text", func() {
		html := page("docs/faq/collections.md#no-such-answer", reports.WithFAQ(docs.FAQ()), reports.WithDocsURL("https://docs.example/golive/"))
		Expect(html).To(ContainSubstring(`href="https://docs.example/golive/faq/collections.md#no-such-answer"`))
		html = page("docs/faq/collections.md#no-such-answer")
		Expect(html).To(ContainSubstring(`<p class="faq">FAQ: <code>docs/faq/collections.md#no-such-answer</code></p>`))
		Expect(html).NotTo(ContainSubstring(`id="faq"`))
	})
})
