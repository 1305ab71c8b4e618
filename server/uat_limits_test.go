package server_test

import (
	"io"
	"net/http"
	"net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram/botapitest"
)

var _ = Describe("UAT sessions' default deadline and open-session cap", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			It("gives a session opened without a deadline the default one, 24 hours on", func() {
				t0 := time.Now().Truncate(time.Second) // the hub's clock, stopped
				h := startHub(backend, withUAT, func(c *server.Config) { c.Now = func() time.Time { return t0 } })
				p := h.partner("Acme Pay", "collections")
				o := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
				Expect(o.Session.Deadline).NotTo(BeNil())
				Expect(o.Session.Deadline.Equal(t0.Add(24*time.Hour))).To(BeTrue(), "deadline %s", o.Session.Deadline)
				u, err := h.st.GetUATSession(h.ctx, store.System(), o.Session.ID)
				Expect(err).NotTo(HaveOccurred())
				Expect(u.Deadline.Equal(t0.Add(24*time.Hour))).To(BeTrue(), "stored deadline %s", u.Deadline)
			})

			It("ends a session opened without a deadline at the default deadline", func() {
				h := startHub(backend, withUAT, func(c *server.Config) { c.UATDefaultDeadline = 300 * time.Millisecond })
				p := h.partner("Acme Pay", "collections")
				o := h.openUAT(h.adminTok, p.ID, map[string]any{"apis": []string{"collections"}})
				h.waitUATDone(h.adminTok, p.ID, o.Session.ID)
				Expect(h.getUAT(h.adminTok, p.ID, o.Session.ID).EndReason).To(ContainSubstring("deadline"))
			})

			It("refuses a partner's sixth open session with a 409 naming the cap, on the API, the page and the bot alike", func() {
				t := startTelegramHub(backend)
				acme := t.partner("Acme Pay", "collections")
				var ids []string
				for range 5 {
					ids = append(ids, t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}}).Session.ID)
				}
				const refusal = "Acme Pay already has 5 UAT sessions open, the most at once: close one before opening another"

				By("the API")
				r := t.hub.api(t.adminTok, "POST", "/partners/"+acme.ID+"/uat-sessions", map[string]any{"apis": []string{"collections"}})
				Expect(r.status).To(Equal(http.StatusConflict))
				Expect(string(r.body)).To(ContainSubstring(refusal))

				By("the partner page's form")
				b := t.signIn("admin@bau.example", adminPassword)
				resp := b.do("POST", "/partners/"+acme.ID+"/uat-sessions", url.Values{"csrf": {b.csrf}, "api": {"collections"}})
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				Expect(resp.StatusCode).To(Equal(http.StatusConflict))
				Expect(string(page)).To(ContainSubstring(refusal))

				By("the bot")
				alice := botapitest.PrivateChat(5201)
				t.link(alice, acme.ID)
				Expect(t.say(alice, "/uat open collections")).To(HavePrefix("Not opened: " + refusal))

				open := func() int {
					list, err := t.st.ListUATSessions(t.ctx, store.System(), acme.ID)
					Expect(err).NotTo(HaveOccurred())
					n := 0
					for _, u := range list {
						if u.State == store.UATOpen {
							n++
						}
					}
					return n
				}
				Expect(open()).To(Equal(5))

				By("closing one makes room for one more, another partner is not counted")
				c := t.hub.api(t.adminTok, "POST", "/partners/"+acme.ID+"/uat-sessions/"+ids[0]+"/close", nil)
				Expect(c.status).To(Equal(http.StatusOK), string(c.body))
				t.openUAT(t.adminTok, acme.ID, map[string]any{"apis": []string{"collections"}})
				Expect(open()).To(Equal(5))
				bravo := t.partner("Bravo Bank", "collections")
				t.openUAT(t.adminTok, bravo.ID, map[string]any{"apis": []string{"collections"}})
			})
		})
	}
})
