package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram/botapitest"
)

// outboxList lists GET /api/v1/deliveries?query as the admin.
func (h *hub) outboxList(query string) server.DeliveriesJSON {
	GinkgoHelper()
	r := h.api(h.adminTok, "GET", "/deliveries"+query, nil)
	Expect(r.status).To(Equal(http.StatusOK), string(r.body))
	var out server.DeliveriesJSON
	r.json(&out)
	return out
}

// outboxItem waits until the list (state failed) holds an item of kind
// matching match, and returns it.
func (h *hub) failedItem(kind string, match func(server.OutboxItemJSON) bool) server.OutboxItemJSON {
	GinkgoHelper()
	var got server.OutboxItemJSON
	Eventually(func() bool {
		for _, it := range h.outboxList("?state=failed").Items {
			if it.Kind == kind && match(it) {
				got = it
				return true
			}
		}
		return false
	}).WithTimeout(2*time.Minute).WithPolling(50*time.Millisecond).Should(BeTrue(), "no failed %s item: %s", kind, h.log.String())
	return got
}

var _ = Describe("the Deliveries page and API", func() {
	for _, backend := range backends() {
		Context("on "+backend, func() {
			alice := botapitest.PrivateChat(7101)
			quick := func(c *server.Config) {
				c.TelegramBackoff = []time.Duration{50 * time.Millisecond, 50 * time.Millisecond}
			}

			It("show staff the webhook deliveries and Telegram messages that failed, across partners; Retry sends a message again; partners get 404", func() {
				t := startTelegramHub(backend, quick, quickRetries)
				acme := t.partner("Acme Deliveries", "collections")
				t.link(alice, acme.ID)
				rcv := newReceiver("500")
				hook := t.webhook(acme.ID, rcv.ts.URL+"/hook?token=receiver-credential-31", "hook-secret-deliveries-1")
				_, devTok := t.partnerUser(acme.ID, "dev@deliveries.example")
				dev := t.signIn("dev@deliveries.example", adminPassword)

				By("a run whose verdict the Bot API refuses for good, and whose webhook answers 500 every time")
				t.api.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 403, Method: "sendMessage"})
				run := t.waitRun(t.startRun(t.adminTok, acme.ID, nil))
				verdict := fmt.Sprintf("Run %d (collections) finished", run.ID)

				msg := t.failedItem("telegram", func(it server.OutboxItemJSON) bool { return it.ChatID == alice.ID })
				Expect(msg.PartnerID).To(Equal(acme.ID))
				Expect(msg.PartnerName).To(Equal(acme.Name))
				Expect(msg.Event).To(Equal("run.finished"))
				Expect(msg.State).To(Equal("failed"))
				Expect(msg.Attempts).To(Equal(1))
				Expect(msg.LastError).To(ContainSubstring("sendMessage"))
				Expect(msg.NextAttemptAt).To(BeNil())
				Expect(msg.Retry).To(Equal("/api/v1/deliveries/telegram/" + strconv.FormatInt(msg.ID, 10) + "/retry"))
				Expect(msg.Redeliver).To(BeEmpty())
				del := t.failedItem("webhook", func(it server.OutboxItemJSON) bool { return it.WebhookID == hook })
				Expect(del.PartnerID).To(Equal(acme.ID))
				Expect(del.URL).To(Equal(rcv.ts.URL+"/hook?..."), "no query string: a receiver's credential may be there")
				Expect(del.Attempts).To(Equal(3))
				Expect(del.ResponseStatus).To(Equal(500))
				Expect(del.LastError).To(ContainSubstring("500"))
				Expect(del.Redeliver).To(Equal("/api/v1/partners/" + acme.ID + "/webhooks/" + hook + "/deliveries/" +
					strconv.FormatInt(del.ID, 10) + "/redeliver"))
				Expect(del.Retry).To(BeEmpty())
				Expect(t.api.SentTo(alice.ID)).NotTo(ContainElement(HaveField("Text", HavePrefix(verdict))))
				raw := t.hub.api(t.adminTok, "GET", "/deliveries", nil)
				Expect(string(raw.body)).NotTo(ContainSubstring(tgToken))
				Expect(string(raw.body)).NotTo(ContainSubstring("receiver-credential-31"))
				Expect(string(raw.body)).NotTo(ContainSubstring("hook-secret-deliveries-1"))
				Expect(string(raw.body)).NotTo(ContainSubstring(verdict), "no message text")

				By("one page at a time, newest first")
				first := t.outboxList("?state=failed&limit=1")
				Expect(first.Items).To(HaveLen(1))
				Expect(first.Next).NotTo(BeEmpty())
				rest := t.outboxList("?state=failed&limit=200&before=" + url.QueryEscape(first.Next))
				all := append(first.Items, rest.Items...)
				Expect(rest.Next).To(BeEmpty())
				Expect(all).To(ContainElements(HaveField("ID", msg.ID), HaveField("ID", del.ID)))
				for i := 1; i < len(all); i++ {
					Expect(all[i].CreatedAt).NotTo(BeTemporally(">", all[i-1].CreatedAt), "newest first")
				}

				By("staff read it on the page, linked from the navigation, with Retry and Redeliver")
				admin := t.signIn("admin@bau.example", adminPassword)
				_, home := admin.get("/")
				Expect(home).To(ContainSubstring(`<a href="/deliveries">Deliveries</a>`))
				resp, page := admin.get("/deliveries?state=failed")
				Expect(resp.StatusCode).To(Equal(http.StatusOK))
				Expect(page).To(And(ContainSubstring(`href="/partners/`+acme.ID+`">`+acme.Name+`</a>`),
					ContainSubstring("Telegram chat "+strconv.FormatInt(alice.ID, 10)), ContainSubstring(rcv.ts.URL+"/hook?..."),
					ContainSubstring(`action="/deliveries/telegram/`+strconv.FormatInt(msg.ID, 10)+`/retry"`),
					ContainSubstring(`action="/partners/`+acme.ID+`/webhooks/`+hook+`/deliveries/`+strconv.FormatInt(del.ID, 10)+`/redeliver"`)))
				Expect(page).NotTo(Or(ContainSubstring(tgToken), ContainSubstring("receiver-credential-31")))

				By("a partner's user gets 404 for all of it, and no link")
				for _, r := range []apiResp{t.hub.api(devTok, "GET", "/deliveries", nil), t.hub.api(devTok, "GET", "/deliveries?limit=abc", nil),
					t.hub.api(devTok, "POST", "/deliveries/telegram/"+strconv.FormatInt(msg.ID, 10)+"/retry", nil),
					t.hub.api(devTok, "POST", "/deliveries/telegram/abc/retry", nil)} {
					expectOneLineError(r, http.StatusNotFound, "no such API endpoint")
				}
				resp, page = dev.get("/deliveries")
				Expect(resp.StatusCode).To(Equal(http.StatusNotFound))
				Expect(page).NotTo(ContainSubstring(acme.Name + "</a>"))
				Expect(dev.post("/deliveries/telegram/"+strconv.FormatInt(msg.ID, 10)+"/retry", url.Values{}).StatusCode).
					To(Equal(http.StatusNotFound))
				_, home = dev.get("/")
				Expect(home).NotTo(ContainSubstring(`href="/deliveries"`))
				Expect(t.failedItem("telegram", func(it server.OutboxItemJSON) bool { return it.ID == msg.ID }).Attempts).
					To(Equal(1), "still failed: the partner retried nothing")

				By("bad input: one line, a 4xx, never a 500")
				for q, want := range map[string]string{"?limit=abc": "limit must be a number from 1 to 200", "?limit=0": "limit must",
					"?limit=201": "limit must", "?state=delivered": "state must be failed or pending", "?before=xyz": "before must be the cursor",
					"?before=1.q.2": "before must", "?partner=x": "unknown query parameter"} {
					expectOneLineError(t.hub.api(t.adminTok, "GET", "/deliveries"+q, nil), http.StatusBadRequest, want)
				}
				expectOneLineError(t.hub.api(t.adminTok, "POST", "/deliveries/telegram/abc/retry", nil), http.StatusNotFound, "not a message number")
				expectOneLineError(t.hub.api(t.adminTok, "POST", "/deliveries/telegram/-3/retry", nil), http.StatusNotFound, "not a message number")
				expectOneLineError(t.hub.api(t.adminTok, "POST", "/deliveries/telegram/987654/retry", nil), http.StatusNotFound, "no Telegram message 987654")
				expectOneLineError(t.hub.api(t.adminTok, "POST", "/deliveries/telegram/"+strconv.FormatInt(msg.ID, 10)+"/retry",
					`{"force":true}`), http.StatusBadRequest, "force")
				resp, _ = admin.get("/deliveries?limit=abc")
				Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
				forged := admin.do("POST", "/deliveries/telegram/"+strconv.FormatInt(msg.ID, 10)+"/retry", url.Values{})
				forged.Body.Close()
				Expect(forged.StatusCode).To(Equal(http.StatusForbidden), "no CSRF token")

				By("Retry over the API: pending again, attempts reset, then sent, and audited")
				r := t.hub.api(t.adminTok, "POST", msg.Retry[len("/api/v1"):], nil)
				Expect(r.status).To(Equal(http.StatusAccepted), string(r.body))
				var again server.OutboxItemJSON
				r.json(&again)
				Expect(again.ID).To(Equal(msg.ID))
				Expect(again.State).To(Equal("pending"))
				Expect(again.Attempts).To(BeZero())
				Expect(again.LastError).To(BeEmpty())
				Expect(again.PartnerName).To(Equal(acme.Name))
				Eventually(func() []botapitest.Sent { return t.api.SentTo(alice.ID) }).WithTimeout(2 * time.Minute).
					WithPolling(20 * time.Millisecond).Should(ContainElement(HaveField("Text", HavePrefix(verdict))))
				Eventually(func() []server.OutboxItemJSON { return t.outboxList("").Items }).WithTimeout(time.Minute).
					WithPolling(50*time.Millisecond).ShouldNot(ContainElement(And(HaveField("Kind", "telegram"), HaveField("ID", msg.ID))),
					"sent: no longer in the outbox")
				expectOneLineError(t.hub.api(t.adminTok, "POST", msg.Retry[len("/api/v1"):], nil), http.StatusNotFound, "no Telegram message")
				entries, body := t.auditOf(acme.ID, "telegram.retry")
				Expect(entries).NotTo(BeEmpty(), body)
				Expect(entries[len(entries)-1].Params).To(HaveKeyWithValue("message", strconv.FormatInt(msg.ID, 10)))
				Expect(entries[len(entries)-1].Outcome).To(Equal("ok"))

				By("Retry on the page: another message the Bot API refused, queued again from its button, and sent")
				t.api.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 403, Method: "sendMessage"})
				_, _, err := t.st.EnqueueEvent(t.ctx, store.System(), store.OutboxEvent{Event: "run.finished", PartnerID: acme.ID,
					Payload: []byte(`{"event":"run.finished"}`), Chats: []store.ChatMessage{{ChatID: alice.ID, Text: "Retried from the page"}}})
				Expect(err).NotTo(HaveOccurred())
				second := t.failedItem("telegram", func(it server.OutboxItemJSON) bool { return it.ID != msg.ID && it.ChatID == alice.ID })
				pr := admin.post("/deliveries/telegram/"+strconv.FormatInt(second.ID, 10)+"/retry", url.Values{})
				Expect(pr.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(pr.Header.Get("Location")).To(Equal("/deliveries?state=failed&retried=" + strconv.FormatInt(second.ID, 10)))
				_, page = admin.get(pr.Header.Get("Location"))
				Expect(page).To(ContainSubstring(fmt.Sprintf("Telegram message %d is queued again", second.ID)))
				Eventually(func() []botapitest.Sent { return t.api.SentTo(alice.ID) }).WithTimeout(2 * time.Minute).
					WithPolling(20 * time.Millisecond).Should(ContainElement(HaveField("Text", "Retried from the page")))

				By("Redeliver from the page: the existing redeliver, back to the Deliveries page")
				rr := admin.post(strings.TrimPrefix(del.Redeliver, "/api/v1"), url.Values{"back": {"deliveries"}})
				Expect(rr.StatusCode).To(Equal(http.StatusSeeOther))
				Expect(rr.Header.Get("Location")).To(Equal("/deliveries?state=failed"))
				Eventually(func() []server.DeliveryJSON { return t.deliveries(acme.ID, hook) }).WithTimeout(time.Minute).
					Should(ContainElement(HaveField("RedeliveryOf", del.ID)))
			})
		})
	}
})
