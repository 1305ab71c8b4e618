package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

var _ = Describe("after go-live", func() {
	for _, backend := range backends() {
		It("runs a production-safe schedule, marks a regression against the last good run and notifies the webhook, on "+backend, func() {
			h := startHub(backend)
			hooks := make(chan server.WebhookPayload, 16)
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var p server.WebhookPayload
				body, _ := io.ReadAll(r.Body)
				Expect(json.Unmarshal(body, &p)).To(Succeed())
				Expect(r.Header.Get(server.SignatureHeader)).To(HavePrefix("sha256="))
				hooks <- p
			}))
			DeferCleanup(receiver.Close)

			p := h.partner("Live Co", "collections")
			h.endpoint(p.ID, "production", h.sandbox)
			r := h.api(h.adminTok, "POST", "/partners/"+p.ID+"/webhooks", map[string]any{"url": receiver.URL,
				"events": []string{"partner.regressed"}, "secret": "hook-secret"})
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			r = h.api(h.adminTok, "POST", "/partners/"+p.ID+"/schedules", map[string]any{"cron": "every day", "api": "collections"})
			Expect(r.status).To(Equal(http.StatusBadRequest))
			Expect(string(r.body)).To(ContainSubstring("cron"))
			r = h.api(h.adminTok, "POST", "/partners/"+p.ID+"/schedules", map[string]any{"cron": "0 6 * * *", "api": "collections"})
			Expect(r.status).To(Equal(http.StatusCreated), string(r.body))
			var sch server.ScheduleJSON
			r.json(&sch)
			Expect(sch.Environment).To(Equal("production"))
			Expect(sch.AllowWrites).To(BeFalse())
			Expect(sch.NextRunAt).NotTo(BeNil())
			Expect(h.st.SetPartnerStatus(h.ctx, store.System(), p.ID, store.StatusLive)).To(Succeed())

			good, err := h.srv.TriggerSchedule(h.ctx, sch.ID)
			Expect(err).NotTo(HaveOccurred())
			goodRun := h.waitRun(good.ID)
			Expect(goodRun.Certified()).To(BeTrue(), goodRun.Failure)
			Expect(goodRun.Environment).To(Equal("production"))
			Expect(goodRun.AllowWrites).To(BeFalse())

			h.endpoint(p.ID, "production", sandboxTarget("maintenance"))
			bad, err := h.srv.TriggerSchedule(h.ctx, sch.ID)
			Expect(err).NotTo(HaveOccurred())
			h.waitRun(bad.ID)
			var got server.WebhookPayload
			Eventually(hooks, "3m").Should(Receive(&got))
			Expect(got.Event).To(Equal("partner.regressed"))
			Expect(got.RunID).To(Equal(bad.ID))
			Expect(got.Against).To(Equal(good.ID))
			pt, err := h.st.GetPartner(h.ctx, store.System(), p.ID)
			Expect(err).NotTo(HaveOccurred())
			Expect(pt.Status).To(Equal(store.StatusRegressed))
		})

		It("never shows a partner's credentials or anyone's token in a page, an API answer or the log, on "+backend, func() {
			h := startHub(backend)
			p := h.partner("Secret Co")
			id := h.waitRun(h.startRun(h.adminTok, p.ID, nil)).ID
			_, partnerTok := h.partnerUser(p.ID, "dev@secret.example")
			run := strconv.FormatInt(id, 10)
			var seen []string
			for _, path := range []string{"/partners", "/partners/" + p.ID, "/partners/" + p.ID + "/runs", "/runs/" + run,
				"/runs/" + run + "/results", "/runs/" + run + "/artifacts/report.html", "/runs/" + run + "/artifacts/junit.xml",
				"/audit", "/me", "/partners/" + p.ID + "/progress"} {
				seen = append(seen, string(h.api(h.adminTok, "GET", path, nil).body))
			}
			b := h.signIn("admin@bau.example", adminPassword)
			for _, path := range []string{"/", "/partners/" + p.ID, "/runs/" + run, "/runs/" + run + "/report", "/audit", "/account", "/schedules"} {
				_, page := b.get(path)
				seen = append(seen, page)
			}
			seen = append(seen, h.log.String())
			for _, s := range seen {
				Expect(s).NotTo(ContainSubstring(plantedSecret))
				Expect(s).NotTo(ContainSubstring(h.adminTok))
				Expect(s).NotTo(ContainSubstring(partnerTok))
				Expect(s).NotTo(ContainSubstring(adminPassword))
			}
		})
	}
})
