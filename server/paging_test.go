package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server/store"
)

var (
	runRowRe    = regexp.MustCompile(`<tr>\s*<td><a href="/runs/(\d+)">`)
	runsOlderRe = regexp.MustCompile(`<a href="([^"]+)" id="runs-older"`)
	auditRowRe  = regexp.MustCompile(`<td>paging-entry (\d+)</td>`)
	auditOlder  = regexp.MustCompile(`<a href="([^"]+)" id="audit-older"`)
)

// section is the part of page from the element with id up to the end of
// its table.
func section(page, id string) string {
	GinkgoHelper()
	i := strings.Index(page, `id="`+id+`"`)
	Expect(i).To(BeNumerically(">=", 0), "no #"+id)
	j := strings.Index(page[i:], "</table>")
	Expect(j).To(BeNumerically(">=", 0))
	return page[i : i+j]
}

// follow walks a paged list from first by its "Older" link, returning
// every row's number in page order and the number of pages.
func follow(b *browser, first string, rows, older *regexp.Regexp, table string) ([]int64, int) {
	GinkgoHelper()
	var got []int64
	pages := 0
	for path := first; path != ""; pages++ {
		Expect(pages).To(BeNumerically("<", 50), "the Older links never end")
		resp, page := b.get(strings.ReplaceAll(path, "&amp;", "&"))
		Expect(resp.StatusCode).To(Equal(http.StatusOK), page)
		for _, m := range rows.FindAllStringSubmatch(section(page, table), -1) {
			n, err := strconv.ParseInt(m[1], 10, 64)
			Expect(err).NotTo(HaveOccurred())
			got = append(got, n)
		}
		path = ""
		if m := older.FindStringSubmatch(page); m != nil {
			path = m[1]
		}
	}
	return got, pages
}

var _ = Describe("paging the run history and the audit log", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			var h *hub
			BeforeEach(func() { h = startHub(backend) })

			It("follows the partner page's Older links down to the first run, no run repeated or skipped", func() {
				p := h.partner("Acme Pay")
				first := h.waitRun(h.startRun(h.adminTok, p.ID, nil)).ID
				res := h.api(h.adminTok, "GET", fmt.Sprintf("/runs/%d/results", first), nil)
				Expect(res.status).To(Equal(http.StatusOK), string(res.body))
				want := []int64{first}
				for range 119 { // 120 runs: two full pages of 50 and one of 20
					r, err := h.st.PublishRun(h.ctx, store.System(), store.Publication{PartnerID: p.ID, Results: res.body})
					Expect(err).NotTo(HaveOccurred())
					want = append([]int64{r.ID}, want...)
				}
				b := h.signIn("admin@bau.example", adminPassword)
				got, pages := follow(b, "/partners/"+p.ID, runRowRe, runsOlderRe, "runs")
				Expect(got).To(Equal(want))
				Expect(pages).To(Equal(3))

				By("?before= is honoured and checked")
				_, page := b.get(fmt.Sprintf("/partners/%s?before=%d", p.ID, want[9]))
				ids := runRowRe.FindAllStringSubmatch(section(page, "runs"), -1)
				Expect(ids).To(HaveLen(50))
				Expect(ids[0][1]).To(Equal(strconv.FormatInt(want[10], 10)))
				Expect(page).To(ContainSubstring(`id="runs-newest"`))
				resp, page := b.get("/partners/" + p.ID + "?before=x")
				Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
				Expect(page).To(ContainSubstring("before must be a run number"))
			})

			It("follows /audit's Older links down to the first entry, no entry repeated or skipped", func() {
				p := h.partner("Acme Pay")
				for i := 1; i <= 450; i++ { // more than two pages of 200
					Expect(h.st.Audit(h.ctx, store.System(), store.AuditEntry{PartnerID: p.ID, Action: "paging.test",
						Subject: fmt.Sprintf("paging-entry %d", i), Outcome: "ok"})).To(Succeed())
				}
				b := h.signIn("admin@bau.example", adminPassword)
				got, pages := follow(b, "/audit", auditRowRe, auditOlder, "audit")
				Expect(len(got)).To(Equal(450))
				for i, n := range got {
					Expect(n).To(Equal(int64(450 - i)))
				}
				Expect(pages).To(BeNumerically(">=", 3))

				By("?partner and ?limit carry over to the Older link")
				got, pages = follow(b, "/audit?partner="+p.ID+"&limit=100", auditRowRe, auditOlder, "audit")
				Expect(len(got)).To(Equal(450))
				Expect(got[0]).To(Equal(int64(450)))
				Expect(got[449]).To(Equal(int64(1)))
				Expect(pages).To(Equal(5))
			})

			It("shows the audit log's Who as the user's email, not the user id", func() {
				h.partner("Acme Pay")
				b := h.signIn("admin@bau.example", adminPassword)
				_, page := b.get("/audit")
				rows := section(page, "audit")
				Expect(rows).To(ContainSubstring("<td>admin@bau.example</td>"))
				Expect(rows).NotTo(ContainSubstring("<td>" + h.admin.ID + "</td>"))
			})
		})
	}
})
