package server_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/suites"
	"github.com/golive-cert/golive/uat"
)

var _ = Describe("the hub", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			var h *hub
			BeforeEach(func() { h = startHub(backend) })

			It("signs people in with a secure, HttpOnly, SameSite session and refuses forms without the CSRF token", func() {
				resp, _ := (&browser{h: h}).get("/")
				Expect(resp.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(resp.Header.Get("Location")).To(HavePrefix("/login"))

				bad := (&browser{h: h}).post("/login", url.Values{"email": {"admin@bau.example"}, "password": {"wrong password!"}})
				Expect(bad.StatusCode).To(Equal(http.StatusUnauthorized))

				b := h.signIn("admin@bau.example", adminPassword)
				Expect(b.cookie.HttpOnly).To(BeTrue())
				Expect(b.cookie.Secure).To(BeTrue())
				Expect(b.cookie.SameSite).To(Equal(http.SameSiteStrictMode))

				forged := b.post("/partners", url.Values{"name": {"Forged"}, "csrf": {"0000"}})
				Expect(forged.StatusCode).To(Equal(http.StatusForbidden))
				ok := b.post("/partners", url.Values{"name": {"Acme Pay"}, "api": {"collections"}})
				Expect(ok.StatusCode).To(Equal(http.StatusSeeOther))
				_, page := b.get("/")
				Expect(page).To(ContainSubstring("Acme Pay"))
				Expect(page).NotTo(ContainSubstring("Forged"))
			})

			It("certifies a partner's registered endpoint from the API: results, artifacts, report, progress, history", func() {
				p := h.partner("Acme Pay")
				var before []server.ProgressJSON
				h.api(h.adminTok, "GET", "/partners/"+p.ID+"/progress", nil).json(&before)
				Expect(before).To(HaveLen(2))
				collections := suiteItemIDs("collections")
				collections = append(collections, clientItemIDs("collections")...)
				// Before any run, the checklist is there to be done: 0 of all its items.
				Expect(before[0].API).To(Equal("collections"))
				Expect(before[0].Total).To(Equal(len(collections)))
				Expect(before[0].NotRun).To(Equal(len(collections)))
				Expect(before[0].Passed).To(BeZero())

				id := h.startRun(h.adminTok, p.ID, nil)
				run := h.waitRun(id)
				Expect(run.State).To(Equal(store.RunDone), run.Failure)
				Expect(run.Verdict).To(Equal(results.Certified))

				r := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(id, 10)+"/results", nil)
				Expect(r.status).To(Equal(http.StatusOK))
				doc, err := results.Read(bytes.NewReader(r.body))
				Expect(err).NotTo(HaveOccurred())
				Expect(doc.Verdict.Status).To(Equal(results.Certified))

				r = h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(id, 10)+"/artifacts", nil)
				var arts []server.ArtifactJSON
				r.json(&arts)
				names := []string{}
				for _, a := range arts {
					names = append(names, a.Name)
				}
				Expect(names).To(ConsistOf("results.json", "junit.xml", "report.html", "manifest.json"))

				b := h.signIn("admin@bau.example", adminPassword)
				resp, report := b.get("/runs/" + strconv.FormatInt(id, 10) + "/report")
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				Expect(resp.Header.Get("Content-Security-Policy")).To(HavePrefix("sandbox"))
				Expect(report).To(ContainSubstring("CERTIFIED"))

				r = h.api(h.adminTok, "GET", "/partners/"+p.ID+"/progress", nil)
				var prog []server.ProgressJSON
				r.json(&prog)
				Expect(prog).To(HaveLen(2))
				Expect(prog[0].Passed).To(BeNumerically(">", 0))
				// The run reached the suite's items; the client checklist waits for a UAT session.
				Expect(prog[0].NotRun).To(Equal(len(clientItemIDs("collections"))))
				Expect(prog[0].Total).To(BeNumerically(">=", len(collections)))

				r = h.api(h.adminTok, "GET", "/partners", nil)
				var all []server.PartnerJSON
				r.json(&all)
				Expect(all).To(HaveLen(1))
				Expect(all[0].Status).To(Equal("sit"))
				Expect(all[0].APIs[0].Stage).To(Equal(server.StageSIT))
			})

			It("streams progress over Server-Sent Events while the run goes on", func() {
				p := h.partner("Stream Co")
				events, cancel := h.srv.SubscribeRun(0) // nothing: ids start at 1
				cancel()
				Expect(events).NotTo(BeNil())
				id := h.startRun(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
				req, _ := http.NewRequest("GET", h.url+"/api/v1/runs/"+strconv.FormatInt(id, 10)+"/events", nil)
				req.Header.Set("Authorization", "Bearer "+h.adminTok)
				resp, err := http.DefaultClient.Do(req)
				Expect(err).NotTo(HaveOccurred())
				defer resp.Body.Close()
				Expect(resp.Header.Get("Content-Type")).To(Equal("text/event-stream"))
				var body bytes.Buffer
				_, _ = body.ReadFrom(resp.Body) // the stream ends after "done"
				Expect(body.String()).To(ContainSubstring("event: done"))
				if !strings.Contains(body.String(), "event: item") {
					// The run may have finished before the stream opened; then
					// done says so with its verdict.
					Expect(body.String()).To(ContainSubstring(`"verdict":"CERTIFIED"`))
				}
			})

			It("records a go-live sign-off on a certified run with its evidence hash, and refuses one otherwise", func() {
				p := h.partner("Signed Co")
				good := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				Expect(good.Certified()).To(BeTrue())

				failing := h.partner("Failing Co")
				h.endpoint(failing.ID, "staging", sandboxTarget("amount-changed"))
				bad := h.waitRun(h.startRun(h.adminTok, failing.ID, nil))
				Expect(bad.Certified()).To(BeFalse())

				r := h.api(h.adminTok, "POST", "/runs/"+strconv.FormatInt(bad.ID, 10)+"/signoff", map[string]any{"decision": "go"})
				Expect(r.status).To(Equal(http.StatusConflict))
				Expect(string(r.body)).To(ContainSubstring("CERTIFIED"))

				_, manifest, err := h.st.GetArtifact(h.ctx, store.System(), good.ID, "manifest.json")
				Expect(err).NotTo(HaveOccurred())
				sum := sha256.Sum256(manifest)
				r = h.api(h.adminTok, "POST", "/runs/"+strconv.FormatInt(good.ID, 10)+"/signoff",
					map[string]any{"decision": "go", "note": "all green", "evidenceSha256": strings.Repeat("0", 64)})
				Expect(r.status).To(Equal(http.StatusConflict), "a pack that is not the one checked is refused")
				r = h.api(h.adminTok, "POST", "/runs/"+strconv.FormatInt(good.ID, 10)+"/signoff",
					map[string]any{"decision": "go", "note": "all green", "evidenceSha256": hex.EncodeToString(sum[:])})
				Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
				var so server.SignOffJSON
				r.json(&so)
				Expect(so.EvidenceSHA256).To(Equal(hex.EncodeToString(sum[:])))
				Expect(so.By).To(Equal("admin@bau.example"))

				r = h.api(h.adminTok, "GET", "/partners/"+p.ID, nil)
				var pj server.PartnerJSON
				r.json(&pj)
				Expect(pj.APIs[0].Stage).To(Equal(server.StageCertified))
				Expect(pj.APIs[0].Label).To(ContainSubstring("by admin@bau.example"))

				_, tok := h.partnerUser(p.ID, "dev@signed.example")
				r = h.api(tok, "POST", "/runs/"+strconv.FormatInt(good.ID, 10)+"/signoff", map[string]any{"decision": "go"})
				Expect(r.status).To(Equal(http.StatusForbidden))
			})

			It("diffs two runs with results.Compare: fixed, regressed, new failures", func() {
				p := h.partner("Diff Co", "collections")
				first := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				h.endpoint(p.ID, "staging", sandboxTarget("amount-changed"))
				second := h.waitRun(h.startRun(h.adminTok, p.ID, nil))
				r := h.api(h.adminTok, "GET", "/runs/"+strconv.FormatInt(second.ID, 10)+"/diff?against="+strconv.FormatInt(first.ID, 10), nil)
				Expect(r.status).To(Equal(http.StatusOK), string(r.body))
				var d results.Diff
				r.json(&d)
				Expect(d.Regressions()).To(BeNumerically(">", 0))

				b := h.signIn("admin@bau.example", adminPassword)
				resp, page := b.get("/runs/" + strconv.FormatInt(second.ID, 10) + "/diff")
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				Expect(page).To(ContainSubstring("regressed"))
			})
		})
	}
})

func suiteItemIDs(api string) []string {
	GinkgoHelper()
	st, err := suites.Load(api)
	Expect(err).NotTo(HaveOccurred())
	var ids []string
	for _, it := range st.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func clientItemIDs(api string) []string {
	var ids []string
	for _, it := range uat.Checklist(api) {
		ids = append(ids, it.ID)
	}
	return ids
}
